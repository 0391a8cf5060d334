// FallbackProvider (openai → builtin) against the fake server, with an injected breaker clock; the factory.
#include "llm/fallback_provider.hpp"

#include <gtest/gtest.h>

#include <string>

#include "llm/builtin_provider.hpp"
#include "llm/factory.hpp"
#include "llm/openai_provider.hpp"
#include "llm/testing/fake_openai_server.hpp"

namespace netra::llm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeOpenAiServer;
using testing::FakeReply;

CompletionRequest Request() {
    CompletionRequest request;
    request.messages = {{"user", "What should we change?"}};
    request.builtin_text = "Route classification traffic to a smaller model.";
    return request;
}

class FallbackTest : public ::testing::Test {
  protected:
    FallbackTest() {
        OpenAiOptions options;
        options.base_url = server_.BaseUrl();
        options.max_retries = 0;  // one request per call keeps the request count readable
        // No test here waits on a silent provider: long enough that a loaded machine never times out.
        options.first_byte_timeout = milliseconds(5'000);
        options.idle_timeout = milliseconds(5'000);
        provider_ = std::make_shared<FallbackProvider>(
            std::make_shared<OpenAiProvider>(options), std::make_shared<BuiltinProvider>(),
            CircuitBreaker::Options{5, seconds(30)}, [this] { return now_; });
    }

    FakeOpenAiServer server_;
    std::chrono::steady_clock::time_point now_{};
    std::shared_ptr<FallbackProvider> provider_;
};

TEST_F(FallbackTest, PrimaryAnswersWhenHealthy) {
    server_.Enqueue(FakeReply::Stream({"from ", "openai"}));
    auto result = provider_->Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result->text, "from openai");
    EXPECT_EQ(result->provider, "openai");
    EXPECT_FALSE(result->fell_back);
    EXPECT_EQ(provider_->Name(), "openai");
    EXPECT_EQ(provider_->Health().status, "up");
}

TEST_F(FallbackTest, FailureFallsBackToBuiltinAndSaysWhy) {
    server_.Enqueue(FakeReply::Status(500, "down for maintenance"));
    std::string streamed;
    auto result = provider_->Complete(Request(), [&](std::string_view c) {
        streamed += c;
        return true;
    });
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->fell_back);
    EXPECT_EQ(result->provider, "builtin");
    EXPECT_EQ(result->text, Request().builtin_text);
    EXPECT_EQ(streamed, result->text);
    EXPECT_NE(result->fallback_reason.find("openai failed"), std::string::npos) << result->fallback_reason;
    EXPECT_NE(result->fallback_reason.find("HTTP 500"), std::string::npos) << result->fallback_reason;
    EXPECT_EQ(provider_->Health().consecutive_failures, 1);
    EXPECT_EQ(provider_->Health().status, "degraded");
}

TEST_F(FallbackTest, MidStreamFailureKeepsStreamedTextAndResultConsistent) {
    auto cut = FakeReply::Stream({"partial"});
    cut.send_done = false;
    server_.Enqueue(cut);
    std::string streamed;
    auto result = provider_->Complete(Request(), [&](std::string_view c) {
        streamed += c;
        return true;
    });
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->fell_back);
    EXPECT_EQ(result->text, "partial\n\n" + Request().builtin_text);
    EXPECT_EQ(streamed, result->text);
}

TEST_F(FallbackTest, BreakerOpensHalfOpensAndCloses) {
    server_.SetDefault(FakeReply::Status(503));
    for (int i = 0; i < 5; ++i) {
        auto result = provider_->Complete(Request(), nullptr);
        ASSERT_TRUE(result.ok());
        EXPECT_TRUE(result->fell_back);
    }
    EXPECT_EQ(server_.RequestCount(), 5);
    EXPECT_EQ(provider_->Health().breaker_state, "open");

    // Open: builtin answers without touching the server.
    auto blocked = provider_->Complete(Request(), nullptr);
    ASSERT_TRUE(blocked.ok());
    EXPECT_TRUE(blocked->fell_back);
    EXPECT_NE(blocked->fallback_reason.find("circuit breaker is open"), std::string::npos);
    EXPECT_EQ(server_.RequestCount(), 5);

    // 30 s later one trial goes through; it fails, so the breaker opens again.
    now_ += seconds(30);
    EXPECT_EQ(provider_->Health().breaker_state, "half_open");
    auto failed_trial = provider_->Complete(Request(), nullptr);
    EXPECT_TRUE(failed_trial->fell_back);
    EXPECT_EQ(server_.RequestCount(), 6);
    EXPECT_EQ(provider_->Health().breaker_state, "open");

    // Next trial succeeds: closed, and the primary answers again.
    now_ += seconds(30);
    server_.SetDefault(FakeReply::Stream({"recovered"}));
    auto trial = provider_->Complete(Request(), nullptr);
    ASSERT_TRUE(trial.ok());
    EXPECT_FALSE(trial->fell_back);
    EXPECT_EQ(trial->text, "recovered");
    auto health = provider_->Health();
    EXPECT_EQ(health.breaker_state, "closed");
    EXPECT_EQ(health.consecutive_failures, 0);
    EXPECT_EQ(health.status, "up");
}

TEST_F(FallbackTest, CancellationNeitherFallsBackNorCounts) {
    server_.Enqueue(FakeReply::Stream({"a", "b", "c"}));
    auto result = provider_->Complete(Request(), [](std::string_view) { return false; });
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kCancelled);
    EXPECT_EQ(provider_->Health().consecutive_failures, 0);
}

TEST(FallbackProvider, FaultHookFailureFallsBackAndFeedsTheBreaker) {
    core::FaultRegistry faults;
    auto builtin = std::make_shared<BuiltinProvider>();
    FallbackProvider provider(builtin, builtin, {}, {}, FaultHookFromRegistry(faults));
    auto clean = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(clean.ok());
    EXPECT_FALSE(clean->fell_back);

    faults.Set(core::FaultSpec{"llm", "error", 1.0, 0, 0, {}, {}});
    auto faulted = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(faulted.ok());
    EXPECT_TRUE(faulted->fell_back);
    EXPECT_NE(faulted->fallback_reason.find("injected fault: llm error"), std::string::npos);
    EXPECT_EQ(provider.Health().consecutive_failures, 1);

    faults.Set(core::FaultSpec{"llm", "timeout", 1.0, 0, 0, {}, {}});
    auto timed_out = provider.Complete(Request(), nullptr);
    EXPECT_NE(timed_out->fallback_reason.find("llm timeout"), std::string::npos);

    faults.Set(core::FaultSpec{"llm", "latency", 1.0, 1, 0, {}, {}});
    auto slow = provider.Complete(Request(), nullptr);
    EXPECT_FALSE(slow->fell_back);
}

TEST(Factory, BuiltinByDefaultAndFallbackForOpenAi) {
    config::Settings settings;
    auto builtin = MakeProvider(settings);
    EXPECT_EQ(builtin->Name(), "builtin");
    EXPECT_EQ(builtin->Health().breaker_state, "closed");

    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Status(500));
    settings.llm_provider = "openai";
    settings.openai_base_url = server.BaseUrl() + "/v1";
    settings.openai_api_key = "sk-x";
    settings.llm_model = "m";
    settings.timeouts.agent_step = milliseconds(1'000);
    auto options = OpenAiOptionsFromSettings(settings);
    EXPECT_EQ(options.model, "m");
    EXPECT_EQ(options.total_timeout, milliseconds(600));
    EXPECT_LE(options.first_byte_timeout, options.total_timeout);

    auto openai = MakeProvider(settings);
    EXPECT_EQ(openai->Name(), "openai");
    auto result = openai->Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok());
    EXPECT_TRUE(result->fell_back);
    EXPECT_GE(server.RequestCount(), 1);
    EXPECT_EQ(server.Requests().at(0).authorization, "Bearer sk-x");
}

}  // namespace
}  // namespace netra::llm

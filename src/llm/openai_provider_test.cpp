// The openai provider against a real HTTP server on loopback (fake_openai_server): no mocked classes.
#include "llm/openai_provider.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "llm/builtin_provider.hpp"
#include "llm/testing/fake_openai_server.hpp"

namespace netra::llm {
namespace {

using std::chrono::milliseconds;
using testing::FakeOpenAiServer;
using testing::FakeReply;

CompletionRequest Request() {
    CompletionRequest request;
    request.messages = {{"system", "You are Netra."}, {"user", "Summarise the savings."}};
    request.max_tokens = 64;
    request.temperature = 0.5;
    return request;
}

// No backoff so failure paths finish quickly; outcomes are asserted, never durations. The wait timeouts are long
// enough that a loaded machine never trips them (a timeout retried would change the request counts asserted); the
// tests about timeouts shorten them (kShortWait).
constexpr milliseconds kShortWait{300};
OpenAiOptions FastOptions(const FakeOpenAiServer& server) {
    OpenAiOptions options;
    options.base_url = server.BaseUrl();
    options.api_key = "sk-test";
    options.model = "test-model";
    options.connect_timeout = milliseconds(2'000);
    options.first_byte_timeout = milliseconds(5'000);
    options.idle_timeout = milliseconds(5'000);
    options.total_timeout = milliseconds(10'000);
    options.max_retries = 2;
    options.backoff_base = milliseconds(1);
    options.backoff_max = milliseconds(5);
    options.jitter_seed = 42;
    return options;
}

struct Collector {
    std::vector<std::string> chunks;
    ChunkCallback callback() {
        return [this](std::string_view chunk) {
            chunks.emplace_back(chunk);
            return true;
        };
    }
    std::string joined() const {
        std::string text;
        for (const auto& c : chunks) text += c;
        return text;
    }
};

TEST(ParseOpenAiEndpoint, AcceptsBaseUrlsWithAndWithoutV1) {
    auto plain = ParseOpenAiEndpoint("http://127.0.0.1:8000");
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_EQ(plain->host, "127.0.0.1");
    EXPECT_EQ(plain->port, "8000");
    EXPECT_EQ(plain->target, "/v1/chat/completions");
    EXPECT_EQ(ParseOpenAiEndpoint("http://localhost:8000/v1/")->target, "/v1/chat/completions");
    EXPECT_EQ(ParseOpenAiEndpoint("http://gw.example/openai/v1")->target, "/openai/v1/chat/completions");
    EXPECT_EQ(ParseOpenAiEndpoint("http://gw.example/openai")->target, "/openai/v1/chat/completions");
    EXPECT_EQ(ParseOpenAiEndpoint("http://gw.example")->port, "80");
    auto v6 = ParseOpenAiEndpoint("http://[::1]:9000");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->host_header, "[::1]:9000");
    EXPECT_FALSE(ParseOpenAiEndpoint("ftp://x").ok());
    EXPECT_FALSE(ParseOpenAiEndpoint("not a url").ok());
    EXPECT_FALSE(ParseOpenAiEndpoint("http://h/v1?x=1").ok());
    EXPECT_EQ(ParseOpenAiEndpoint("https://api.openai.com").ok(), OpenAiTlsSupported());
}

TEST(OpenAiProvider, StreamsChunksInOrderAndSendsTheRequest) {
    FakeOpenAiServer server;
    auto reply = FakeReply::Stream({"Hello", ", ", "world", "!"});
    reply.usage_total_tokens = 17;
    server.Enqueue(reply);
    OpenAiProvider provider(FastOptions(server));
    Collector collector;
    auto result = provider.Complete(Request(), collector.callback());
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(collector.chunks, (std::vector<std::string>{"Hello", ", ", "world", "!"}));
    EXPECT_EQ(result->text, "Hello, world!");
    EXPECT_EQ(result->text, collector.joined());
    EXPECT_EQ(result->provider, "openai");
    EXPECT_EQ(result->tokens_used, 17);
    EXPECT_FALSE(result->fell_back);

    auto requests = server.Requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].method, "POST");
    EXPECT_EQ(requests[0].target, "/v1/chat/completions");
    EXPECT_EQ(requests[0].authorization, "Bearer sk-test");
    auto body = boost::json::parse(requests[0].body).as_object();
    EXPECT_EQ(body.at("model").as_string(), "test-model");
    EXPECT_TRUE(body.at("stream").as_bool());
    EXPECT_EQ(body.at("max_tokens").as_int64(), 64);
    EXPECT_DOUBLE_EQ(body.at("temperature").as_double(), 0.5);
    auto messages = body.at("messages").as_array();
    ASSERT_EQ(messages.size(), 2u);
    EXPECT_EQ(messages[1].at("role").as_string(), "user");
    EXPECT_EQ(messages[1].at("content").as_string(), "Summarise the savings.");
    EXPECT_EQ(provider.Health().status, "up");
}

TEST(OpenAiProvider, BaseUrlEndingInV1AndCloseDelimitedBody) {
    FakeOpenAiServer server;
    auto reply = FakeReply::Stream({"a", "b"});
    reply.chunked = false;  // body ends when the server closes
    server.Enqueue(reply);
    auto options = FastOptions(server);
    options.base_url = server.BaseUrl() + "/v1";
    OpenAiProvider provider(options);
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "ab");
    EXPECT_EQ(server.Requests().at(0).target, "/v1/chat/completions");
    // No usage in the stream: the stated estimate.
    EXPECT_EQ(result->tokens_used, EstimateTokens(Request(), "ab"));
}

TEST(OpenAiProvider, RetriesServerErrorsThenSucceeds) {
    FakeOpenAiServer server;
    server.Enqueue(FakeReply::Status(500, R"({"error":{"message":"boom"}})"));
    server.Enqueue(FakeReply::Status(503));
    server.Enqueue(FakeReply::Stream({"fine"}));
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "fine");
    EXPECT_EQ(result->attempts, 3);
    EXPECT_EQ(server.RequestCount(), 3);
}

TEST(OpenAiProvider, GivesUpAfterMaxRetries) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Status(500, R"({"error":{"message":"boom"}})"));
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kServiceUnavailable);
    EXPECT_NE(result.error().message.find("HTTP 500"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("boom"), std::string::npos);
    EXPECT_EQ(server.RequestCount(), 3);  // 1 + max_retries
    EXPECT_EQ(provider.Health().status, "degraded");
    EXPECT_EQ(provider.Health().consecutive_failures, 1);
}

// An injected fault (§11 target llm) fails the attempt before any request is sent, and is retried like a real
// server failure: a fault on the first attempt only costs one retry; a fault on every attempt exhausts them.
TEST(OpenAiProvider, InjectedFaultsAreRetriedLikeServerFailures) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Stream({"after the fault"}));
    auto options = FastOptions(server);
    auto injected = std::make_shared<int>(0);
    options.fault_hook = [injected]() -> boost::asio::awaitable<core::Status> {
        if ((*injected)++ == 0) co_return core::MakeError(core::ErrorCode::kServiceUnavailable, "injected fault");
        co_return core::Ok();
    };
    OpenAiProvider once(options);
    auto result = once.Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "after the fault");
    EXPECT_EQ(result->attempts, 2);
    EXPECT_EQ(server.RequestCount(), 1);  // the faulted attempt sent nothing

    options.fault_hook = []() -> boost::asio::awaitable<core::Status> {
        co_return core::MakeError(core::ErrorCode::kTimeout, "injected fault: llm timeout");
    };
    OpenAiProvider always(options);
    auto failed = always.Complete(Request(), nullptr);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, core::ErrorCode::kTimeout);
    EXPECT_NE(failed.error().message.find("attempt 3 of 3, retries exhausted"), std::string::npos)
        << failed.error().message;
    EXPECT_EQ(server.RequestCount(), 1);
}

TEST(OpenAiProvider, RetriesTooManyRequestsHonouringRetryAfter) {
    FakeOpenAiServer server;
    server.Enqueue(FakeReply::Status(429, "{}", "0"));
    server.Enqueue(FakeReply::Stream({"after 429"}));
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(server.RequestCount(), 2);

    // A Retry-After beyond max_retry_after ends the call instead of waiting.
    server.Enqueue(FakeReply::Status(429, "{}", "3600"));
    auto refused = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find("Retry-After"), std::string::npos) << refused.error().message;
    EXPECT_EQ(server.RequestCount(), 3);
}

TEST(OpenAiProvider, DoesNotRetryOtherClientErrors) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Status(401, R"({"error":{"message":"bad key"}})"));
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("HTTP 401"), std::string::npos);
    EXPECT_EQ(server.RequestCount(), 1);
}

TEST(OpenAiProvider, FirstByteTimeoutIsRetriedThenReported) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Hang());
    auto options = FastOptions(server);
    options.max_retries = 1;
    options.first_byte_timeout = kShortWait;
    OpenAiProvider provider(options);
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kTimeout);
    EXPECT_NE(result.error().message.find("waiting for the response"), std::string::npos) << result.error().message;
    EXPECT_EQ(server.RequestCount(), 2);
}

TEST(OpenAiProvider, IdleTimeoutAfterAChunkIsNotRetried) {
    FakeOpenAiServer server;
    auto reply = FakeReply::Stream({"first", "second"});
    reply.chunk_delay = milliseconds(0);
    reply.send_done = false;
    reply.hang_after = true;  // sends both chunks, then silence
    server.SetDefault(reply);
    auto options = FastOptions(server);
    options.idle_timeout = kShortWait;
    OpenAiProvider provider(options);
    Collector collector;
    auto result = provider.Complete(Request(), collector.callback());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kTimeout);
    EXPECT_NE(result.error().message.find("already streamed"), std::string::npos) << result.error().message;
    EXPECT_EQ(collector.joined(), "firstsecond");
    EXPECT_EQ(server.RequestCount(), 1);
}

TEST(OpenAiProvider, SlowChunksWithinTheIdleTimeoutSucceed) {
    FakeOpenAiServer server;
    auto reply = FakeReply::Stream({"slow", " but", " steady"});
    reply.chunk_delay = milliseconds(20);
    server.Enqueue(reply);
    OpenAiProvider provider(FastOptions(server));  // 20 ms between chunks, 5 s idle timeout
    Collector collector;
    auto result = provider.Complete(Request(), collector.callback());
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(collector.chunks.size(), 3u);
    EXPECT_EQ(result->text, "slow but steady");
}

TEST(OpenAiProvider, TotalTimeoutBoundsTheWholeCall) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Hang());
    auto options = FastOptions(server);
    options.first_byte_timeout = milliseconds(60'000);
    options.total_timeout = milliseconds(200);
    OpenAiProvider provider(options);
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kTimeout);
    EXPECT_NE(result.error().message.find("total timeout"), std::string::npos) << result.error().message;
}

TEST(OpenAiProvider, MalformedJsonIsAnErrorAndNotRetried) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Raw("data: {\"choices\": [\n\ndata: [DONE]\n\n"));
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("malformed"), std::string::npos) << result.error().message;
    EXPECT_EQ(server.RequestCount(), 1);
}

TEST(OpenAiProvider, MissingFieldsAreMalformed) {
    for (std::string body :
         {"data: {\"id\":\"x\"}\n\ndata: [DONE]\n\n", "data: {\"choices\":[{\"index\":0}]}\n\ndata: [DONE]\n\n",
          "data: {\"choices\":[{\"delta\":{\"content\":5}}]}\n\ndata: [DONE]\n\n", "data: 42\n\n"}) {
        FakeOpenAiServer server;
        server.SetDefault(FakeReply::Raw(body));
        OpenAiProvider provider(FastOptions(server));
        auto result = provider.Complete(Request(), nullptr);
        ASSERT_FALSE(result.ok()) << body;
        EXPECT_NE(result.error().message.find("malformed"), std::string::npos) << result.error().message;
    }
}

TEST(OpenAiProvider, ErrorEventMidStreamIsReported) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Raw("data: {\"error\":{\"message\":\"overloaded\"}}\n\n"));
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("overloaded"), std::string::npos) << result.error().message;
}

TEST(OpenAiProvider, StreamCutBeforeDoneIsAnError) {
    for (bool chunked : {true, false}) {
        FakeOpenAiServer server;
        auto reply = FakeReply::Stream({"partial", " answer"});
        reply.send_done = false;
        reply.chunked = chunked;
        server.SetDefault(reply);
        OpenAiProvider provider(FastOptions(server));
        Collector collector;
        auto result = provider.Complete(Request(), collector.callback());
        ASSERT_FALSE(result.ok()) << "chunked=" << chunked;
        EXPECT_EQ(result.error().code, core::ErrorCode::kServiceUnavailable);
        EXPECT_EQ(collector.joined(), "partial answer");
        EXPECT_EQ(server.RequestCount(), 1) << "never retried once chunks reached the caller";
    }
}

TEST(OpenAiProvider, CutBeforeAnyChunkWithoutCallbackIsRetried) {
    FakeOpenAiServer server;
    auto cut = FakeReply::Stream({});
    cut.send_done = false;
    server.Enqueue(cut);
    server.Enqueue(FakeReply::Stream({"second try"}));
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "second try");
    EXPECT_EQ(server.RequestCount(), 2);
}

TEST(OpenAiProvider, CallbackReturningFalseCancels) {
    FakeOpenAiServer server;
    server.SetDefault(FakeReply::Stream({"1", "2", "3", "4", "5"}));
    OpenAiProvider provider(FastOptions(server));
    int seen = 0;
    auto result = provider.Complete(Request(), [&](std::string_view) { return ++seen < 2; });
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kCancelled);
    EXPECT_EQ(seen, 2);
    EXPECT_EQ(server.RequestCount(), 1);
    EXPECT_EQ(provider.Health().consecutive_failures, 0) << "a cancellation is not the server's failure";
}

TEST(OpenAiProvider, ConnectionRefusedIsRetriedThenReported) {
    std::string base_url;
    {
        FakeOpenAiServer server;  // a port that was just free and is now closed
        base_url = server.BaseUrl();
    }
    OpenAiOptions options;
    options.base_url = base_url;
    options.backoff_base = milliseconds(1);
    OpenAiProvider provider(options);
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kServiceUnavailable);
    EXPECT_NE(result.error().message.find("cannot connect"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("attempt 3 of 3"), std::string::npos) << result.error().message;
}

TEST(OpenAiProvider, NonStreamedJsonAnswerIsAccepted) {
    FakeOpenAiServer server;
    auto reply = FakeReply::Status(200, R"({"choices":[{"message":{"role":"assistant","content":"whole"}}],
                                            "usage":{"total_tokens":9}})");
    server.Enqueue(reply);
    OpenAiProvider provider(FastOptions(server));
    Collector collector;
    auto result = provider.Complete(Request(), collector.callback());
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "whole");
    EXPECT_EQ(collector.joined(), "whole");
    EXPECT_EQ(result->tokens_used, 9);
}

TEST(OpenAiProvider, InvalidBaseUrlFailsWithoutNetwork) {
    OpenAiOptions options;
    options.base_url = "ftp://nowhere";
    OpenAiProvider provider(options);
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidRequest);
    EXPECT_NE(result.error().message.find("OPENAI_BASE_URL"), std::string::npos);
    EXPECT_EQ(provider.Health().status, "down");
}

TEST(OpenAiProvider, DoneEndsTheCallEvenIfTheConnectionStaysOpen) {
    FakeOpenAiServer server;
    auto reply = FakeReply::Stream({"complete"});
    reply.hang_after = true;  // [DONE] sent, the HTTP body never finished
    server.Enqueue(reply);
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "complete");
}

TEST(OpenAiProvider, UnexpectedContentTypeIsNotRetried) {
    FakeOpenAiServer server;
    auto reply = FakeReply::Raw("<html>proxy login</html>");
    reply.content_type = "text/html";
    server.SetDefault(reply);
    OpenAiProvider provider(FastOptions(server));
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("text/html"), std::string::npos) << result.error().message;
    EXPECT_EQ(server.RequestCount(), 1);
}

TEST(OpenAiProvider, StreamsOverHttpsWithAVerifiedCertificate) {
    if (!OpenAiTlsSupported()) GTEST_SKIP() << "this build has no OpenSSL";
    FakeOpenAiServer server(/*tls=*/true);
    server.Enqueue(FakeReply::Stream({"secure", " hello"}));
    auto options = FastOptions(server);
    options.ca_file = server.CaFile();
    OpenAiProvider provider(options);
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "secure hello");
    EXPECT_EQ(server.Requests().at(0).authorization, "Bearer sk-test");
}

TEST(OpenAiProvider, HttpsRefusesAnUntrustedCertificate) {
    if (!OpenAiTlsSupported()) GTEST_SKIP() << "this build has no OpenSSL";
    FakeOpenAiServer server(/*tls=*/true);
    OpenAiProvider provider(FastOptions(server));  // the self-signed certificate is not trusted
    auto result = provider.Complete(Request(), nullptr);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("TLS handshake failed"), std::string::npos) << result.error().message;
    EXPECT_EQ(server.RequestCount(), 0);
}

}  // namespace
}  // namespace netra::llm

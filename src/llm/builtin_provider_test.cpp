#include "llm/builtin_provider.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netra::llm {
namespace {

CompletionRequest Request(std::string builtin_text, std::string purpose = "prose") {
    CompletionRequest request;
    request.messages = {{"system", "You are Netra."}, {"user", "How do I cut my LLM bill?"}};
    request.purpose = std::move(purpose);
    request.builtin_text = std::move(builtin_text);
    return request;
}

TEST(SplitWordGroups, PiecesConcatenateToTheText) {
    const std::string text = "  one two three\nfour  five six seven eight nine ten ";
    auto pieces = SplitWordGroups(text, 3);
    std::string joined;
    for (auto piece : pieces) joined += piece;
    EXPECT_EQ(joined, text);
    ASSERT_EQ(pieces.size(), 4u);
    EXPECT_EQ(pieces[0], "  one two three\n");
    EXPECT_EQ(pieces[3], "ten ");
    EXPECT_TRUE(SplitWordGroups("", 3).empty());
    EXPECT_EQ(SplitWordGroups("   ", 3).size(), 1u);
}

TEST(BuiltinProvider, StreamsBuiltinTextInWordGroups) {
    BuiltinProvider provider(BuiltinOptions{2});
    std::vector<std::string> chunks;
    auto result = provider.Complete(Request("Switch half the traffic to a smaller model."), [&](std::string_view c) {
        chunks.emplace_back(c);
        return true;
    });
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->text, "Switch half the traffic to a smaller model.");
    EXPECT_EQ(result->provider, "builtin");
    EXPECT_FALSE(result->fell_back);
    ASSERT_EQ(chunks.size(), 4u);
    EXPECT_EQ(chunks[0], "Switch half ");
    std::string joined;
    for (const auto& c : chunks) joined += c;
    EXPECT_EQ(joined, result->text);
}

TEST(BuiltinProvider, TokensAreTheStatedBytesOverFourEstimate) {
    BuiltinProvider provider;
    auto request = Request("12345678");  // 8 bytes → 2 tokens
    auto result = provider.Complete(request, nullptr);
    ASSERT_TRUE(result.ok());
    // "You are Netra." is 14 bytes → 4 tokens; the user message is 25 bytes → 7 tokens.
    EXPECT_EQ(result->tokens_used, 2 + 4 + 7);
    EXPECT_EQ(result->tokens_used, EstimateTokens(request, result->text));
}

TEST(BuiltinProvider, TemplatesByPurposeWhenNoBuiltinText) {
    BuiltinProvider provider;
    auto classification = provider.Complete(Request("", "classification"), nullptr);
    ASSERT_TRUE(classification.ok());
    EXPECT_EQ(classification->text, "general");
    auto prose = provider.Complete(Request(""), nullptr);
    ASSERT_TRUE(prose.ok());
    EXPECT_NE(prose->text.find("How do I cut my LLM bill?"), std::string::npos);
    auto again = provider.Complete(Request(""), nullptr);
    EXPECT_EQ(again->text, prose->text);  // deterministic
}

TEST(BuiltinProvider, CallbackReturningFalseCancels) {
    BuiltinProvider provider(BuiltinOptions{1});
    int calls = 0;
    auto result = provider.Complete(Request("a b c d e"), [&](std::string_view) { return ++calls < 2; });
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, core::ErrorCode::kCancelled);
    EXPECT_EQ(calls, 2);
}

TEST(BuiltinProvider, HealthIsUpAndClosed) {
    auto health = BuiltinProvider().Health();
    EXPECT_EQ(health.provider, "builtin");
    EXPECT_EQ(health.status, "up");
    EXPECT_EQ(health.breaker_state, "closed");
}

}  // namespace
}  // namespace netra::llm

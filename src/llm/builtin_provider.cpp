#include "llm/builtin_provider.hpp"

#include <algorithm>
#include <cctype>

namespace netra::llm {
namespace {

constexpr std::size_t kBytesPerToken = 4;
constexpr std::size_t kQuotedRequestBytes = 200;  // how much of the user's request the prose template echoes

int TokensForBytes(std::size_t bytes) { return static_cast<int>((bytes + kBytesPerToken - 1) / kBytesPerToken); }

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

}  // namespace

int EstimateTokens(const CompletionRequest& request, std::string_view output) {
    int tokens = TokensForBytes(output.size());
    for (const auto& message : request.messages) tokens += TokensForBytes(message.content.size());
    return tokens;
}

std::vector<std::string_view> SplitWordGroups(std::string_view text, int words_per_chunk) {
    std::vector<std::string_view> pieces;
    words_per_chunk = std::max(words_per_chunk, 1);
    std::size_t start = 0;
    std::size_t pos = 0;
    while (pos < text.size() && IsSpace(text[pos])) ++pos;  // leading whitespace joins the first piece
    int words = 0;
    while (pos < text.size()) {
        while (pos < text.size() && !IsSpace(text[pos])) ++pos;  // a word
        while (pos < text.size() && IsSpace(text[pos])) ++pos;   // and the whitespace after it
        if (++words == words_per_chunk || pos >= text.size()) {
            pieces.push_back(text.substr(start, pos - start));
            start = pos;
            words = 0;
        }
    }
    if (start < text.size()) pieces.push_back(text.substr(start));  // whitespace-only text
    return pieces;
}

BuiltinProvider::BuiltinProvider(BuiltinOptions options) : options_(options) {}

std::string BuiltinProvider::TextFor(const CompletionRequest& request) {
    if (!request.builtin_text.empty()) return request.builtin_text;
    if (request.purpose == "classification") return "general";
    std::string last_user;
    for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
        if (it->role == "user") {
            last_user = it->content.substr(0, kQuotedRequestBytes);
            break;
        }
    }
    std::string text = "Netra's built-in provider answered without a language model.";
    if (!last_user.empty()) text += " Your request: \"" + last_user + "\".";
    text += " Attach a usage dataset or state your monthly spend, models and request volume for a costed report.";
    return text;
}

boost::asio::awaitable<core::Result<CompletionResult>> BuiltinProvider::CompleteAsync(const CompletionRequest& request,
                                                                                      AsyncChunkCallback on_chunk) {
    CompletionResult result;
    result.text = TextFor(request);
    result.provider = "builtin";
    result.tokens_used = EstimateTokens(request, result.text);
    if (on_chunk) {
        for (auto piece : SplitWordGroups(result.text, options_.words_per_chunk)) {
            if (!co_await on_chunk(std::string(piece))) {
                co_return core::MakeError(core::ErrorCode::kCancelled, "llm call cancelled");
            }
        }
    }
    co_return result;
}

ProviderHealth BuiltinProvider::Health() const { return ProviderHealth{"builtin", "", "up", "closed", 0, ""}; }

}  // namespace netra::llm

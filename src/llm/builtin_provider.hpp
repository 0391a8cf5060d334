#pragma once
// The deterministic, offline provider (§8 `builtin`): returns the request's builtin_text (agents render it from
// tool results) or, when that is empty, a fixed template chosen by purpose. Same input, same output, always.
#include <string_view>
#include <vector>

#include "llm/provider.hpp"

namespace netra::llm {

// The stated token estimate used wherever no real tokenizer count exists: one token per 4 bytes, rounded up,
// over every message's content (the prompt) plus the output text. Close enough for English prose and code.
int EstimateTokens(const CompletionRequest& request, std::string_view output);

struct BuiltinOptions {
    int words_per_chunk = 8;  // streamed in groups of this many words (whitespace kept, so chunks concatenate)
};

class BuiltinProvider final : public Provider {
  public:
    explicit BuiltinProvider(BuiltinOptions options = {});
    std::string Name() const override { return "builtin"; }
    // Never fails except kCancelled when on_chunk returns false.
    boost::asio::awaitable<core::Result<CompletionResult>> CompleteAsync(const CompletionRequest& request,
                                                                         AsyncChunkCallback on_chunk) override;
    ProviderHealth Health() const override;
    bool TemplateOnly() const override { return true; }

    // The text Complete would return for `request` (builtin_text, or the purpose template).
    static std::string TextFor(const CompletionRequest& request);

  private:
    BuiltinOptions options_;
};

// Splits `text` into pieces of `words_per_chunk` words; each piece keeps the whitespace that follows its words,
// so the pieces concatenate back to `text` exactly. Empty text gives no pieces.
std::vector<std::string_view> SplitWordGroups(std::string_view text, int words_per_chunk);

}  // namespace netra::llm

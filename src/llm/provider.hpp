#pragma once
// The LLM provider seam (§8). Agents ask for prose or a classification; numbers never come from here.
// `builtin` is deterministic and offline; `openai` talks to any OpenAI-compatible /v1/chat/completions with
// streaming, timeouts, jittered retries and a circuit breaker, and falls back to builtin when it fails.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace netra::llm {

struct ChatMessage {
    std::string role;  // system | user | assistant
    std::string content;
};

struct CompletionRequest {
    std::vector<ChatMessage> messages;
    std::string purpose = "prose";  // prose | classification — lets builtin pick its template
    int max_tokens = 512;
    double temperature = 0.2;
    // Deterministic text the builtin provider returns for this request (agents render it from tool results);
    // remote providers ignore it. Keeps builtin output exact for tests.
    std::string builtin_text;
};

struct CompletionResult {
    std::string text;
    int tokens_used = 0;
    std::string provider;         // provider that produced the text: "builtin" or "openai"
    bool fell_back = false;       // the configured provider failed and builtin answered
    std::string fallback_reason;  // why, for the report
};

// Called with each streamed piece of text in order; return false to stop (cancellation).
using ChunkCallback = std::function<bool(std::string_view chunk)>;

struct ProviderHealth {
    std::string provider;
    std::string model;          // the configured model ("" for builtin)
    std::string status;         // up | degraded | down
    std::string breaker_state;  // closed | open | half_open (builtin: closed)
    int consecutive_failures = 0;
    std::string last_error;  // the last failure of the configured provider ("" when none yet)
};

class Provider {
  public:
    virtual ~Provider() = default;
    virtual std::string Name() const = 0;
    // Blocking (runs on the worker pool). Streams chunks through `on_chunk` when given. kCancelled when the
    // callback returned false.
    virtual core::Result<CompletionResult> Complete(const CompletionRequest& request,
                                                    const ChunkCallback& on_chunk) = 0;
    virtual ProviderHealth Health() const = 0;
    // True for the builtin provider alone: its prose is the agents' own template, so agents render it
    // themselves instead of making a call (and emitting its tool events) for the same text.
    virtual bool TemplateOnly() const { return false; }
};

}  // namespace netra::llm

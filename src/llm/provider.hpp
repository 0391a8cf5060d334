#pragma once
// The LLM provider seam (§8). Agents ask for prose or a classification; numbers never come from here.
// `builtin` is deterministic and offline; `openai` talks to any OpenAI-compatible /v1/chat/completions with
// streaming, timeouts, jittered retries and a circuit breaker, and falls back to builtin when it fails. Calls
// are coroutines: a run waiting on a provider costs memory, not a thread.
#include <boost/asio/awaitable.hpp>
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
    int attempts = 0;             // calls made to the configured provider for this text, retries included
    bool fell_back = false;       // the configured provider failed and builtin answered
    std::string fallback_reason;  // why, for the report
};

// Called with each streamed piece of text in order; return false to stop (cancellation).
using ChunkCallback = std::function<bool(std::string_view chunk)>;
// The same for callers that must wait on each piece (a run stores it as an event before it asks for the next).
using AsyncChunkCallback = std::function<boost::asio::awaitable<bool>(std::string chunk)>;

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
    // Runs on the caller's executor and holds no thread while it waits (network, backoff, injected latency).
    // Streams chunks through `on_chunk` when given; kCancelled when it answered false. `request` must outlive
    // the call.
    virtual boost::asio::awaitable<core::Result<CompletionResult>> CompleteAsync(const CompletionRequest& request,
                                                                                 AsyncChunkCallback on_chunk) = 0;
    // Blocking convenience for tools and tests: CompleteAsync on a private io_context on the calling thread.
    core::Result<CompletionResult> Complete(const CompletionRequest& request, const ChunkCallback& on_chunk);
    virtual ProviderHealth Health() const = 0;
    // True for the builtin provider alone: its prose is the agents' own template, so agents render it
    // themselves instead of making a call (and emitting its tool events) for the same text.
    virtual bool TemplateOnly() const { return false; }
};

}  // namespace netra::llm

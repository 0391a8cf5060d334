#pragma once
// The `openai` provider (§8): POST {base_url}/v1/chat/completions with stream:true against any OpenAI-compatible
// server, parsing the SSE stream and handing each content delta to the caller as it arrives.
//
// A coroutine on the caller's executor: connecting, waiting for the answer and backing off between attempts hold
// no thread. Nothing is shared between calls except the jitter random generator. Timeouts, retries and the response
// size limit are named options below. Retries (jittered exponential backoff, Retry-After honoured) happen on connect
// errors, timeouts, HTTP 5xx and 429, and a connection closed before any text — never on other 4xx, malformed streams,
// or once a chunk has been given to the caller. The circuit breaker lives in FallbackProvider, which wraps this class.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "llm/fault_hook.hpp"
#include "llm/provider.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace netra::llm {

struct OpenAiOptions {
    std::string base_url;  // http[s]://host[:port][/prefix], with or without a trailing /v1
    std::string api_key;   // sent as `Authorization: Bearer …`; empty = no header (local servers)
    std::string model = "gpt-4o-mini";
    std::chrono::milliseconds connect_timeout{5'000};      // resolve + TCP connect (+ TLS handshake)
    std::chrono::milliseconds first_byte_timeout{30'000};  // request written → response headers received
    std::chrono::milliseconds idle_timeout{30'000};        // longest silence between two pieces of the body
    std::chrono::milliseconds total_timeout{120'000};      // the whole Complete(), retries and backoff included
    int max_retries = 2;                                   // attempts = 1 + max_retries
    std::chrono::milliseconds backoff_base{250};           // attempt n waits random [0, min(max, base·2^n)]
    std::chrono::milliseconds backoff_max{4'000};
    std::chrono::milliseconds max_retry_after{30'000};  // a longer Retry-After ends the call instead of waiting
    std::size_t max_response_bytes = 8u << 20;          // body limit (error bodies keep only their first 4 KiB)
    bool include_usage = true;                          // ask for usage (stream_options.include_usage)
    std::uint64_t jitter_seed = 0;                      // 0 = random; fixed in tests for reproducible waits
    // https only: a PEM file of extra trusted CAs (private gateways); the system store is always trusted.
    std::string ca_file;
    // §11 target `llm`: awaited before each attempt. An injected error or timeout fails that attempt as a
    // retryable server failure would (the request is not sent); injected latency delays it. Empty = no faults.
    FaultHook fault_hook;
};

// Where the provider sends its request, parsed from OpenAiOptions::base_url.
struct OpenAiEndpoint {
    bool tls = false;
    std::string host;
    std::string port;
    std::string host_header;  // the Host header value: host as written (brackets kept) plus any explicit port
    std::string target;       // the request path, always ending in /v1/chat/completions
};

// kInvalidRequest naming OPENAI_BASE_URL when the URL is not http(s)://host…, or https without TLS support.
core::Result<OpenAiEndpoint> ParseOpenAiEndpoint(std::string_view base_url);

// True when this build can talk https (OpenSSL).
bool OpenAiTlsSupported();

class OpenAiProvider final : public Provider {
  public:
    explicit OpenAiProvider(OpenAiOptions options);
    std::string Name() const override { return "openai"; }
    // Errors: kTimeout (any timeout), kCancelled (on_chunk returned false), kInvalidRequest (bad base URL),
    // kServiceUnavailable (everything else: connection, HTTP status, malformed or cut stream), each message
    // starting with "openai:" and saying how many attempts were made.
    boost::asio::awaitable<core::Result<CompletionResult>> CompleteAsync(const CompletionRequest& request,
                                                                         AsyncChunkCallback on_chunk) override;
    // status: down when the base URL is unusable, degraded after a failed call, up otherwise; breaker "closed"
    // (the breaker guarding this provider is FallbackProvider's).
    ProviderHealth Health() const override;

    const OpenAiOptions& options() const { return options_; }

  private:
    std::chrono::milliseconds Backoff(int attempt);

    OpenAiOptions options_;
    core::Result<OpenAiEndpoint> endpoint_;
    std::shared_ptr<boost::asio::ssl::context> tls_context_;  // https endpoints: built once, shared by calls
    std::atomic<int> consecutive_failures_{0};
    std::mutex random_mutex_;
    std::mt19937_64 random_;
};

}  // namespace netra::llm

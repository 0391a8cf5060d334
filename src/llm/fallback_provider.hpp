#pragma once
// Wraps the configured (primary) provider behind a circuit breaker and answers from a fallback (builtin) when
// the primary fails, its breaker is open, or the fault hook injects a failure (§8, §11). The result then says
// so: provider = the fallback's name, fell_back = true, fallback_reason = why.
//
// Streaming: chunks flow to the caller as the primary produces them. If the primary fails after some chunks were
// delivered, the fallback's chunks follow after a "\n\n" separator, so the concatenated chunks always equal the
// returned text (the partial primary text is kept, not hidden). A cancellation (on_chunk returned false) is
// returned as kCancelled and neither falls back nor counts against the breaker.
#include <memory>
#include <mutex>
#include <string>

#include "llm/circuit_breaker.hpp"
#include "llm/fault_hook.hpp"
#include "llm/provider.hpp"

namespace netra::llm {

class FallbackProvider final : public Provider {
  public:
    FallbackProvider(std::shared_ptr<Provider> primary, std::shared_ptr<Provider> fallback,
                     CircuitBreaker::Options breaker_options = {}, CircuitBreaker::Clock clock = {},
                     FaultHook fault_hook = {});

    std::string Name() const override { return primary_->Name(); }  // the configured provider
    // Fails only with kCancelled or, should the fallback itself fail, with the fallback's error.
    boost::asio::awaitable<core::Result<CompletionResult>> CompleteAsync(const CompletionRequest& request,
                                                                         AsyncChunkCallback on_chunk) override;
    // The primary's name and model, the breaker guarding it, its consecutive failures and last error. status: up
    // when closed and the last call succeeded, degraded otherwise (builtin still answers, so never down).
    ProviderHealth Health() const override;

    const CircuitBreaker& breaker() const { return breaker_; }

  private:
    boost::asio::awaitable<core::Result<CompletionResult>> FallBack(const CompletionRequest& request,
                                                                    const AsyncChunkCallback& on_chunk,
                                                                    std::string reason, bool separate);
    void RememberError(std::string message);

    std::shared_ptr<Provider> primary_;
    std::shared_ptr<Provider> fallback_;
    CircuitBreaker breaker_;
    FaultHook fault_hook_;
    mutable std::mutex error_mutex_;
    std::string last_error_;
};

}  // namespace netra::llm

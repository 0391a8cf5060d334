#include "llm/fallback_provider.hpp"

#include <utility>

namespace netra::llm {

namespace {
constexpr std::string_view kSeparator = "\n\n";  // between a cut-off primary answer and the fallback's
}  // namespace

FallbackProvider::FallbackProvider(std::shared_ptr<Provider> primary, std::shared_ptr<Provider> fallback,
                                   CircuitBreaker::Options breaker_options, CircuitBreaker::Clock clock,
                                   FaultHook fault_hook)
    : primary_(std::move(primary)),
      fallback_(std::move(fallback)),
      breaker_(breaker_options, std::move(clock)),
      fault_hook_(std::move(fault_hook)) {}

boost::asio::awaitable<core::Result<CompletionResult>> FallbackProvider::FallBack(const CompletionRequest& request,
                                                                                  const AsyncChunkCallback& on_chunk,
                                                                                  std::string reason, bool separate) {
    std::string prefix;
    if (separate) {
        prefix = std::string(kSeparator);
        if (on_chunk && !co_await on_chunk(prefix)) {
            co_return core::MakeError(core::ErrorCode::kCancelled, "llm call cancelled");
        }
    }
    auto result = co_await fallback_->CompleteAsync(request, on_chunk);
    if (!result.ok()) co_return result;
    result->text = prefix + result->text;
    result->fell_back = true;
    result->fallback_reason = std::move(reason);
    co_return result;
}

boost::asio::awaitable<core::Result<CompletionResult>> FallbackProvider::CompleteAsync(const CompletionRequest& request,
                                                                                       AsyncChunkCallback on_chunk) {
    const std::string primary_name = primary_->Name();
    if (!breaker_.Allow()) {
        co_return co_await FallBack(request, on_chunk,
                                    primary_name + " circuit breaker is open after repeated failures", false);
    }
    if (fault_hook_) {
        auto injected = co_await fault_hook_();
        if (!injected.ok()) {
            breaker_.RecordFailure();
            RememberError(injected.error().message);
            co_return co_await FallBack(request, on_chunk, primary_name + " failed: " + injected.error().message,
                                        false);
        }
    }
    auto streamed = std::make_shared<std::string>();  // what the caller has already seen of the primary's answer
    AsyncChunkCallback tracking;
    if (on_chunk) {
        tracking = [streamed, on_chunk](std::string chunk) -> boost::asio::awaitable<bool> {
            streamed->append(chunk);
            co_return co_await on_chunk(std::move(chunk));
        };
    }
    auto result = co_await primary_->CompleteAsync(request, tracking);
    if (result.ok()) {
        breaker_.RecordSuccess();
        co_return result;
    }
    if (result.error().code == core::ErrorCode::kCancelled) {
        breaker_.RecordAbandoned();
        co_return result.error();
    }
    breaker_.RecordFailure();
    RememberError(result.error().message);
    auto answer =
        co_await FallBack(request, on_chunk, primary_name + " failed: " + result.error().message, !streamed->empty());
    if (answer.ok() && !streamed->empty()) answer->text = *streamed + answer->text;
    co_return answer;
}

void FallbackProvider::RememberError(std::string message) {
    std::lock_guard lock(error_mutex_);
    last_error_ = std::move(message);
}

ProviderHealth FallbackProvider::Health() const {
    ProviderHealth health = primary_->Health();
    {
        std::lock_guard lock(error_mutex_);
        health.last_error = last_error_;
    }
    auto state = breaker_.State();
    health.breaker_state = std::string(BreakerStateName(state));
    health.consecutive_failures = breaker_.ConsecutiveFailures();
    health.status = state == BreakerState::kClosed && health.consecutive_failures == 0 ? "up" : "degraded";
    return health;
}

}  // namespace netra::llm

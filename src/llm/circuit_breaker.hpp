#pragma once
// A circuit breaker (§8): closed → open after `failure_threshold` consecutive failures → after `open_duration`
// half-open, letting exactly one trial call through → closed when it succeeds, open again (for another
// `open_duration`) when it fails. Thread-safe; the clock is injectable so tests step time instead of sleeping.
#include <chrono>
#include <functional>
#include <mutex>
#include <string_view>

namespace netra::llm {

enum class BreakerState { kClosed, kOpen, kHalfOpen };

std::string_view BreakerStateName(BreakerState state);  // "closed" | "open" | "half_open"

struct BreakerOptions {
    int failure_threshold = 5;
    std::chrono::milliseconds open_duration{30'000};
};

class CircuitBreaker {
  public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    using Options = BreakerOptions;

    explicit CircuitBreaker(Options options = {}, Clock clock = {});  // empty clock = steady_clock::now

    // May a call go to the protected service now? Every true must be followed by exactly one of
    // RecordSuccess, RecordFailure or RecordAbandoned. In half-open only one caller gets true at a time.
    bool Allow();
    void RecordSuccess();
    void RecordFailure();
    // The call ended without telling anything about the service (the caller cancelled): frees a half-open trial
    // slot without changing the state.
    void RecordAbandoned();

    BreakerState State() const;  // open turns half_open here once open_duration has passed
    int ConsecutiveFailures() const;

  private:
    void RefreshLocked() const;  // open → half_open when the time has come

    Options options_;
    Clock clock_;
    mutable std::mutex mutex_;
    mutable BreakerState state_ = BreakerState::kClosed;
    int consecutive_failures_ = 0;
    bool trial_in_flight_ = false;
    std::chrono::steady_clock::time_point opened_at_{};
};

}  // namespace netra::llm

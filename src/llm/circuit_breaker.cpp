#include "llm/circuit_breaker.hpp"

#include <utility>

namespace netra::llm {

std::string_view BreakerStateName(BreakerState state) {
    switch (state) {
        case BreakerState::kClosed:
            return "closed";
        case BreakerState::kOpen:
            return "open";
        case BreakerState::kHalfOpen:
            return "half_open";
    }
    return "closed";
}

CircuitBreaker::CircuitBreaker(Options options, Clock clock) : options_(options), clock_(std::move(clock)) {
    if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

void CircuitBreaker::RefreshLocked() const {
    if (state_ == BreakerState::kOpen && clock_() - opened_at_ >= options_.open_duration) {
        state_ = BreakerState::kHalfOpen;
    }
}

bool CircuitBreaker::Allow() {
    std::lock_guard lock(mutex_);
    RefreshLocked();
    switch (state_) {
        case BreakerState::kClosed:
            return true;
        case BreakerState::kOpen:
            return false;
        case BreakerState::kHalfOpen:
            if (trial_in_flight_) return false;
            trial_in_flight_ = true;
            return true;
    }
    return false;
}

void CircuitBreaker::RecordSuccess() {
    std::lock_guard lock(mutex_);
    consecutive_failures_ = 0;
    trial_in_flight_ = false;
    state_ = BreakerState::kClosed;
}

void CircuitBreaker::RecordFailure() {
    std::lock_guard lock(mutex_);
    ++consecutive_failures_;
    RefreshLocked();
    // A failed trial reopens at once; in closed, the threshold decides. A failure reported while open (a call
    // allowed before the breaker opened, finishing late) keeps it open without extending the wait.
    if (state_ == BreakerState::kHalfOpen ||
        (state_ == BreakerState::kClosed && consecutive_failures_ >= options_.failure_threshold)) {
        state_ = BreakerState::kOpen;
        opened_at_ = clock_();
    }
    trial_in_flight_ = false;
}

void CircuitBreaker::RecordAbandoned() {
    std::lock_guard lock(mutex_);
    trial_in_flight_ = false;
}

BreakerState CircuitBreaker::State() const {
    std::lock_guard lock(mutex_);
    RefreshLocked();
    return state_;
}

int CircuitBreaker::ConsecutiveFailures() const {
    std::lock_guard lock(mutex_);
    return consecutive_failures_;
}

}  // namespace netra::llm

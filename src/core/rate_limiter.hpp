#pragma once
// Per-key token buckets (per user, per IP...). Capacity = the per-minute allowance, refilled continuously, so
// a client may burst up to its minute's allowance and then proceeds at the steady rate. Thread-safe.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

namespace netra::core {

class RateLimiter {
  public:
    explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}

    // Takes one token for `key`; false when none is left (the caller answers 429 / RATE_LIMITED).
    bool Allow(const std::string& key, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());
    // Seconds until the next token for `key` (at least 1), for Retry-After.
    int RetryAfterSeconds() const;

  private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point updated;
    };
    int per_minute_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace netra::core

#pragma once
// Per-key token buckets (per user, per IP...). Capacity = the per-minute allowance, refilled continuously, so
// a client may burst up to its minute's allowance and then proceeds at the steady rate. Thread-safe.
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/error.hpp"

namespace netra::core {

class RateLimiter {
  public:
    explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}

    // Takes one token for `key`. Refused: `allowed` false and the wait until the next token; either way the
    // bucket's state for the x-ratelimit headers.
    struct Decision {
        bool allowed = true;
        RateLimitInfo info;
    };
    Decision Take(const std::string& key, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point updated;
    };
    int per_minute_;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

// The kRateLimited error for a refused Decision: "too many <what>; retry in N s" with the limit's figures.
Error RateLimited(const std::string& what, const RateLimitInfo& info);

}  // namespace netra::core

#pragma once
// Per-key token buckets (per user, per IP...). Capacity = the per-minute allowance, refilled continuously, so
// a client may burst up to its minute's allowance and then proceeds at the steady rate. Thread-safe.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace netra::core {

// One token taken, or refused: `allowed` false and the wait until the next token; either way the bucket's state
// for the x-ratelimit headers.
struct RateDecision {
    bool allowed = true;
    RateLimitInfo info;
};

// Buckets shared by the instances of a cluster (Redis, SPEC §12), so a user's allowance is one across instances.
// nullopt: not answerable now (Redis down); the limiter then decides on this instance's buckets.
class SharedRateLimits {
  public:
    virtual ~SharedRateLimits() = default;
    // Blocking (a round trip): called on the worker pool.
    virtual std::optional<RateDecision> Take(std::string_view scope, const std::string& key, int per_minute) = 0;

    // The login throttle's sliding windows (auth::AuthService), blocking like Take: records `attempt_id` under every
    // key, or under none when one key already holds `limit` attempts of the last `window_ms` (the refusal says when
    // to retry). nullopt: not shared here, or not answerable now (the caller's own windows decide).
    virtual std::optional<RateDecision> TryAttempt(const std::vector<std::string>& /*keys*/, int /*limit*/,
                                                   std::int64_t /*window_ms*/, const std::string& /*attempt_id*/) {
        return std::nullopt;
    }
    // After a successful login: the first key's attempts are forgotten, and `attempt_id` stops counting under the
    // others. Best effort.
    virtual void ForgetAttempt(const std::vector<std::string>& /*keys*/, const std::string& /*attempt_id*/) {}
};

// One instance: every bucket is local.
class NoSharedRateLimits final : public SharedRateLimits {
  public:
    std::optional<RateDecision> Take(std::string_view, const std::string&, int) override { return std::nullopt; }
};

class RateLimiter {
  public:
    explicit RateLimiter(int per_minute) : per_minute_(per_minute) {}
    // Shared across the cluster under `scope` ("messages", "runs", …), falling back to local buckets.
    RateLimiter(int per_minute, std::string scope, SharedRateLimits& shared)
        : per_minute_(per_minute), scope_(std::move(scope)), shared_(&shared) {}

    using Decision = RateDecision;
    // Takes one token for `key`.
    Decision Take(const std::string& key, std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now());

  private:
    struct Bucket {
        double tokens;
        std::chrono::steady_clock::time_point updated;
    };
    int per_minute_;
    std::string scope_;
    SharedRateLimits* shared_ = nullptr;
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

// The kRateLimited error for a refused Decision: "too many <what>; retry in N s" with the limit's figures.
Error RateLimited(const std::string& what, const RateLimitInfo& info);

}  // namespace netra::core

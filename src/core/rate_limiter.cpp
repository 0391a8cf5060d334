#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace netra::core {

RateLimiter::Decision RateLimiter::Take(const std::string& key, std::chrono::steady_clock::time_point now) {
    Decision d;
    if (per_minute_ <= 0) return d;  // unlimited
    if (shared_) {
        if (auto shared = shared_->Take(scope_, key, per_minute_)) return *shared;
    }
    std::lock_guard lock(mutex_);
    const double capacity = per_minute_;
    const double per_ms = capacity / 60'000.0;
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{capacity, now});
    Bucket& b = it->second;
    double elapsed_ms = std::chrono::duration<double, std::milli>(now - b.updated).count();
    b.tokens = std::min(capacity, b.tokens + elapsed_ms * per_ms);
    b.updated = now;
    // Full buckets carry no information: drop them now and then so idle keys do not accumulate.
    if (buckets_.size() > 10000) {
        for (auto i = buckets_.begin(); i != buckets_.end();) {
            i = (i != it && i->second.tokens >= capacity) ? buckets_.erase(i) : std::next(i);
        }
    }
    d.allowed = b.tokens >= 1.0;
    if (d.allowed) b.tokens -= 1.0;
    d.info.limit = per_minute_;
    d.info.remaining = static_cast<std::int64_t>(std::floor(b.tokens));
    d.info.retry_after_ms = d.allowed ? 0 : static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) / per_ms));
    d.info.reset_ms = static_cast<std::int64_t>(std::ceil((capacity - b.tokens) / per_ms));
    return d;
}

Error RateLimited(const std::string& what, const RateLimitInfo& info) {
    const std::int64_t seconds = std::max<std::int64_t>(1, (info.retry_after_ms + 999) / 1000);
    return Error{ErrorCode::kRateLimited,
                 "too many " + what + " (" + std::to_string(info.limit) + " per minute); retry in " +
                     std::to_string(seconds) + " s",
                 info};
}

}  // namespace netra::core

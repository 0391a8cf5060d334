#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace netra::core {

bool RateLimiter::Allow(const std::string& key, std::chrono::steady_clock::time_point now) {
    if (per_minute_ <= 0) return true;
    std::lock_guard lock(mutex_);
    const double capacity = per_minute_;
    auto [it, inserted] = buckets_.try_emplace(key, Bucket{capacity, now});
    Bucket& b = it->second;
    double elapsed_s = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(capacity, b.tokens + elapsed_s * capacity / 60.0);
    b.updated = now;
    // Full buckets carry no information: drop them now and then so idle keys do not accumulate.
    if (buckets_.size() > 10000) {
        for (auto i = buckets_.begin(); i != buckets_.end();) {
            i = (i != it && i->second.tokens >= capacity) ? buckets_.erase(i) : std::next(i);
        }
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
}

int RateLimiter::RetryAfterSeconds() const {
    if (per_minute_ <= 0) return 1;
    return std::max(1, static_cast<int>(std::ceil(60.0 / per_minute_)));
}

}  // namespace netra::core

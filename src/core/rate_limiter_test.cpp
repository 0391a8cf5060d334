#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace netra::core {

TEST(RateLimiter, BurstsToCapacityThenRefills) {
    RateLimiter limiter(60);  // one per second steady
    auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 60; ++i) EXPECT_TRUE(limiter.Allow("u", t0));
    EXPECT_FALSE(limiter.Allow("u", t0));
    EXPECT_TRUE(limiter.Allow("other", t0));
    EXPECT_FALSE(limiter.Allow("u", t0 + std::chrono::milliseconds(500)));
    EXPECT_TRUE(limiter.Allow("u", t0 + std::chrono::milliseconds(1600)));
    EXPECT_EQ(limiter.RetryAfterSeconds(), 1);
}

TEST(RateLimiter, ZeroMeansUnlimited) {
    RateLimiter limiter(0);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Allow("u"));
}

}  // namespace netra::core

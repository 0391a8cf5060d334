#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace netra::core {

TEST(RateLimiter, BurstsToCapacityThenRefills) {
    RateLimiter limiter(60);  // one per second steady
    auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 60; ++i) {
        auto d = limiter.Take("u", t0);
        EXPECT_TRUE(d.allowed);
        EXPECT_EQ(d.info.remaining, 59 - i);
    }
    auto refused = limiter.Take("u", t0);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.info.limit, 60);
    EXPECT_EQ(refused.info.remaining, 0);
    EXPECT_EQ(refused.info.retry_after_ms, 1000);  // one token a second
    EXPECT_EQ(refused.info.reset_ms, 60'000);      // the whole minute's allowance
    EXPECT_TRUE(limiter.Take("other", t0).allowed);
    auto half = limiter.Take("u", t0 + std::chrono::milliseconds(500));
    EXPECT_FALSE(half.allowed);
    EXPECT_EQ(half.info.retry_after_ms, 500);  // half a token refilled: half a second to go
    EXPECT_TRUE(limiter.Take("u", t0 + std::chrono::milliseconds(1600)).allowed);
}

TEST(RateLimiter, ZeroMeansUnlimited) {
    RateLimiter limiter(0);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.Take("u").allowed);
}

TEST(RateLimiter, TheErrorSaysTheRealWait) {
    RateLimitInfo info{10, 0, 5'200, 60'000};
    Error e = RateLimited("messages", info);
    EXPECT_EQ(e.code, ErrorCode::kRateLimited);
    EXPECT_EQ(e.message, "too many messages (10 per minute); retry in 6 s");
    ASSERT_TRUE(e.rate_limit);
    EXPECT_EQ(e.rate_limit->retry_after_ms, 5'200);
}

}  // namespace netra::core

#include "llm/circuit_breaker.hpp"

#include <gtest/gtest.h>

namespace netra::llm {
namespace {

using std::chrono::seconds;

class CircuitBreakerTest : public ::testing::Test {
  protected:
    std::chrono::steady_clock::time_point now_{};
    CircuitBreaker breaker_{CircuitBreaker::Options{5, seconds(30)}, [this] { return now_; }};

    void Fail(int times) {
        for (int i = 0; i < times; ++i) {
            ASSERT_TRUE(breaker_.Allow());
            breaker_.RecordFailure();
        }
    }
};

TEST_F(CircuitBreakerTest, OpensAfterFiveConsecutiveFailures) {
    Fail(4);
    EXPECT_EQ(breaker_.State(), BreakerState::kClosed);
    EXPECT_EQ(breaker_.ConsecutiveFailures(), 4);
    Fail(1);
    EXPECT_EQ(breaker_.State(), BreakerState::kOpen);
    EXPECT_FALSE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, SuccessResetsTheCount) {
    Fail(4);
    ASSERT_TRUE(breaker_.Allow());
    breaker_.RecordSuccess();
    Fail(4);
    EXPECT_EQ(breaker_.State(), BreakerState::kClosed);
}

TEST_F(CircuitBreakerTest, HalfOpenAfterThirtySecondsLetsOneTrialThrough) {
    Fail(5);
    now_ += seconds(29);
    EXPECT_EQ(breaker_.State(), BreakerState::kOpen);
    EXPECT_FALSE(breaker_.Allow());
    now_ += seconds(1);
    EXPECT_EQ(breaker_.State(), BreakerState::kHalfOpen);
    EXPECT_TRUE(breaker_.Allow());
    EXPECT_FALSE(breaker_.Allow());  // only one trial at a time
    breaker_.RecordSuccess();
    EXPECT_EQ(breaker_.State(), BreakerState::kClosed);
    EXPECT_EQ(breaker_.ConsecutiveFailures(), 0);
    EXPECT_TRUE(breaker_.Allow());
    breaker_.RecordSuccess();
}

TEST_F(CircuitBreakerTest, FailedTrialReopensForAnotherPeriod) {
    Fail(5);
    now_ += seconds(30);
    ASSERT_TRUE(breaker_.Allow());
    breaker_.RecordFailure();
    EXPECT_EQ(breaker_.State(), BreakerState::kOpen);
    now_ += seconds(29);
    EXPECT_FALSE(breaker_.Allow());
    now_ += seconds(1);
    EXPECT_TRUE(breaker_.Allow());
}

TEST_F(CircuitBreakerTest, AbandonedTrialFreesTheSlotWithoutClosing) {
    Fail(5);
    now_ += seconds(30);
    ASSERT_TRUE(breaker_.Allow());
    breaker_.RecordAbandoned();
    EXPECT_EQ(breaker_.State(), BreakerState::kHalfOpen);
    EXPECT_TRUE(breaker_.Allow());
}

TEST(BreakerStateName, Names) {
    EXPECT_EQ(BreakerStateName(BreakerState::kClosed), "closed");
    EXPECT_EQ(BreakerStateName(BreakerState::kOpen), "open");
    EXPECT_EQ(BreakerStateName(BreakerState::kHalfOpen), "half_open");
}

}  // namespace
}  // namespace netra::llm

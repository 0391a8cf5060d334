#include "runs/scheduler.hpp"

#include <gtest/gtest.h>

namespace netra::runs {

TEST(Scheduler, OneActiveRunPerThreadInOrder) {
    Scheduler s(4);
    s.Enqueue({"r1", "t1", "u1"});
    s.Enqueue({"r2", "t1", "u1"});
    auto first = s.TakeStartable();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].run_id, "r1");
    EXPECT_TRUE(s.TakeStartable().empty());
    EXPECT_EQ(s.ActiveRunOfThread("t1"), "r1");
    s.Finished(first[0]);
    auto second = s.TakeStartable();
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].run_id, "r2");
}

TEST(Scheduler, PerUserLimitAndFairness) {
    Scheduler s(2);
    for (int i = 0; i < 5; ++i) s.Enqueue({"a" + std::to_string(i), "ta" + std::to_string(i), "alice"});
    s.Enqueue({"b0", "tb0", "bob"});
    auto started = s.TakeStartable();
    ASSERT_EQ(started.size(), 3u);  // alice's two slots and bob's run
    int alice = 0, bob = 0;
    for (const auto& r : started) (r.user_id == "alice" ? alice : bob)++;
    EXPECT_EQ(alice, 2);
    EXPECT_EQ(bob, 1);
    EXPECT_EQ(s.QueuedCount(), 3u);
    s.Finished(started[0]);
    EXPECT_EQ(s.TakeStartable().size(), started[0].user_id == "alice" ? 1u : 0u);
}

TEST(Scheduler, RemoveQueued) {
    Scheduler s(1);
    s.Enqueue({"r1", "t1", "u"});
    s.Enqueue({"r2", "t2", "u"});
    EXPECT_TRUE(s.RemoveQueued("r2"));
    EXPECT_FALSE(s.RemoveQueued("r2"));
    EXPECT_EQ(s.TakeStartable().size(), 1u);
    EXPECT_EQ(s.QueuedCount(), 0u);
}

}  // namespace netra::runs

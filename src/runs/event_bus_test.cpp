#include "runs/event_bus.hpp"

#include <gtest/gtest.h>

namespace netra::runs {
namespace {
struct Recorder : EventListener {
    std::vector<std::int64_t> seqs;
    void OnEvent(const std::shared_ptr<const LiveEvent>& e) override { seqs.push_back(e->seq); }
};
std::shared_ptr<LiveEvent> Ev(const std::string& user, std::int64_t seq) {
    auto e = std::make_shared<LiveEvent>();
    e->user_id = user;
    e->seq = seq;
    return e;
}
}  // namespace

TEST(EventBus, DeliversOnlyToTheUsersListeners) {
    EventBus bus;
    auto a1 = std::make_shared<Recorder>(), a2 = std::make_shared<Recorder>(), b = std::make_shared<Recorder>();
    bus.Subscribe("alice", a1);
    auto id2 = bus.Subscribe("alice", a2);
    bus.Subscribe("bob", b);
    bus.Publish(Ev("alice", 1));
    bus.Unsubscribe("alice", id2);
    bus.Publish(Ev("alice", 2));
    EXPECT_EQ(a1->seqs, (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(a2->seqs, (std::vector<std::int64_t>{1}));
    EXPECT_TRUE(b->seqs.empty());
    EXPECT_EQ(bus.ListenerCount("alice"), 1u);
}

TEST(EventBus, ExpiredListenersAreSkipped) {
    EventBus bus;
    {
        auto gone = std::make_shared<Recorder>();
        bus.Subscribe("alice", gone);
    }
    bus.Publish(Ev("alice", 1));  // must not crash
    EXPECT_EQ(bus.EventsPublished(), 1u);
}

}  // namespace netra::runs

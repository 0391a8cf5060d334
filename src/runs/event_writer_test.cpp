#include "runs/event_writer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "core/ids.hpp"
#include "storage/open_store.hpp"

namespace netra::runs {
namespace {
namespace asio = boost::asio;

constexpr const char* kOwner = "writer-instance";

// A SQLite store with one user, one thread and `runs` runs that kOwner executes.
struct Fixture {
    std::shared_ptr<storage::Store> store;
    std::vector<std::string> run_ids;

    explicit Fixture(int runs) {
        store = *storage::OpenStore("sqlite::memory:");
        EXPECT_TRUE(store->Migrate().ok());
        domain::User user{core::NewId(), "w@example.com", "w", "", {}, 1};
        EXPECT_TRUE(store->CreateUser(user).ok());
        domain::Thread thread{core::NewId(), user.id, "t", 1, 1};
        EXPECT_TRUE(store->CreateThread(thread).ok());
        for (int i = 0; i < runs; ++i) {
            domain::Run run;
            run.id = core::NewId();
            run.thread_id = thread.id;
            run.user_id = user.id;
            run.created_at = 2 + i;
            domain::Message message{core::NewId(), thread.id, user.id,      domain::MessageRole::kUser,
                                    "m",           run.id,    std::nullopt, 2 + i};
            EXPECT_TRUE(store->InsertMessageAndRun(message, run).ok());
            EXPECT_TRUE(*store->ClaimRun(run.id, kOwner, 1'000'000, 2));  // the writer's instance executes it
            run_ids.push_back(run.id);
        }
    }
};

domain::RunEvent Event(const std::string& run_id, std::int64_t seq) {
    return domain::RunEvent{run_id, seq, domain::EventType::kAgentThinking, "triage", "{}", 10 + seq};
}

TEST(EventWriter, ConcurrentRunsShareTransactionsAndEveryEventIsStoredInOrder) {
    constexpr int kRuns = 50, kEvents = 20;
    Fixture f(kRuns);
    asio::thread_pool pool(1);
    EventWriter writer(f.store, pool, kOwner);
    asio::io_context ioc;
    int failures = 0;
    for (const auto& id : f.run_ids) {
        // Each run writes its events one after the other, as a run does: at most one pending per run.
        asio::co_spawn(
            ioc,
            [&, id]() -> asio::awaitable<void> {
                for (int seq = 1; seq <= kEvents; ++seq) {
                    auto s = co_await writer.Write(Event(id, seq));
                    if (!s.ok()) ++failures;
                }
            },
            asio::detached);
    }
    ioc.run();
    pool.join();
    EXPECT_EQ(failures, 0);
    for (const auto& id : f.run_ids) {
        auto last = f.store->LastEventSeq(id);
        ASSERT_TRUE(last.ok());
        EXPECT_EQ(*last, kEvents);
    }
    // 1000 events from 50 concurrent runs: batches hold several runs' events.
    EXPECT_LT(writer.Batches(), static_cast<std::uint64_t>(kRuns * kEvents));
}

TEST(EventWriter, ABadEventFailsAloneEvenInsideABatch) {
    Fixture f(2);
    asio::thread_pool pool(1);
    EventWriter writer(f.store, pool, kOwner);
    ASSERT_TRUE(f.store->AppendEvents({Event(f.run_ids[0], 1)}).ok());
    asio::io_context ioc;
    std::optional<core::Status> duplicate, fine, orphan;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { duplicate = co_await writer.Write(Event(f.run_ids[0], 1)); },
        asio::detached);
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { fine = co_await writer.Write(Event(f.run_ids[1], 1)); }, asio::detached);
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { orphan = co_await writer.Write(Event("no-such-run", 1)); },
        asio::detached);
    ioc.run();
    pool.join();
    ASSERT_TRUE(duplicate && fine && orphan);
    EXPECT_FALSE(duplicate->ok());
    EXPECT_EQ(duplicate->error().code, core::ErrorCode::kConflict);
    EXPECT_TRUE(fine->ok());
    EXPECT_FALSE(orphan->ok());
    auto last = f.store->LastEventSeq(f.run_ids[1]);
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(*last, 1);
}

TEST(EventWriter, ARunTakenOverByAnotherInstanceGetsNoMoreEventsFromThisOne) {
    Fixture f(2);
    // The first run's lease lapsed while this instance stalled; another instance took it over.
    ASSERT_TRUE(*f.store->InterruptExpired(f.run_ids[0], 2'000'000, "lease expired"));
    ASSERT_TRUE(*f.store->ClaimRun(f.run_ids[0], "other-instance", 3'000'000, 2'000'001));
    asio::thread_pool pool(1);
    EventWriter writer(f.store, pool, kOwner);
    asio::io_context ioc;
    std::optional<core::Status> stale, held;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { stale = co_await writer.Write(Event(f.run_ids[0], 1)); }, asio::detached);
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { held = co_await writer.Write(Event(f.run_ids[1], 1)); }, asio::detached);
    ioc.run();
    pool.join();
    ASSERT_TRUE(stale && held);
    ASSERT_FALSE(stale->ok());
    EXPECT_EQ(stale->error().code, core::ErrorCode::kConflict);
    EXPECT_TRUE(held->ok());
    EXPECT_EQ(*f.store->LastEventSeq(f.run_ids[0]), 0);
    EXPECT_EQ(*f.store->LastEventSeq(f.run_ids[1]), 1);
}

}  // namespace
}  // namespace netra::runs

#include "runs/event_replay.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <sstream>

#include "core/ids.hpp"
#include "storage/open_store.hpp"

namespace netra::runs {
namespace {

using Seqs = std::vector<std::int64_t>;
using Labels = std::vector<std::string>;

constexpr const char* kThread = "thread-1";
constexpr const char* kRun = "run-1";

// An event whose envelope names it ("run#seq"), so a test can tell which copy went out.
ReplayEvent Event(const std::string& run_id, std::int64_t seq, const std::string& type = "agent_thinking",
                  const std::string& thread_id = kThread) {
    // Any name that is not an event type (the tests' "x") is an ordinary, non-terminal event.
    return ReplayEvent{run_id, thread_id, seq, domain::ParseEventType(type).value_or(domain::EventType::kAgentThinking),
                       std::make_shared<const std::string>(run_id + "#" + std::to_string(seq))};
}

// Stored events first..last of a run; `terminal_at` gets run_completed.
std::vector<ReplayEvent> Events(const std::string& run_id, std::int64_t first, std::int64_t last,
                                std::int64_t terminal_at = 0, const std::string& thread_id = kThread) {
    std::vector<ReplayEvent> out;
    for (std::int64_t seq = first; seq <= last; ++seq) {
        out.push_back(Event(run_id, seq, seq == terminal_at ? "run_completed" : "agent_thinking", thread_id));
    }
    return out;
}

Seqs SeqsOf(const std::vector<ReplayEvent>& events) {
    Seqs out;
    for (const auto& e : events) out.push_back(e.seq);
    return out;
}

Labels LabelsOf(const std::vector<ReplayEvent>& events) {
    Labels out;
    for (const auto& e : events) out.push_back(*e.envelope);
    return out;
}

// --- following a run live ----------------------------------------------------------------------------------

TEST(EventReplayLedger, FollowsARunFromItsFirstEventAsItArrives) {
    EventReplayLedger ledger;
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 1))), Seqs{1});
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 2))), Seqs{2});
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 2)).empty());  // the same event twice goes out once
    EXPECT_EQ(ledger.LastSent(kRun), 2);
}

TEST(EventReplayLedger, OutOfOrderLiveEventsWhileFollowingAreReordered) {
    EventReplayLedger ledger;
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 1))), Seqs{1});
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 3)).empty());
    EXPECT_EQ(ledger.HeldCount(kRun), 1u);
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 2))), (Seqs{2, 3}));
}

TEST(EventReplayLedger, AGapWhileFollowingIsClosedByTheTerminalEvent) {
    EventReplayLedger ledger;
    (void)ledger.OnLive(Event(kRun, 1));
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 3)).empty());  // seq 2 was never stored (its write failed)
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 4, "run_failed"))), (Seqs{3, 4}));
    EXPECT_TRUE(ledger.Ended(kRun));
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 2)).empty());  // too late: it would go backwards
}

TEST(EventReplayLedger, AGapWhileFollowingIsClosedByTheHoldLimit) {
    EventReplayLedger ledger(ReplayLimits{2});
    (void)ledger.OnLive(Event(kRun, 1));
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 3)).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 4)).empty());
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 5))), (Seqs{3, 4, 5}));
}

TEST(EventReplayLedger, ARunJoinedMidWayIsNotSentUntilItIsReplayed) {
    EventReplayLedger ledger;
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 4)).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 5)).empty());
    EXPECT_EQ(ledger.HeldCount(kRun), 2u);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 6, "run_completed")).empty());
    EXPECT_EQ(ledger.HeldCount(kRun), 0u);  // the run is over; the store has all of it
    ledger.BeginRunReplay(kRun, 0);
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 1, 6, 6))), (Seqs{1, 2, 3, 4, 5, 6}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
    EXPECT_TRUE(ledger.Ended(kRun));
}

TEST(EventReplayLedger, HeldEventsOfARunJoinedMidWayAreBounded) {
    EventReplayLedger ledger(ReplayLimits{2});
    (void)ledger.OnLive(Event(kRun, 4));
    (void)ledger.OnLive(Event(kRun, 5));
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 6)).empty());
    EXPECT_EQ(ledger.HeldCount(kRun), 0u);  // dropped: a replay reads them from the store
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 6))), (Seqs{4, 5, 6}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
}

// --- subscribe {run_id, after_seq}: a live event at every point of it ---------------------------------------

// The reported gap: on a fresh socket, seq 4 arrived live before the subscribe was handled, went out before
// `subscribed`, and the replay then skipped it as already sent. Now it waits for the replay.
TEST(EventReplayLedger, LiveEventBeforeRegistrationOnAFreshSocketGoesOutAfterSubscribed) {
    EventReplayLedger ledger;
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 4)).empty());
    ledger.BeginRunReplay(kRun, 3);
    // (the caller sends `subscribed` here)
    EXPECT_EQ(LabelsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 5))), (Labels{"run-1#4", "run-1#5"}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 5)).empty());
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 6))), Seqs{6});
}

TEST(EventReplayLedger, LiveEventBeforeRegistrationWithAnEarlierAfterSeqStaysInOrder) {
    EventReplayLedger ledger;
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 4)).empty());
    ledger.BeginRunReplay(kRun, 1);
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 2, 4))), (Seqs{2, 3, 4}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
}

TEST(EventReplayLedger, ASocketFollowingTheRunIsNotSentAnEventTwice) {
    EventReplayLedger ledger;
    for (std::int64_t seq = 1; seq <= 4; ++seq) EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, seq))), Seqs{seq});
    ledger.BeginRunReplay(kRun, 3);  // §6: stored events not yet sent on this socket
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 5))), Seqs{5});
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
}

TEST(EventReplayLedger, LiveEventsDuringTheStoreReadGoOutOnce) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 4)).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 5)).empty());
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 5))), (Seqs{4, 5}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
}

// Published after the read's snapshot, delivered before the coroutine resumed: only the live side has it.
TEST(EventReplayLedger, LiveEventBetweenTheStoreReadAndTheHandOver) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 5)).empty());  // also stored: both copies meet
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 6)).empty());  // not in the read
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 5))), (Seqs{4, 5, 6}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 7))), Seqs{7});
}

// Published before the read's snapshot, delivered after the hand-over (its post was queued behind it).
TEST(EventReplayLedger, LiveEventAfterTheHandOverThatTheReadAlsoReturned) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 6))), (Seqs{4, 5, 6}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 5)).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 6)).empty());
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 7))), Seqs{7});
}

TEST(EventReplayLedger, TheSameEventStoredAndLiveGoesOutOnce) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 0);
    (void)ledger.OnLive(Event(kRun, 1));
    (void)ledger.OnLive(Event(kRun, 2));
    auto sent = ledger.AcceptStored(kRun, Events(kRun, 1, 2));
    auto rest = ledger.EndRunReplay(kRun);
    sent.insert(sent.end(), rest.begin(), rest.end());
    EXPECT_EQ(LabelsOf(sent), (Labels{"run-1#1", "run-1#2"}));
}

TEST(EventReplayLedger, OutOfOrderLiveEventsWaitForTheStoreReadToFillTheGap) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 7)).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 6)).empty());
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 5))), (Seqs{4, 5, 6, 7}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
}

TEST(EventReplayLedger, AGapTheStoreCannotFillIsReleasedAtTheEndOfTheReplay) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 7)).empty());
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 5))), (Seqs{4, 5}));
    EXPECT_EQ(ledger.HeldCount(kRun), 1u);
    EXPECT_EQ(SeqsOf(ledger.EndRunReplay(kRun)), Seqs{7});
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 6)).empty());  // would go backwards
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 8))), Seqs{8});
}

TEST(EventReplayLedger, AGapInsideTheStoreReadIsFinal) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 0);
    std::vector<ReplayEvent> stored{Event(kRun, 1), Event(kRun, 2), Event(kRun, 4, "run_failed")};
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, stored)), (Seqs{1, 2, 4}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
    EXPECT_TRUE(ledger.Ended(kRun));
}

TEST(EventReplayLedger, StoredEventsArePagedInAnyNumberOfCalls) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 0);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 5)).empty());
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 1, 2))), (Seqs{1, 2}));
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 3, 4))), (Seqs{3, 4, 5}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
}

TEST(EventReplayLedger, AfterSeqBeyondTheLastEvent) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 9);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 8)).empty());
    EXPECT_TRUE(ledger.AcceptStored(kRun, {}).empty());
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
    EXPECT_EQ(ledger.LastSent(kRun), 9);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 9)).empty());  // the client says it has it
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 10))), Seqs{10});
}

TEST(EventReplayLedger, AnEmptyReadNeedsNoAcceptStored) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay(kRun, 5);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 6)).empty());
    EXPECT_EQ(SeqsOf(ledger.EndRunReplay(kRun)), Seqs{6});
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 7))), Seqs{7});
}

TEST(EventReplayLedger, AFailedReadLosesNoLiveEvent) {
    EventReplayLedger ledger;
    for (std::int64_t seq = 1; seq <= 3; ++seq) (void)ledger.OnLive(Event(kRun, seq));
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 4)).empty());
    EXPECT_TRUE(ledger.OnLive(Event(kRun, 5)).empty());
    EXPECT_EQ(SeqsOf(ledger.AbandonRunReplay(kRun)), (Seqs{4, 5}));
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event(kRun, 6))), Seqs{6});
}

TEST(EventReplayLedger, AFailedReadOnAFreshSocketKeepsWaitingForTheNextSubscribe) {
    EventReplayLedger ledger;
    (void)ledger.OnLive(Event(kRun, 4));
    ledger.BeginRunReplay(kRun, 3);
    (void)ledger.OnLive(Event(kRun, 5));
    EXPECT_TRUE(ledger.AbandonRunReplay(kRun).empty());
    EXPECT_EQ(ledger.LastSent(kRun), 0);  // the after_seq of a failed subscribe is not applied
    EXPECT_EQ(ledger.HeldCount(kRun), 2u);
    ledger.BeginRunReplay(kRun, 3);
    EXPECT_EQ(SeqsOf(ledger.AcceptStored(kRun, Events(kRun, 4, 5))), (Seqs{4, 5}));
    EXPECT_TRUE(ledger.EndRunReplay(kRun).empty());
}

TEST(EventReplayLedger, AFailedReadOfAnotherUsersRunLeavesNoTrace) {
    EventReplayLedger ledger;
    ledger.BeginRunReplay("not-mine", 0);
    EXPECT_TRUE(ledger.AbandonRunReplay("not-mine").empty());
    EXPECT_EQ(ledger.LastSent("not-mine"), 0);
    EXPECT_EQ(ledger.HeldCount("not-mine"), 0u);
}

// Every interleaving of one `subscribe {run_id, after_seq}` with a run's live events. Each event is published
// in a phase (0 before the subscribe, 1 during the read before its snapshot, 2 between the snapshot and the
// hand-over, 3 after it) and delivered live in that phase or a later one, in seq order; an event published
// before the socket registered with the publisher is never delivered live. The read returns what was published
// before its snapshot (phases 0 and 1).
TEST(EventReplayLedger, EveryInterleavingOfASubscribeWithLiveEvents) {
    constexpr int kEvents = 5;
    constexpr int kPhases = 4;
    // All non-decreasing phase sequences with value[i] >= floor[i].
    std::function<void(const std::vector<int>&, std::vector<int>&, std::size_t,
                       const std::function<void(const std::vector<int>&)>&)>
        monotone = [&](const std::vector<int>& lowest_phases, std::vector<int>& current, std::size_t position,
                       const std::function<void(const std::vector<int>&)>& visit) {
            if (position == lowest_phases.size()) return visit(current);
            const int lowest = std::max(position == 0 ? 0 : current[position - 1], lowest_phases[position]);
            for (int phase = lowest; phase < kPhases; ++phase) {
                current[position] = phase;
                monotone(lowest_phases, current, position + 1, visit);
            }
        };
    int cases = 0;
    std::vector<int> publish(kEvents);
    monotone(std::vector<int>(kEvents, 0), publish, 0, [&](const std::vector<int>& published) {
        // `registered`: the first seq published after the socket registered (kEvents + 1: none was).
        for (int registered = 1; registered <= kEvents + 1; ++registered) {
            bool possible = true;
            for (int seq = 1; seq < registered; ++seq) possible &= published[seq - 1] == 0;
            if (!possible) continue;
            // A live event is delivered in the phase it was published in, or later.
            std::vector<int> earliest(published.begin() + (registered - 1), published.end());
            std::vector<int> delivery(earliest.size());
            monotone(earliest, delivery, 0, [&](const std::vector<int>& delivered) {
                if (::testing::Test::HasFailure()) return;  // one described failure, not thousands
                for (std::int64_t after : {0, 2, 5, 7}) {
                    ++cases;
                    auto describe = [&] {
                        std::ostringstream s;
                        s << "registered at seq " << registered << ", after_seq " << after << ", published";
                        for (int p : published) s << ' ' << p;
                        s << ", delivered";
                        for (int d : delivered) s << ' ' << d;
                        return s.str();
                    };
                    EventReplayLedger ledger;
                    Seqs before_subscribed, after_subscribed;
                    auto deliver = [&](int phase, Seqs& sent) {
                        for (std::size_t i = 0; i < delivered.size(); ++i) {
                            if (delivered[i] != phase) continue;
                            const auto seq = static_cast<std::int64_t>(registered) + static_cast<std::int64_t>(i);
                            auto out = ledger.OnLive(Event(kRun, seq, seq == kEvents ? "run_completed" : "x"));
                            for (const auto& e : out) sent.push_back(e.seq);
                        }
                    };
                    deliver(0, before_subscribed);
                    ledger.BeginRunReplay(kRun, after);
                    Seqs during_replay;
                    deliver(1, during_replay);
                    deliver(2, during_replay);
                    std::vector<ReplayEvent> stored;
                    for (std::int64_t seq = after + 1; seq <= kEvents; ++seq) {
                        if (published[static_cast<std::size_t>(seq - 1)] <= 1) {
                            stored.push_back(Event(kRun, seq, seq == kEvents ? "run_completed" : "x"));
                        }
                    }
                    // The caller sends `subscribed` here.
                    for (const auto& e : ledger.AcceptStored(kRun, stored)) after_subscribed.push_back(e.seq);
                    for (const auto& e : ledger.EndRunReplay(kRun)) after_subscribed.push_back(e.seq);
                    deliver(3, after_subscribed);

                    ASSERT_TRUE(during_replay.empty()) << describe();  // nothing may precede `subscribed`
                    if (registered > 1) {
                        // A socket that joined mid-run sends nothing of the run before it is resumed.
                        ASSERT_TRUE(before_subscribed.empty()) << describe();
                    }
                    for (std::size_t i = 0; i < before_subscribed.size(); ++i) {
                        ASSERT_EQ(before_subscribed[i], static_cast<std::int64_t>(i + 1)) << describe();
                    }
                    const std::int64_t had =
                        std::max<std::int64_t>(after, before_subscribed.empty() ? 0 : before_subscribed.back());
                    Seqs expected;
                    for (std::int64_t seq = had + 1; seq <= kEvents; ++seq) expected.push_back(seq);
                    ASSERT_EQ(after_subscribed, expected) << describe();
                }
            });
        }
    });
    EXPECT_GT(cases, 1000);
}

// --- subscribe {thread_id} ---------------------------------------------------------------------------------

TEST(EventReplayLedger, ThreadReplayAcrossTwoRunsAndARunCreatedDuringIt) {
    EventReplayLedger ledger;
    const std::string a = "run-a", b = "run-b", c = "run-c";  // creation order (UUIDv7 ids sort so)
    ledger.BeginThreadReplay(kThread);
    EXPECT_TRUE(ledger.OnLive(Event(b, 3)).empty());  // the running run, during the read
    EXPECT_TRUE(ledger.OnLive(Event(c, 1)).empty());  // a run created after the read listed the runs
    EXPECT_EQ(LabelsOf(ledger.AcceptThreadRunStored(kThread, a, Events(a, 1, 3, 3))),
              (Labels{"run-a#1", "run-a#2", "run-a#3"}));
    EXPECT_EQ(LabelsOf(ledger.AcceptThreadRunStored(kThread, b, Events(b, 1, 2))),
              (Labels{"run-b#1", "run-b#2", "run-b#3"}));
    EXPECT_EQ(LabelsOf(ledger.EndThreadReplay(kThread)), Labels{"run-c#1"});
    EXPECT_TRUE(ledger.OnLive(Event(b, 3)).empty());
    EXPECT_EQ(LabelsOf(ledger.OnLive(Event(b, 4))), Labels{"run-b#4"});
    EXPECT_EQ(LabelsOf(ledger.OnLive(Event(c, 2))), Labels{"run-c#2"});
    EXPECT_TRUE(ledger.Ended(a));
}

TEST(EventReplayLedger, ThreadReplaySkipsWhatTheSocketAlreadySent) {
    EventReplayLedger ledger;
    (void)ledger.OnLive(Event("run-a", 1));
    (void)ledger.OnLive(Event("run-a", 2));
    ledger.BeginThreadReplay(kThread);
    EXPECT_EQ(SeqsOf(ledger.AcceptThreadRunStored(kThread, "run-a", Events("run-a", 1, 3))), Seqs{3});
    EXPECT_TRUE(ledger.EndThreadReplay(kThread).empty());
}

TEST(EventReplayLedger, ThreadReplayResumesARunJoinedMidWayFromItsStart) {
    EventReplayLedger ledger;
    EXPECT_TRUE(ledger.OnLive(Event("run-a", 3)).empty());
    ledger.BeginThreadReplay(kThread);
    EXPECT_TRUE(ledger.OnLive(Event("run-a", 4)).empty());
    EXPECT_EQ(SeqsOf(ledger.AcceptThreadRunStored(kThread, "run-a", Events("run-a", 1, 3))), (Seqs{1, 2, 3, 4}));
    EXPECT_TRUE(ledger.EndThreadReplay(kThread).empty());
}

TEST(EventReplayLedger, ThreadReplayLeavesOtherThreadsLive) {
    EventReplayLedger ledger;
    ledger.BeginThreadReplay(kThread);
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event("run-x", 1, "run_started", "thread-2"))), Seqs{1});
    EXPECT_TRUE(ledger.EndThreadReplay(kThread).empty());
}

TEST(EventReplayLedger, AFailedThreadReadLosesNoLiveEvent) {
    EventReplayLedger ledger;
    (void)ledger.OnLive(Event("run-a", 1));
    ledger.BeginThreadReplay(kThread);
    EXPECT_TRUE(ledger.OnLive(Event("run-a", 2)).empty());
    EXPECT_TRUE(ledger.OnLive(Event("run-b", 3)).empty());  // joined mid-way: still waits for a replay
    EXPECT_EQ(LabelsOf(ledger.AbandonThreadReplay(kThread)), Labels{"run-a#2"});
    EXPECT_EQ(ledger.HeldCount("run-b"), 1u);
    EXPECT_EQ(SeqsOf(ledger.OnLive(Event("run-a", 3))), Seqs{3});
}

// --- the reader over storage::Store --------------------------------------------------------------------------

class StoreEventReaderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = storage::OpenStore("sqlite::memory:");
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = *opened;
        auto migrated = store_->Migrate();
        ASSERT_TRUE(migrated.ok()) << migrated.error().message;
        alice_ = MakeUser("alice@example.com");
        bob_ = MakeUser("bob@example.com");
    }

    domain::User MakeUser(const std::string& email) {
        domain::User user{core::NewId(), email, "Name", "hash", {"read", "write"}, ++now_};
        auto s = store_->CreateUser(user);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return user;
    }

    domain::Thread MakeThread(const domain::User& user) {
        const core::Millis at = ++now_;
        domain::Thread thread{core::NewId(), user.id, "title", at, at};
        auto s = store_->CreateThread(thread);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return thread;
    }

    // A queued run with its user message, and events 1..events.
    domain::Run StartRun(const domain::Thread& thread, std::int64_t events) {
        domain::Run run;
        run.id = core::NewId();
        run.thread_id = thread.id;
        run.user_id = thread.user_id;  // queued, policy enqueue: the record's defaults
        run.created_at = ++now_;
        run.request = "hello";
        const core::Millis sent_at = ++now_;
        domain::Message message{core::NewId(), thread.id, thread.user_id, domain::MessageRole::kUser,
                                "hello",       run.id,    std::nullopt,   sent_at};
        auto s = store_->InsertMessageAndRun(message, run);
        EXPECT_TRUE(s.ok()) << s.error().message;
        std::vector<domain::RunEvent> stored;
        for (std::int64_t seq = 1; seq <= events; ++seq) {
            stored.push_back(domain::RunEvent{
                run.id, seq, seq == 1 ? domain::EventType::kRunStarted : domain::EventType::kAgentThinking, "",
                R"({"n":)" + std::to_string(seq) + "}", 1000 + seq});
        }
        auto appended = store_->AppendEvents(stored);
        EXPECT_TRUE(appended.ok()) << appended.error().message;
        return run;
    }

    static Seqs StoredSeqs(const std::vector<domain::RunEvent>& events) {
        Seqs out;
        for (const auto& e : events) out.push_back(e.seq);
        return out;
    }

    std::shared_ptr<storage::Store> store_;
    domain::User alice_, bob_;
    core::Millis now_ = 1000;
};

TEST_F(StoreEventReaderTest, ReadsARunsEventsAfterASeq) {
    domain::Run run = StartRun(MakeThread(alice_), 5);
    StoreEventReader reader(store_);
    domain::EventFilter filter;
    filter.after_seq = 2;
    filter.limit = 0;  // every one
    auto read = reader.ReadRunEvents(alice_.id, run.id, filter);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(read->run.id, run.id);
    EXPECT_EQ(read->run.status, domain::RunStatus::kQueued);
    EXPECT_EQ(StoredSeqs(read->events), (Seqs{3, 4, 5}));
    EXPECT_FALSE(read->truncated);
    auto replay = ReplayEventsOf(*read);
    ASSERT_EQ(replay.size(), 3u);
    EXPECT_EQ(replay[0].thread_id, run.thread_id);
    EXPECT_NE(replay[0].envelope->find("\"seq\":3"), std::string::npos);
}

TEST_F(StoreEventReaderTest, ReadingEverythingPagesThroughTheStore) {
    domain::Run run = StartRun(MakeThread(alice_), 7);
    StoreEventReader reader(store_, 2);
    domain::EventFilter filter;
    filter.limit = 0;
    auto read = reader.ReadRunEvents(alice_.id, run.id, filter);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(StoredSeqs(read->events), (Seqs{1, 2, 3, 4, 5, 6, 7}));
}

TEST_F(StoreEventReaderTest, ALimitedReadSaysWhetherMoreFollow) {
    domain::Run run = StartRun(MakeThread(alice_), 5);
    StoreEventReader reader(store_);
    domain::EventFilter filter;
    filter.limit = 3;
    auto first = reader.ReadRunEvents(alice_.id, run.id, filter);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(StoredSeqs(first->events), (Seqs{1, 2, 3}));
    EXPECT_TRUE(first->truncated);
    filter.after_seq = 3;
    auto rest = reader.ReadRunEvents(alice_.id, run.id, filter);
    ASSERT_TRUE(rest.ok()) << rest.error().message;
    EXPECT_EQ(StoredSeqs(rest->events), (Seqs{4, 5}));
    EXPECT_FALSE(rest->truncated);
}

TEST_F(StoreEventReaderTest, AfterSeqBeyondTheLastEventReadsNothing) {
    domain::Run run = StartRun(MakeThread(alice_), 3);
    StoreEventReader reader(store_);
    domain::EventFilter filter;
    filter.after_seq = 9;
    filter.limit = 0;
    auto read = reader.ReadRunEvents(alice_.id, run.id, filter);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_TRUE(read->events.empty());
}

TEST_F(StoreEventReaderTest, AnotherUsersRunOrThreadIsNotFound) {
    domain::Thread thread = MakeThread(alice_);
    domain::Run run = StartRun(thread, 2);
    StoreEventReader reader(store_);
    auto run_read = reader.ReadRunEvents(bob_.id, run.id, domain::EventFilter{});
    ASSERT_FALSE(run_read.ok());
    EXPECT_EQ(run_read.error().code, core::ErrorCode::kNotFound);
    auto thread_read = reader.ReadThreadEvents(bob_.id, thread.id);
    ASSERT_FALSE(thread_read.ok());
    EXPECT_EQ(thread_read.error().code, core::ErrorCode::kNotFound);
}

TEST_F(StoreEventReaderTest, ReadsEveryRunOfAThreadOldestFirst) {
    domain::Thread thread = MakeThread(alice_);
    domain::Run first = StartRun(thread, 3);
    domain::Run second = StartRun(thread, 2);
    StartRun(MakeThread(alice_), 4);  // another thread of the same user
    StoreEventReader reader(store_, 2);
    auto read = reader.ReadThreadEvents(alice_.id, thread.id);
    ASSERT_TRUE(read.ok()) << read.error().message;
    ASSERT_EQ(read->size(), 2u);
    EXPECT_EQ((*read)[0].run.id, first.id);
    EXPECT_EQ(StoredSeqs((*read)[0].events), (Seqs{1, 2, 3}));
    EXPECT_EQ((*read)[1].run.id, second.id);
    EXPECT_EQ(StoredSeqs((*read)[1].events), (Seqs{1, 2}));
}

// The reader and the ledger together, the way a transport uses them.
TEST_F(StoreEventReaderTest, ThreadReplayFromTheStoreThroughTheLedger) {
    domain::Thread thread = MakeThread(alice_);
    domain::Run first = StartRun(thread, 3);
    domain::Run second = StartRun(thread, 2);
    StoreEventReader reader(store_);
    EventReplayLedger ledger;
    ledger.BeginThreadReplay(thread.id);
    (void)ledger.OnLive(Event(second.id, 3, "agent_thinking", thread.id));  // live during the read
    auto read = reader.ReadThreadEvents(alice_.id, thread.id);
    ASSERT_TRUE(read.ok()) << read.error().message;
    Labels sent;
    for (const auto& r : *read) {
        for (const auto& e : ledger.AcceptThreadRunStored(thread.id, r.run.id, ReplayEventsOf(r))) {
            sent.push_back(e.run_id + "#" + std::to_string(e.seq));
        }
    }
    for (const auto& e : ledger.EndThreadReplay(thread.id)) sent.push_back(e.run_id + "#" + std::to_string(e.seq));
    EXPECT_EQ(sent, (Labels{first.id + "#1", first.id + "#2", first.id + "#3", second.id + "#1", second.id + "#2",
                            second.id + "#3"}));
}

}  // namespace
}  // namespace netra::runs

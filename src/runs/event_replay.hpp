#pragma once
// One event replay for every transport: WebSocket `subscribe` (by run or by thread), SSE and
// GET /api/runs/{id}/events.
//
// A connection receives a run's events from two sources that race each other: live events from the event
// publisher, and the stored events it reads when a client resumes (`subscribe {run_id, after_seq}`,
// `subscribe {thread_id}`, Last-Event-ID). EventReplayLedger merges the two. It is synchronous and knows
// nothing of sockets: its owner feeds it from one strand and sends exactly what it returns, in that order.
//
// What the ledger guarantees, per run and per connection:
//   - seqs go out in strictly increasing order, each at most once;
//   - a replay started with `after_seq` k sends every seq above k that the store read or the live side
//     produced and that the connection has not sent yet, after the caller's `subscribed` answer: nothing of a
//     run that is being resumed goes out before that answer (the gap of issue "seq 4 never arrived" was seq 4
//     going out live just before `subscribed`, then being skipped by the replay as already sent);
//   - a live event that would open a gap is held until the store read fills the gap, or until the replay
//     ends (then the gap is final: that seq was never stored and will never be published).
//
// What the owner must guarantee, so that "no gap" holds: it is registered with the publisher before it
// calls Begin*Replay, and it starts the store read after Begin*Replay. Events are stored before they are
// published, so each event is then either committed before the read (the read returns it), or published
// after the registration (it arrives through OnLive), or both (the ledger drops the second copy).
//
// Runs of a connection are followed in one of two ways:
//   - from their first event (the connection was open when the run started): live events go out at once;
//   - from a replay (the connection joined mid-run): until it replays the run, the connection sends none
//     of that run's live events (it holds them), since sending seq 7 to a client that still lacks 1..6 would
//     force a later `subscribe` to go backwards or skip.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/records.hpp"
#include "runs/event_publisher.hpp"
#include "storage/store.hpp"

namespace netra::runs {

// One run event as the replay sees it: what orders it (run, seq), what recognises a run's end (type), and
// the serialized envelope every transport sends (WebSocket frame, SSE `data:`).
struct ReplayEvent {
    std::string run_id;
    std::string thread_id;
    std::int64_t seq = 0;
    domain::EventType type = domain::EventType::kRunStarted;
    std::shared_ptr<const std::string> envelope;
};

ReplayEvent ReplayEventFromLive(const LiveEvent& event);
ReplayEvent ReplayEventFromStored(const domain::RunEvent& event, const std::string& thread_id);

struct ReplayLimits {
    // Live events held for one run outside a replay (a run joined mid-way, or a gap while following). Past it,
    // a joined run's held events are dropped (the store keeps them for a later replay) and a followed run's
    // gap is declared final.
    std::size_t max_held_per_run = 1024;
};

class EventReplayLedger {
  public:
    explicit EventReplayLedger(ReplayLimits limits = {});

    // A live event from the publisher. Returns what to send now (often just `event`, sometimes nothing,
    // sometimes `event` with held ones it unblocked).
    std::vector<ReplayEvent> OnLive(ReplayEvent event);

    // subscribe {run_id, after_seq}: the client holds 1..after_seq. Until EndRunReplay or AbandonRunReplay,
    // live events of the run are held. Call before starting the store read.
    void BeginRunReplay(const std::string& run_id, std::int64_t after_seq);
    // Stored events read for the replay, ascending seq, read without a type or agent filter (a seq missing
    // inside the read is taken as never stored). May be called once per page. Returns what to send, after
    // the caller's `subscribed` answer.
    std::vector<ReplayEvent> AcceptStored(const std::string& run_id, std::vector<ReplayEvent> stored);
    // The hand-over to live delivery: releases what is still held, in seq order.
    std::vector<ReplayEvent> EndRunReplay(const std::string& run_id);
    // The read failed: the client's after_seq is not applied (it will subscribe again) and the live events
    // held meanwhile are treated as if they arrived now, so none is lost.
    std::vector<ReplayEvent> AbandonRunReplay(const std::string& run_id);

    // subscribe {thread_id}: every run of the thread from its first event. Live events of the thread's runs
    // (including runs created after the read listed them) are held until EndThreadReplay.
    void BeginThreadReplay(const std::string& thread_id);
    // The stored events of one run of the thread (all of them), in the order the runs should go out.
    std::vector<ReplayEvent> AcceptThreadRunStored(const std::string& thread_id, const std::string& run_id,
                                                   std::vector<ReplayEvent> stored);
    std::vector<ReplayEvent> EndThreadReplay(const std::string& thread_id);
    std::vector<ReplayEvent> AbandonThreadReplay(const std::string& thread_id);

    // The highest seq of the run sent on this connection or covered by a client's after_seq; 0 when none.
    std::int64_t LastSent(const std::string& run_id) const;
    // Whether the run's terminal event was sent (SSE closes then).
    bool Ended(const std::string& run_id) const;
    // Live events of the run waiting for a replay or for a gap to fill.
    std::size_t HeldCount(const std::string& run_id) const;

  private:
    struct RunLedger {
        std::string thread_id;          // learnt from events or a thread replay: lets thread replays cover it
        bool anchored = false;          // the client holds the run contiguously up to last_sent
        std::int64_t last_sent = 0;     // every seq at or below it is sent, covered, or final as missing
        bool ended = false;             // its terminal event was sent
        bool run_replay = false;        // between BeginRunReplay and End/Abandon
        bool anchor_pending = false;    // the replay's after_seq is not applied yet
        std::int64_t replay_after = 0;  // that after_seq
        std::map<std::int64_t, ReplayEvent> held;  // by seq, all above last_sent
    };

    bool Replaying(const RunLedger& run) const;
    void Follow(RunLedger& run, ReplayEvent event, std::vector<ReplayEvent>& out);
    void Anchor(RunLedger& run, std::int64_t after_seq);
    void Merge(RunLedger& run, std::vector<ReplayEvent> stored, std::vector<ReplayEvent>& out);
    void Send(RunLedger& run, ReplayEvent event, std::vector<ReplayEvent>& out);
    void SendContiguous(RunLedger& run, std::vector<ReplayEvent>& out);
    void ReleaseHeld(RunLedger& run, std::vector<ReplayEvent>& out);
    void ReplayHeldAsLive(RunLedger& run, std::vector<ReplayEvent>& out);
    void ForgetIfUnused(const std::string& run_id);

    ReplayLimits limits_;
    // std::map: run ids are UUIDv7, so a thread's runs are released in creation order.
    std::map<std::string, RunLedger> runs_;
    std::set<std::string> replaying_threads_;
};

// --- the reader seam ---------------------------------------------------------------------------------------

// A run with stored events, as a replay or the events endpoint reads them.
struct StoredRunEvents {
    domain::Run run;  // read before the events: a terminal status means the terminal event is in `events`
    std::vector<domain::RunEvent> events;  // ascending seq
    bool truncated = false;                // more events matched than the limit: read on after the last seq
};

std::vector<ReplayEvent> ReplayEventsOf(const StoredRunEvents& read);

// Reads stored events on behalf of a user: another user's run or thread is answered kNotFound, like a missing
// one. Blocking (storage): call it on the worker pool.
class EventReader {
  public:
    virtual ~EventReader() = default;
    // The run's events matching `filter` (after_seq, type, agent_name). `filter.limit` caps the answer (then
    // `truncated` tells whether more exist); a limit of 0 or less reads every matching event, page by page.
    virtual core::Result<StoredRunEvents> ReadRunEvents(const std::string& user_id, const std::string& run_id,
                                                        const domain::EventFilter& filter) = 0;
    // Every run of the thread, oldest first, each with all its events.
    virtual core::Result<std::vector<StoredRunEvents>> ReadThreadEvents(const std::string& user_id,
                                                                        const std::string& thread_id) = 0;
};

class StoreEventReader final : public EventReader {
  public:
    // `page_events`: events fetched per query when reading everything (bounds one result's memory).
    explicit StoreEventReader(std::shared_ptr<storage::Store> store, int page_events = 10000);

    core::Result<StoredRunEvents> ReadRunEvents(const std::string& user_id, const std::string& run_id,
                                                const domain::EventFilter& filter) override;
    core::Result<std::vector<StoredRunEvents>> ReadThreadEvents(const std::string& user_id,
                                                                const std::string& thread_id) override;

  private:
    core::Result<std::vector<domain::RunEvent>> ReadAll(const std::string& run_id, domain::EventFilter filter);

    std::shared_ptr<storage::Store> store_;
    int page_events_;
};

}  // namespace netra::runs

#include "runs/event_replay.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <utility>

#include "runs/event_envelope.hpp"

namespace netra::runs {

ReplayEvent ReplayEventFromLive(const LiveEvent& event) {
    return ReplayEvent{event.run_id, event.thread_id, event.seq, event.type, event.frame};
}

ReplayEvent ReplayEventFromStored(const domain::RunEvent& event, const std::string& thread_id) {
    return ReplayEvent{event.run_id, thread_id, event.seq, event.type,
                       std::make_shared<const std::string>(SerializeEnvelope(event, thread_id))};
}

EventReplayLedger::EventReplayLedger(ReplayLimits limits) : limits_(limits) {}

// --- live side ---------------------------------------------------------------------------------------------

std::vector<ReplayEvent> EventReplayLedger::OnLive(ReplayEvent event) {
    std::vector<ReplayEvent> out;
    const std::string run_id = event.run_id;
    RunLedger& run = runs_[run_id];
    if (run.thread_id.empty()) run.thread_id = event.thread_id;
    if (Replaying(run)) {
        // Whatever the replay is doing (before its read, during it, or between the read and the hand-over),
        // the event waits: the store read or the hand-over decides when it goes out, after `subscribed`.
        if (event.seq > run.last_sent) run.held.try_emplace(event.seq, std::move(event));
        return out;
    }
    Follow(run, std::move(event), out);
    ForgetIfUnused(run_id);
    return out;
}

void EventReplayLedger::Follow(RunLedger& run, ReplayEvent event, std::vector<ReplayEvent>& out) {
    // Already sent, covered by a client's after_seq, or already waiting here.
    if (event.seq <= run.last_sent || run.held.count(event.seq) > 0) return;
    if (!run.anchored) {
        if (event.seq == 1) {
            // The connection was open when the run started: it follows the run from its first event.
            run.anchored = true;
            Send(run, std::move(event), out);
            SendContiguous(run, out);
            return;
        }
        // Joined mid-run. Sending seq 7 to a client that lacks 1..6 would leave a later `subscribe` two bad
        // choices (go backwards, or skip what it asks for), so the event waits for a replay of the run. When
        // the run ends or too much piles up, the held events are dropped: the store keeps every one of them.
        if (domain::IsTerminal(event.type) || run.held.size() >= limits_.max_held_per_run) {
            run.held.clear();
            return;
        }
        run.held.try_emplace(event.seq, std::move(event));
        return;
    }
    if (event.seq == run.last_sent + 1) {
        Send(run, std::move(event), out);
        SendContiguous(run, out);
        return;
    }
    // A gap: an earlier seq is still on its way (publication is in seq order per run, so this only happens
    // when a seq was never published, e.g. its write failed). The terminal event or the limit makes it final.
    const bool terminal = domain::IsTerminal(event.type);
    run.held.try_emplace(event.seq, std::move(event));
    if (terminal || run.held.size() > limits_.max_held_per_run) ReleaseHeld(run, out);
}

// --- run replay --------------------------------------------------------------------------------------------

void EventReplayLedger::BeginRunReplay(const std::string& run_id, std::int64_t after_seq) {
    RunLedger& run = runs_[run_id];
    run.run_replay = true;
    // Applied when the stored events arrive, not now: if the read fails, the client's after_seq must not
    // have hidden the live events that arrive meanwhile (AbandonRunReplay).
    run.anchor_pending = true;
    run.replay_after = after_seq;
}

std::vector<ReplayEvent> EventReplayLedger::AcceptStored(const std::string& run_id, std::vector<ReplayEvent> stored) {
    std::vector<ReplayEvent> out;
    RunLedger& run = runs_[run_id];
    if (run.anchor_pending) {
        Anchor(run, run.replay_after);
        run.anchor_pending = false;
    } else if (!run.anchored) {
        Anchor(run, 0);  // stored events without a run replay: taken as the run's beginning
    }
    Merge(run, std::move(stored), out);
    return out;
}

std::vector<ReplayEvent> EventReplayLedger::EndRunReplay(const std::string& run_id) {
    std::vector<ReplayEvent> out;
    auto it = runs_.find(run_id);
    if (it == runs_.end()) return out;
    RunLedger& run = it->second;
    if (run.anchor_pending) {  // the read returned nothing, so AcceptStored was not called
        Anchor(run, run.replay_after);
        run.anchor_pending = false;
    }
    run.run_replay = false;
    if (Replaying(run)) return out;  // a thread replay still covers the run: its end releases
    // Every event published before the registration is in the read; the rest arrived live in seq order. So a
    // seq still missing below a held event can never arrive: the gap is final.
    ReleaseHeld(run, out);
    return out;
}

std::vector<ReplayEvent> EventReplayLedger::AbandonRunReplay(const std::string& run_id) {
    std::vector<ReplayEvent> out;
    auto it = runs_.find(run_id);
    if (it == runs_.end()) return out;
    RunLedger& run = it->second;
    run.run_replay = false;
    run.anchor_pending = false;
    if (!Replaying(run)) ReplayHeldAsLive(run, out);
    ForgetIfUnused(run_id);  // a run that is not the user's leaves no trace
    return out;
}

// --- thread replay -----------------------------------------------------------------------------------------

void EventReplayLedger::BeginThreadReplay(const std::string& thread_id) { replaying_threads_.insert(thread_id); }

std::vector<ReplayEvent> EventReplayLedger::AcceptThreadRunStored(const std::string& thread_id,
                                                                  const std::string& run_id,
                                                                  std::vector<ReplayEvent> stored) {
    std::vector<ReplayEvent> out;
    RunLedger& run = runs_[run_id];
    run.thread_id = thread_id;
    if (run.anchor_pending) {  // a run replay of the same run is also under way: its after_seq applies
        Anchor(run, run.replay_after);
        run.anchor_pending = false;
    } else {
        Anchor(run, 0);  // a thread subscription asks for every event of every run
    }
    Merge(run, std::move(stored), out);
    return out;
}

std::vector<ReplayEvent> EventReplayLedger::EndThreadReplay(const std::string& thread_id) {
    std::vector<ReplayEvent> out;
    replaying_threads_.erase(thread_id);
    for (auto& [run_id, run] : runs_) {
        if (run.thread_id != thread_id || run.run_replay) continue;
        // A run the read did not list was created after it: all of its events were published after the
        // registration, so they all arrived live, from seq 1.
        if (!run.anchored) Anchor(run, 0);
        ReleaseHeld(run, out);
    }
    return out;
}

std::vector<ReplayEvent> EventReplayLedger::AbandonThreadReplay(const std::string& thread_id) {
    std::vector<ReplayEvent> out;
    replaying_threads_.erase(thread_id);
    std::vector<std::string> touched;
    for (auto& [run_id, run] : runs_) {
        if (run.thread_id != thread_id || run.run_replay) continue;
        ReplayHeldAsLive(run, out);
        touched.push_back(run_id);
    }
    for (const auto& run_id : touched) ForgetIfUnused(run_id);
    return out;
}

// --- queries -----------------------------------------------------------------------------------------------

std::int64_t EventReplayLedger::LastSent(const std::string& run_id) const {
    auto it = runs_.find(run_id);
    return it == runs_.end() ? 0 : it->second.last_sent;
}

bool EventReplayLedger::Ended(const std::string& run_id) const {
    auto it = runs_.find(run_id);
    return it != runs_.end() && it->second.ended;
}

std::size_t EventReplayLedger::HeldCount(const std::string& run_id) const {
    auto it = runs_.find(run_id);
    return it == runs_.end() ? 0 : it->second.held.size();
}

// --- helpers -----------------------------------------------------------------------------------------------

bool EventReplayLedger::Replaying(const RunLedger& run) const {
    return run.run_replay || (!run.thread_id.empty() && replaying_threads_.count(run.thread_id) > 0);
}

void EventReplayLedger::Anchor(RunLedger& run, std::int64_t after_seq) {
    // The client's word on what it holds only ever moves the mark up: what this connection already sent is
    // not sent again (§6: "not yet sent on this socket").
    run.anchored = true;
    run.last_sent = std::max({run.last_sent, after_seq, std::int64_t{0}});
    while (!run.held.empty() && run.held.begin()->first <= run.last_sent) run.held.erase(run.held.begin());
}

void EventReplayLedger::Merge(RunLedger& run, std::vector<ReplayEvent> stored, std::vector<ReplayEvent>& out) {
    std::sort(stored.begin(), stored.end(), [](const ReplayEvent& a, const ReplayEvent& b) { return a.seq < b.seq; });
    if (!stored.empty()) {
        const std::int64_t read_through = stored.back().seq;
        for (auto& event : stored) {
            const std::int64_t seq = event.seq;
            // try_emplace keeps the live copy when the same event also arrived live: it goes out once.
            if (seq > run.last_sent) run.held.try_emplace(seq, std::move(event));
        }
        // Up to its last seq the read is complete (one run's events commit in seq order): a seq it lacks was
        // never stored and will never be published, so nothing below read_through waits for it.
        while (!run.held.empty() && run.held.begin()->first <= read_through) {
            auto first = run.held.begin();
            ReplayEvent next = std::move(first->second);
            run.held.erase(first);
            if (next.seq > run.last_sent) Send(run, std::move(next), out);
        }
    }
    // Live events published after the read's snapshot continue it without a gap.
    SendContiguous(run, out);
}

void EventReplayLedger::Send(RunLedger& run, ReplayEvent event, std::vector<ReplayEvent>& out) {
    run.last_sent = event.seq;
    if (domain::IsTerminal(event.type)) run.ended = true;
    out.push_back(std::move(event));
}

void EventReplayLedger::SendContiguous(RunLedger& run, std::vector<ReplayEvent>& out) {
    while (!run.held.empty()) {
        auto first = run.held.begin();
        if (first->first <= run.last_sent) {
            run.held.erase(first);
            continue;
        }
        if (first->first != run.last_sent + 1) return;
        ReplayEvent next = std::move(first->second);
        run.held.erase(first);
        Send(run, std::move(next), out);
    }
}

void EventReplayLedger::ReleaseHeld(RunLedger& run, std::vector<ReplayEvent>& out) {
    auto held = std::move(run.held);
    run.held.clear();
    for (auto& entry : held) {
        if (entry.first > run.last_sent) Send(run, std::move(entry.second), out);
    }
}

void EventReplayLedger::ReplayHeldAsLive(RunLedger& run, std::vector<ReplayEvent>& out) {
    auto held = std::move(run.held);
    run.held.clear();
    for (auto& entry : held) Follow(run, std::move(entry.second), out);
}

void EventReplayLedger::ForgetIfUnused(const std::string& run_id) {
    // A run the connection neither follows nor waits on costs nothing to forget: a later replay reads it whole.
    auto it = runs_.find(run_id);
    if (it != runs_.end() && !it->second.anchored && it->second.held.empty() && !it->second.run_replay) {
        runs_.erase(it);
    }
}

// --- reader ------------------------------------------------------------------------------------------------

std::vector<ReplayEvent> ReplayEventsOf(const StoredRunEvents& read) {
    std::vector<ReplayEvent> out;
    out.reserve(read.events.size());
    for (const auto& event : read.events) out.push_back(ReplayEventFromStored(event, read.run.thread_id));
    return out;
}

StoreEventReader::StoreEventReader(std::shared_ptr<storage::Store> store, int page_events)
    : store_(std::move(store)), page_events_(std::max(1, page_events)) {}

core::Result<StoredRunEvents> StoreEventReader::ReadRunEvents(const std::string& user_id, const std::string& run_id,
                                                              const domain::EventFilter& filter) {
    // The run first, then its events: the status can then only be older than the events, so a terminal status
    // means the terminal event is in the answer (the other order could say "completed" without it).
    auto run = store_->GetRun(user_id, run_id);
    if (!run.ok()) return run.error();
    if (!*run) return core::MakeError(core::ErrorCode::kNotFound, "run not found");
    StoredRunEvents out;
    out.run = std::move(**run);
    if (filter.limit <= 0) {
        auto all = ReadAll(run_id, filter);
        if (!all.ok()) return all.error();
        out.events = std::move(*all);
        return out;
    }
    // One more than asked says whether the answer is complete, without a second query.
    domain::EventFilter probe = filter;
    if (filter.limit < std::numeric_limits<int>::max()) probe.limit = filter.limit + 1;
    auto events = store_->ListEvents(run_id, probe);
    if (!events.ok()) return events.error();
    out.events = std::move(*events);
    const auto limit = static_cast<std::size_t>(filter.limit);
    if (out.events.size() > limit) {
        out.events.erase(out.events.begin() + static_cast<std::ptrdiff_t>(limit), out.events.end());
        out.truncated = true;
    }
    return out;
}

core::Result<std::vector<StoredRunEvents>> StoreEventReader::ReadThreadEvents(const std::string& user_id,
                                                                              const std::string& thread_id) {
    auto thread = store_->GetThread(user_id, thread_id);
    if (!thread.ok()) return thread.error();
    if (!*thread) return core::MakeError(core::ErrorCode::kNotFound, "thread not found");
    auto thread_runs = store_->ListThreadRuns(user_id, thread_id);  // oldest first
    if (!thread_runs.ok()) return thread_runs.error();
    std::vector<StoredRunEvents> out;
    out.reserve(thread_runs->size());
    for (auto& run : *thread_runs) {
        auto events = ReadAll(run.id, domain::EventFilter{});
        if (!events.ok()) return events.error();
        out.push_back(StoredRunEvents{std::move(run), std::move(*events), false});
    }
    return out;
}

core::Result<std::vector<domain::RunEvent>> StoreEventReader::ReadAll(const std::string& run_id,
                                                                      domain::EventFilter filter) {
    // Pages by seq rather than one unbounded query; each page starts after the last seq of the previous one.
    std::vector<domain::RunEvent> all;
    filter.limit = page_events_;
    for (;;) {
        auto page = store_->ListEvents(run_id, filter);
        if (!page.ok()) return page.error();
        const bool full = page->size() == static_cast<std::size_t>(page_events_);
        if (!page->empty()) filter.after_seq = page->back().seq;
        all.insert(all.end(), std::make_move_iterator(page->begin()), std::make_move_iterator(page->end()));
        if (!full) return all;
    }
}

}  // namespace netra::runs

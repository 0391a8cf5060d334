// Module 6 — failure_recovery, the runs interrupted by their client (§6, §7, §11, §13 item 6). Both use the
// shared server: tests run one at a time, so a fault set here slows only this test's run, and each fault
// targets one tool for a short duration_s (FaultGuard clears it at the end anyway).
//   cancel_mid_run_stops_events: a run sits inside a slowed tool of the data helper (10 s of injected latency,
//     well under the 30 s step timeout), followed live on a WebSocket; as soon as that tool's tool_executing
//     arrives the client sends cancel_run. The cancel is acked (cancelling), run_cancelled follows promptly
//     (cancel → run_cancelled measured; §7 targets < 100 ms, asserted only within 5 s — a server that only
//     looked at the cancel between tools would take the tool's 10 s), preceded by the interrupted tool closed
//     with success:false and the data helper's agent_failed CANCELLED; nothing of the run arrives in the 1.5 s
//     after it. Over HTTP the run is `cancelled` and its stored events are a valid sequence ending with
//     run_cancelled, identical (count, seqs, content) to what the socket saw. The thread is not left busy: a
//     message on it with policy `reject` (which a busy thread refuses with THREAD_BUSY) runs to completion.
//   disconnect_mid_run_replays: a run is slowed twice, 1.5 s in the data helper's tool and 1.5 s in reporting's
//     tool. The client follows it until the data helper's tool_executing, then drops its socket without a close
//     handshake. With nobody connected the run goes on; once it sits in reporting's tool (seen over HTTP) the
//     client reconnects and sends subscribe {run_id, after_seq: the last seq it saw}. Then: `subscribed` comes
//     first (nothing of the run before it) with the run still running; the events continue exactly at
//     after_seq + 1, one by one, through run_completed (those stored while it was away are replayed, the rest
//     arrive live), nothing is repeated afterwards, and the two halves together are the stored events, each
//     exactly once and identical to the stored copy. Replayed and live counts are reported.
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "stage/event_checks.hpp"
#include "stage/suite.hpp"
#include "stage/ws_client.hpp"

namespace netra::stage {
namespace json = boost::json;

namespace {

double MsBetween(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

// "21 ms", or "0.4 ms" below 10 ms (a loopback ack rounds to 0 otherwise).
std::string Ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
    return buf;
}

// The run's stored events, polled until one satisfies `until` (at most `timeout`). Fails when the run ends
// first: the slowed tool did not hold it.
std::vector<json::object> WaitStored(HttpClient& http, const Credentials& user, const std::string& run_id,
                                     const std::function<bool(const json::object&)>& until,
                                     std::chrono::milliseconds timeout, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto stored = StoredEvents(http, user, run_id);
        for (const auto& e : stored) {
            if (until(e)) return stored;
            if (IsTerminalRunEvent(JStr(e, "type")))
                Fail("the run ended (" + JStr(e, "type") + ") before its stored events showed " + what);
        }
        Expect(std::chrono::steady_clock::now() < deadline,
               "the run's stored events did not show " + what + " within " + std::to_string(timeout.count()) + " ms");
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
}

void CancelMidRunStopsEvents(StageContext& ctx) {
    constexpr auto kPromptLimit = std::chrono::seconds(5);  // the assertion; the figure goes in the notes
    auto user = ctx.NewUser("fr-cancel-mid-run");
    auto http = ctx.Http();
    auto ws = ctx.Connect(user);  // open before the run starts: it follows the run from seq 1
    std::vector<json::object> seen;
    std::string run_id, thread_id, ack_status;
    double ack_ms = -1, cancelled_ms = -1;
    std::vector<WsMessage> after;
    {
        // 10 s inside the tool: far longer than the cancel may take, shorter than the 30 s step timeout.
        FaultGuard slow(ctx, SlowToolFault("build_data_request", 10000, 30));
        std::tie(run_id, thread_id) = SendAcked(*ws, UserMessage("How can we cut our LLM costs?"));
        FollowUntil(
            *ws, run_id, seen, [](const json::object& e) { return IsToolExecuting(e, "build_data_request"); }, 20s,
            "tool_executing of build_data_request (the data helper's slowed tool)");
        const auto sent = std::chrono::steady_clock::now();
        Expect(ws->Send(json::object{{"type", "cancel_run"}, {"run_id", run_id}}),
               "could not send cancel_run: " + ws->ReadError());
        // The ack and run_cancelled may come in either order: read until both are in (or the limit passes).
        std::string terminal;
        const auto deadline = sent + kPromptLimit;
        while ((ack_ms < 0 || terminal.empty()) && std::chrono::steady_clock::now() < deadline) {
            auto m = ws->Receive(
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            if (!m || m->Object() == nullptr) continue;
            const auto& o = *m->Object();
            if (m->Type() == "error") Fail("cancel_run was answered with an error: " + m->text);
            if (m->Type() == "ack" && JStr(Payload(*m), "run_id") == run_id) {
                ack_ms = MsBetween(sent, m->received_at);
                ack_status = JStr(Payload(*m), "status");
                continue;
            }
            if (JStr(o, "run_id") != run_id || !o.contains("seq")) continue;
            seen.push_back(o);
            if (IsTerminalRunEvent(m->Type())) {
                terminal = m->Type();
                cancelled_ms = MsBetween(sent, m->received_at);
            }
        }
        Expect(ack_ms >= 0, "cancel_run was not acked within 5 s");
        Expect(ack_status == "cancelling" || ack_status == "cancelled",
               "cancel_run of a running run was acked with status '" + ack_status + "', expected cancelling");
        Expect(!terminal.empty(),
               "no terminal event within 5 s of cancel_run (the slowed tool lasts 10 s: the "
               "cancel did not interrupt it)");
        Expect(terminal == "run_cancelled", "after cancel_run the run ended with " + terminal);
        // Anything of the run after run_cancelled is a run that kept going. Listened for with the fault still
        // set, as the run would have met it.
        after = ws->CollectUntil([](const WsMessage&) { return false; }, 1500ms, nullptr);
    }
    auto late = EventsOf(after, run_id);
    Expect(late.empty(), std::to_string(late.size()) + " event(s) of the run arrived after run_cancelled, the first: " +
                             (late.empty() ? std::string() : Quote(late.front(), 200)));
    // §6: the interrupted tool call is closed, the running agent fails with CANCELLED, then run_cancelled.
    Expect(seen.size() >= 3, "only " + std::to_string(seen.size()) + " events in the cancelled run");
    const auto& failed = seen[seen.size() - 2];
    const auto* fp = JObj(failed, "payload");
    const auto* err = fp ? JObj(*fp, "error") : nullptr;
    Expect(JStr(failed, "type") == "agent_failed" && JStr(failed, "agent_name") == "data_helper",
           "the event before run_cancelled is not the data helper's agent_failed: " + Quote(failed, 200));
    Expect(err != nullptr && JStr(*err, "code") == "CANCELLED", "agent_failed lacks code CANCELLED: " + Quote(failed));
    const auto& closed = seen[seen.size() - 3];
    const auto* cp = JObj(closed, "payload");
    const json::value* success = cp ? cp->if_contains("success") : nullptr;
    Expect(
        JStr(closed, "type") == "tool_completed" && cp && JStr(*cp, "tool") == "build_data_request" && success &&
            success->is_bool() && !success->as_bool(),
        "the interrupted build_data_request was not closed with tool_completed success:false: " + Quote(closed, 200));

    ExpectStoredCancelled(http, user, run_id, thread_id, seen, "the socket that followed the cancelled run");

    // The thread is free again: `reject` would be refused with THREAD_BUSY if the cancelled run still held it.
    auto next_msg = UserMessage("Which of our workloads could move to a cheaper model?", thread_id);
    next_msg["policy"] = "reject";
    auto next = SendAndFollowRun(*ws, next_msg);
    Expect(next.thread_id == thread_id, "the follow-up message landed in thread " + next.thread_id);
    Expect(next.terminal == "run_completed", "the follow-up run on the thread ended '" + next.terminal + "'");
    ExpectValidSequence(next);
    ctx.Note("cancel_run → ack (" + ack_status + ") " + Ms(ack_ms) + ", → run_cancelled " + Ms(cancelled_ms) +
             " (§7 target < 100 ms); " + std::to_string(seen.size()) +
             " events stored = seen, none in the 1.5 s after; follow-up run (policy reject, " +
             std::to_string(next.events.size()) + " events) completed in " + Ms(next.total_ms));
}

void DisconnectMidRunReplays(StageContext& ctx) {
    constexpr int kLatencyMs = 1500;
    auto user = ctx.NewUser("fr-disconnect-replay");
    auto http = ctx.Http();
    // Two places where the run waits: the data helper's tool (the client drops its socket there) and reporting's
    // (the client comes back there). Reporting calls write_narrative with an LLM configured, render_report
    // without: both are slowed, only one is met.
    FaultGuard slow_data(ctx, SlowToolFault("build_data_request", kLatencyMs, 30));
    FaultGuard slow_narrative(ctx, SlowToolFault("write_narrative", kLatencyMs, 30));
    FaultGuard slow_render(ctx, SlowToolFault("render_report", kLatencyMs, 30));

    auto ws1 = ctx.Connect(user);
    auto [run_id, thread_id] = SendAcked(*ws1, UserMessage("How can we cut our LLM costs?"));
    std::vector<json::object> first;
    FollowUntil(
        *ws1, run_id, first, [](const json::object& e) { return IsToolExecuting(e, "build_data_request"); }, 20s,
        "tool_executing of build_data_request (the data helper's slowed tool)");
    const long long last_seen = Seq(first.back());
    for (std::size_t i = 0; i < first.size(); ++i) {
        Expect(Seq(first[i]) == static_cast<long long>(i + 1), "the first socket, open since before the run, got seq " +
                                                                   std::to_string(Seq(first[i])) + " as its event " +
                                                                   std::to_string(i + 1));
    }
    ws1->Abort();  // vanish mid-run, no close handshake

    // §7: a client disconnecting does not stop its runs. Over HTTP, wait until the run has moved on to
    // reporting's slowed tool: what the client missed up to there is stored (it will be replayed), the rest is
    // still to come (it will arrive live).
    const auto dropped = std::chrono::steady_clock::now();
    auto stored_then = WaitStored(
        http, user, run_id,
        [](const json::object& e) {
            return JStr(e, "type") == "tool_executing" && JStr(e, "agent_name") == "reporting";
        },
        20s, "reporting's slowed tool_executing");
    const double away_ms = MsBetween(dropped, std::chrono::steady_clock::now());
    const long long stored_at_reconnect = Seq(stored_then.back());

    auto ws2 = ctx.Connect(user);
    Expect(ws2->Send(json::object{{"type", "subscribe"}, {"run_id", run_id}, {"after_seq", last_seen}}),
           "could not send subscribe: " + ws2->ReadError());
    auto sub = ws2->CollectUntil([](const WsMessage& x) { return x.Type() == "subscribed" || x.Type() == "error"; },
                                 kFrameTimeout, nullptr);
    Expect(!sub.empty() && sub.back().Type() == "subscribed",
           "subscribe {run_id, after_seq} was answered " + (sub.empty() ? std::string("nothing") : sub.back().text));
    const auto& so = Payload(sub.back());
    Expect(JStr(so, "run_id") == run_id, "subscribed names another run: " + sub.back().text);
    // Resumed, not joined: a client that starts counting at `subscribed` must not have been sent a later seq.
    auto early = EventsOf(sub, run_id);
    Expect(early.empty(),
           "seq " + std::to_string(early.empty() ? 0 : Seq(early.front())) + " of the run arrived before `subscribed`");
    const std::string status_at_subscribe = JStr(so, "status");
    Expect(status_at_subscribe == "running",
           "the run was '" + status_at_subscribe + "' at subscribe, expected running (held in reporting's tool)");
    auto last_it = so.find("last_seq");
    Expect(last_it != so.end() && last_it->value().is_int64(),
           "subscribed has no integer last_seq: " + sub.back().text);
    const long long replay_upto = last_it->value().get_int64();
    Expect(replay_upto >= stored_at_reconnect, "subscribed.last_seq " + std::to_string(replay_upto) + " is below the " +
                                                   std::to_string(stored_at_reconnect) + " events already stored");

    auto frames = CollectRuns(*ws2, {run_id}, sub);
    auto second = EventsOf(frames, run_id);
    // Every missing event once, in order, starting right after the last one the client saw.
    long long expect = last_seen + 1;
    for (const auto& e : second) {
        Expect(Seq(e) == expect, "after subscribe {after_seq: " + std::to_string(last_seen) + "} came seq " +
                                     std::to_string(Seq(e)) + " (" + JStr(e, "type") + "), expected " +
                                     std::to_string(expect));
        ++expect;
    }
    Expect(!second.empty() && JStr(second.back(), "type") == "run_completed",
           "the resumed run ended with '" + (second.empty() ? std::string() : JStr(second.back(), "type")) + "'");
    // Nothing is sent again once the run is over.
    auto extra = EventsOf(ws2->CollectUntil([](const WsMessage&) { return false; }, 500ms, nullptr), run_id);
    Expect(extra.empty(),
           "seq " + std::to_string(extra.empty() ? 0 : Seq(extra.front())) + " arrived again after run_completed");

    std::vector<json::object> held = first;
    held.insert(held.end(), second.begin(), second.end());
    auto problems = ValidateRunSequence(held, run_id, thread_id);
    Expect(problems.empty(), "the two halves are not a valid run: " + Join(problems, "; "));
    auto stored = StoredEvents(http, user, run_id);
    ExpectEqualsStored(held, stored, "events seen before the drop + after subscribe");

    std::size_t replayed = 0, live = 0;
    for (const auto& e : second) (Seq(e) <= replay_upto ? replayed : live) += 1;
    Expect(replayed > 0, "nothing was replayed: the run did not progress while the client was away");
    ctx.Note(std::to_string(first.size()) + " events live before the drop (seq 1-" + std::to_string(last_seen) +
             "), away " + Ms(away_ms) + "; after subscribe: " + std::to_string(replayed) + " replayed (seq " +
             std::to_string(last_seen + 1) + "-" + std::to_string(replay_upto) + ") + " + std::to_string(live) +
             " live, " + std::to_string(stored.size()) + " stored, each held once");
}

}  // namespace

std::vector<TestCase> FailureRecoveryRunTests() {
    return {
        {"cancel_mid_run_stops_events", CancelMidRunStopsEvents},
        {"disconnect_mid_run_replays", DisconnectMidRunReplays},
    };
}

}  // namespace netra::stage

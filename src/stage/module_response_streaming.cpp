// Module 5 — response_streaming: stream chunks reassemble to the report, SSE and WebSocket carry the same
// events, resuming (WebSocket subscribe after_seq, SSE Last-Event-ID) leaves no gap and no duplicate, a
// consumer that stops reading does not slow another user, and the time to the first chunk is measured.
#include <boost/json.hpp>
#include <map>
#include <thread>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

double MsBetween(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

const json::object* ReportingCompleted(const std::vector<json::object>& events) {
    for (const auto& e : events) {
        if (JStr(e, "type") != "agent_completed") continue;
        const auto* p = JObj(e, "payload");
        if (p && JStr(*p, "agent") == "reporting") return &e;
    }
    return nullptr;
}

void ChunksReassemble(StageContext& ctx) {
    auto user = ctx.NewUser("rs-chunks");
    auto ws = ctx.Connect(user);
    auto t = SendAndFollowRun(*ws, UserMessage("We spend $40k/month on GPT-4o for customer support, 2M requests per "
                                               "month. How can we cut costs?"));
    ExpectValidSequence(t);
    std::vector<long long> indexes;
    for (const auto& e : t.events) {
        if (JStr(e, "type") != "stream_chunk") continue;
        const auto* p = JObj(e, "payload");
        Expect(p && p->contains("text") && p->at("text").is_string(), "stream_chunk without payload.text: " + Quote(e));
        auto it = p->find("index");
        Expect(it != p->end() && it->value().is_int64(), "stream_chunk without integer payload.index: " + Quote(e));
        indexes.push_back(it->value().get_int64());
    }
    Expect(!indexes.empty(), "the run streamed no stream_chunk events");
    for (std::size_t i = 1; i < indexes.size(); ++i) {
        Expect(indexes[i] == indexes[i - 1] + 1,
               "stream_chunk indexes are not contiguous in arrival order: " + std::to_string(indexes[i - 1]) +
                   " then " + std::to_string(indexes[i]));
    }
    std::string streamed = ConcatStreamChunks(t.events);
    const auto* done = ReportingCompleted(t.events);
    Expect(done != nullptr, "no agent_completed of reporting");
    auto report = ReportMarkdown(*done);
    Expect(report.has_value(), "reporting's agent_completed carries no report markdown: " + Quote(*done));
    if (streamed != *report) {
        std::size_t at = 0;
        while (at < streamed.size() && at < report->size() && streamed[at] == (*report)[at]) ++at;
        Fail("the " + std::to_string(indexes.size()) + " chunks (" + std::to_string(streamed.size()) +
             " bytes) differ from the final report (" + std::to_string(report->size()) + " bytes) at byte " +
             std::to_string(at) + ": chunks '" + streamed.substr(at, 60) + "' vs report '" + report->substr(at, 60) +
             "'");
    }
    // The saved assistant message is the same report.
    auto http = ctx.Http();
    auto r = Must(http.Get("/api/threads/" + t.thread_id + "/messages?limit=100", BearerAuth(user.access_token)),
                  "GET thread messages");
    const auto& o = ExpectJson(r, {200}, "GET /api/threads/{id}/messages");
    bool saved = false;
    if (auto it = o.find("data"); it != o.end() && it->value().is_array()) {
        for (const auto& m : it->value().get_array()) {
            if (m.is_object() && JStr(m.get_object(), "role") == "assistant" &&
                JStr(m.get_object(), "content") == *report)
                saved = true;
        }
    }
    Expect(saved, "no assistant message in the thread equals the streamed report");
    ctx.Note(std::to_string(indexes.size()) + " chunks, " + std::to_string(report->size()) + " bytes");
}

json::object ParseData(const SseEvent& e) {
    boost::system::error_code ec;
    auto v = json::parse(e.data, ec);
    if (ec || !v.is_object()) Fail("SSE data is not a JSON object: '" + e.data.substr(0, 200) + "'");
    return v.get_object();
}

// Reads SSE events until the run's terminal event; fails on timeout or a stream ending early.
std::vector<SseEvent> ReadSseRun(SseStream& sse, std::chrono::milliseconds timeout, std::size_t stop_after = 0) {
    std::vector<SseEvent> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) Fail("SSE: no terminal event within " + std::to_string(timeout.count()) + " ms");
        auto e = sse.Next(left);
        if (!e) {
            if (sse.Ended())
                Fail("SSE stream ended before the terminal event (" + sse.EndReason() + ") after " +
                     std::to_string(out.size()) + " events");
            continue;
        }
        out.push_back(*e);
        if (IsTerminalRunEvent(e->event) || (stop_after && out.size() == stop_after)) return out;
    }
}

void OpenSse(StageContext& ctx, SseStream& sse, const Credentials& user, const std::string& run_id,
             Headers extra = {}) {
    Headers h = BearerAuth(user.access_token);
    h.insert(h.end(), extra.begin(), extra.end());
    auto head = sse.Open(ctx.server(), "/api/runs/" + run_id + "/stream", h);
    if (!head.ok()) Fail("GET /api/runs/{id}/stream: " + head.error().message);
    Expect(head->status == 200, "GET /api/runs/{id}/stream: " + head->Describe());
    auto ct = head->Header("Content-Type").value_or("");
    Expect(ct.rfind("text/event-stream", 0) == 0, "SSE Content-Type is '" + ct + "'");
}

void SseMatchesWs(StageContext& ctx) {
    auto slow = MaybeFault(ctx, SlowTriageFault(300, 60));  // so the stream is open while the run is live
    auto user = ctx.NewUser("rs-sse-ws");
    auto ws = ctx.Connect(user);
    auto [run_id, thread_id] = SendAcked(*ws, UserMessage("We spend $15k/month on claude-3-5-sonnet. Ideas?"));
    SseStream sse;
    OpenSse(ctx, sse, user, run_id);
    auto frames = CollectRuns(*ws, {run_id});
    auto wse = EventsOf(frames, run_id);
    auto sses = ReadSseRun(sse, kRunTimeout);
    Expect(wse.size() == sses.size(),
           "WebSocket carried " + std::to_string(wse.size()) + " events, SSE " + std::to_string(sses.size()));
    for (std::size_t i = 0; i < wse.size(); ++i) {
        const auto& s = sses[i];
        auto data = ParseData(s);
        Expect(s.id == std::to_string(Seq(wse[i])), "SSE event " + std::to_string(i) + " has id '" + s.id +
                                                        "', the WebSocket event seq " + std::to_string(Seq(wse[i])));
        Expect(s.event == JStr(wse[i], "type"),
               "SSE event " + s.id + " is '" + s.event + "', on the WebSocket '" + JStr(wse[i], "type") + "'");
        Expect(json::value(data) == json::value(wse[i]),
               "SSE and WebSocket differ at seq " + s.id + ": " + Quote(data, 200) + " vs " + Quote(wse[i], 200));
    }
    // The stream ends after the terminal event.
    auto extra = sse.Next(3s);
    Expect(!extra.has_value(), "SSE sent an event after the terminal one: " + (extra ? extra->data : ""));
    Expect(sse.Ended(), "the SSE stream stayed open 3 s after the terminal event");
    ctx.Note(std::to_string(wse.size()) + " identical events" + (slow ? " (run slowed to stay live)" : ""));
}

// Checks that `held` (seqs a client ended up with) is each of the stored events exactly once.
void ExpectExactlyOnce(const std::vector<long long>& held, const std::vector<json::object>& stored,
                       const std::string& what) {
    std::map<long long, int> count;
    for (auto s : held) ++count[s];
    std::vector<long long> dups, missing;
    for (auto& [s, n] : count) {
        if (n > 1) dups.push_back(s);
    }
    for (const auto& e : stored) {
        if (!count.count(Seq(e))) missing.push_back(Seq(e));
    }
    Expect(dups.empty(), what + ": duplicated seqs " + SeqRanges(dups));
    Expect(missing.empty(), what + ": missing seqs " + SeqRanges(missing) + " (held " + SeqRanges(held) + ")");
    Expect(count.size() == stored.size(), what + ": held seqs " + SeqRanges(held) + " but the server stored " +
                                              std::to_string(stored.size()) + " events");
}

void WsResumeAfterSeq(StageContext& ctx) {
    constexpr std::size_t kBeforeDrop = 3;
    auto slow = MaybeFault(ctx, SlowTriageFault(600, 60));
    auto user = ctx.NewUser("rs-ws-resume");
    auto ws1 = ctx.Connect(user);
    auto [run_id, thread_id] = SendAcked(*ws1, UserMessage("We spend $25k/month on gpt-4o. How can we save?"));
    std::vector<long long> held;
    while (held.size() < kBeforeDrop) {
        auto m = ws1->ReceiveUntil(
            [&](const WsMessage& x) {
                return x.Object() && JStr(*x.Object(), "run_id") == run_id && x.Object()->contains("seq");
            },
            kFrameTimeout);
        Expect(m.has_value(), "only " + std::to_string(held.size()) + " events of the run within 5 s");
        held.push_back(Seq(*m->Object()));
    }
    ws1->Abort();  // vanish without a close handshake, mid-run
    auto ws2 = ctx.Connect(user);
    Expect(ws2->Send(json::object{{"type", "subscribe"}, {"run_id", run_id}, {"after_seq", held.back()}}),
           "send subscribe failed");
    auto sub = ws2->CollectUntil([](const WsMessage& x) { return x.Type() == "subscribed" || x.Type() == "error"; },
                                 kFrameTimeout, nullptr);
    Expect(!sub.empty() && sub.back().Type() == "subscribed",
           "no subscribed answer: " + (sub.empty() ? std::string("nothing") : sub.back().text));
    const auto& so = Payload(sub.back());
    Expect(JStr(so, "run_id") == run_id, "subscribed names another run: " + sub.back().text);
    auto after_it = so.find("after_seq");
    Expect(after_it != so.end() && after_it->value().is_int64() && after_it->value().get_int64() == held.back(),
           "subscribed.after_seq is not " + std::to_string(held.back()) + ": " + sub.back().text);
    std::string status_at_subscribe = JStr(so, "status");
    // The run is resumed, not joined: nothing of it goes out before `subscribed`, and after it the seqs continue
    // exactly at after_seq + 1, one by one (a client that starts counting at `subscribed` misses nothing).
    auto before = EventsOf(sub, run_id);
    Expect(before.empty(), "seq " + std::to_string(before.empty() ? 0 : Seq(before.front())) +
                               " of the resumed run arrived before `subscribed`");
    auto frames = CollectRuns(*ws2, {run_id}, sub);
    long long expect_seq = held.back() + 1;
    for (const auto& e : EventsOf(frames, run_id)) {
        Expect(Seq(e) == expect_seq, "after subscribe {after_seq: " + std::to_string(held.back()) + "} came seq " +
                                         std::to_string(Seq(e)) + ", expected " + std::to_string(expect_seq));
        ++expect_seq;
    }
    for (const auto& e : EventsOf(frames, run_id)) held.push_back(Seq(e));
    auto http = ctx.Http();
    auto stored = StoredEvents(http, user, run_id);
    ExpectExactlyOnce(
        held, stored,
        "after dropping the socket at seq " + std::to_string(kBeforeDrop) + " and subscribing with after_seq");
    // What the second socket got equals what was stored.
    std::map<long long, json::object> by_seq;
    for (const auto& e : stored) by_seq[Seq(e)] = e;
    for (const auto& e : EventsOf(frames, run_id)) {
        Expect(json::value(by_seq[Seq(e)]) == json::value(e),
               "replayed event differs from the stored one at seq " + std::to_string(Seq(e)));
    }
    ctx.Note("run was '" + status_at_subscribe + "' at subscribe; " + std::to_string(stored.size()) + " events");
}

// subscribe {thread_id}: a new socket gets every event of every run of the thread exactly once, first the
// stored ones, then the live rest, even when the first socket vanished mid-run.
void WsResumeByThread(StageContext& ctx) {
    auto slow = MaybeFault(ctx, SlowTriageFault(600, 60));
    auto user = ctx.NewUser("rs-thread-resume");
    auto ws1 = ctx.Connect(user);
    auto [first_run, thread_id] = SendAcked(*ws1, UserMessage("We spend $25k/month on gpt-4o. How can we save?"));
    auto first = CollectRuns(*ws1, {first_run}, {});
    auto [second_run, same_thread] = SendAcked(*ws1, UserMessage("And with 2M requests per month?", thread_id));
    Expect(same_thread == thread_id, "the second message landed in another thread: " + same_thread);
    auto started = ws1->ReceiveUntil(
        [&](const WsMessage& x) { return x.Object() && JStr(*x.Object(), "run_id") == second_run; }, kFrameTimeout);
    Expect(started.has_value(), "no event of the second run within 5 s");
    ws1->Abort();  // vanish mid-run
    auto ws2 = ctx.Connect(user);
    Expect(ws2->Send(json::object{{"type", "subscribe"}, {"thread_id", thread_id}}), "send subscribe failed");
    auto sub = ws2->CollectUntil([](const WsMessage& x) { return x.Type() == "subscribed" || x.Type() == "error"; },
                                 kFrameTimeout, nullptr);
    Expect(!sub.empty() && sub.back().Type() == "subscribed",
           "no subscribed answer: " + (sub.empty() ? std::string("nothing") : sub.back().text));
    const auto& so = Payload(sub.back());
    Expect(JStr(so, "thread_id") == thread_id, "subscribed names another thread: " + sub.back().text);
    auto runs_it = so.find("runs");
    Expect(runs_it != so.end() && runs_it->value().is_array() && runs_it->value().get_array().size() == 2,
           "subscribed should list the thread's 2 runs: " + sub.back().text);
    auto frames = CollectRuns(*ws2, {first_run, second_run}, sub);
    auto http = ctx.Http();
    for (const auto& run_id : {first_run, second_run}) {
        std::vector<long long> held;
        for (const auto& e : EventsOf(frames, run_id)) held.push_back(Seq(e));
        ExpectExactlyOnce(held, StoredEvents(http, user, run_id), "thread subscription, run " + run_id);
    }
    // Another user's thread is not found, and the socket stays usable.
    auto other = ctx.NewUser("rs-thread-other");
    auto ws3 = ctx.Connect(other);
    Expect(ws3->Send(json::object{{"type", "subscribe"}, {"thread_id", thread_id}}), "send subscribe failed");
    auto err = ws3->ReceiveUntil([](const WsMessage& x) { return x.Type() == "error" || x.Type() == "subscribed"; },
                                 kFrameTimeout);
    Expect(err.has_value() && err->Type() == "error" && JStr(*err->Object(), "code") == "NOT_FOUND",
           "another user's thread subscription: expected error NOT_FOUND, got " + (err ? err->text : "nothing"));
    ctx.Note(std::to_string(first.size()) + " frames of the first run seen live before the drop");
}

void SseResumeLastEventId(StageContext& ctx) {
    constexpr std::size_t kBeforeDrop = 4;
    auto slow = MaybeFault(ctx, SlowTriageFault(600, 60));
    auto user = ctx.NewUser("rs-sse-resume");
    auto http = ctx.Http();
    auto r = Must(http.PostJson("/api/agents/execute", json::object{{"user_request", "We spend $30k/month on gpt-4o."}},
                                BearerAuth(user.access_token)),
                  "POST /api/agents/execute");
    std::string run_id = JStr(ExpectJson(r, {202}, "POST /api/agents/execute"), "run_id");
    std::vector<long long> held;
    std::vector<SseEvent> all;
    {
        SseStream first;
        OpenSse(ctx, first, user, run_id);
        auto got = ReadSseRun(first, kRunTimeout, kBeforeDrop);
        all.insert(all.end(), got.begin(), got.end());
    }  // dropped mid-stream
    Expect(all.size() == kBeforeDrop && !IsTerminalRunEvent(all.back().event),
           "the run ended within its first " + std::to_string(kBeforeDrop) + " events");
    SseStream second;
    OpenSse(ctx, second, user, run_id, {{"Last-Event-ID", all.back().id}});
    auto rest = ReadSseRun(second, kRunTimeout);
    all.insert(all.end(), rest.begin(), rest.end());
    auto stored = StoredEvents(http, user, run_id);
    std::map<long long, json::object> by_seq;
    for (const auto& e : stored) by_seq[Seq(e)] = e;
    for (const auto& e : all) {
        auto data = ParseData(e);
        Expect(e.id == std::to_string(Seq(data)),
               "SSE id '" + e.id + "' is not the event's seq " + std::to_string(Seq(data)));
        held.push_back(Seq(data));
        Expect(json::value(by_seq[Seq(data)]) == json::value(data),
               "SSE event differs from the stored one at seq " + e.id);
    }
    ExpectExactlyOnce(held, stored, "after reconnecting with Last-Event-ID " + all[kBeforeDrop - 1].id);
    ctx.Note(std::to_string(stored.size()) + " events, resumed after " + all[kBeforeDrop - 1].id);
}

// Runs `n` messages one after another on `ws`, returning each run's send → terminal time.
std::vector<double> TimedRuns(WsClient& ws, int n, const std::string& label) {
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
        auto t = SendAndFollowRun(ws, UserMessage("We spend $8k/month on gpt-4o-mini (" + label + " " +
                                                  std::to_string(i) + "). Can we save?"));
        Expect(t.terminal == "run_completed", label + " run " + t.run_id + " ended '" + t.terminal + "'");
        ms.push_back(t.total_ms);
    }
    return ms;
}

// User A floods runs (HTTP) while `a_socket` is connected; user B's timed runs meanwhile.
std::vector<double> UnderLoad(StageContext& ctx, const Credentials& a, WsClient& b_ws, int a_runs, int b_runs,
                              const std::string& label, std::vector<std::string>* a_ids) {
    std::string error;
    std::thread flood([&] {
        try {
            auto http = ctx.Http();
            for (int i = 0; i < a_runs; ++i) {
                auto r =
                    Must(http.PostJson(
                             "/api/agents/execute",
                             json::object{{"user_request", "We spend $9k/month on gpt-4o; flood " + std::to_string(i)}},
                             BearerAuth(a.access_token)),
                         "POST /api/agents/execute");
                a_ids->push_back(JStr(ExpectJson(r, {202}, "POST /api/agents/execute"), "run_id"));
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::vector<double> ms;
    try {
        ms = TimedRuns(b_ws, b_runs, label);
    } catch (...) {
        flood.join();
        throw;
    }
    flood.join();
    Expect(error.empty(), "user A's flood: " + error);
    return ms;
}

void StalledConsumer(StageContext& ctx) {
    // Enough of A's events (~18 per run) to overflow the stalled socket's bounded queue (4096 by default)
    // once its TCP window and the kernel buffers are full. The control carries the same load as the stalled phase
    // (and its runs end before that phase starts), so that what differs is only whether A's socket reads; 10 of B's
    // runs per phase, so that one slow run does not move the median. A's 560 runs stay within the default 600 runs a
    // minute per user.
    constexpr int kB = 10, kAControl = 280, kAStalled = 280;
    auto a = ctx.NewUser("rs-stall-a");
    auto b = ctx.NewUser("rs-stall-b");
    auto b_ws = ctx.Connect(b);
    TimedRuns(*b_ws, 2, "warm-up");
    auto baseline = Summarize(TimedRuns(*b_ws, kB, "baseline"));
    std::vector<std::string> control_ids, stalled_ids;
    LatencySummary control, stalled;
    {
        auto a_reader = ctx.Connect(a);  // control: A's events go to a socket that reads
        control = Summarize(UnderLoad(ctx, a, *b_ws, kAControl, kB, "control", &control_ids));
    }
    auto http = ctx.Http();
    for (const auto& id : control_ids) WaitRunTerminal(http, a, id);
    WsConnectOptions o;
    o.bearer_token = a.access_token;
    o.read = false;
    WsClient a_stalled;
    WsConnectError err;
    Expect(a_stalled.Connect(ctx.server(), o, &err), "stalled socket connect: " + err.message);
    stalled = Summarize(UnderLoad(ctx, a, *b_ws, kAStalled, kB, "stalled", &stalled_ids));
    std::size_t a_events = 0;
    for (const auto& id : stalled_ids) {
        auto run = WaitRunTerminal(http, a, id);
        Expect(JStr(run, "status") == "completed", "user A's run " + id + " ended " + Quote(run));
        auto it = run.find("last_seq");
        if (it != run.end() && it->value().is_int64()) a_events += static_cast<std::size_t>(it->value().get_int64());
    }
    // Now read what the server left for the stalled socket: either all of it, or a 1013 close (§6).
    a_stalled.ResumeReading();
    std::size_t got = 0;
    while (a_stalled.Receive(std::chrono::milliseconds(2000))) ++got;
    std::string fate =
        a_stalled.IsOpen() ? "still open" : "closed " + std::to_string(a_stalled.CloseCode().value_or(0));
    a_stalled.Abort();
    auto fmt = [](double v) { return std::to_string(static_cast<int>(v + 0.5)); };
    ctx.Note("B p50 run time: alone " + fmt(baseline.p50) + " ms, A reading " + fmt(control.p50) + " ms, A stalled " +
             fmt(stalled.p50) + " ms (max " + fmt(stalled.max) + " ms); A's " + std::to_string(stalled_ids.size()) +
             " runs made " + std::to_string(a_events) + " events, the stalled socket later read " +
             std::to_string(got) + " frames, " + fate);
    // The same load with a reading consumer is the control: a stall may not make B markedly slower than that.
    const double allowed = 2 * std::max(control.p50, baseline.p50) + 50;
    Expect(stalled.p50 <= allowed, "user B's runs took p50 " + fmt(stalled.p50) +
                                       " ms while user A's socket was stalled, vs " + fmt(control.p50) +
                                       " ms with A reading (alone " + fmt(baseline.p50) + " ms; allowed " +
                                       fmt(allowed) + " ms)");
    // Whatever the stalled socket missed, it was dropped with 1013 (then it resumes with subscribe), §6.
    if (got < a_events) {
        Expect(a_stalled.CloseCode() == 1013, "the stalled socket got " + std::to_string(got) + " of " +
                                                  std::to_string(a_events) + " events and was " + fate +
                                                  ", expected a 1013 close for the overflow");
    }
}

void TimeToFirstChunk(StageContext& ctx) {
    auto user = ctx.NewUser("rs-ttfc");
    auto ws = ctx.Connect(user);
    const int want = std::min(ctx.options().samples, 50);
    const auto budget_end = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(static_cast<long>(ctx.options().metric_budget_s * 1000));
    std::vector<double> samples;
    for (int i = 0; i < want && std::chrono::steady_clock::now() < budget_end; ++i) {
        auto frame = UserMessage("We spend $12k/month on gpt-4o for support (sample " + std::to_string(i) + ").");
        std::string cmid = JStr(frame, "client_message_id");
        auto sent = std::chrono::steady_clock::now();
        Expect(ws->Send(frame), "send failed");
        std::string run_id;
        std::optional<double> first;
        bool done = false;
        while (!done) {
            auto m = ws->Receive(kRunTimeout);
            Expect(m.has_value(), "sample " + std::to_string(i) + ": the run did not finish");
            const auto* o = m->Object();
            if (!o) continue;
            if (m->Type() == "error") Fail("sample " + std::to_string(i) + ": " + m->text);
            if (m->Type() == "ack" && JStr(*o, "client_message_id") == cmid) run_id = JStr(*o, "run_id");
            if (run_id.empty() || JStr(*o, "run_id") != run_id) continue;
            if (m->Type() == "stream_chunk" && !first) first = MsBetween(sent, m->received_at);
            done = IsTerminalRunEvent(m->Type());
        }
        Expect(first.has_value(), "run " + run_id + " streamed no chunk");
        samples.push_back(*first);
    }
    MetricResult m;
    m.name = "time_to_first_chunk";
    m.description = "user_message sent → first stream_chunk of its run received (WebSocket, loopback)";
    m.summary = Summarize(samples);
    m.requested_samples = static_cast<std::size_t>(want);
    m.floor_ms = 1000;
    m.target_p99_ms = 50;
    m.note =
        "no §14 row: floor and target are those of the whole request, which the first chunk precedes; runs "
        "without a dataset";
    ctx.AddMetric(m);
    ctx.Note("p50 " + std::to_string(m.summary.p50) + " ms, p99 " + std::to_string(m.summary.p99) + " ms over " +
             std::to_string(m.summary.count) + " runs");
    Expect(m.Passed(), "time to first chunk p99 " + std::to_string(m.summary.p99) + " ms is above " +
                           std::to_string(static_cast<int>(m.floor_ms)) + " ms");
}

}  // namespace

std::vector<TestCase> ResponseStreamingTests() {
    return {
        {"chunks_reassemble_report", ChunksReassemble},     {"sse_matches_websocket", SseMatchesWs},
        {"ws_resume_after_seq", WsResumeAfterSeq},          {"ws_resume_by_thread", WsResumeByThread},
        {"sse_resume_last_event_id", SseResumeLastEventId}, {"stalled_consumer_isolation", StalledConsumer},
        {"time_to_first_chunk", TimeToFirstChunk},
    };
}

}  // namespace netra::stage

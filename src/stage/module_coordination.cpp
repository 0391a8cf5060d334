// Module 9 — coordination: isolation between users (HTTP and WebSocket, nothing of A ever reaches B),
// parallel users each getting only their own events, fan-out to every socket of a user, cancel from another
// socket (and the idempotent HTTP cancel), cross-instance delivery, and a bounded stress test with random
// disconnects, resumes and cancels. The tests across two instances of a cluster (execution on the other instance,
// cancel through it, take-over after a kill, the per-user limit cluster-wide, a Redis outage) are in
// module_coordination_cluster.cpp; the sweep of every id-taking route with another user's ids is in
// module_cross_user_ids.cpp.
#include <boost/json.hpp>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

void ExpectNotFound(HttpClient& http, const std::string& method, const std::string& target, const Credentials& as,
                    const std::string& body = {}) {
    auto r = Must(http.Request(method, target, BearerAuth(as.access_token), body), method + " " + target);
    std::string problem = CheckErrorBody(r.status, r.json, r.Header("X-Request-Id"), 404, "not_found");
    Expect(problem.empty(), "user B: " + method + " " + target + " of user A: " + problem + " — " + r.Describe());
}

// Every frame `ws` has queued, waiting `quiet` after the last one.
std::vector<WsMessage> Drain(WsClient& ws, std::chrono::milliseconds quiet) {
    std::vector<WsMessage> out;
    while (auto m = ws.Receive(quiet)) out.push_back(std::move(*m));
    return out;
}

void ExpectNothingOf(const std::vector<WsMessage>& frames, const std::set<std::string>& ids, const std::string& who) {
    for (const auto& f : frames) {
        for (const auto& id : ids) {
            Expect(f.text.find(id) == std::string::npos,
                   who + " received a frame naming " + id + ": " + f.text.substr(0, 300));
        }
    }
}

void IsolationHttp(StageContext& ctx) {
    if (!ctx.CanCreateUsers()) Skip("needs two users: give --register or --bypass-key");
    auto a = ctx.NewUser("co-http-a");
    auto b = ctx.NewUser("co-http-b");
    auto ws = ctx.Connect(a);
    auto t = SendAndFollowRun(*ws, UserMessage("We spend $5k/month on gpt-4o. Secret A " + core::RandomHex(4)));
    Expect(t.terminal == "run_completed", "A's run ended " + t.terminal);
    auto http = ctx.Http();
    const std::string th = "/api/threads/" + t.thread_id, run = "/api/runs/" + t.run_id;
    ExpectNotFound(http, "GET", th, b);
    ExpectNotFound(http, "GET", th + "/messages", b);
    ExpectNotFound(http, "GET", th + "/runs", b);
    ExpectNotFound(http, "PATCH", th, b, R"({"title":"taken over"})");
    ExpectNotFound(http, "POST", th + "/messages", b, R"({"content":"hello from B"})");
    ExpectNotFound(http, "DELETE", th, b);
    ExpectNotFound(http, "GET", run, b);
    ExpectNotFound(http, "GET", run + "/events", b);
    ExpectNotFound(http, "POST", run + "/cancel", b, "{}");
    ExpectNotFound(http, "POST", "/api/agents/execute", b,
                   json::serialize(json::object{{"user_request", "hi"}, {"thread_id", t.thread_id}}));
    SseStream sse;
    auto head = sse.Open(ctx.server(), run + "/stream", BearerAuth(b.access_token));
    Expect(head.ok(), "GET stream: " + (head.ok() ? "" : head.error().message));
    Expect(head->status == 404, "user B: GET " + run + "/stream of user A: " + head->Describe());
    // A's data is intact and B's list does not show it.
    auto still = Must(http.Get(th, BearerAuth(a.access_token)), "GET thread as A");
    Expect(still.status == 200, "A's thread after B's attempts: " + still.Describe());
    auto list = Must(http.Get("/api/threads?limit=100", BearerAuth(b.access_token)), "GET /api/threads as B");
    Expect(list.status == 200 && list.body.find(t.thread_id) == std::string::npos,
           "B's thread list shows A's thread: " + list.Describe());
}

void IsolationDataset(StageContext& ctx) {
    if (!ctx.CanCreateUsers()) Skip("needs two users: give --register or --bypass-key");
    auto a = ctx.NewUser("co-ds-a");
    auto b = ctx.NewUser("co-ds-b");
    auto http = ctx.Http();
    Headers h = BearerAuth(a.access_token);
    h.emplace_back("Content-Type", "text/csv");
    auto up = Must(http.Request("POST", "/api/datasets?name=private", h,
                                "timestamp,model,input_tokens,output_tokens\n2025-01-01T00:00:00Z,gpt-4o,100,20\n"),
                   "POST /api/datasets");
    std::string id = JStr(ExpectJson(up, {201}, "POST /api/datasets as A"), "id");
    ExpectNotFound(http, "GET", "/api/datasets/" + id, b);
    ExpectNotFound(http, "DELETE", "/api/datasets/" + id, b);
    auto list = Must(http.Get("/api/datasets", BearerAuth(b.access_token)), "GET /api/datasets as B");
    Expect(list.status == 200 && list.body.find(id) == std::string::npos, "B's dataset list: " + list.Describe());
    auto ws = ctx.Connect(b);
    auto frame = UserMessage("Analyse this");
    frame["dataset_id"] = id;
    Expect(ws->Send(frame), "send failed");
    auto m =
        ws->ReceiveUntil([](const WsMessage& x) { return x.Type() == "error" || x.Type() == "ack"; }, kFrameTimeout);
    Expect(m && m->Type() == "error" && JStr(*m->Object(), "code") == "NOT_FOUND",
           "B attaching A's dataset: " + (m ? m->text : std::string("no answer")));
    auto mine = Must(http.Get("/api/datasets/" + id, BearerAuth(a.access_token)), "GET dataset as A");
    Expect(mine.status == 200, "A's dataset after B's attempts: " + mine.Describe());
}

void IsolationWs(StageContext& ctx) {
    if (!ctx.CanCreateUsers()) Skip("needs two users: give --register or --bypass-key");
    auto a = ctx.NewUser("co-ws-a");
    auto b = ctx.NewUser("co-ws-b");
    auto wa = ctx.Connect(a);
    auto wb = ctx.Connect(b);
    auto t = SendAndFollowRun(*wa, UserMessage("We spend $6k/month on gpt-4o (A's private run)."));
    Expect(t.terminal == "run_completed", "A's run ended " + t.terminal);
    auto expect_error = [&](json::object frame, const std::string& what) {
        Expect(wb->Send(frame), "send failed");
        auto m = wb->ReceiveUntil(
            [](const WsMessage& x) { return x.Type() == "error" || x.Type() == "ack" || x.Type() == "subscribed"; },
            kFrameTimeout);
        Expect(m && m->Type() == "error" && JStr(*m->Object(), "code") == "NOT_FOUND",
               "user B: " + what + " of user A: " + (m ? m->text : std::string("no answer")));
    };
    expect_error(json::object{{"type", "subscribe"}, {"run_id", t.run_id}}, "subscribe to the run");
    expect_error(json::object{{"type", "subscribe"}, {"run_id", t.run_id}, {"after_seq", 3}}, "subscribe after_seq");
    expect_error(json::object{{"type", "cancel_run"}, {"run_id", t.run_id}}, "cancel_run");
    expect_error(UserMessage("post into A's thread", t.thread_id), "user_message on the thread");
    Expect(wb->Send(json::object{{"type", "get_agent_status"}, {"run_id", t.run_id}}), "send failed");
    auto st = wb->ReceiveUntil([](const WsMessage& x) { return x.Type() == "error" || x.Type() == "agent_status"; },
                               kFrameTimeout);
    Expect(st.has_value(), "no answer to get_agent_status");
    if (st->Type() == "agent_status") {
        Expect(st->text.find(t.run_id) == std::string::npos, "B's agent_status shows A's run: " + st->text);
    }
    // A works on while B listens: nothing of A arrives at B.
    auto t2 = SendAndFollowRun(*wa, UserMessage("And for gpt-4o-mini?", t.thread_id));
    Expect(t2.terminal == "run_completed", "A's second run ended " + t2.terminal);
    auto leaked = Drain(*wb, std::chrono::milliseconds(300));
    ExpectNothingOf(leaked, {t.run_id, t2.run_id, t.thread_id}, "user B's socket");
    PingPong(*wb, "b-alive");
}

void ParallelUsers(StageContext& ctx) {
    if (!ctx.CanCreateUsers()) Skip("needs many users: give --register or --bypass-key");
    constexpr int kUsers = 8, kRunsEach = 3;
    std::vector<Credentials> users;
    std::vector<std::unique_ptr<WsClient>> sockets;
    for (int i = 0; i < kUsers; ++i) {
        users.push_back(ctx.NewUser("co-par-" + std::to_string(i)));
        sockets.push_back(ctx.Connect(users.back()));
    }
    // Every user sends all its messages, then everyone reads at once: the runs overlap across users.
    std::vector<std::set<std::string>> runs(kUsers);
    std::vector<std::vector<WsMessage>> frames(kUsers);
    std::vector<std::string> errors(kUsers);
    std::vector<std::thread> threads;
    for (int i = 0; i < kUsers; ++i) {
        threads.emplace_back([&, i] {
            auto idx = static_cast<std::size_t>(i);
            try {
                std::vector<json::object> msgs;
                for (int k = 0; k < kRunsEach; ++k) {
                    msgs.push_back(UserMessage("User " + std::to_string(i) + " spends $" + std::to_string(1 + k) +
                                               "k/month on gpt-4o."));
                }
                std::vector<std::string> ids;
                frames[idx] = SendAllAndCollect(*sockets[idx], msgs, &ids);
                auto rest = Drain(*sockets[idx], std::chrono::milliseconds(300));
                frames[idx].insert(frames[idx].end(), rest.begin(), rest.end());
                runs[idx].insert(ids.begin(), ids.end());
            } catch (const std::exception& e) {
                errors[idx] = e.what();
            }
        });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kUsers; ++i) {
        Expect(errors[static_cast<std::size_t>(i)].empty(),
               "user " + std::to_string(i) + ": " + errors[static_cast<std::size_t>(i)]);
    }
    auto http = ctx.Http();
    std::set<std::string> everyone;
    for (const auto& r : runs) everyone.insert(r.begin(), r.end());
    std::size_t total_events = 0;
    for (int i = 0; i < kUsers; ++i) {
        auto idx = static_cast<std::size_t>(i);
        std::set<std::string> others;
        for (const auto& id : everyone) {
            if (!runs[idx].count(id)) others.insert(id);
        }
        ExpectNothingOf(frames[idx], others, "user " + std::to_string(i));
        for (const auto& run_id : runs[idx]) {
            auto got = EventsOf(frames[idx], run_id);
            auto stored = StoredEvents(http, users[idx], run_id);
            Expect(got.size() == stored.size(), "user " + std::to_string(i) + " run " + run_id + ": got " +
                                                    std::to_string(got.size()) + " events, stored " +
                                                    std::to_string(stored.size()));
            for (std::size_t k = 0; k < got.size(); ++k) {
                Expect(json::value(got[k]) == json::value(stored[k]),
                       "user " + std::to_string(i) + " run " + run_id + ": event " + std::to_string(k + 1) +
                           " differs from the stored one (order, gap or content)");
            }
            total_events += got.size();
        }
    }
    ctx.Note(std::to_string(kUsers) + " users × " + std::to_string(kRunsEach) + " runs, " +
             std::to_string(total_events) + " events, none crossed users");
}

void MultiSocketFanout(StageContext& ctx) {
    auto user = ctx.NewUser("co-fanout");
    constexpr int kSockets = 4;
    std::vector<std::unique_ptr<WsClient>> sockets;
    for (int i = 0; i < kSockets; ++i) sockets.push_back(ctx.Connect(user));
    auto t = SendAndFollowRun(*sockets[0], UserMessage("We spend $7k/month on gpt-4o. Tabs test."));
    ExpectValidSequence(t);
    auto http = ctx.Http();
    auto stored = StoredEvents(http, user, t.run_id);
    for (int i = 1; i < kSockets; ++i) {
        auto frames = CollectRuns(*sockets[static_cast<std::size_t>(i)], {t.run_id});
        auto got = EventsOf(frames, t.run_id);
        Expect(got.size() == stored.size(), "socket " + std::to_string(i + 1) + " got " + std::to_string(got.size()) +
                                                " events of the run, " + std::to_string(stored.size()) + " stored");
        for (std::size_t k = 0; k < got.size(); ++k) {
            Expect(
                json::value(got[k]) == json::value(stored[k]),
                "socket " + std::to_string(i + 1) + " event " + std::to_string(k + 1) + " differs from the stored one");
        }
    }
    ctx.Note(std::to_string(kSockets) + " sockets × " + std::to_string(stored.size()) + " events");
}

void CancelFromSecondSocket(StageContext& ctx) {
    FaultGuard slow(ctx, SlowTriageFault(2000));
    auto user = ctx.NewUser("co-cancel");
    auto ws1 = ctx.Connect(user);
    auto ws2 = ctx.Connect(user);
    auto [run_id, thread_id] = SendAcked(*ws1, UserMessage("We spend $11k/month on gpt-4o. Cancel me."));
    auto started = ws2->ReceiveUntil(
        [&](const WsMessage& m) { return m.Type() == "agent_started" && JStr(*m.Object(), "run_id") == run_id; },
        kFrameTimeout);
    Expect(started.has_value(), "socket 2 did not see the run start");
    const auto sent = std::chrono::steady_clock::now();
    Expect(ws2->Send(json::object{{"type", "cancel_run"}, {"run_id", run_id}}), "send failed");
    auto ack =
        ws2->ReceiveUntil([](const WsMessage& m) { return m.Type() == "ack" || m.Type() == "error"; }, kFrameTimeout);
    Expect(ack && ack->Type() == "ack", "cancel_run answered " + (ack ? ack->text : std::string("nothing")));
    Expect(JStr(Payload(*ack), "run_id") == run_id, "cancel ack names another run: " + ack->text);
    std::string ack_status = JStr(Payload(*ack), "status");
    Expect(ack_status == "cancelling" || ack_status == "cancelled", "cancel ack status '" + ack_status + "'");
    for (auto* ws : {ws1.get(), ws2.get()}) {
        const std::string who = ws == ws1.get() ? "socket 1" : "socket 2";
        auto frames = CollectRuns(*ws, {run_id});
        auto more = Drain(*ws, std::chrono::milliseconds(500));
        auto ev = EventsOf(frames, run_id);
        Expect(JStr(ev.back(), "type") == "run_cancelled", who + ": the run ended " + JStr(ev.back(), "type"));
        Expect(ev.size() >= 2 && JStr(ev[ev.size() - 2], "type") == "agent_failed",
               who + ": no agent_failed before run_cancelled");
        const auto* p = JObj(ev[ev.size() - 2], "payload");
        const auto* err = p ? JObj(*p, "error") : nullptr;
        Expect(err && JStr(*err, "code") == "CANCELLED",
               who + ": agent_failed lacks code CANCELLED: " + Quote(ev[ev.size() - 2]));
        Expect(EventsOf(more, run_id).empty(), who + ": events after run_cancelled");
        if (ws == ws2.get()) {
            long at = IndexOf(frames, run_id, "run_cancelled");
            ctx.Note("cancel → run_cancelled " +
                     std::to_string(static_cast<int>(std::chrono::duration<double, std::milli>(
                                                         frames[static_cast<std::size_t>(at)].received_at - sent)
                                                         .count())) +
                     " ms");
        }
    }
    auto http = ctx.Http();
    auto run = GetRun(http, user, run_id);
    Expect(JStr(run, "status") == "cancelled", "GET /api/runs/{id} after cancel: " + Quote(run));
    // Idempotent: cancelling again answers the final state.
    for (int i = 0; i < 2; ++i) {
        auto r = Must(http.PostJson("/api/runs/" + run_id + "/cancel", json::object{}, BearerAuth(user.access_token)),
                      "POST cancel");
        const auto& o = ExpectJson(r, {200}, "POST /api/runs/{id}/cancel on a cancelled run");
        Expect(JStr(o, "status") == "cancelled", "repeated cancel answered " + Quote(o));
    }
    auto stored = StoredEvents(http, user, run_id);
    Expect(JStr(stored.back(), "type") == "run_cancelled", "stored events end with " + JStr(stored.back(), "type"));
}

void CancelHttpFinished(StageContext& ctx) {
    auto user = ctx.NewUser("co-cancel-done");
    auto ws = ctx.Connect(user);
    auto t = SendAndFollowRun(*ws, UserMessage("We spend $3k/month on gpt-4o-mini."));
    Expect(t.terminal == "run_completed", "run ended " + t.terminal);
    auto http = ctx.Http();
    auto r = Must(http.PostJson("/api/runs/" + t.run_id + "/cancel", json::object{}, BearerAuth(user.access_token)),
                  "POST cancel");
    const auto& o = ExpectJson(r, {200}, "POST /api/runs/{id}/cancel on a completed run");
    Expect(JStr(o, "status") == "completed", "cancelling a completed run answered " + Quote(o));
    auto stored = StoredEvents(http, user, t.run_id);
    Expect(stored.size() == t.events.size() && JStr(stored.back(), "type") == "run_completed",
           "cancelling a finished run changed its events");
    Expect(ws->Send(json::object{{"type", "cancel_run"}, {"run_id", t.run_id}}), "send failed");
    auto ack =
        ws->ReceiveUntil([](const WsMessage& m) { return m.Type() == "ack" || m.Type() == "error"; }, kFrameTimeout);
    Expect(ack && ack->Type() == "ack" && JStr(Payload(*ack), "status") == "completed",
           "cancel_run of a completed run answered " + (ack ? ack->text : std::string("nothing")));
}

void CrossInstance(StageContext& ctx) {
    if (ctx.options().url2.empty()) Skip("needs a second instance URL (--url2)");
    auto url2 = ParseServerUrl(ctx.options().url2);
    if (!url2.ok()) Fail("--url2: " + url2.error().message);
    url2->ca_file = ctx.options().ca_file;
    auto user = ctx.NewUser("co-cross");
    WsClient ws2;
    WsConnectOptions o;
    o.bearer_token = user.access_token;
    WsConnectError err;
    Expect(ws2.Connect(*url2, o, &err), "connect to --url2: " + err.message + " " + err.body);
    auto first = ws2.Receive(kFrameTimeout);
    Expect(first && first->Type() == "connection_established", "no connection_established from --url2");
    auto ws1 = ctx.Connect(user);
    auto t = SendAndFollowRun(*ws1, UserMessage("We spend $9k/month on gpt-4o. Cross-instance."));
    Expect(t.terminal == "run_completed", "run ended " + t.terminal);
    auto frames = CollectRuns(ws2, {t.run_id});
    auto got = EventsOf(frames, t.run_id);
    Expect(got.size() == t.events.size(),
           "instance 2 delivered " + std::to_string(got.size()) + " of " + std::to_string(t.events.size()) + " events");
    HttpClient http2(*url2);
    auto stored = StoredEvents(http2, user, t.run_id);
    Expect(stored.size() == t.events.size(), "instance 2 stores " + std::to_string(stored.size()) + " events");
}

// ---- stress ----

long long Contiguous(const std::set<long long>& s) {
    long long k = 0;
    while (s.count(k + 1)) ++k;
    return k;
}

struct Slot {  // one client socket of a user, replaced when it is dropped
    std::unique_ptr<WsClient> ws;
    std::map<std::string, std::set<long long>> held;       // run → seqs held (union over its connections)
    std::map<std::string, std::set<long long>> conn_seen;  // run → seqs received on the current connection
    std::map<std::string, std::vector<long long>> order;   // run → arrival order since connect / `subscribed`
    std::set<std::string> asked;                           // runs subscribed to on the current connection
    std::set<std::string> pending;                         // client_message_ids sent here and not acked yet
    std::map<std::string, long long> terminal;             // run → seq of its terminal event, once held

    // Holds every event of the run: its terminal event and everything before it.
    bool Complete(const std::string& run) {
        auto it = terminal.find(run);
        return it != terminal.end() && Contiguous(held[run]) >= it->second;
    }
    int reconnects = 0;
};

struct StressUser {
    Credentials cred;
    std::vector<Slot> slots;
    std::set<std::string> runs;  // acked run ids (and, for acks lost with a dropped socket, found over HTTP)
    std::set<std::string> lost;  // client_message_ids whose socket was dropped before their ack
    std::size_t acked = 0;
    std::map<std::string, std::string> cancel_acks;  // run → status the server answered cancel_run with
    std::string last_thread, last_run;
    std::vector<std::string> problems;
};

void Absorb(StressUser& u, Slot& slot, const WsMessage& m, std::map<std::string, std::string>& cmid_to_run) {
    const auto* o = m.Object();
    if (!o) return;
    std::string type = m.Type();
    if (type == "ack" && JStr(*o, "request_type") == "cancel_run") {
        u.cancel_acks[JStr(*o, "run_id")] = JStr(*o, "status");
        return;
    }
    if (type == "ack") {
        std::string cmid = JStr(*o, "client_message_id");
        if (!cmid.empty() && cmid_to_run.count(cmid)) {
            slot.pending.erase(cmid);
            ++u.acked;
            cmid_to_run[cmid] = JStr(*o, "run_id");
            u.runs.insert(JStr(*o, "run_id"));
            u.last_thread = JStr(*o, "thread_id");
            u.last_run = JStr(*o, "run_id");
        }
        return;
    }
    if (type == "error") {
        u.problems.push_back("error frame: " + m.text.substr(0, 200));
        return;
    }
    if (type == "subscribed") {
        slot.order[JStr(*o, "run_id")].clear();  // the replay follows, in order of its own
        return;
    }
    if (!o->contains("seq")) return;
    std::string run = JStr(*o, "run_id");
    long long seq = Seq(*o);
    if (!slot.conn_seen[run].insert(seq).second) {
        u.problems.push_back("run " + run + ": seq " + std::to_string(seq) + " twice on one connection");
    }
    auto& ord = slot.order[run];
    if (!ord.empty() && seq <= ord.back()) {
        u.problems.push_back("run " + run + ": seq " + std::to_string(seq) + " after " + std::to_string(ord.back()) +
                             " on one connection");
    }
    ord.push_back(seq);
    slot.held[run].insert(seq);
    if (IsTerminalRunEvent(type)) slot.terminal[run] = seq;
}

void Pump(StressUser& u, std::map<std::string, std::string>& cmid_to_run) {
    for (auto& slot : u.slots) {
        while (auto m = slot.ws->Receive(std::chrono::milliseconds(0))) Absorb(u, slot, *m, cmid_to_run);
    }
}

// Resumes, on the slot's current connection, every run of the user it does not fully hold yet.
void Resubscribe(StressUser& u, Slot& slot) {
    for (const auto& run : u.runs) {
        if (slot.Complete(run) || slot.asked.count(run)) continue;
        slot.asked.insert(run);
        (void)slot.ws->Send(
            json::object{{"type", "subscribe"}, {"run_id", run}, {"after_seq", Contiguous(slot.held[run])}});
    }
}

void Stress(StageContext& ctx) {
    if (!ctx.CanCreateUsers()) Skip("needs many users: give --register or --bypass-key");
    constexpr int kUsers = 20, kRunsEach = 15, kSlots = 3;
    // Runs that last a little (when the deployment allows faults) so cancels and drops land mid-run.
    auto slow = MaybeFault(ctx, SlowTriageFault(40, 300));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(150);
    std::vector<StressUser> users(kUsers);
    for (int i = 0; i < kUsers; ++i) {
        auto& u = users[static_cast<std::size_t>(i)];
        u.cred = ctx.NewUser("co-stress-" + std::to_string(i));
        u.slots.resize(kSlots);
        for (auto& s : u.slots) s.ws = ctx.Connect(u.cred);
    }
    std::vector<std::thread> threads;
    std::atomic<int> drops{0}, cancels{0};
    for (int i = 0; i < kUsers; ++i) {
        threads.emplace_back([&, i] {
            auto& u = users[static_cast<std::size_t>(i)];
            std::mt19937 rng(static_cast<unsigned>(1000 + i));
            std::map<std::string, std::string> cmid_to_run;
            try {
                for (int k = 0; k < kRunsEach; ++k) {
                    auto& slot = u.slots[rng() % kSlots];
                    // Mostly new threads; every fourth message double-texts the previous thread (enqueue).
                    auto frame = UserMessage("User " + std::to_string(i) + " run " + std::to_string(k) +
                                                 ": we spend $" + std::to_string(1 + rng() % 90) + "k/month on gpt-4o.",
                                             k % 4 == 3 ? u.last_thread : std::string());
                    cmid_to_run[JStr(frame, "client_message_id")] = "";
                    slot.pending.insert(JStr(frame, "client_message_id"));
                    if (!slot.ws->Send(frame)) u.problems.push_back("send failed");
                    Pump(u, cmid_to_run);
                    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
                    Pump(u, cmid_to_run);
                    if (rng() % 4 == 0 && !u.last_run.empty()) {
                        // Cancel the newest run (likely queued or running), from a random socket.
                        (void)u.slots[rng() % kSlots].ws->Send(
                            json::object{{"type", "cancel_run"}, {"run_id", u.last_run}});
                        ++cancels;
                    }
                    if (rng() % 4 == 0) {  // drop a random socket abruptly, reconnect, resume
                        auto& victim = u.slots[rng() % kSlots];
                        Pump(u, cmid_to_run);
                        victim.ws->Abort();
                        // Acks still owed to the dropped connection are gone with it; the client finds those
                        // messages' runs over HTTP below, like a real client reloading its threads.
                        u.lost.insert(victim.pending.begin(), victim.pending.end());
                        victim.pending.clear();
                        victim.ws = ctx.Connect(u.cred);
                        victim.conn_seen.clear();
                        victim.order.clear();
                        victim.asked.clear();
                        ++victim.reconnects;
                        ++drops;
                        Resubscribe(u, victim);
                    }
                }
                auto http = ctx.Http();
                if (!u.lost.empty()) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(200));
                    Pump(u, cmid_to_run);
                    auto auth = BearerAuth(u.cred.access_token);
                    auto threads_r = Must(http.Get("/api/threads?limit=100", auth), "GET /api/threads");
                    const auto& tl = ExpectJson(threads_r, {200}, "GET /api/threads");
                    for (const auto& tv : tl.at("data").as_array()) {
                        std::string tid = JStr(tv.as_object(), "id");
                        auto rr = Must(http.Get("/api/threads/" + tid + "/runs", auth), "GET thread runs");
                        const auto& ro = ExpectJson(rr, {200}, "GET /api/threads/{id}/runs");
                        for (const auto& rv : ro.at("data").as_array()) u.runs.insert(JStr(rv.as_object(), "id"));
                    }
                }
                // Every run, on every slot, until all hold every run's terminal event. A message whose ack went
                // down with its socket may start its run after the listing above (a slow server still reads what a
                // dropped socket had sent): a run whose events arrive and that the user can read over HTTP is the
                // user's own, awaited like the others (and counted: a message run twice still fails below).
                std::set<std::string> not_own;
                for (;;) {
                    Pump(u, cmid_to_run);
                    for (const auto& s : u.slots) {
                        for (const auto& [run, seqs] : s.held) {
                            if (seqs.empty() || u.runs.count(run) || not_own.count(run)) continue;
                            auto own = http.Get("/api/runs/" + run, BearerAuth(u.cred.access_token));
                            if (own.ok() && own->status == 200) {
                                u.runs.insert(run);
                            } else {
                                not_own.insert(run);  // flagged below as another user's, or one never started
                            }
                        }
                    }
                    bool acks_pending = false;
                    for (const auto& [cmid, run] : cmid_to_run) acks_pending |= run.empty() && !u.lost.count(cmid);
                    bool complete = !acks_pending;
                    for (auto& s : u.slots) {
                        for (const auto& run : u.runs) complete &= s.Complete(run);
                    }
                    if (complete) break;
                    if (std::chrono::steady_clock::now() > deadline) {
                        u.problems.push_back("not every socket held every run's terminal event before the deadline");
                        break;
                    }
                    // A slot may have missed events of a run acked elsewhere while it was down: resume it.
                    for (auto& s : u.slots) Resubscribe(u, s);
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                }
                Pump(u, cmid_to_run);
            } catch (const std::exception& e) {
                u.problems.push_back(std::string("exception: ") + e.what());
            }
        });
    }
    for (auto& t : threads) t.join();

    // Verification against the server's stored state.
    auto http = ctx.Http();
    std::set<std::string> all_runs;
    for (const auto& u : users) all_runs.insert(u.runs.begin(), u.runs.end());
    std::size_t total_runs = 0, total_events = 0, cancelled_runs = 0, lost_acks = 0, cancel_answers = 0;
    std::vector<std::string> failures;
    for (int i = 0; i < kUsers && failures.size() < 10; ++i) {
        auto& u = users[static_cast<std::size_t>(i)];
        const std::string who = "user " + std::to_string(i);
        for (const auto& p : u.problems) failures.push_back(who + ": " + p);
        // Every message was acked, or its ack went down with a dropped socket; a message is never run twice.
        if (u.acked + u.lost.size() != static_cast<std::size_t>(kRunsEach) ||
            u.runs.size() > static_cast<std::size_t>(kRunsEach) || u.runs.size() < u.acked) {
            failures.push_back(who + ": " + std::to_string(u.acked) + " acked + " + std::to_string(u.lost.size()) +
                               " acks lost with a dropped socket, " + std::to_string(u.runs.size()) + " runs, for " +
                               std::to_string(kRunsEach) + " messages");
        }
        lost_acks += u.lost.size();
        for (std::size_t s = 0; s < u.slots.size(); ++s) {
            for (const auto& [run, seqs] : u.slots[s].held) {
                if (!u.runs.count(run) && !seqs.empty()) {
                    failures.push_back(who + " socket " + std::to_string(s) + " received events of run " + run +
                                       (all_runs.count(run) ? " of ANOTHER user" : " it never started"));
                }
            }
        }
        for (const auto& run : u.runs) {
            auto st = GetRun(http, u.cred, run);
            std::string status = JStr(st, "status");
            if (!IsTerminalStatus(status)) failures.push_back(who + ": run " + run + " is '" + status + "'");
            cancelled_runs += status == "cancelled";
            if (auto c = u.cancel_acks.find(run); c != u.cancel_acks.end()) {
                // An accepted cancel (cancelling) must end the run cancelled; otherwise the ack is its final state.
                if (c->second == "cancelling" && status != "cancelled") {
                    failures.push_back(who + ": cancel_run of " + run + " was acked 'cancelling' but the run ended '" +
                                       status + "'");
                } else if (c->second != "cancelling" && !IsTerminalStatus(c->second)) {
                    failures.push_back(who + ": cancel_run of " + run + " acked with status '" + c->second + "'");
                }
                ++cancel_answers;
            }
            auto stored = StoredEvents(http, u.cred, run);
            ++total_runs;
            total_events += stored.size();
            std::vector<long long> want;
            for (const auto& e : stored) want.push_back(Seq(e));
            for (std::size_t k = 0; k < want.size(); ++k) {
                if (want[k] != static_cast<long long>(k + 1)) {
                    failures.push_back(who + ": stored events of " + run + " are not 1..N: " + SeqRanges(want));
                    break;
                }
            }
            if (!stored.empty()) {
                std::string last = JStr(stored.back(), "type");
                std::string expect = status == "completed" ? "run_completed"
                                     : status == "failed"  ? "run_failed"
                                                           : "run_cancelled";
                if (last != expect)
                    failures.push_back(who + ": run " + run + " is " + status + " but ends with " + last);
            }
            for (std::size_t s = 0; s < u.slots.size(); ++s) {
                const auto& held = u.slots[s].held[run];
                std::vector<long long> missing, extra;
                for (auto q : want) {
                    if (!held.count(q)) missing.push_back(q);
                }
                for (auto q : held) {
                    if (q < 1 || q > static_cast<long long>(want.size())) extra.push_back(q);
                }
                if (!missing.empty() || !extra.empty()) {
                    failures.push_back(who + " socket " + std::to_string(s) + " run " + run + ": missing " +
                                       SeqRanges(missing) + ", unknown " + SeqRanges(extra) + " of " +
                                       std::to_string(want.size()) + " stored");
                }
            }
        }
    }
    for (auto& u : users) {
        for (auto& s : u.slots) s.ws->Abort();
    }
    if (!failures.empty()) {
        std::vector<std::string> first(failures.begin(), failures.begin() + std::min<std::size_t>(failures.size(), 8));
        Fail(std::to_string(failures.size()) + "+ problems: " + Join(first, "; "));
    }
    ctx.Note(std::to_string(kUsers) + " users × " + std::to_string(kRunsEach) + " runs × " + std::to_string(kSlots) +
             " sockets" + (slow ? " (runs slowed 40 ms)" : "") + ": " + std::to_string(total_runs) + " runs (" +
             std::to_string(cancelled_runs) + " cancelled of " + std::to_string(cancels.load()) + " cancels sent, " +
             std::to_string(cancel_answers) + " answered), " + std::to_string(total_events) + " events, " +
             std::to_string(drops.load()) + " socket drops with resume (" + std::to_string(lost_acks) +
             " acks lost with them, runs found over HTTP); checked per socket: every stored event held, none twice "
             "on one connection, in order per connection");
}

}  // namespace

std::vector<TestCase> CoordinationTests() {
    std::vector<TestCase> tests = {
        {"isolation_http", IsolationHttp},
        {"isolation_dataset", IsolationDataset},
        {"isolation_websocket", IsolationWs},
        {"parallel_users_isolated", ParallelUsers},
        {"multi_socket_fanout", MultiSocketFanout},
        {"cancel_from_second_socket", CancelFromSecondSocket},
        {"cancel_finished_run_idempotent", CancelHttpFinished},
        {"cross_instance_delivery", CrossInstance},
    };
    for (auto& t : CrossUserIdTests()) tests.push_back(std::move(t));  // module_cross_user_ids.cpp
    // Last: its login throttle check leaves the loopback address's window full for a minute.
    for (auto& t : CoordinationClusterTests()) tests.push_back(std::move(t));  // module_coordination_cluster.cpp
    tests.push_back({"stress_runs_disconnects_cancels", Stress});
    return tests;
}

}  // namespace netra::stage

// Module 8 — lifecycle_events: a run's lifecycle events in order and its stored state, the metadata of
// agent_completed, stored events queried with filters, server pings keeping an idle socket alive, close codes
// (1009 oversize, 1008 flood, 1001 shutdown) and the cascade of a thread delete.
#include <boost/json.hpp>
#include <thread>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

RunTrace CompletedRun(StageContext& ctx, const Credentials& user, WsClient& ws) {
    auto t = SendAndFollowRun(ws, UserMessage("We spend $40k/month on GPT-4o for customer support, 2M requests per "
                                              "month. How can we cut costs?"));
    ExpectValidSequence(t);
    Expect(t.terminal == "run_completed", "run ended with " + t.terminal + ": " + Quote(t.events.back()));
    (void)ctx;
    (void)user;
    return t;
}

bool IsNumber(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_number();
}

void LifecycleOrder(StageContext& ctx) {
    auto user = ctx.NewUser("le-order");
    auto ws = ctx.Connect(user);
    auto t = CompletedRun(ctx, user, *ws);
    const auto& first = t.events.front();
    const auto& last = t.events.back();
    Expect(JStr(first, "type") == "run_started", "first event is " + JStr(first, "type"));
    const auto* sp = JObj(first, "payload");
    Expect(sp && JStr(*sp, "status") == "running", "run_started.payload.status is not running: " + Quote(first));
    const auto* lp = JObj(last, "payload");
    Expect(lp && JStr(*lp, "status") == "completed", "run_completed.payload.status is not completed: " + Quote(last));
    Expect(lp && IsNumber(*lp, "duration_ms"), "run_completed.payload has no numeric duration_ms: " + Quote(last));
    // Every agent's own events are bracketed and carry its name.
    for (const auto& e : t.events) {
        std::string type = JStr(e, "type");
        if (type.rfind("agent_", 0) == 0 || type.rfind("tool_", 0) == 0 || type == "stream_chunk") {
            Expect(!JStr(e, "agent_name").empty(), type + " event without agent_name: " + Quote(e));
        }
        if (type == "agent_thinking") {
            const auto* p = JObj(e, "payload");
            Expect(p && !JStr(*p, "thought").empty() && IsNumber(*p, "progress"),
                   "agent_thinking lacks thought/progress: " + Quote(e));
            double progress = p->at("progress").to_number<double>();
            Expect(progress >= 0 && progress <= 100, "agent_thinking progress outside 0–100: " + Quote(e));
        }
        if (type == "tool_completed") {
            const auto* p = JObj(e, "payload");
            Expect(p && !JStr(*p, "tool").empty() && IsNumber(*p, "duration_ms") && p->contains("success"),
                   "tool_completed lacks tool/duration_ms/success: " + Quote(e));
        }
    }
    auto http = ctx.Http();
    auto run = GetRun(http, user, t.run_id);
    Expect(JStr(run, "status") == "completed", "GET /api/runs/{id} status: " + Quote(run));
    Expect(JStr(run, "thread_id") == t.thread_id, "GET /api/runs/{id} thread_id mismatch: " + Quote(run));
    for (const char* k : {"created_at", "started_at", "finished_at"}) {
        auto it = run.find(k);
        Expect(it != run.end() && !it->value().is_null(),
               std::string("GET /api/runs/{id} has no ") + k + ": " + Quote(run));
    }
    ctx.Note(std::to_string(t.events.size()) + " events");
}

void AgentCompletedMetadata(StageContext& ctx) {
    auto user = ctx.NewUser("le-metadata");
    auto ws = ctx.Connect(user);
    auto t = CompletedRun(ctx, user, *ws);
    int checked = 0;
    for (const auto& e : t.events) {
        if (JStr(e, "type") != "agent_completed") continue;
        const auto* p = JObj(e, "payload");
        Expect(p != nullptr, "agent_completed without payload");
        std::string agent = JStr(*p, "agent");
        Expect(!agent.empty() && agent == JStr(e, "agent_name"),
               "agent_completed payload.agent '" + agent + "' vs agent_name '" + JStr(e, "agent_name") + "'");
        Expect(p->contains("result") && !p->at("result").is_null(), agent + ": agent_completed has no result");
        const auto* md = JObj(*p, "metadata");
        Expect(md != nullptr, agent + ": agent_completed has no metadata object: " + Quote(e));
        Expect(IsNumber(*md, "duration_ms") && md->at("duration_ms").to_number<double>() >= 0,
               agent + ": metadata.duration_ms missing or negative: " + Quote(*md));
        auto tools = md->find("tools_invoked");
        Expect(tools != md->end() && (tools->value().is_array() || tools->value().is_number()),
               agent + ": metadata.tools_invoked missing: " + Quote(*md));
        Expect(IsNumber(*md, "tokens_used"), agent + ": metadata.tokens_used missing: " + Quote(*md));
        auto success = md->find("success");
        Expect(success != md->end() && success->value().is_bool() && success->value().get_bool(),
               agent + ": metadata.success is not true: " + Quote(*md));
        // tools_invoked agrees with the tool events the agent emitted.
        std::size_t tool_events = 0;
        for (const auto& x : t.events) {
            if (JStr(x, "type") == "tool_executing" && JStr(x, "agent_name") == agent) ++tool_events;
        }
        std::size_t invoked = tools->value().is_array() ? tools->value().get_array().size()
                                                        : static_cast<std::size_t>(tools->value().to_number<double>());
        Expect(invoked == tool_events, agent + ": metadata.tools_invoked says " + std::to_string(invoked) +
                                           " but the agent emitted " + std::to_string(tool_events) +
                                           " tool_executing events");
        ++checked;
    }
    Expect(checked >= 2, "only " + std::to_string(checked) + " agent_completed events");
    ctx.Note(std::to_string(checked) + " agents checked");
}

void StoredEventFilters(StageContext& ctx) {
    auto user = ctx.NewUser("le-filters");
    auto ws = ctx.Connect(user);
    auto t = CompletedRun(ctx, user, *ws);
    auto http = ctx.Http();
    auto all = StoredEvents(http, user, t.run_id);
    Expect(all.size() == t.events.size(), "GET events returned " + std::to_string(all.size()) +
                                              " events, the WebSocket carried " + std::to_string(t.events.size()));
    for (std::size_t i = 0; i < all.size(); ++i) {
        Expect(json::value(all[i]) == json::value(t.events[i]),
               "stored event " + std::to_string(i + 1) + " differs from the delivered one: " + Quote(all[i], 200) +
                   " vs " + Quote(t.events[i], 200));
    }
    const long long k = static_cast<long long>(all.size()) / 2;
    auto after = StoredEvents(http, user, t.run_id, "after_seq=" + std::to_string(k));
    Expect(
        after.size() == all.size() - static_cast<std::size_t>(k) && !after.empty() && Seq(after.front()) == k + 1,
        "after_seq=" + std::to_string(k) + " returned seqs " + [&] {
            std::vector<long long> s;
            for (const auto& e : after) s.push_back(Seq(e));
            return SeqRanges(s);
        }());
    auto started = StoredEvents(http, user, t.run_id, "type=agent_started");
    std::size_t want_started = 0;
    for (const auto& e : all) want_started += JStr(e, "type") == "agent_started";
    Expect(
        started.size() == want_started && want_started > 0,
        "type=agent_started returned " + std::to_string(started.size()) + ", expected " + std::to_string(want_started));
    for (const auto& e : started) Expect(JStr(e, "type") == "agent_started", "type filter let through " + Quote(e));
    auto reporting = StoredEvents(http, user, t.run_id, "agent=reporting");
    std::size_t want_reporting = 0;
    for (const auto& e : all) want_reporting += JStr(e, "agent_name") == "reporting";
    Expect(reporting.size() == want_reporting && want_reporting > 0,
           "agent=reporting returned " + std::to_string(reporting.size()) + ", expected " +
               std::to_string(want_reporting));
    for (const auto& e : reporting)
        Expect(JStr(e, "agent_name") == "reporting", "agent filter let through " + Quote(e));
    auto both = StoredEvents(http, user, t.run_id, "type=stream_chunk&agent=reporting&after_seq=" + std::to_string(k));
    for (const auto& e : both) {
        Expect(JStr(e, "type") == "stream_chunk" && Seq(e) > k, "combined filters let through " + Quote(e));
    }
    ctx.Note(std::to_string(all.size()) + " events; filters checked");
}

void ServerPings(StageContext& ctx) {
    auto server =
        ctx.SpawnDedicated({"NETRA_WS_PING_INTERVAL_MS=500"}, "observing server pings needs a short ping interval");
    auto dctx = ctx.ForServer(*server);
    auto user = dctx->NewUser("le-pings");
    auto ws = dctx->Connect(user);
    // Idle for eight intervals: the server pings, the client's stack pongs, nobody closes. (The server closes a
    // socket whose pong is not back within an interval: 500 ms leaves a loaded machine room, 200 ms did not always.)
    std::this_thread::sleep_for(std::chrono::milliseconds(4000));
    Expect(ws->IsOpen(), "an idle socket was closed (code " + std::to_string(ws->CloseCode().value_or(0)) + " '" +
                             ws->CloseReason() + "': " + ws->ReadError() + ")");
    int pings = ws->PingsReceived();
    Expect(pings >= 3, "only " + std::to_string(pings) + " server pings in 4 s with a 500 ms interval");
    PingPong(*ws, "after-idle");
    ctx.Note(std::to_string(pings) + " pings in 4 s idle");
}

void ExpectClosedWith(WsClient& ws, int code, const std::string& what, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (ws.IsOpen() && std::chrono::steady_clock::now() < deadline) {
        (void)ws.Receive(std::chrono::milliseconds(50));
    }
    Expect(!ws.IsOpen(), what + ": the socket is still open after " + std::to_string(timeout.count()) + " ms");
    Expect(ws.CloseCode() == code,
           what + ": closed with " +
               (ws.CloseCode() ? std::to_string(*ws.CloseCode()) : std::string("no close frame")) + " '" +
               ws.CloseReason() + "' (" + ws.ReadError() + "), expected " + std::to_string(code));
}

void CloseOversize(StageContext& ctx) {
    auto user = ctx.NewUser("le-1009");
    auto ws = ctx.Connect(user);
    std::string big = R"({"type":"ping","id":")" + std::string(1536 * 1024, 'x') + R"("})";  // 1.5 MiB > 1 MiB
    (void)ws->SendText(big);  // the server may close while we are still writing
    ExpectClosedWith(*ws, 1009, "a 1.5 MiB frame", 5s);
}

void CloseFlood(StageContext& ctx) {
    auto user = ctx.NewUser("le-1008");
    auto ws = ctx.Connect(user);
    int sent = 0;
    bool saw_error = false;
    const auto start = std::chrono::steady_clock::now();
    // Far beyond any interactive rate (the server's default limit is 1000 frames/s), for up to 3 s or until
    // the server reacts.
    while (sent < 20000 && ws->IsOpen() && std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
        if (!ws->SendText(R"({"type":"heartbeat"})")) break;
        ++sent;
        if (sent % 200 == 0) {
            while (auto m = ws->Receive(std::chrono::milliseconds(0))) {
                saw_error |= m->Type() == "error" && JStr(*m->Object(), "code") == "RATE_LIMITED";
            }
            if (saw_error) break;
        }
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string rate = std::to_string(sent) + " frames in " + std::to_string(static_cast<int>(secs * 1000)) +
                             " ms (" + std::to_string(static_cast<int>(sent / std::max(secs, 1e-3))) + "/s)";
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!saw_error && std::chrono::steady_clock::now() < deadline) {
        auto m = ws->Receive(std::chrono::milliseconds(100));
        if (!m) {
            if (!ws->IsOpen()) break;
            continue;
        }
        saw_error |= m->Type() == "error" && JStr(*m->Object(), "code") == "RATE_LIMITED";
    }
    Expect(saw_error, "no error RATE_LIMITED after " + rate);
    ExpectClosedWith(*ws, 1008, rate, 2s);
    ctx.Note(rate);
}

void CloseOnShutdown(StageContext& ctx) {
    auto server = ctx.SpawnDedicated({}, "a shutdown close needs a server the suite may stop");
    auto dctx = ctx.ForServer(*server);
    auto user = dctx->NewUser("le-1001");
    auto ws = dctx->Connect(user);
    auto ws2 = dctx->Connect(user);
    server->Terminate();
    ExpectClosedWith(*ws, 1001, "SIGTERM of the server", 10s);
    ExpectClosedWith(*ws2, 1001, "SIGTERM of the server (second socket)", 2s);
    std::string how = server->Stop(25);
    Expect(how == "exited 0", "the server did not exit cleanly after SIGTERM: " + how);
}

void ThreadDeleteCascade(StageContext& ctx) {
    auto user = ctx.NewUser("le-cascade");
    auto ws = ctx.Connect(user);
    auto t = CompletedRun(ctx, user, *ws);
    auto http = ctx.Http();
    auto auth = BearerAuth(user.access_token);
    auto del = Must(http.Request("DELETE", "/api/threads/" + t.thread_id, auth), "DELETE thread");
    Expect(del.status == 200 || del.status == 204, "DELETE /api/threads/{id}: " + del.Describe());
    for (const std::string& target :
         {"/api/threads/" + t.thread_id, "/api/threads/" + t.thread_id + "/messages",
          "/api/threads/" + t.thread_id + "/runs", "/api/runs/" + t.run_id, "/api/runs/" + t.run_id + "/events"}) {
        auto r = Must(http.Get(target, auth), "GET " + target);
        std::string problem = CheckErrorBody(r.status, r.json, r.Header("X-Request-Id"), 404, "not_found");
        Expect(problem.empty(), "after deleting the thread, GET " + target + ": " + problem + " — " + r.Describe());
    }
    Expect(ws->Send(json::object{{"type", "subscribe"}, {"run_id", t.run_id}}), "send failed");
    auto m = ws->ReceiveUntil([](const WsMessage& x) { return x.Type() == "error" || x.Type() == "subscribed"; },
                              kFrameTimeout);
    Expect(m && m->Type() == "error" && JStr(*m->Object(), "code") == "NOT_FOUND",
           "subscribe to a deleted thread's run: " + (m ? m->text : std::string("no answer")));
    auto list = Must(http.Get("/api/threads?limit=100", auth), "GET /api/threads");
    Expect(list.body.find(t.thread_id) == std::string::npos, "the deleted thread is still listed");
}

}  // namespace

std::vector<TestCase> LifecycleEventsTests() {
    return {
        {"run_lifecycle_order", LifecycleOrder},       {"agent_completed_metadata", AgentCompletedMetadata},
        {"stored_events_filters", StoredEventFilters}, {"server_pings_keep_idle_alive", ServerPings},
        {"close_1009_oversize_frame", CloseOversize},  {"close_1008_flood", CloseFlood},
        {"close_1001_shutdown", CloseOnShutdown},      {"thread_delete_cascade", ThreadDeleteCascade},
    };
}

}  // namespace netra::stage

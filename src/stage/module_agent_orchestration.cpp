// Module 4 — agent_orchestration: the agent registry and MCP servers list, the pipeline the supervisor picks
// for each data sufficiency (§8's table), the per-user limit on concurrently running runs, the double-text
// policies on a busy thread (reject / enqueue / interrupt) and the per-step timeout.
#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

const json::array* ArrayField(const json::object& o, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        if (auto it = o.find(k); it != o.end() && it->value().is_array()) return &it->value().get_array();
    }
    return nullptr;
}

void AgentRegistry(StageContext& ctx) {
    auto http = ctx.Http();
    auto r = Must(http.Get("/api/agents"), "GET /api/agents");
    const auto& o = ExpectJson(r, {200}, "GET /api/agents");
    const auto* list = ArrayField(o, {"data", "agents"});
    Expect(list != nullptr, "GET /api/agents has no data/agents array: " + Quote(o));
    std::map<std::string, json::object> by_name;
    for (const auto& v : *list) {
        Expect(v.is_object(), "an agent entry is not an object: " + Quote(v));
        const auto& a = v.get_object();
        std::string name = JStr(a, "name");
        Expect(!name.empty(), "an agent entry has no name: " + Quote(a));
        Expect(!JStr(a, "description").empty(), "agent " + name + " has no description: " + Quote(a));
        Expect(a.contains("tools") && a.at("tools").is_array(), "agent " + name + " has no tools array: " + Quote(a));
        by_name[name] = a;
    }
    for (const char* name : {"triage", "data_helper", "data", "optimization", "actions", "reporting"}) {
        Expect(by_name.count(name) == 1,
               std::string("/api/agents does not list the ") + name + " agent (§8 pipeline): " + Quote(o, 600));
    }
    ctx.Note(std::to_string(by_name.size()) + " agents listed");
}

void McpServers(StageContext& ctx) {
    auto http = ctx.Http();
    auto cfg = Must(http.Get("/api/mcp/config"), "GET /api/mcp/config");
    const auto& c = ExpectJson(cfg, {200}, "GET /api/mcp/config");
    Expect(!JStr(c, "server_name").empty(), "/api/mcp/config has no server_name: " + Quote(c));
    Expect(c.contains("protocol_version"), "/api/mcp/config has no protocol_version: " + Quote(c));
    const auto* tools = ArrayField(c, {"tools"});
    Expect(tools && !tools->empty(), "/api/mcp/config has no tools: " + Quote(c));
    for (const auto& t : *tools) {
        Expect(t.is_object() && !JStr(t.get_object(), "name").empty() && !JStr(t.get_object(), "description").empty() &&
                   JObj(t.get_object(), "input_schema"),
               "an MCP tool lacks name/description/input_schema: " + Quote(t));
    }
    auto srv = Must(http.Get("/api/mcp/servers"), "GET /api/mcp/servers");
    const auto& s = ExpectJson(srv, {200}, "GET /api/mcp/servers");
    const auto* list = ArrayField(s, {"data"});
    Expect(list && !list->empty(), "/api/mcp/servers has no data entries: " + Quote(s));
    bool found = false;
    for (const auto& v : *list) {
        if (!v.is_object() || JStr(v.get_object(), "name") != "netra-tools") continue;
        found = true;
        const auto& e = v.get_object();
        // The server this process serves at /mcp (Streamable HTTP, bearer auth): what really exists.
        Expect(JStr(e, "status") == "available", "netra-tools status is not available: " + Quote(e));
        Expect(JStr(e, "transport") == "streamable-http" && JStr(e, "auth") == "bearer" && JStr(e, "url").size() > 4 &&
                   JStr(e, "url").substr(JStr(e, "url").size() - 4) == "/mcp",
               "netra-tools does not describe the /mcp endpoint: " + Quote(e));
        auto it = e.find("tools");
        Expect(it != e.end() && it->value().is_int64() &&
                   it->value().get_int64() == static_cast<std::int64_t>(tools->size()),
               "netra-tools lists " + (it != e.end() ? Quote(it->value()) : std::string("no")) +
                   " tools but /api/mcp/config describes " + std::to_string(tools->size()));
    }
    Expect(found, "/api/mcp/servers does not list netra-tools: " + Quote(s));
    ctx.Note(std::to_string(tools->size()) + " tools");
}

// The sufficiency triage reported (agent_completed.result.data_sufficiency or .sufficiency), or "".
std::string TriageSufficiency(const std::vector<json::object>& events) {
    for (const auto& e : events) {
        if (JStr(e, "type") != "agent_completed") continue;
        const auto* p = JObj(e, "payload");
        if (!p || JStr(*p, "agent") != "triage") continue;
        if (const auto* r = JObj(*p, "result")) {
            std::string s = JStr(*r, "data_sufficiency");
            return s.empty() ? JStr(*r, "sufficiency") : s;
        }
    }
    return {};
}

void ExpectPipeline(StageContext& ctx, const RunTrace& t, const std::vector<std::string>& expected,
                    const std::string& expected_sufficiency, const std::string& label) {
    ExpectValidSequence(t);
    Expect(t.terminal == "run_completed", label + ": run ended with " + t.terminal + ": " + Quote(t.events.back()));
    auto order = AgentOrder(t.events);
    std::string sufficiency = TriageSufficiency(t.events);
    Expect(order == expected, label + " (§8): expected agents " + Join(expected, " → ") + ", got " +
                                  Join(order, " → ") + " (triage said sufficiency '" + sufficiency + "')");
    if (!expected_sufficiency.empty()) {
        Expect(sufficiency == expected_sufficiency,
               label + ": triage's data_sufficiency is '" + sufficiency + "', expected '" + expected_sufficiency + "'");
    }
    ctx.Note(Join(order, " → "));
}

void PipelineGeneral(StageContext& ctx) {
    auto user = ctx.NewUser("orch-general");
    auto ws = ctx.Connect(user);
    auto t = SendAndFollowRun(*ws, UserMessage("Hello! What can Netra do for me?"));
    ExpectPipeline(ctx, t, {"triage", "reporting"}, "", "general question");
}

void PipelineInsufficient(StageContext& ctx) {
    auto user = ctx.NewUser("orch-insufficient");
    auto ws = ctx.Connect(user);
    auto t = SendAndFollowRun(*ws, UserMessage("Our AI bill is too high. How can we reduce our LLM costs?"));
    ExpectPipeline(ctx, t, {"triage", "data_helper", "reporting"}, "insufficient", "insufficient facts");
}

void PipelinePartial(StageContext& ctx) {
    auto user = ctx.NewUser("orch-partial");
    auto ws = ctx.Connect(user);
    // §8's own example: 4 of 6 cost facts → 0.67 → partial.
    auto t =
        SendAndFollowRun(*ws, UserMessage("We spend $40k/month on GPT-4o for customer support, 2M requests per month. "
                                          "How can we cut costs?"));
    ExpectPipeline(ctx, t, {"triage", "data_helper", "data", "optimization", "reporting"}, "partial", "partial facts");
}

// start_agent {agent}: the named agent runs, with what it needs before it, even where the adaptive pipeline
// would take another path (these partial facts would get the data helper and no optimization by name).
void StartAgentRunsTheNamedAgent(StageContext& ctx) {
    auto user = ctx.NewUser("orch-start-agent");
    auto ws = ctx.Connect(user);
    json::object frame{{"type", "start_agent"},
                       {"client_message_id", core::NewId()},
                       {"payload", json::object{{"user_request",
                                                 "We spend $40k/month on GPT-4o for customer support, "
                                                 "2M requests per month. How can we cut costs?"},
                                                {"agent", "optimization"}}}};
    auto t = SendAndFollowRun(*ws, frame);
    ExpectPipeline(ctx, t, {"triage", "data", "optimization", "reporting"}, "partial", "start_agent optimization");
}

void PipelineSufficientFacts(StageContext& ctx) {
    auto user = ctx.NewUser("orch-sufficient");
    auto ws = ctx.Connect(user);
    // All six cost facts: spend, model, volume, tokens per request, a latency constraint, the use case.
    auto t = SendAndFollowRun(*ws, UserMessage("We spend $40k/month on GPT-4o for customer support, 2M requests "
                                               "per month, about 1,500 tokens per request, and p95 latency must "
                                               "stay under 800 ms. How can we cut costs?"));
    ExpectPipeline(ctx, t, {"triage", "data", "optimization", "actions", "reporting"}, "sufficient",
                   "all six cost facts stated");
}

// A small usage log in the §9 schema (the four required columns plus a few optional ones).
std::string UsageCsv(int rows) {
    std::ostringstream csv;
    csv << "timestamp,model,provider,input_tokens,output_tokens,latency_ms,feature\n";
    for (int i = 0; i < rows; ++i) {
        csv << "2025-01-" << (10 + i % 14) << "T" << (10 + i % 10) << ":00:00Z," << (i % 3 ? "gpt-4o" : "gpt-4o-mini")
            << ",openai," << 800 + (i * 37) % 900 << "," << 150 + (i * 11) % 200 << "," << 400 + (i * 13) % 500
            << ",support\n";
    }
    return csv.str();
}

void PipelineDataset(StageContext& ctx) {
    auto user = ctx.NewUser("orch-dataset");
    auto http = ctx.Http();
    auto auth = BearerAuth(user.access_token);
    auto thread =
        Must(http.PostJson("/api/threads", json::object{{"title", "dataset pipeline"}}, auth), "POST /api/threads");
    std::string thread_id = JStr(ExpectJson(thread, {200, 201}, "POST /api/threads"), "id");
    Headers h = auth;
    h.emplace_back("Content-Type", "text/csv");
    auto up = Must(http.Request("POST", "/api/datasets?name=stage-usage&thread_id=" + thread_id, h, UsageCsv(200)),
                   "POST /api/datasets");
    const auto& d = ExpectJson(up, {201}, "POST /api/datasets (200-row CSV)");
    std::string dataset_id = JStr(d, "id");
    Expect(!dataset_id.empty(), "dataset answer has no id: " + Quote(d));
    auto ws = ctx.Connect(user);
    auto frame = UserMessage("Here is our usage export. How can we cut our LLM costs?", thread_id);
    frame["dataset_id"] = dataset_id;
    auto t = SendAndFollowRun(*ws, frame);
    ExpectPipeline(ctx, t, {"triage", "data", "optimization", "actions", "reporting"}, "sufficient",
                   "uploaded usage dataset");
}

// Starts runs on `count` fresh threads over HTTP; returns their ids.
std::vector<std::string> StartRuns(HttpClient& http, const Credentials& user, int count, const std::string& text) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
        auto r =
            Must(http.PostJson("/api/agents/execute", json::object{{"user_request", text + " #" + std::to_string(i)}},
                               BearerAuth(user.access_token)),
                 "POST /api/agents/execute");
        const auto& o = ExpectJson(r, {202}, "POST /api/agents/execute");
        std::string id = JStr(o, "run_id");
        Expect(!id.empty(), "execute answer has no run_id: " + Quote(o));
        ids.push_back(id);
    }
    return ids;
}

// Most runs of `ids` that were between run_started and their terminal event at the same instant, from the
// stored events' timestamps (the server's own account, independent of polling).
int MaxOverlap(HttpClient& http, const Credentials& user, const std::vector<std::string>& ids) {
    std::vector<std::pair<std::string, int>> edges;  // (RFC 3339 ms timestamp, +1 start / -1 end)
    for (const auto& id : ids) {
        auto events = StoredEvents(http, user, id);
        for (const auto& e : events) {
            std::string type = JStr(e, "type");
            if (type == "run_started") edges.emplace_back(JStr(e, "timestamp"), +1);
            if (IsTerminalRunEvent(type)) edges.emplace_back(JStr(e, "timestamp"), -1);
        }
    }
    // Same-millisecond end and start count as not overlapping (ends sort first). Timestamps share one format
    // (UTC, ms), so string order is time order.
    std::sort(edges.begin(), edges.end());
    int now = 0, most = 0;
    for (const auto& [ts, d] : edges) {
        now += d;
        most = std::max(most, now);
    }
    return most;
}

void ConcurrencyLimit(StageContext& ctx) {
    constexpr int kLimit = 4;  // §7 default; a deployment configured otherwise fails here, saying so
    constexpr int kRuns = 7;
    FaultGuard slow(ctx, SlowTriageFault(1500));
    auto user = ctx.NewUser("orch-limit");
    auto http = ctx.Http();
    auto ws = ctx.Connect(user);
    auto ids = StartRuns(http, user, kRuns, "We spend $10k/month on gpt-4o. Cut costs?");
    int max_running = 0, max_queued_while_full = 0, samples = 0;
    double slowest_poll_ms = 0;
    std::set<std::string> finished;
    const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
    while (finished.size() < ids.size()) {
        Expect(std::chrono::steady_clock::now() < deadline, "runs did not all finish within the run timeout");
        // One snapshot of the user's active runs (get_agent_status answers from one consistent view), not a sweep
        // of GETs: a sweep spans the moment one run ends and the next starts, and would count both as running.
        Expect(ws->Send(json::object{{"type", "get_agent_status"}}), "could not send get_agent_status");
        auto status = ws->ReceiveUntil([](const WsMessage& m) { return m.Type() == "agent_status"; }, kFrameTimeout);
        Expect(status.has_value(), "no agent_status within 5 s");
        int running = 0, queued = 0;
        auto it = status->Object()->find("runs");
        Expect(it != status->Object()->end() && it->value().is_array(), "agent_status without runs: " + status->text);
        for (const auto& v : it->value().get_array()) {
            const auto& r = v.as_object();
            if (std::find(ids.begin(), ids.end(), JStr(r, "run_id")) == ids.end()) continue;
            if (JStr(r, "status") == "running") ++running;
            if (JStr(r, "status") == "queued") ++queued;
        }
        for (const auto& id : ids) {
            if (finished.count(id)) continue;
            auto r = Must(http.Get("/api/runs/" + id, BearerAuth(user.access_token)), "GET /api/runs/" + id);
            slowest_poll_ms = std::max(slowest_poll_ms, r.elapsed_ms);
            if (IsTerminalStatus(JStr(ExpectJson(r, {200}, "GET /api/runs/{id}"), "status"))) finished.insert(id);
        }
        ++samples;
        max_running = std::max(max_running, running);
        if (running == kLimit) max_queued_while_full = std::max(max_queued_while_full, queued);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (const auto& id : ids) {
        auto run = GetRun(http, user, id);
        Expect(JStr(run, "status") == "completed", "run " + id + " ended " + Quote(run));
    }
    const int overlap = MaxOverlap(http, user, ids);
    const std::string seen = "get_agent_status saw at most " + std::to_string(max_running) + " running (slowest GET " +
                             std::to_string(static_cast<int>(slowest_poll_ms)) + " ms), the stored events show " +
                             std::to_string(overlap) + " runs in flight at once";
    ctx.Note(seen + "; max queued at the limit " + std::to_string(max_queued_while_full) + " over " +
             std::to_string(samples) + " polls");
    Expect(overlap <= kLimit && max_running <= kLimit,
           "more than " + std::to_string(kLimit) + " runs of one user ran at once (§7): " + seen);
    Expect(overlap == kLimit && max_running == kLimit, "the user's " + std::to_string(kRuns) +
                                                           " slowed runs never ran " + std::to_string(kLimit) +
                                                           " at once: " + seen);
    Expect(max_queued_while_full > 0, "no run was observed queued while the limit was reached: " + seen);
}

// A first run on a fresh thread that stays busy (slowed triage tool) until the second message arrives.
struct BusyThread {
    std::string run1, thread_id;
};
BusyThread StartBusy(WsClient& ws) {
    auto [run1, thread_id] = SendAcked(ws, UserMessage("We spend $20k/month on gpt-4o. How do we cut costs?"));
    auto started = ws.ReceiveUntil(
        [&](const WsMessage& m) { return m.Type() == "agent_started" && JStr(*m.Object(), "run_id") == run1; },
        kFrameTimeout);
    Expect(started.has_value(), "first run " + run1 + " did not start within 5 s");
    return {run1, thread_id};
}

void DoubleTextReject(StageContext& ctx) {
    FaultGuard slow(ctx, SlowTriageFault(1500));
    auto user = ctx.NewUser("orch-reject");
    auto ws = ctx.Connect(user);
    auto busy = StartBusy(*ws);
    auto frame = UserMessage("And what about latency?", busy.thread_id);
    frame["policy"] = "reject";
    frame["client_message_id"] = "reject-" + busy.thread_id;
    Expect(ws->Send(frame), "send failed");
    auto m =
        ws->ReceiveUntil([](const WsMessage& x) { return x.Type() == "error" || x.Type() == "ack"; }, kFrameTimeout);
    Expect(m.has_value(), "no answer to a policy=reject message on a busy thread within 5 s");
    Expect(m->Type() == "error" && JStr(*m->Object(), "code") == "THREAD_BUSY",
           "policy=reject on a busy thread: expected error THREAD_BUSY, got " + m->text);
    // A client with several messages in flight learns which one was refused.
    Expect(JStr(*m->Object(), "client_message_id") == "reject-" + busy.thread_id,
           "the THREAD_BUSY error does not name the refused message's client_message_id: " + m->text);
    auto http = ctx.Http();
    auto r = Must(
        http.PostJson("/api/threads/" + busy.thread_id + "/messages",
                      json::object{{"content", "Still there?"}, {"policy", "reject"}}, BearerAuth(user.access_token)),
        "POST /api/threads/{id}/messages");
    std::string problem = CheckErrorBody(r.status, r.json, r.Header("X-Request-Id"), 409, "thread_busy");
    Expect(problem.empty(), "HTTP policy=reject on a busy thread: " + problem + " — " + r.Describe());
    auto frames = CollectRuns(*ws, {busy.run1});
    auto run1 = WaitRunTerminal(http, user, busy.run1);
    Expect(JStr(run1, "status") == "completed", "the busy run did not complete after the rejects: " + Quote(run1));
    // Nothing was started for the rejected messages.
    auto runs = Must(http.Get("/api/threads/" + busy.thread_id + "/runs", BearerAuth(user.access_token)),
                     "GET /api/threads/{id}/runs");
    const auto& ro = ExpectJson(runs, {200}, "GET /api/threads/{id}/runs");
    const auto* list = ArrayField(ro, {"data"});
    Expect(list && list->size() == 1, "the thread has " + std::to_string(list ? list->size() : 0) +
                                          " runs after two rejected messages, expected 1: " + Quote(ro, 500));
}

void DoubleTextEnqueue(StageContext& ctx) {
    FaultGuard slow(ctx, SlowTriageFault(1500));
    auto user = ctx.NewUser("orch-enqueue");
    auto ws = ctx.Connect(user);
    auto busy = StartBusy(*ws);
    auto frame = UserMessage("Also, which model should we use for summaries?", busy.thread_id);
    frame["policy"] = "enqueue";
    std::vector<WsMessage> early;
    auto [run2, thread2] = SendAcked(*ws, frame, &early);
    Expect(thread2 == busy.thread_id, "the enqueued message landed on another thread " + thread2);
    Expect(run2 != busy.run1, "the second message got the first run's id");
    auto http = ctx.Http();
    auto queued = GetRun(http, user, run2);
    Expect(JStr(queued, "status") == "queued",
           "the second run is '" + JStr(queued, "status") + "' while the first is running (expected queued)");
    auto frames = CollectRuns(*ws, {busy.run1, run2}, early);
    long end1 = IndexOf(frames, busy.run1, "run_completed");
    long start2 = IndexOf(frames, run2, "run_started");
    Expect(end1 >= 0, "the first run did not complete");
    Expect(start2 > end1, "the enqueued run started before the first one completed (frame " + std::to_string(start2) +
                              " vs " + std::to_string(end1) + ")");
    Expect(IndexOf(frames, run2, "run_completed") > start2, "the enqueued run did not complete");
}

void DoubleTextInterrupt(StageContext& ctx) {
    FaultGuard slow(ctx, SlowTriageFault(1500));
    auto user = ctx.NewUser("orch-interrupt");
    auto ws = ctx.Connect(user);
    auto busy = StartBusy(*ws);
    auto frame = UserMessage("Actually, forget that: just tell me about caching.", busy.thread_id);
    frame["policy"] = "interrupt";
    auto sent = std::chrono::steady_clock::now();
    std::vector<WsMessage> early;
    auto [run2, thread2] = SendAcked(*ws, frame, &early);
    Expect(thread2 == busy.thread_id, "the interrupting message landed on another thread " + thread2);
    auto frames = CollectRuns(*ws, {busy.run1, run2}, early);
    auto ev1 = EventsOf(frames, busy.run1);
    Expect(!ev1.empty() && JStr(ev1.back(), "type") == "run_cancelled",
           "the interrupted run ended with " + (ev1.empty() ? std::string("nothing") : JStr(ev1.back(), "type")));
    Expect(ev1.size() >= 2 && JStr(ev1[ev1.size() - 2], "type") == "agent_failed",
           "the interrupted run's running agent did not end with agent_failed before run_cancelled");
    const auto* fp = JObj(ev1[ev1.size() - 2], "payload");
    const auto* err = fp ? JObj(*fp, "error") : nullptr;
    Expect(err && JStr(*err, "code") == "CANCELLED",
           "agent_failed of the interrupted run lacks error.code CANCELLED: " + Quote(ev1[ev1.size() - 2]));
    long cancelled = IndexOf(frames, busy.run1, "run_cancelled");
    long start2 = IndexOf(frames, run2, "run_started");
    Expect(start2 > cancelled, "the interrupting run started before the first was cancelled");
    auto ev2 = EventsOf(frames, run2);
    Expect(JStr(ev2.back(), "type") == "run_completed", "the interrupting run ended " + JStr(ev2.back(), "type"));
    double ms =
        std::chrono::duration<double, std::milli>(frames[static_cast<std::size_t>(cancelled)].received_at - sent)
            .count();
    ctx.Note("interrupt → run_cancelled in " + std::to_string(static_cast<int>(ms)) + " ms");
    // Last, the §6 shape of both runs as stored (the interrupted agent's open tool call must still be closed).
    auto http = ctx.Http();
    for (const auto& id : {busy.run1, run2}) {
        auto problems = ValidateRunSequence(StoredEvents(http, user, id), id, busy.thread_id);
        if (!problems.empty()) Fail("run " + id + ": " + Join(problems, "; "));
    }
}

void StepTimeout(StageContext& ctx) {
    auto server = ctx.SpawnDedicated({"NETRA_AGENT_STEP_TIMEOUT_MS=400"},
                                     "the step-timeout test runs a server with a 400 ms agent step timeout");
    auto dctx = ctx.ForServer(*server);
    FaultGuard slow(*dctx, SlowTriageFault(3000));
    auto user = dctx->NewUser("orch-timeout");
    auto ws = dctx->Connect(user);
    auto t = SendAndFollowRun(*ws, UserMessage("We spend $10k/month on gpt-4o. How can we save?"), 30s);
    Expect(!t.terminal.empty(), "the run did not end within 30 s although its step timeout is 400 ms");
    Expect(t.terminal == "run_failed", "a step slower than the step timeout ended the run with '" + t.terminal +
                                           "', expected run_failed: " + Quote(t.events.back()));
    const json::object* failed = nullptr;
    for (const auto& e : t.events) {
        if (JStr(e, "type") == "agent_failed") failed = &e;
    }
    Expect(failed != nullptr, "no agent_failed event before run_failed");
    const auto* p = JObj(*failed, "payload");
    const auto* err = p ? JObj(*p, "error") : nullptr;
    Expect(err && JStr(*err, "code") == "TIMEOUT", "agent_failed does not carry error.code TIMEOUT: " + Quote(*failed));
    Expect(JStr(*p, "agent") == "triage", "the timed-out agent is '" + JStr(*p, "agent") + "', expected triage");
    std::string terminal_text = Quote(t.events.back(), 2000);
    Expect(terminal_text.find("TIMEOUT") != std::string::npos,
           "run_failed does not say TIMEOUT (§7): " + Quote(t.events.back()));
    auto http = dctx->Http();
    auto run = WaitRunTerminal(http, user, t.run_id);
    Expect(JStr(run, "status") == "failed", "GET /api/runs/{id} after the timeout: " + Quote(run));
    ctx.Note("run_failed after " + std::to_string(static_cast<int>(t.total_ms)) + " ms");
    // Last, the §6 shape of the whole sequence (a tool call cut short must still be closed).
    ExpectValidSequence(t);
}

}  // namespace

std::vector<TestCase> AgentOrchestrationTests() {
    std::vector<TestCase> tests = {
        {"agent_registry", AgentRegistry},
        {"mcp_servers", McpServers},
        {"pipeline_general_question", PipelineGeneral},
        {"pipeline_insufficient", PipelineInsufficient},
        {"pipeline_partial", PipelinePartial},
        {"pipeline_sufficient_facts", PipelineSufficientFacts},
        {"start_agent_runs_the_named_agent", StartAgentRunsTheNamedAgent},
        {"pipeline_sufficient_dataset", PipelineDataset},
        {"per_user_concurrency_limit", ConcurrencyLimit},
        {"double_text_reject", DoubleTextReject},
        {"double_text_enqueue", DoubleTextEnqueue},
        {"double_text_interrupt", DoubleTextInterrupt},
        {"step_timeout", StepTimeout},
    };
    for (auto& t : AgentLlmTests()) tests.push_back(std::move(t));
    return tests;
}

}  // namespace netra::stage

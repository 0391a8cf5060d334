// Module 7 — startup_resilience (§7, §10, §13). With --spawn only (each check starts and stops a server of its own):
//   cold_start_to_ready: start to readiness timed; /health names the service, version and instance; readiness lists
//     the start-up phases (config, database, cache, services, listeners) with their durations.
//   restart_keeps_all_data: after SIGTERM and a start on the same data, the user logs in with their password and
//     finds their thread, both messages, the run and its events, and the dataset with its rows.
//   sigterm_drains_and_hands_back: SIGTERM while a run waits in a slowed tool closes sockets with 1001 and ends the
//     run's SSE stream at once (before the 3 s drain is over), and exits 0 after the drain; the run handed back as
//     interrupted is resumed by the next start and completes, the hand-back not counted as an attempt (attempt 1).
//   database_down_at_boot (same options): a server started while its database is down stays live (/health 200),
//     readiness 503 in its database phase, WebSocket upgrades and requests 503 JSON; once the database is back it
//     finishes starting by itself (ready within 30 s) and serves.
//   database_down_and_back (with --db-stop-cmd and --db-start-cmd, e.g. PostgreSQL under scripts/pg-test-server.sh):
//     while the database is down /health stays 200, readiness is 503 with checks.database down, and a request that
//     needs the database is 503 JSON service_unavailable — never a hang or a closed socket; once it is back the
//     server recovers by itself: readiness 200 within 30 s, the user's data intact, a new run completes.
//   database_down_mid_run (same options; docs/decisions.md "Database outage"): a server of its own with short
//     leases (2 s, renewed every 0.5 s, checked every 0.3 s) has a run inside a data helper tool slowed to 3 s when
//     the database goes down; it stays down for the tool's 3 s + 2 s, so the run's next event write meets the
//     outage and ends its attempt (the slowing fault is cleared before the database comes back). Once it is back
//     (readiness 200 within 30 s) the run must, within 60 s of it coming back, complete after one `run_resumed`
//     event right after the events stored before the outage (each still stored with its seq and type; after_seq
//     names the last of them; triage named as completed); its events, read one lease after it completed (so a late
//     second attempt or terminal event would show), form a valid sequence; the thread holds the user message and
//     one assistant message of that run; no run of the user is left running.
//   sigkill_storm: --sigkills (20) SIGKILLs at random moments (100–600 ms apart) of a server kept busy by a client
//     posting ~40 messages a second to four threads; after the last start settles (30 s + 0.1 s per message): every
//     message whose POST was answered 201 is in its thread, and no run is left queued, running or interrupted (each
//     completed, or failed with an error after its attempts); every run's stored events form a valid sequence.
//   sigkill_out_of_attempts: a server of its own with short leases and one attempt per run, killed while a run is
//     inside a slowed data helper tool: after the restart the run ends failed and its log stays valid, ending with
//     the tool call and the agent closed as failed (INTERRUPTED) and run_failed.
//   sigkill_mid_run_resumes: a server of its own, short leases (2 s, renewed every 0.5 s, checked every 0.3 s), is
//   killed with
// SIGKILL while a run is inside an agent that was slowed by fault injection, after an earlier agent completed, with
// a second run of the same thread queued behind it. Started again on the same data, the server must:
//   - keep every committed message (both user messages, nothing lost);
//   - resume the interrupted run once its lease expires: a `run_resumed` event right after the last stored one,
//     naming the agents that had completed, none of them started again, the run completed with one assistant
//     message; the stored events form a valid sequence (contiguous seqs, one terminal event);
//   - run the queued run (it survives the restart) to completion;
//   - leave no run `running`.
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "stage/event_checks.hpp"
#include "stage/http_client.hpp"
#include "stage/process.hpp"
#include "stage/suite.hpp"
#include "stage/ws_client.hpp"

namespace netra::stage {
namespace json = boost::json;

namespace {

// Leases short enough for a test to watch one expire: 2 s, renewed every 0.5 s, checked every 0.3 s.
std::vector<std::string> ShortLeases() {
    return {"NETRA_RUN_LEASE_MS=2000", "NETRA_RUN_LEASE_RENEW_MS=500", "NETRA_RUN_LEASE_CHECK_MS=300"};
}

// The data helper's first tool waits `latency_ms` (30 s unless told): a run sits inside it after triage completed.
json::object SlowDataHelperFault(int latency_ms = 30000) {
    return json::object{
        {"target", "tool:build_data_request"}, {"mode", "latency"}, {"latency_ms", latency_ms}, {"duration_s", 120}};
}

// Until the run's stored events show it inside the slowed tool (at most 20 s).
void WaitInsideSlowedTool(HttpClient& http, const Credentials& user, const std::string& run_id) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        for (const auto& e : StoredEvents(http, user, run_id)) {
            if (JStr(e, "type") == "tool_executing" && JStr(e, "agent_name") == "data_helper") return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    Fail("run " + run_id + " never reached the data helper's slowed tool");
}

// A run_resumed payload lists the agents completed before the interruption; triage is one of them in these tests.
void ExpectTriageNamedCompleted(const json::object& payload) {
    const json::value* completed = payload.if_contains("completed_agents");
    Expect(completed != nullptr && completed->is_array(), "run_resumed names no completed_agents: " + Quote(payload));
    bool triage_done = false;
    for (const auto& a : completed->as_array())
        triage_done = triage_done || (a.is_string() && a.as_string() == "triage");
    Expect(triage_done, "run_resumed does not name triage as completed: " + Quote(payload));
}

void SigkillMidRunResumes(StageContext& ctx) {
    auto server = ctx.SpawnDedicated(
        ShortLeases(), "kills a server of its own with SIGKILL mid-run and starts it again on the same data");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("crash");
    const std::string thread = CreateThread(http, user, "crash");

    std::string first_run, second_run;
    {
        FaultGuard slow(*dedicated, SlowDataHelperFault());
        first_run = PostMessage(http, user, thread, "How can we cut our LLM costs?");
        second_run = PostMessage(http, user, thread, "And what data do you need from us?");
        WaitInsideSlowedTool(http, user, first_run);
        server->Kill();  // the guard's DELETE below meets a dead server: that is fine
    }
    const auto before = std::chrono::steady_clock::now();
    Expect(server->Restart().ok(), "the server did not start again on the same data: " + server->LogTail());
    auto http2 = dedicated->Http();

    json::object first;
    try {
        first = WaitRunTerminal(http2, user, first_run, std::chrono::seconds(60));
    } catch (const TestFailure& f) {
        Fail(std::string(f.what()) + " — server " + server->ExitDescription() + ", log: " + server->LogTail(1500));
    }
    const double resumed_after_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - before).count();
    Expect(JStr(first, "status") == "completed", "the interrupted run ended " + Quote(first, 300));
    auto events = StoredEvents(http2, user, first_run);
    auto problems = ValidateRunSequence(events, first_run, thread);
    Expect(problems.empty(), "the resumed run's events are not a valid sequence: " + Join(problems, "; "));
    std::size_t resumed_at = events.size();
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (JStr(events[i], "type") == "run_resumed") {
            Expect(resumed_at == events.size(), "two run_resumed events");
            resumed_at = i;
        }
    }
    Expect(resumed_at < events.size(), "no run_resumed event in the interrupted run");
    const auto* payload = JObj(events[resumed_at], "payload");
    Expect(payload != nullptr, "run_resumed has no payload");
    ExpectTriageNamedCompleted(*payload);
    for (std::size_t i = resumed_at + 1; i < events.size(); ++i) {
        Expect(!(JStr(events[i], "type") == "agent_started" && JStr(events[i], "agent_name") == "triage"),
               "triage, completed before the crash, started again after run_resumed");
    }

    auto second = WaitRunTerminal(http2, user, second_run, std::chrono::seconds(60));
    Expect(JStr(second, "status") == "completed", "the queued run ended " + Quote(second, 300));

    auto messages = Must(http2.Get("/api/threads/" + thread + "/messages", BearerAuth(user.access_token)),
                         "GET /api/threads/{id}/messages");
    const auto& page = ExpectJson(messages, {200}, "GET /api/threads/{id}/messages");
    int users = 0, assistants = 0;
    if (const auto* data = page.if_contains("data"); data != nullptr && data->is_array()) {
        for (const auto& m : data->as_array()) {
            if (!m.is_object()) continue;
            users += JStr(m.as_object(), "role") == "user";
            assistants += JStr(m.as_object(), "role") == "assistant";
        }
    }
    Expect(users == 2 && assistants == 2, "after the crash the thread holds " + std::to_string(users) + " user and " +
                                              std::to_string(assistants) + " assistant messages, not 2 and 2");
    ctx.Note("SIGKILL inside data_helper; restarted, the run resumed after " + std::to_string(resumed_at) +
             " stored events and completed " + std::to_string(static_cast<int>(resumed_after_s * 1000)) +
             " ms after the restart began; the queued run completed too");
}

// A run interrupted as often as NETRA_RUN_MAX_ATTEMPTS allows (here 1: the first interruption) is failed, not run
// again, and its log still keeps §6's pairs: the agent and the tool call it was inside are closed as failed
// (INTERRUPTED) before run_failed.
void SigkillOutOfAttempts(StageContext& ctx) {
    auto env = ShortLeases();
    env.emplace_back("NETRA_RUN_MAX_ATTEMPTS=1");
    auto server = ctx.SpawnDedicated(env, "kills a server of its own (one attempt per run) with SIGKILL mid-run");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("attempts");
    const std::string thread = CreateThread(http, user, "attempts");
    std::string run_id;
    {
        FaultGuard slow(*dedicated, SlowDataHelperFault());
        run_id = PostMessage(http, user, thread, "How can we cut our LLM costs?");
        WaitInsideSlowedTool(http, user, run_id);
        server->Kill();
    }
    Expect(server->Restart().ok(), "the server did not start again on the same data: " + server->LogTail());
    auto http2 = dedicated->Http();
    auto run = WaitRunTerminal(http2, user, run_id, std::chrono::seconds(60));
    Expect(JStr(run, "status") == "failed", "a run out of attempts ended " + Quote(run, 300));
    auto events = StoredEvents(http2, user, run_id);
    auto problems = ValidateRunSequence(events, run_id, thread);
    Expect(problems.empty(), "the failed run's events are not a valid sequence: " + Join(problems, "; "));
    std::vector<std::string> tail;
    for (std::size_t i = events.size() >= 3 ? events.size() - 3 : 0; i < events.size(); ++i)
        tail.push_back(JStr(events[i], "type"));
    Expect(tail == std::vector<std::string>{"tool_completed", "agent_failed", "run_failed"},
           "the run's log ends " + Join(tail, ", ") + ", not tool_completed, agent_failed, run_failed");
    const auto* failed = JObj(events[events.size() - 2], "payload");
    const auto* error = failed != nullptr ? failed->if_contains("error") : nullptr;
    Expect(error != nullptr && error->is_object() && JStr(error->as_object(), "code") == "INTERRUPTED",
           "agent_failed does not say INTERRUPTED: " + Quote(events[events.size() - 2], 300));
    ctx.Note("SIGKILL inside data_helper with one attempt allowed: the run failed after the restart, " +
             std::to_string(events.size()) + " events ending " + Join(tail, ", "));
}

// The user's thread with one finished exchange, and a dataset.
struct Footprint {
    std::string thread, run, dataset;
    std::size_t events = 0;
};

Footprint LeaveFootprint(HttpClient& http, const Credentials& user) {
    Footprint f;
    f.thread = CreateThread(http, user, "keep me");
    f.run = PostMessage(http, user, f.thread, "What can Netra do for our LLM costs?");
    auto run = WaitRunTerminal(http, user, f.run, std::chrono::seconds(60));
    Expect(JStr(run, "status") == "completed", "the run before the restart ended " + Quote(run, 300));
    f.events = StoredEvents(http, user, f.run).size();
    Headers h = BearerAuth(user.access_token);
    h.emplace_back("Content-Type", "text/csv");
    auto up = Must(http.Request("POST", "/api/datasets?name=kept", h,
                                "timestamp,model,input_tokens,output_tokens\n2025-10-06T10:00:00Z,gpt-5-mini,100,10\n"
                                "2025-10-06T11:00:00Z,gpt-5-mini,200,20\n"),
                   "POST /api/datasets");
    f.dataset = JStr(ExpectJson(up, {201}, "POST /api/datasets"), "id");
    return f;
}

void ExpectFootprint(HttpClient& http, const Credentials& user, const Footprint& f) {
    auto login = Must(http.PostJson("/auth/login", json::object{{"email", user.email}, {"password", user.password}}),
                      "POST /auth/login");
    const auto& tokens = ExpectJson(login, {200}, "logging in with the password after the restart");
    Credentials again = user;
    again.access_token = JStr(tokens, "access_token");
    Expect(!again.access_token.empty(), "the login after the restart gave no access token: " + Quote(tokens));
    auto messages = Must(http.Get("/api/threads/" + f.thread + "/messages", BearerAuth(again.access_token)),
                         "GET /api/threads/{id}/messages");
    const auto& page = ExpectJson(messages, {200}, "the thread's messages after the restart");
    const json::value* data = page.if_contains("data");
    Expect(data != nullptr && data->is_array() && data->as_array().size() == 2,
           "after the restart the thread has " + Quote(page, 300) + ", not its 2 messages");
    auto run = GetRun(http, again, f.run);
    Expect(JStr(run, "status") == "completed", "after the restart the run is " + Quote(run, 200));
    Expect(StoredEvents(http, again, f.run).size() == f.events, "after the restart the run's events changed in number");
    auto dataset =
        Must(http.Get("/api/datasets/" + f.dataset, BearerAuth(again.access_token)), "GET /api/datasets/{id}");
    const auto& d = ExpectJson(dataset, {200}, "the dataset after the restart");
    const json::value* rows = d.if_contains("rows");
    Expect(rows != nullptr && rows->is_int64() && rows->as_int64() == 2,
           "after the restart the dataset is " + Quote(d, 200));
}

void ColdStartToReady(StageContext& ctx) {
    auto server = ctx.SpawnDedicated({}, "times a cold start of a server of its own");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto live = Must(http.Get("/health"), "GET /health");
    const auto& l = ExpectJson(live, {200}, "GET /health");
    Expect(JStr(l, "service") == "netra-backend" && !JStr(l, "version").empty() && !JStr(l, "instance_id").empty(),
           "/health does not name service, version and instance: " + Quote(l));
    auto ready = Must(http.Get("/health/ready"), "GET /health/ready");
    const auto& r = ExpectJson(ready, {200}, "GET /health/ready");
    const auto* startup = JObj(r, "startup");
    Expect(startup != nullptr, "readiness has no startup detail: " + Quote(r));
    const json::value* phases = startup->if_contains("completed_phases");
    Expect(phases != nullptr && phases->is_array(), "readiness lists no completed phases: " + Quote(r));
    std::vector<std::string> names;
    for (const auto& p : phases->as_array()) {
        if (p.is_object() && p.as_object().if_contains("duration_ms") != nullptr)
            names.push_back(JStr(p.as_object(), "phase"));
    }
    Expect(
        names == std::vector<std::string>{"config", "database", "cache", "services", "listeners"},
        "start-up phases are [" + Join(names) + "], not config, database, cache, services, listeners with durations");
    ctx.Note("cold start to ready: " + std::to_string(static_cast<int>(server->startup_ms())) +
             " ms (process start to "
             "GET /health/ready 200, polled every 50 ms)");
}

void RestartKeepsAllData(StageContext& ctx) {
    auto server = ctx.SpawnDedicated({}, "restarts a server of its own on the same data");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("restart");
    Footprint f = LeaveFootprint(http, user);
    std::string how = server->Stop(25);
    Expect(how == "exited 0", "the server did not exit cleanly after SIGTERM: " + how);
    Expect(server->Restart().ok(), "the server did not start again: " + server->LogTail());
    auto http2 = dedicated->Http();
    ExpectFootprint(http2, user, f);
    ctx.Note("after SIGTERM and a start on the same data: login, thread, 2 messages, the run and its " +
             std::to_string(f.events) + " events, the dataset");
}

void SigtermDrainsAndHandsBack(StageContext& ctx) {
    constexpr int kDrainMs = 3000;  // long enough to tell a stream ended by the shutdown from one ended by the exit
    auto server = ctx.SpawnDedicated({"NETRA_SHUTDOWN_DRAIN_MS=" + std::to_string(kDrainMs)},
                                     "stops a server of its own with SIGTERM while a run waits in a slowed tool");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("drain");
    auto ws = dedicated->Connect(user);
    const std::string thread = CreateThread(http, user, "drain");
    std::string run_id;
    {
        FaultGuard slow(*dedicated, SlowDataHelperFault());
        run_id = PostMessage(http, user, thread, "How can we cut our LLM costs?");
        WaitInsideSlowedTool(http, user, run_id);
        SseStream sse;
        auto head = sse.Open(dedicated->server(), "/api/runs/" + run_id + "/stream", BearerAuth(user.access_token));
        Expect(head.ok() && head->status == 200,
               "GET /api/runs/{id}/stream: " + (head.ok() ? head->Describe() : head.error().message));
        const auto terminated_at = std::chrono::steady_clock::now();
        server->Terminate();
        const auto closed_by = terminated_at + std::chrono::seconds(10);
        std::optional<std::chrono::milliseconds> sse_ended_after;
        while ((ws->IsOpen() || !sse_ended_after) && std::chrono::steady_clock::now() < closed_by) {
            if (!sse_ended_after && sse.Ended()) {
                sse_ended_after = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - terminated_at);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        Expect(ws->CloseCode() == 1001, "SIGTERM did not close the socket with 1001 (close code " +
                                            (ws->CloseCode() ? std::to_string(*ws->CloseCode()) : "none") + ")");
        // Ended by the shutdown itself, not left open until the process exits after its drain.
        Expect(sse_ended_after && sse_ended_after->count() < kDrainMs,
               "the run's SSE stream " +
                   (sse_ended_after ? "ended only " + std::to_string(sse_ended_after->count()) + " ms after SIGTERM (" +
                                          sse.EndReason() + ")"
                                    : std::string("was still open 10 s after SIGTERM")) +
                   "; the drain takes " + std::to_string(kDrainMs) + " ms");
        std::string how = server->Stop(25);
        Expect(how == "exited 0", "the server did not exit cleanly after SIGTERM: " + how);
    }
    Expect(server->Restart().ok(), "the server did not start again: " + server->LogTail());
    auto http2 = dedicated->Http();
    auto run = WaitRunTerminal(http2, user, run_id, std::chrono::seconds(60));
    Expect(JStr(run, "status") == "completed", "the handed-back run ended " + Quote(run, 300));
    auto events = StoredEvents(http2, user, run_id);
    const json::object* resumed = nullptr;
    for (const auto& e : events)
        if (JStr(e, "type") == "run_resumed") resumed = JObj(e, "payload");
    Expect(resumed != nullptr, "the handed-back run has no run_resumed event (or it has no payload)");
    // A graceful hand-back is not one of the run's attempts (NETRA_RUN_MAX_ATTEMPTS counts deaths under it).
    Expect(resumed->if_contains("attempt") != nullptr && *resumed->if_contains("attempt") == json::value(1) &&
               run.if_contains("attempt") != nullptr && run.at("attempt") == json::value(1),
           "the run resumed after a graceful hand-back counts it as an attempt: run_resumed " + Quote(*resumed, 200) +
               ", run attempt " + (run.if_contains("attempt") ? Quote(run.at("attempt"), 20) : std::string("none")));
    auto problems = ValidateRunSequence(events, run_id, thread);
    Expect(problems.empty(), "the resumed run's events are not a valid sequence: " + Join(problems, "; "));
    ctx.Note("SIGTERM: 1001 and the SSE stream ended, exit 0 after a " + std::to_string(kDrainMs) +
             " ms drain; the interrupted run resumed on the next start and completed");
}

// The log lines at level error or critical (and the lease take-overs), for a failure message.
std::string ErrorLines(const std::string& log) {
    std::string out;
    std::size_t start = 0;
    while (start < log.size()) {
        std::size_t end = log.find('\n', start);
        if (end == std::string::npos) end = log.size();
        std::string_view line(log.data() + start, end - start);
        if (line.find("\"error\"") != std::string_view::npos || line.find("critical") != std::string_view::npos) {
            out += std::string(line.substr(0, 300)) + "\n";
        }
        start = end + 1;
    }
    return out.size() > 4000 ? out.substr(out.size() - 4000) : out;
}

void SigkillStorm(StageContext& ctx) {
    const int kills = ctx.options().sigkills;
    auto server =
        ctx.SpawnDedicated({"NETRA_RUN_LEASE_MS=1500", "NETRA_RUN_LEASE_RENEW_MS=400", "NETRA_RUN_LEASE_CHECK_MS=200",
                            "NETRA_MESSAGES_PER_MINUTE=100000", "NETRA_RUNS_PER_MINUTE=100000"},
                           "kills a busy server of its own with SIGKILL again and again");
    auto dedicated = ctx.ForServer(*server);
    auto user = dedicated->NewUser("storm");
    std::vector<std::string> threads;
    {
        auto http = dedicated->Http();
        for (int i = 0; i < 4; ++i) {
            auto t = Must(http.PostJson("/api/threads", json::object{{"title", "storm " + std::to_string(i)}},
                                        BearerAuth(user.access_token)),
                          "POST /api/threads");
            threads.push_back(JStr(ExpectJson(t, {201}, "POST /api/threads"), "id"));
        }
    }
    struct Committed {
        std::string thread, content;
    };
    std::mutex mu;
    std::vector<Committed> committed;
    std::atomic<bool> stop{false};
    std::atomic<int> attempts{0};
    std::thread poster([&] {
        auto http = dedicated->Http();
        for (int n = 0; !stop; ++n) {
            const std::string& thread = threads[static_cast<std::size_t>(n) % threads.size()];
            const std::string content = "storm message " + std::to_string(n) + ": where does our LLM spend go?";
            ++attempts;
            HttpRequestOptions opts;
            opts.timeout = std::chrono::milliseconds(3000);
            auto r = http.Request(
                "POST", "/api/threads/" + thread + "/messages",
                [&] {
                    Headers h = BearerAuth(user.access_token);
                    h.emplace_back("Content-Type", "application/json");
                    return h;
                }(),
                json::serialize(json::object{{"content", content}}), opts);
            if (r.ok() && (r->status == 201 || r->status == 202)) {
                std::lock_guard lock(mu);
                committed.push_back({thread, content});
                // A busy client, not a flood: ~40 messages a second keep runs queued on every thread.
                std::this_thread::sleep_for(std::chrono::milliseconds(25));
            } else {
                http.Disconnect();
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
            }
        }
    });
    std::mt19937 rng(static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    const std::uint32_t seed = rng();
    rng.seed(seed);
    std::uniform_int_distribution<int> pause_ms(100, 600);
    std::string failure;
    for (int k = 0; k < kills && failure.empty(); ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
        server->Kill();
        if (auto s = server->Restart(); !s.ok())
            failure = "start " + std::to_string(k + 1) + " failed: " + s.error().message;
    }
    stop = true;
    poster.join();
    Expect(failure.empty(), failure + " — " + server->LogTail());

    auto http = dedicated->Http();
    const auto auth = BearerAuth(user.access_token);
    // Settle: every run ends (resumed ones need their lease to expire first); the budget grows with the backlog.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30) +
                          std::chrono::milliseconds(100) * static_cast<int>(committed.size());
    std::vector<json::object> runs;
    for (;;) {
        runs.clear();
        for (const auto& thread : threads) {
            auto r = Must(http.Get("/api/threads/" + thread + "/runs", auth), "GET /api/threads/{id}/runs");
            const auto& o = ExpectJson(r, {200}, "GET /api/threads/{id}/runs");
            if (const auto* data = o.if_contains("data"); data && data->is_array()) {
                for (const auto& v : data->as_array()) {
                    if (v.is_object()) runs.push_back(v.as_object());
                }
            }
        }
        bool settled = true;
        for (const auto& r : runs) settled = settled && IsTerminalStatus(JStr(r, "status"));
        if (settled || std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    int completed = 0, failed = 0;
    for (const auto& r : runs) {
        const std::string status = JStr(r, "status");
        if (!IsTerminalStatus(status)) {
            auto events = StoredEvents(http, user, JStr(r, "id"));
            std::vector<std::string> types;
            for (const auto& e : events) types.push_back(JStr(e, "type") + ":" + JStr(e, "agent_name"));
            Fail("long after the last start, run " + JStr(r, "id") + " is still " + status + " (" + Quote(r, 400) +
                 "; events " + Join(types, " ") + "); server errors: " + ErrorLines(server->LogTail(1 << 22)));
        }
        if (status == "completed") ++completed;
        if (status == "failed") {
            ++failed;
            Expect(r.if_contains("error") != nullptr && !r.at("error").is_null(),
                   "a failed run says no error: " + Quote(r, 300));
        }
        auto events = StoredEvents(http, user, JStr(r, "id"));
        auto problems = ValidateRunSequence(events, JStr(r, "id"), JStr(r, "thread_id"));
        Expect(problems.empty(), "run " + JStr(r, "id") + ": " + Join(problems, "; "));
    }
    std::size_t found = 0;
    for (const auto& thread : threads) {
        std::vector<std::string> contents;
        std::optional<std::string> cursor;
        do {
            auto r = Must(
                http.Get("/api/threads/" + thread + "/messages?limit=100" + (cursor ? "&cursor=" + *cursor : ""), auth),
                "GET /api/threads/{id}/messages");
            const auto& page = ExpectJson(r, {200}, "GET /api/threads/{id}/messages");
            if (const auto* data = page.if_contains("data"); data && data->is_array()) {
                for (const auto& m : data->as_array()) {
                    if (m.is_object()) contents.push_back(JStr(m.as_object(), "content"));
                }
            }
            const json::value* next = page.if_contains("next_cursor");
            cursor =
                next && next->is_string() ? std::optional<std::string>(std::string(next->as_string())) : std::nullopt;
        } while (cursor);
        for (const auto& c : committed) {
            if (c.thread != thread) continue;
            Expect(std::find(contents.begin(), contents.end(), c.content) != contents.end(),
                   "a committed message is lost after the SIGKILLs: '" + c.content + "'");
            ++found;
        }
    }
    ctx.Note(std::to_string(kills) + " SIGKILLs (seed " + std::to_string(seed) + "); " +
             std::to_string(committed.size()) + " of " + std::to_string(attempts.load()) + " messages committed, all " +
             std::to_string(found) + " found; " + std::to_string(runs.size()) + " runs: " + std::to_string(completed) +
             " completed, " + std::to_string(failed) + " failed with an error, none left running");
}

// Takes the database down, runs `during`, and brings the database back — also when `during` fails, so a failed
// check never leaves it down for the tests after it.
void WithDatabaseDown(const StageOptions& o, const std::function<void()>& during) {
    RunShell(o.db_stop_command, "taking the database down");
    try {
        during();
    } catch (...) {
        RunShell(o.db_start_command, "bringing the database back");
        throw;
    }
    RunShell(o.db_start_command, "bringing the database back");
}

double MsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

// Polls readiness every 100 ms until it answers 200 (true) or `limit` has passed (false).
bool WaitReadyAgain(HttpClient& http, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto r = http.Get("/health/ready");
        if (r.ok() && r->status == 200) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void DatabaseDownAndBack(StageContext& ctx) {
    const auto& o = ctx.options();
    if (o.db_stop_command.empty() || o.db_start_command.empty()) {
        throw TestSkipped("needs --db-stop-cmd and --db-start-cmd (a database the suite may take down)");
    }
    auto server = ctx.SpawnDedicated({}, "watches a server of its own while its database is down");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("db-down");
    Footprint f = LeaveFootprint(http, user);
    const auto auth = BearerAuth(user.access_token);

    WithDatabaseDown(o, [&] {
        auto live = Must(http.Get("/health"), "GET /health");
        Expect(live.status == 200, "/health with the database down: " + live.Describe());
        auto ready = Must(http.Get("/health/ready"), "GET /health/ready");
        const auto& r = ExpectJson(ready, {503}, "readiness with the database down");
        const auto* checks = JObj(r, "checks");
        const auto* db = checks ? JObj(*checks, "database") : nullptr;
        Expect(db != nullptr && JStr(*db, "status") == "down",
               "readiness does not say the database is down: " + Quote(r));
        // The first use of a pooled connection may be what finds it broken: a few requests, each answered 503.
        for (int i = 0; i < 3; ++i) {
            auto threads = Must(http.Get("/api/threads", auth), "GET /api/threads");
            std::string problem = CheckErrorBody(threads.status, threads.json, threads.Header("X-Request-Id"), 503,
                                                 "service_unavailable");
            Expect(problem.empty(), "GET /api/threads with the database down: " + problem + " — " + threads.Describe());
        }
    });
    const auto back = std::chrono::steady_clock::now();
    const bool ready = WaitReadyAgain(http, std::chrono::seconds(30));
    const double recovered_ms = MsSince(back);
    Expect(ready, "readiness did not return to 200 within 30 s of the database coming back");
    ExpectFootprint(http, user, f);
    auto run =
        WaitRunTerminal(http, user, PostMessage(http, user, f.thread, "Are you back?"), std::chrono::seconds(60));
    Expect(JStr(run, "status") == "completed", "a run after the outage ended " + Quote(run, 300));
    ctx.Note("database down: /health 200, readiness 503 (database down), requests 503 JSON; back: ready again in " +
             std::to_string(static_cast<int>(recovered_ms)) + " ms, data intact, a new run completed");
}

// Milliseconds since the epoch of an event's RFC 3339 UTC timestamp ("2026-01-02T03:04:05.678Z"); nullopt otherwise.
std::optional<long long> EventTimeMs(const json::object& event) {
    const std::string ts = JStr(event, "timestamp");
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, ms = 0;
    char z = 0;
    if (std::sscanf(ts.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec, &ms, &z) != 8 || z != 'Z')
        return std::nullopt;
    const std::chrono::sys_days day{std::chrono::year{y} / mo / d};
    return std::chrono::duration_cast<std::chrono::milliseconds>(day.time_since_epoch()).count() +
           ((h * 60LL + mi) * 60 + sec) * 1000 + ms;
}

// "seq:type:agent …" of stored events, for failure messages.
std::string DescribeEvents(const std::vector<json::object>& events) {
    std::vector<std::string> parts;
    for (const auto& e : events) {
        std::string agent = JStr(e, "agent_name");
        parts.push_back(std::to_string(Seq(e)) + ":" + JStr(e, "type") + (agent.empty() ? "" : ":" + agent));
    }
    return Join(parts, " ");
}

void DatabaseDownMidRun(StageContext& ctx) {
    const auto& o = ctx.options();
    if (o.db_stop_command.empty() || o.db_start_command.empty()) {
        throw TestSkipped("needs --db-stop-cmd and --db-start-cmd (a database the suite may take down)");
    }
    constexpr int kToolMs = 3000;
    auto server = ctx.SpawnDedicated(
        ShortLeases(), "takes the database of a server of its own down while a run is inside a slowed tool");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("db-mid-run");
    const auto auth = BearerAuth(user.access_token);
    auto t = Must(http.PostJson("/api/threads", json::object{{"title", "outage mid-run"}}, auth), "POST /api/threads");
    const std::string thread = JStr(ExpectJson(t, {201}, "POST /api/threads"), "id");

    auto slow = std::make_unique<FaultGuard>(*dedicated, SlowDataHelperFault(kToolMs));
    const std::string run_id = PostMessage(http, user, thread, "How can we cut our LLM costs?");
    WaitInsideSlowedTool(http, user, run_id);
    const auto inside = std::chrono::steady_clock::now();
    // Nothing is written while the run waits in the tool: these are all its events until the tool ends.
    const std::vector<json::object> before = StoredEvents(http, user, run_id);
    Expect(!before.empty(), "the run's stored events vanished while it sat in the tool");

    std::chrono::steady_clock::time_point down, starting;
    double stop_ms = 0;
    WithDatabaseDown(o, [&] {
        down = std::chrono::steady_clock::now();
        stop_ms = MsSince(inside);
        // Down past the tool's end: its tool_completed write meets the outage and ends the attempt.
        std::this_thread::sleep_for(std::chrono::milliseconds(kToolMs + 2000));
        slow.reset();  // the resumed attempt runs the tool at full speed (the fault registry needs no database)
        starting = std::chrono::steady_clock::now();
    });
    const auto back = std::chrono::steady_clock::now();
    const double outage_ms = std::chrono::duration<double, std::milli>(back - down).count();
    const double start_cmd_ms = std::chrono::duration<double, std::milli>(back - starting).count();
    const std::string ended_in_outage_line = "run " + run_id + ": could not store its end";
    const bool attempt_ended = server->LogTail(1 << 22).find(ended_in_outage_line) != std::string::npos;

    auto diagnose = [&](HttpClient& h) {
        std::string events;
        try {
            events = DescribeEvents(StoredEvents(h, user, run_id));
        } catch (const TestFailure& f) {
            events = std::string("unreadable (") + f.what() + ")";
        }
        return " — before the outage: " + DescribeEvents(before) + "; now: " + events + "; stop took " +
               std::to_string(static_cast<int>(stop_ms)) +
               " ms after the run was seen in the tool; server errors: " + ErrorLines(server->LogTail(1 << 22));
    };
    Expect(WaitReadyAgain(http, std::chrono::seconds(30)),
           "readiness did not return to 200 within 30 s of the database coming back" + diagnose(http));
    const double ready_ms = MsSince(back);
    json::object run;
    try {
        const auto left = std::chrono::seconds(60) - (std::chrono::steady_clock::now() - back);
        run = WaitRunTerminal(
            http, user, run_id,
            std::max(std::chrono::duration_cast<std::chrono::milliseconds>(left), std::chrono::milliseconds(1)));
    } catch (const TestFailure& f) {
        Fail(std::string(f.what()) + " (60 s after the database came back)" + diagnose(http));
    }
    const double completed_ms = MsSince(back);
    Expect(JStr(run, "status") == "completed",
           "the run in flight during the outage ended " + Quote(run, 300) + diagnose(http));

    // One lease (and a check) later: a late second attempt or a late stored end would show here.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const std::vector<json::object> events = StoredEvents(http, user, run_id);
    Expect(events.size() >= before.size(), "after the outage the run has " + std::to_string(events.size()) +
                                               " stored events, fewer than the " + std::to_string(before.size()) +
                                               " stored before it" + diagnose(http));
    for (std::size_t i = 0; i < before.size(); ++i) {
        Expect(
            Seq(events[i]) == Seq(before[i]) && JStr(events[i], "type") == JStr(before[i], "type") &&
                JStr(events[i], "agent_name") == JStr(before[i], "agent_name"),
            "an event stored before the outage changed or was lost (index " + std::to_string(i) + ")" + diagnose(http));
    }
    auto problems = ValidateRunSequence(events, run_id, thread);
    Expect(problems.empty(),
           "the run's events after the outage are not a valid sequence: " + Join(problems, "; ") + diagnose(http));
    std::size_t resumed_at = events.size();
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (JStr(events[i], "type") != "run_resumed") continue;
        Expect(resumed_at == events.size(), "two run_resumed events" + diagnose(http));
        resumed_at = i;
    }
    Expect(resumed_at < events.size(), "the run completed without a run_resumed event" + diagnose(http));
    Expect(resumed_at == before.size(),
           "run_resumed is not right after the events stored before the outage (something was stored in it)" +
               diagnose(http));
    const auto* payload = JObj(events[resumed_at], "payload");
    Expect(payload != nullptr, "run_resumed has no payload");
    const json::value* after_seq = payload->if_contains("after_seq");
    Expect(after_seq != nullptr && after_seq->is_int64() && after_seq->as_int64() == Seq(before.back()),
           "run_resumed's after_seq is not the last event stored before the outage: " + Quote(*payload));
    ExpectTriageNamedCompleted(*payload);
    const json::value* attempt = payload->if_contains("attempt");
    // By the server's clock: how long after the run's last event before the outage it was resumed, and how long
    // the resumed attempt took (the database was down for outage_ms of the first figure).
    const auto last_before_ms = EventTimeMs(before.back());
    const auto resumed_ms = EventTimeMs(events[resumed_at]);
    const auto terminal_ms = EventTimeMs(events.back());
    const std::string resume_timing = last_before_ms && resumed_ms && terminal_ms
                                          ? ", stored " + std::to_string(*resumed_ms - *last_before_ms) +
                                                " ms after the last of them; the resumed attempt took " +
                                                std::to_string(*terminal_ms - *resumed_ms) + " ms"
                                          : "";

    auto messages = Must(http.Get("/api/threads/" + thread + "/messages", auth), "GET /api/threads/{id}/messages");
    const auto& page = ExpectJson(messages, {200}, "GET /api/threads/{id}/messages");
    int users = 0, assistants = 0;
    if (const auto* data = page.if_contains("data"); data != nullptr && data->is_array()) {
        for (const auto& m : data->as_array()) {
            if (!m.is_object()) continue;
            users += JStr(m.as_object(), "role") == "user";
            assistants += JStr(m.as_object(), "role") == "assistant" && JStr(m.as_object(), "run_id") == run_id;
        }
    }
    Expect(users == 1 && assistants == 1, "after the outage the thread holds " + std::to_string(users) +
                                              " user messages and " + std::to_string(assistants) +
                                              " assistant messages of the run, not 1 and 1: " + Quote(page, 600));
    auto runs = Must(http.Get("/api/threads/" + thread + "/runs", auth), "GET /api/threads/{id}/runs");
    const auto& list = ExpectJson(runs, {200}, "GET /api/threads/{id}/runs");
    if (const auto* data = list.if_contains("data"); data != nullptr && data->is_array()) {
        for (const auto& r : data->as_array()) {
            if (!r.is_object()) continue;
            Expect(JStr(r.as_object(), "status") != "running",
                   "after the outage a run is left running: " + Quote(r, 300));
        }
    }
    ctx.Note("database down " + std::to_string(static_cast<int>(stop_ms)) + " ms after the run was seen in its " +
             std::to_string(kToolMs) + " ms tool, for " + std::to_string(static_cast<int>(outage_ms)) +
             " ms (the start command's " + std::to_string(static_cast<int>(start_cmd_ms)) + " ms included); " +
             (attempt_ended ? "the log shows the attempt's end failed to store in the outage"
                            : "the log does not show the attempt's end failing to store") +
             "; once the start command returned: ready in " + std::to_string(static_cast<int>(ready_ms)) +
             " ms, the run completed " + std::to_string(static_cast<int>(completed_ms)) +
             " ms after; run_resumed (attempt " + (attempt != nullptr ? json::serialize(*attempt) : std::string("?")) +
             ") is event " + std::to_string(resumed_at + 1) + " of " + std::to_string(events.size()) +
             ", right after the " + std::to_string(before.size()) + " stored before the outage" + resume_timing);
}

void DatabaseDownAtBoot(StageContext& ctx) {
    const auto& o = ctx.options();
    if (o.db_stop_command.empty() || o.db_start_command.empty()) {
        throw TestSkipped("needs --db-stop-cmd and --db-start-cmd (a database the suite may take down)");
    }
    RunShell(o.db_stop_command, "taking the database down");
    std::unique_ptr<SpawnedServer> server;
    bool restored = false;
    try {
        server = ctx.SpawnDedicated({}, "starts a server of its own while its database is down", /*wait_ready=*/false);
        auto dedicated = ctx.ForServer(*server);
        auto http = dedicated->Http();
        auto live = Must(http.Get("/health"), "GET /health");
        Expect(live.status == 200, "/health while the database is down at boot: " + live.Describe());
        auto ready = Must(http.Get("/health/ready"), "GET /health/ready");
        const auto& r = ExpectJson(ready, {503}, "readiness while the database is down at boot");
        const auto* startup = JObj(r, "startup");
        Expect(startup != nullptr && JStr(*startup, "phase") == "database",
               "readiness does not say start-up waits in its database phase: " + Quote(r));
        auto url = ParseServerUrl(server->url());
        Expect(url.ok(), "bad server URL");
        WsClient ws;
        WsConnectOptions opts;
        opts.bearer_token = "not-checked-before-ready";
        WsConnectError error;
        Expect(!ws.Connect(*url, opts, &error) && error.http_status == 503,
               "a WebSocket upgrade before ready was not refused with 503 (status " +
                   std::to_string(error.http_status) + ": " + error.message + ")");
        auto reg = Must(http.PostJson("/auth/register", json::object{{"email", ctx.UniqueEmail("boot")},
                                                                     {"password", "Long-enough-pw-1"}}),
                        "POST /auth/register");
        std::string problem =
            CheckErrorBody(reg.status, reg.json, reg.Header("X-Request-Id"), 503, "service_unavailable");
        Expect(problem.empty(), "a request before ready: " + problem + " — " + reg.Describe());
        RunShell(o.db_start_command, "bringing the database back");
        restored = true;
        const auto back = std::chrono::steady_clock::now();
        auto became_ready = server->WaitReady(30);
        Expect(became_ready.ok(), "the server did not finish starting within 30 s of the database coming back: " +
                                      (became_ready.ok() ? "" : became_ready.error().message) + " — " +
                                      server->LogTail(800));
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - back).count();
        auto user = dedicated->NewUser("boot-ok");
        auto http2 = dedicated->Http();
        auto t =
            Must(http2.PostJson("/api/threads", json::object{{"title", "after boot"}}, BearerAuth(user.access_token)),
                 "POST /api/threads");
        ExpectJson(t, {201}, "POST /api/threads once ready");
        ctx.Note("down at boot: /health 200, readiness 503 (database phase), WebSocket and requests 503; ready " +
                 std::to_string(static_cast<int>(ms)) + " ms after the database came back");
    } catch (...) {
        if (!restored) RunShell(o.db_start_command, "bringing the database back");
        throw;
    }
}

}  // namespace

std::vector<TestCase> StartupResilienceTests() {
    return {
        {"cold_start_to_ready", ColdStartToReady},
        {"restart_keeps_all_data", RestartKeepsAllData},
        {"sigterm_drains_and_hands_back", SigtermDrainsAndHandsBack},
        {"sigkill_mid_run_resumes", SigkillMidRunResumes},
        {"sigkill_out_of_attempts", SigkillOutOfAttempts},
        {"sigkill_storm", SigkillStorm},
        {"database_down_at_boot", DatabaseDownAtBoot},
        {"database_down_and_back", DatabaseDownAndBack},
        {"database_down_mid_run", DatabaseDownMidRun},
    };
}

}  // namespace netra::stage

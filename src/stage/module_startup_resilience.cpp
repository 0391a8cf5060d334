// Module 7 — startup_resilience (§7, §10, §13). So far: a crash in the middle of a run (issue 9, item 1). With
// --spawn only: a server of its own, short leases (2 s, renewed every 0.5 s, checked every 0.3 s), is killed with
// SIGKILL while a run is inside an agent that was slowed by fault injection, after an earlier agent completed, with
// a second run of the same thread queued behind it. Started again on the same data, the server must:
//   - keep every committed message (both user messages, nothing lost);
//   - resume the interrupted run once its lease expires: a `run_resumed` event right after the last stored one,
//     naming the agents that had completed, none of them started again, the run completed with one assistant
//     message; the stored events form a valid sequence (contiguous seqs, one terminal event);
//   - run the queued run (it survives the restart) to completion;
//   - leave no run `running`.
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "stage/event_checks.hpp"
#include "stage/http_client.hpp"
#include "stage/process.hpp"
#include "stage/suite.hpp"

namespace netra::stage {
namespace json = boost::json;

namespace {

std::string PostMessage(HttpClient& http, const Credentials& user, const std::string& thread, const std::string& text) {
    auto r = Must(http.PostJson("/api/threads/" + thread + "/messages", json::object{{"content", text}},
                                BearerAuth(user.access_token)),
                  "POST /api/threads/{id}/messages");
    const auto& o = ExpectJson(r, {201, 202}, "POST /api/threads/{id}/messages");
    std::string run_id = JStr(o, "run_id");
    if (run_id.empty()) {
        if (const auto* run = JObj(o, "run")) run_id = JStr(*run, "id");
    }
    Expect(!run_id.empty(), "the message answer names no run: " + Quote(o));
    return run_id;
}

void SigkillMidRunResumes(StageContext& ctx) {
    auto server =
        ctx.SpawnDedicated({"NETRA_RUN_LEASE_MS=2000", "NETRA_RUN_LEASE_RENEW_MS=500", "NETRA_RUN_LEASE_CHECK_MS=300"},
                           "kills a server of its own with SIGKILL mid-run and starts it again on the same data");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("crash");
    auto t = Must(http.PostJson("/api/threads", json::object{{"title", "crash"}}, BearerAuth(user.access_token)),
                  "POST /api/threads");
    const std::string thread = JStr(ExpectJson(t, {201}, "POST /api/threads"), "id");

    // The data helper's first tool waits 30 s: the run sits inside it, triage completed before.
    std::string first_run, second_run;
    {
        FaultGuard slow(*dedicated, json::object{{"target", "tool:build_data_request"},
                                                 {"mode", "latency"},
                                                 {"latency_ms", 30000},
                                                 {"duration_s", 120}});
        first_run = PostMessage(http, user, thread, "How can we cut our LLM costs?");
        second_run = PostMessage(http, user, thread, "And what data do you need from us?");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        bool inside = false;
        while (!inside && std::chrono::steady_clock::now() < deadline) {
            for (const auto& e : StoredEvents(http, user, first_run)) {
                if (JStr(e, "type") == "tool_executing" && JStr(e, "agent_name") == "data_helper") inside = true;
            }
            if (!inside) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        Expect(inside, "the first run never reached the data helper's slowed tool");
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
    const json::value* completed = payload->if_contains("completed_agents");
    Expect(completed != nullptr && completed->is_array(), "run_resumed names no completed_agents: " + Quote(*payload));
    bool triage_done = false;
    for (const auto& a : completed->as_array())
        triage_done = triage_done || (a.is_string() && a.as_string() == "triage");
    Expect(triage_done, "run_resumed does not name triage as completed: " + Quote(*payload));
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

}  // namespace

std::vector<TestCase> StartupResilienceTests() {
    return {
        {"sigkill_mid_run_resumes", SigkillMidRunResumes},
    };
}

}  // namespace netra::stage

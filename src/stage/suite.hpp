#pragma once
// Internal to the staging suite: the context every test gets, assertion helpers and the module registry.
// Tests are plain functions: returning means passed; Fail()/Skip() (or any exception) end them.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "stage/http_client.hpp"
#include "stage/metrics.hpp"
#include "stage/process.hpp"
#include "stage/stage.hpp"
#include "stage/ws_client.hpp"

namespace netra::stage {

struct TestFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct TestSkipped : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& reason);
[[noreturn]] void Skip(const std::string& reason);
inline void Expect(bool condition, const std::string& reason) {
    if (!condition) Fail(reason);
}

struct Credentials {
    std::string user_id, email, password, access_token, refresh_token;
};

using namespace std::chrono_literals;
inline constexpr std::chrono::milliseconds kFrameTimeout = 5s;  // any answer to a client frame
inline constexpr std::chrono::milliseconds kRunTimeout = 90s;   // a whole run (spec per-run timeout is 300 s)

class StageContext {
  public:
    StageContext(StageOptions options, ServerUrl server, bool spawned, std::string data_dir);

    const StageOptions& options() const { return options_; }
    const ServerUrl& server() const { return server_; }
    bool spawned() const { return spawned_; }

    HttpClient Http() const { return HttpClient(server_); }

    // A user for this test, per the auth mode: bypass key > register > login. Throws TestFailure.
    Credentials NewUser(std::string_view label);
    bool CanCreateUsers() const;
    std::string UniqueEmail(std::string_view label) const;

    // Connects with Authorization: Bearer and waits for connection_established. Throws TestFailure.
    std::unique_ptr<WsClient> Connect(const Credentials& user, WsConnectOptions options = {});

    // Mints a token with the server's own secret via `netra token` (spawned servers only). Throws TestSkipped
    // when not spawned, TestFailure when the command fails.
    std::string MintToken(const std::string& email, long expires_in_s);

    // Passing-test notes (timings, what was measured) shown in the reports.
    void Note(const std::string& text);
    std::string TakeNotes();

    void AddMetric(MetricResult metric);
    std::vector<MetricResult> Metrics() const;

    // Key for /api/admin/faults (§11): --bypass-key, or the one the suite gave the server it spawned.
    std::string AdminKey() const;
    void SetAdminKey(std::string key);

    // A second, dedicated server for one test, started with `env` added (short ping interval, short step
    // timeout, a server to shut down…). Throws TestSkipped with `why` when the suite does not control
    // processes (no --spawn), TestFailure when it cannot start. The server gets fault injection and a bypass
    // key of its own; ForServer() gives a context that talks to it.
    // `wait_ready` false: returned as soon as it is live (GET /health), its start-up possibly still under way.
    std::unique_ptr<SpawnedServer> SpawnDedicated(std::vector<std::string> env, const std::string& why,
                                                  bool wait_ready = true);
    std::unique_ptr<StageContext> ForServer(const SpawnedServer& server) const;

    // `--spawn --instances 2`: the two servers the suite started (index 0 serves --url, 1 --url2), for tests that
    // kill and restart an instance of the cluster; nullptr otherwise.
    SpawnedServer* SpawnedInstance(std::size_t index) const;
    void SetSpawnedInstances(std::vector<SpawnedServer*> instances);
    // Environment the spawned server(s) got that `netra token` needs too (the shared JWT_SECRET of a cluster).
    void SetTokenEnv(std::vector<std::string> env);

  private:
    StageOptions options_;
    ServerUrl server_;
    bool spawned_;
    std::string data_dir_;
    std::optional<Credentials> login_cache_;
    std::string notes_;
    mutable std::mutex mu_;
    std::vector<MetricResult> metrics_;
    std::string admin_key_;
    std::vector<SpawnedServer*> instances_;
    std::vector<std::string> token_env_;
};

using TestFn = std::function<void(StageContext&)>;
struct TestCase {
    std::string name;
    TestFn fn;
};
struct ModuleDef {
    int number;
    std::string name;
    std::vector<TestCase> tests;  // empty = not implemented in this build
};

std::vector<TestCase> WebsocketEventsTests();
std::vector<TestCase> MessageFlowTests();
std::vector<TestCase> AgentPipelineTests();
std::vector<TestCase> CriticalPathTests();
std::vector<TestCase> AgentOrchestrationTests();
std::vector<TestCase> AgentLlmTests();  // module 4 too: the configured LLM provider in the loop
std::vector<TestCase> ResponseStreamingTests();
std::vector<TestCase> LifecycleEventsTests();
std::vector<TestCase> CoordinationTests();
std::vector<TestCase> AuthAttackTests();           // module 1 too: forged tokens, misplaced credentials, data at rest
std::vector<TestCase> CoordinationClusterTests();  // module 9 too: two instances of a cluster (--url2)
std::vector<TestCase> CrossUserIdTests();          // module 9 too: every id-taking route tried with another's ids
std::vector<TestCase> FailureRecoveryTests();      // module 6: so far the rate limits (issue 9)
std::vector<TestCase> FailureRecoveryRunTests();   // module 6 too: cancel mid-run, disconnect mid-run then replay
std::vector<TestCase> StartupResilienceTests();    // module 7: so far a crash mid-run (issue 9)
std::vector<TestCase> HostileHttpTests();          // module 2 too: slowloris, floods, half-closed and stalled clients
std::vector<TestCase> HostileWsTests();            // module 1 too: frames split, oversized, compressed, ping floods
std::vector<ModuleDef> AllModules();

// ---- helpers shared by the modules ----

// Compact JSON, truncated: for failure reasons that quote the server.
std::string Quote(const boost::json::value& v, std::size_t max = 300);
std::string JStr(const boost::json::object& o, std::string_view key);
std::string Lower(std::string s);  // ASCII
// A directory under /tmp for the files a check writes (`netra analyze` inputs), removed with everything in it.
struct TempDir {
    std::string path;
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};
// One CSV field as RFC 4180 writes it: quoted (inner quotes doubled) when it holds a comma, a quote or a newline.
std::string CsvField(const std::string& s);
const boost::json::object* JObj(const boost::json::object& o, std::string_view key);
const boost::json::object& Payload(const WsMessage& m);  // "payload" object, or the frame itself

// Unwraps a transport result; a transport error fails the test with `what` and the error.
HttpResponse Must(core::Result<HttpResponse> r, const std::string& what);
// Requires a status (any of `statuses`) and a JSON object body.
const boost::json::object& ExpectJson(const HttpResponse& r, std::initializer_list<int> statuses,
                                      const std::string& what);

// Sends a message-like frame and follows its run: waits for the ack (matched by client_message_id), then
// collects that run's events until its terminal event.
struct RunTrace {
    boost::json::object ack;
    std::string run_id, thread_id, message_id;
    std::vector<boost::json::object> events;  // only this run's events, arrival order
    std::string terminal;                     // terminal event type, "" on timeout
    double ack_ms = 0, total_ms = 0;          // from send to ack / to terminal (frame arrival times)
};
RunTrace SendAndFollowRun(WsClient& ws, boost::json::object frame, std::chrono::milliseconds timeout = kRunTimeout);
// A user_message frame with a fresh client_message_id.
boost::json::object UserMessage(const std::string& content, const std::string& thread_id = {});
// Waits for `pong` with this id after sending ping; returns round trip ms or fails.
double PingPong(WsClient& ws, const std::string& id, std::chrono::milliseconds timeout = kFrameTimeout);

// Fault injection (§11) for the duration of one test: POST /api/admin/faults with `spec` on construction,
// DELETE /api/admin/faults on destruction. Throws TestSkipped when there is no admin key or the deployment
// has fault injection disabled (404), TestFailure when the server refuses the fault.
// Registers the fault on the context's server and, when the deployment has a second instance (--url2), on that one
// too: a run executes on whichever instance claims it (a cluster's faults are per instance). `whole_deployment` false:
// this instance only (tests that place faults per instance). Cleared on destruction.
class FaultGuard {
  public:
    FaultGuard(StageContext& ctx, const boost::json::object& spec, bool whole_deployment = true);
    ~FaultGuard();
    FaultGuard(const FaultGuard&) = delete;
    FaultGuard& operator=(const FaultGuard&) = delete;

  private:
    void Clear();

    std::string key_;
    std::vector<ServerUrl> servers_;  // where it was registered
};
// The fault when the deployment allows fault injection, nullptr otherwise (the test then runs without it).
std::unique_ptr<FaultGuard> MaybeFault(StageContext& ctx, const boost::json::object& spec);
// Slows every call of a tool of triage (extract_entities) so that runs stay `running` for ~`latency_ms`:
// the tests of queueing, double-texting and cancellation need runs that are observably in flight.
boost::json::object SlowTriageFault(int latency_ms, int duration_s = 120);

// Every call of one tool waits `latency_ms` (cooperatively: cancellation and timeouts still end the run). One
// tool and a short lifetime: were FaultGuard's DELETE lost, the fault would still be gone within seconds.
boost::json::object SlowToolFault(const std::string& tool, int latency_ms, int duration_s);
// A tool_executing event of `tool`.
bool IsToolExecuting(const boost::json::object& event, std::string_view tool);
// Reads `ws` until an event of `run_id` satisfies `until`, appending the run's events (arrival order) to
// `events`. Fails on timeout, or when the run ends before.
void FollowUntil(WsClient& ws, const std::string& run_id, std::vector<boost::json::object>& events,
                 const std::function<bool(const boost::json::object&)>& until, std::chrono::milliseconds timeout,
                 const std::string& what);
// `held` (what the client ended up with, in arrival order) is the stored run exactly: same count, same seqs in
// the same order, each event identical to its stored copy. Fails naming `what` otherwise.
void ExpectEqualsStored(const std::vector<boost::json::object>& held, const std::vector<boost::json::object>& stored,
                        const std::string& what);

// The run is stored as cancelled: GET /api/runs/{id} says so, its stored events are a valid sequence ending with
// run_cancelled, and `held` (what a client received) is exactly that sequence. `what` names the client.
void ExpectStoredCancelled(HttpClient& http, const Credentials& user, const std::string& run_id,
                           const std::string& thread_id, const std::vector<boost::json::object>& held,
                           const std::string& what);

// POST /api/threads as the user; the new thread's id (fails unless 201).
std::string CreateThread(HttpClient& http, const Credentials& user, const std::string& title);
// POST /api/threads/{id}/messages as the user; its run's id (fails unless 201/202 naming a run).
std::string PostMessage(HttpClient& http, const Credentials& user, const std::string& thread, const std::string& text);
// GET /api/runs/{id} as the user (fails unless 200 JSON).
boost::json::object GetRun(HttpClient& http, const Credentials& user, const std::string& run_id);
// Polls GET /api/runs/{id} until its status is terminal (completed, failed, cancelled); fails on timeout.
boost::json::object WaitRunTerminal(HttpClient& http, const Credentials& user, const std::string& run_id,
                                    std::chrono::milliseconds timeout = kRunTimeout);
bool IsTerminalStatus(std::string_view status);
// GET /api/runs/{id}/events[?query] → its data array (fails unless 200 JSON with data).
std::vector<boost::json::object> StoredEvents(HttpClient& http, const Credentials& user, const std::string& run_id,
                                              const std::string& query = "");
// seq of an event envelope (-1 when missing).
long long Seq(const boost::json::object& event);
// "a, b, c"
std::string Join(const std::vector<std::string>& parts, const std::string& sep = ", ");
// Describes the seqs of events: "1-12" or "1-4,6,8-9".
std::string SeqRanges(std::vector<long long> seqs);
// Sends a message-like frame and waits for its ack only (fails on an error answer); returns (run_id, thread_id).
// Frames that arrived before the ack are appended to `before` when given (otherwise dropped).
std::pair<std::string, std::string> SendAcked(WsClient& ws, boost::json::object frame,
                                              std::vector<WsMessage>* before = nullptr);
// Sends every frame at once, then reads until each was acked and its run ended; every frame read, in arrival
// order. `run_ids` gets the runs in the order of `frames`.
std::vector<WsMessage> SendAllAndCollect(WsClient& ws, const std::vector<boost::json::object>& frames,
                                         std::vector<std::string>* run_ids);
// Collects frames (after `already`) until every run in `runs` has had its terminal event; all frames, in
// arrival order. Fails on timeout.
std::vector<WsMessage> CollectRuns(WsClient& ws, std::set<std::string> runs, std::vector<WsMessage> already = {});
// The run events of `run_id` among `frames` (arrival order).
std::vector<boost::json::object> EventsOf(const std::vector<WsMessage>& frames, const std::string& run_id);
// Index of the first frame of `run_id` with `type` (-1 if none).
long IndexOf(const std::vector<WsMessage>& frames, const std::string& run_id, const std::string& type);
// Runs `command` with /bin/sh -c; fails the test with `what` and its output unless it exits 0.
void RunShell(const std::string& command, const std::string& what);
// Fails with every problem ValidateRunSequence finds.
void ExpectValidSequence(const RunTrace& t);

}  // namespace netra::stage

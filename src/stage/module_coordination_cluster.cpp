// Module 9 — coordination across the instances of one deployment (§7, §12): two instances sharing one PostgreSQL
// (the runs table is the queue every instance claims from) and one Redis (live events, work and cancel signals).
// Each test needs a second instance (--url2, or --spawn --instances 2) whose runs wait in the database queue
// (/api/health runs.queue "database"), and fault injection on both instances — a fault is per instance, so every
// slowing fault is registered on both (whichever claims the run meets it). Otherwise each is SKIPPED saying why.
//   cross_instance_execution: with triage slowed 2.5 s on both, capacity + 1 users (capacity = instance 1's
//     /api/health runs.capacity, NETRA_RUNS_PER_INSTANCE) each submit one run through instance 1; at least one run
//     executes on instance 2 (GET /api/runs/{id} instance_id = instance 2's /api/health instance_id), every run
//     completes, and each submitting socket (on instance 1) holds its run's stored events exactly once, in order.
//   cancel_from_other_instance: a run inside triage's tool slowed 15 s, executing on instance X, is cancelled
//     through the other instance — first with WebSocket cancel_run, then (a second run) with HTTP POST
//     /api/runs/{id}/cancel; each ends `cancelled` within 5 s of the cancel (measured on the submitting socket,
//     which ends with run_cancelled and holds the stored events exactly once), nothing follows run_cancelled.
//   owner_killed_takeover (--spawn --instances 2 only: it kills a server), in two rounds: a run sent through
//     instance 1 executes on instance X (round 1: where it was claimed, normally instance 1; round 2: instance 2,
//     because instance 1 was first filled to its capacity with slowed runs of other users, cancelled once the run
//     is claimed — instance 1 must then take over a run it queued but never executed). A socket on each instance
//     follows the run from seq 1; once it sits in the data helper's tool (slowed 20 s) X is killed with SIGKILL
//     (the survivor's fault is cleared) and X's client reconnects to the survivor with subscribe {run_id,
//     after_seq: the last seq it held}. The survivor takes the run over once its lease expires (the spawned
//     servers have 3 s leases; 60 s allowed): one run_resumed (after every event held before the kill), then
//     run_completed, instance_id the survivor's; the resubscribed client and the survivor's own socket each hold
//     every stored event exactly once, in order. X is started again on the same data dir and port.
//   per_user_limit_across_instances: one user submits per_user_limit + 2 runs (triage slowed 2 s on both), each
//     on a thread of its own, alternately through the two instances; GET /api/runs/{id} of every run is sampled
//     until all are terminal. A run `running` in two consecutive samples was running throughout the instant
//     between them (a run never goes back to running here), so those counts are real concurrency: never above
//     per_user_limit. Every run completes.
//   redis_outage_mid_run (needs --redis-stop-cmd and --redis-start-cmd): a run slowed at three places (triage 4 s,
//     the data helper's tool 4 s, reporting's 2 s) executes on X; a client on the other instance follows it with
//     subscribe {after_seq 0}. Redis is taken down: both instances' /api/health answer 200 with status
//     "degraded" and checks.redis.status "down" within 10 s; the client keeps receiving the run's events (at least
//     one arrives after its instance reported Redis down: database polling); Redis comes back, both report "up"
//     (status "healthy") within 10 s; the run completes and the client holds every stored event exactly once, in
//     seq order, terminal included. Redis is brought back also when the test fails.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

using Clock = std::chrono::steady_clock;

double MsBetween(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string Ms(double ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, ms < 10 ? "%.1f ms" : "%.0f ms", ms);
    return buf;
}

std::optional<long long> JInt(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_int64()) return std::nullopt;
    return v->as_int64();
}

const char* kNames[2] = {"instance 1 (--url)", "instance 2 (--url2)"};

// The two instances of the deployment under test, as /api/health describes them.
struct Cluster {
    StageContext* ctx[2] = {nullptr, nullptr};
    std::unique_ptr<StageContext> second;  // owns ctx[1]
    std::string id[2];                     // /api/health instance_id
    json::object runs[2];                  // /api/health runs
    json::object redis[2];                 // /api/health checks.redis

    // 0 or 1 for an instance id of this cluster, -1 otherwise.
    int Index(const std::string& instance_id) const {
        for (int i = 0; i < 2; ++i) {
            if (id[i] == instance_id) return i;
        }
        return -1;
    }
};

json::object Health(StageContext& c, int i) {
    auto http = c.Http();
    auto r = Must(http.Get("/api/health"), std::string("GET /api/health of ") + kNames[i]);
    return ExpectJson(r, {200}, std::string("GET /api/health of ") + kNames[i]);
}

// Both instances, or a skip: no second instance, or runs that do not wait in the shared database queue.
Cluster OpenCluster(StageContext& ctx, const std::string& what) {
    if (ctx.options().url2.empty()) {
        Skip(what + ": needs a second instance of the deployment (--url2, or --spawn --instances 2)");
    }
    auto url2 = ParseServerUrl(ctx.options().url2);
    if (!url2.ok()) Fail("--url2: " + url2.error().message);
    url2->ca_file = ctx.options().ca_file;
    Cluster cl;
    StageOptions o = ctx.options();
    o.url = o.url2;
    o.url2.clear();  // this context is the second instance itself
    // The same deployment: the same users, tokens (one JWT secret) and fault-injection key.
    cl.second = std::make_unique<StageContext>(o, *url2, ctx.spawned(), "");
    cl.second->SetAdminKey(ctx.AdminKey());
    cl.ctx[0] = &ctx;
    cl.ctx[1] = cl.second.get();
    for (int i = 0; i < 2; ++i) {
        auto h = Health(*cl.ctx[i], i);
        cl.id[i] = JStr(h, "instance_id");
        Expect(!cl.id[i].empty(), std::string(kNames[i]) + ": /api/health has no instance_id: " + Quote(h));
        const auto* runs = JObj(h, "runs");
        Expect(runs != nullptr, std::string(kNames[i]) + ": /api/health has no runs object: " + Quote(h));
        cl.runs[i] = *runs;
        if (const auto* checks = JObj(h, "checks"); checks != nullptr) {
            if (const auto* redis = JObj(*checks, "redis"); redis != nullptr) cl.redis[i] = *redis;
        }
        const std::string queue = JStr(*runs, "queue");
        if (queue != "database") {
            Skip(what + ": " + kNames[i] + "'s runs wait in an in-process queue (/api/health runs.queue '" + queue +
                 "'), not in a database queue shared by the instances");
        }
    }
    Expect(cl.id[0] != cl.id[1], "--url and --url2 reach the same instance (instance_id " + cl.id[0] + ")");
    return cl;
}

// Faults registered on both instances for the test's duration (a fault is per instance). Skips when either has
// fault injection off.
class ClusterFaults {
  public:
    ClusterFaults(Cluster& cl, const std::vector<json::object>& specs) {
        for (int i = 0; i < 2; ++i) {
            for (const auto& spec : specs) {
                guards_[i].push_back(std::make_unique<FaultGuard>(*cl.ctx[i], spec, /*whole_deployment=*/false));
            }
        }
    }
    // Clears every fault of instance i now (its DELETE removes them all).
    void Clear(int i) { guards_[i].clear(); }

  private:
    std::vector<std::unique_ptr<FaultGuard>> guards_[2];
};

// Polls GET /api/runs/{id} until the run executes on an instance of the cluster; that instance's index.
int WaitOwner(const Cluster& cl, HttpClient& http, const Credentials& user, const std::string& run_id,
              std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        auto run = GetRun(http, user, run_id);
        const std::string status = JStr(run, "status"), owner = JStr(run, "instance_id");
        if (status == "running" && !owner.empty()) {
            const int i = cl.Index(owner);
            Expect(i >= 0, "run " + run_id + " executes on instance " + owner + ", neither " + kNames[0] + " (" +
                               cl.id[0] + ") nor " + kNames[1] + " (" + cl.id[1] + ")");
            return i;
        }
        Expect(!IsTerminalStatus(status), "run " + run_id + " ended '" + status + "' before it was seen executing");
        Expect(Clock::now() < deadline, "run " + run_id + " was not running on an instance within " +
                                            std::to_string(timeout.count()) + " ms: " + Quote(run));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

// Every frame `ws` has queued, waiting `quiet` after the last one.
std::vector<WsMessage> DrainQuiet(WsClient& ws, std::chrono::milliseconds quiet) {
    std::vector<WsMessage> out;
    while (auto m = ws.Receive(quiet)) out.push_back(std::move(*m));
    return out;
}

long long Contiguous(const std::vector<json::object>& events) {
    std::set<long long> held;
    for (const auto& e : events) held.insert(Seq(e));
    long long k = 0;
    while (held.count(k + 1)) ++k;
    return k;
}

void CrossInstanceExecution(StageContext& ctx) {
    auto cl = OpenCluster(ctx, "runs a run submitted through one instance on the other");
    if (!ctx.CanCreateUsers()) Skip("needs several users: give --register or --bypass-key");
    constexpr long long kMaxCapacity = 16;
    auto capacity = JInt(cl.runs[0], "capacity");
    Expect(capacity && *capacity > 0,
           "instance 1's /api/health runs.capacity is not a positive number with a "
           "database queue: " +
               Quote(cl.runs[0]));
    if (*capacity > kMaxCapacity) {
        Skip("instance 1 executes up to " + std::to_string(*capacity) +
             " runs at once (/api/health runs.capacity): overflowing it takes too many slowed runs; set "
             "NETRA_RUNS_PER_INSTANCE ≤ " +
             std::to_string(kMaxCapacity) + " on the deployment, or use --spawn --instances 2");
    }
    ClusterFaults slow(cl, {SlowTriageFault(2500, 60)});
    const int n = static_cast<int>(*capacity) + 1;
    // One user per run: the per-user limit holds none of them back, so instance 1 fills up at once.
    std::vector<Credentials> users;
    std::vector<std::unique_ptr<WsClient>> sockets;
    for (int i = 0; i < n; ++i) {
        users.push_back(ctx.NewUser("co-xexec-" + std::to_string(i)));
        sockets.push_back(ctx.Connect(users.back()));
    }
    std::vector<std::string> runs;
    std::vector<std::vector<WsMessage>> before(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        auto acked =
            SendAcked(*sockets[idx],
                      UserMessage("We spend $" + std::to_string(10 + i) + "k/month on gpt-4o. Execute me anywhere."),
                      &before[idx]);
        runs.push_back(acked.first);
    }
    auto http = ctx.Http();
    int on[2] = {0, 0};
    std::size_t events = 0;
    for (int i = 0; i < n; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        const std::string who = "user " + std::to_string(i) + "'s run " + runs[idx];
        auto frames = CollectRuns(*sockets[idx], {runs[idx]}, before[idx]);
        auto late = DrainQuiet(*sockets[idx], std::chrono::milliseconds(300));
        frames.insert(frames.end(), late.begin(), late.end());
        auto run = GetRun(http, users[idx], runs[idx]);
        Expect(JStr(run, "status") == "completed", who + " ended " + Quote(run));
        const int where = cl.Index(JStr(run, "instance_id"));
        Expect(where >= 0, who + " names instance_id '" + JStr(run, "instance_id") + "', neither instance's (" +
                               cl.id[0] + ", " + cl.id[1] + ")");
        ++on[where];
        auto stored = StoredEvents(http, users[idx], runs[idx]);
        ExpectEqualsStored(EventsOf(frames, runs[idx]), stored,
                           who + " (executed on " + kNames[where] + ") on its submitting socket (instance 1)");
        events += stored.size();
    }
    Expect(on[1] > 0, "all " + std::to_string(n) + " runs submitted through instance 1 executed on instance 1 (its " +
                          "capacity is " + std::to_string(*capacity) +
                          "): none was claimed by instance 2 while instance 1 was full");
    ctx.Note(std::to_string(n) + " runs (capacity " + std::to_string(*capacity) + " + 1, triage slowed 2.5 s) " +
             "submitted through instance 1: " + std::to_string(on[0]) + " executed there, " + std::to_string(on[1]) +
             " on instance 2; all completed, " + std::to_string(events) +
             " events, each once and in order on the submitting sockets");
}

void CancelFromOtherInstance(StageContext& ctx) {
    constexpr auto kPromptLimit = std::chrono::seconds(5);
    auto cl = OpenCluster(ctx, "cancels a run through the instance that does not execute it");
    // 15 s inside triage's tool: far longer than a cancel may take, shorter than the 30 s step timeout.
    ClusterFaults slow(cl, {SlowTriageFault(15000, 90)});
    auto user = ctx.NewUser("co-cancel-remote");
    auto ws = ctx.Connect(user);  // the submitting socket, on instance 1
    auto http = ctx.Http();
    std::vector<std::string> notes;
    for (int round = 0; round < 2; ++round) {
        const bool over_ws = round == 0;
        const std::string how = over_ws ? "WebSocket cancel_run" : "HTTP POST /api/runs/{id}/cancel";
        std::vector<WsMessage> early;
        auto [run_id, thread_id] =
            SendAcked(*ws, UserMessage("We spend $12k/month on gpt-4o. Cancel me from afar."), &early);
        std::vector<json::object> seen = EventsOf(early, run_id);
        FollowUntil(
            *ws, run_id, seen, [](const json::object& e) { return IsToolExecuting(e, "extract_entities"); }, 20s,
            "tool_executing of extract_entities (triage's slowed tool)");
        const int owner = WaitOwner(cl, http, user, run_id);
        const int other = 1 - owner;
        std::unique_ptr<WsClient> remote;
        std::string answered;
        const auto sent = Clock::now();
        if (over_ws) {
            remote = cl.ctx[other]->Connect(user);
            Expect(remote->Send(json::object{{"type", "cancel_run"}, {"run_id", run_id}}),
                   "could not send cancel_run to " + std::string(kNames[other]) + ": " + remote->ReadError());
            auto ack = remote->ReceiveUntil(
                [&](const WsMessage& m) {
                    return m.Type() == "error" || (m.Type() == "ack" && JStr(Payload(m), "run_id") == run_id);
                },
                kFrameTimeout);
            Expect(ack && ack->Type() == "ack",
                   "cancel_run on " + std::string(kNames[other]) + " answered " + (ack ? ack->text : "nothing"));
            answered = JStr(Payload(*ack), "status");
        } else {
            auto h = cl.ctx[other]->Http();
            auto r = Must(h.PostJson("/api/runs/" + run_id + "/cancel", json::object{}, BearerAuth(user.access_token)),
                          "POST /api/runs/{id}/cancel");
            answered =
                JStr(ExpectJson(r, {200}, "POST /api/runs/{id}/cancel on " + std::string(kNames[other])), "status");
        }
        Expect(answered == "cancelling" || answered == "cancelled",
               how + " on " + kNames[other] + " (the run executes on " + kNames[owner] + ") answered status '" +
                   answered + "', expected cancelling");
        std::string terminal;
        double cancelled_ms = -1;
        const auto deadline = sent + kPromptLimit;
        while (terminal.empty() && Clock::now() < deadline) {
            auto m = ws->Receive(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
            if (!m || m->Object() == nullptr) continue;
            const auto& o = *m->Object();
            if (JStr(o, "run_id") != run_id || !o.contains("seq")) continue;
            seen.push_back(o);
            if (IsTerminalRunEvent(m->Type())) {
                terminal = m->Type();
                cancelled_ms = MsBetween(sent, m->received_at);
            }
        }
        if (terminal.empty()) {
            auto run = GetRun(http, user, run_id);
            Fail(how + " through " + kNames[other] + " of a run executing on " + kNames[owner] +
                 ": no terminal event on the submitting socket within 5 s (triage's tool lasts 15 s: the cancel did "
                 "not reach the run); GET /api/runs/{id}: " +
                 Quote(run));
        }
        Expect(terminal == "run_cancelled", "after " + how + " the run ended with " + terminal);
        auto after = DrainQuiet(*ws, std::chrono::milliseconds(1000));
        auto late = EventsOf(after, run_id);
        Expect(late.empty(), std::to_string(late.size()) + " event(s) of the run arrived after run_cancelled: " +
                                 Quote(late.empty() ? json::object{} : late.front(), 200));
        ExpectStoredCancelled(http, user, run_id, thread_id, seen,
                              "the submitting socket of the run cancelled with " + how);
        notes.push_back(how + " via instance " + std::to_string(other + 1) + " of a run on instance " +
                        std::to_string(owner + 1) + " → run_cancelled " + Ms(cancelled_ms));
    }
    ctx.Note(Join(notes, "; "));
}

// A message on a new thread over HTTP; its run's id.
std::string PostOnNewThread(HttpClient& http, const Credentials& user, const std::string& title,
                            const std::string& text) {
    auto t = Must(http.PostJson("/api/threads", json::object{{"title", title}}, BearerAuth(user.access_token)),
                  "POST /api/threads");
    return PostMessage(http, user, JStr(ExpectJson(t, {201}, "POST /api/threads"), "id"), text);
}

// Starts a killed instance again when a round ends, also when it fails: the tests after it need two instances.
struct RestartOnExit {
    SpawnedServer* server = nullptr;
    ~RestartOnExit() {
        if (server) (void)server->Restart();
    }
};

// One take-over, submitted through instance 1. `cross`: instance 1 is first filled to its capacity with runs of
// other users (cancelled once the run is claimed), so instance 2 executes the run and instance 1 — the instance
// the client sent it to — must take it over; otherwise the run executes where it is claimed (almost always the
// instance it was sent to). Returns the round's note.
std::string TakeoverRound(StageContext& ctx, SpawnedServer* const servers[2], bool cross) {
    auto cl = OpenCluster(ctx, "takes over the run of a killed instance");
    // The data helper's first tool waits 20 s on both instances: the run sits there, triage completed, when the
    // instance executing it is killed.
    ClusterFaults slow(cl, {SlowToolFault("build_data_request", 20000, 120)});
    auto user = ctx.NewUser("co-takeover");
    std::unique_ptr<WsClient> live[2] = {cl.ctx[0]->Connect(user), cl.ctx[1]->Connect(user)};  // from seq 1
    auto http0 = cl.ctx[0]->Http();
    std::vector<std::pair<Credentials, std::string>> fillers;
    long long capacity = 0;
    if (cross) {
        auto cap = JInt(cl.runs[0], "capacity");
        Expect(cap && *cap > 0 && *cap <= 16,
               "instance 1's /api/health runs.capacity is not a number from 1 to 16: " + Quote(cl.runs[0]));
        capacity = *cap;
        for (long long k = 0;; ++k) {
            auto h = Health(*cl.ctx[0], 0);
            const auto* runs = JObj(h, "runs");
            auto executing = runs ? JInt(*runs, "executing") : std::nullopt;
            if (executing && *executing >= capacity) break;
            Expect(k < 3 * capacity, "instance 1 executes " + (runs ? Quote(*runs) : std::string("?")) + " after " +
                                         std::to_string(k) + " slowed runs were submitted through it, not its " +
                                         std::to_string(capacity) + " (capacity)");
            auto filler = ctx.NewUser("co-takeover-filler");
            std::string id = PostOnNewThread(http0, filler, "filler", "How can we cut our LLM costs?");
            WaitOwner(cl, http0, filler, id);
            fillers.emplace_back(filler, id);
        }
    }
    auto [run_id, thread_id] = SendAcked(*live[0], UserMessage("How can we cut our LLM costs?"));
    const int owner = WaitOwner(cl, http0, user, run_id);
    const int survivor = 1 - owner;
    if (cross) {
        Expect(owner == 1, "instance 1 executed the run although it already executed its capacity of " +
                               std::to_string(capacity) + " runs");
        for (const auto& [filler, id] : fillers) {
            auto r =
                Must(http0.PostJson("/api/runs/" + id + "/cancel", json::object{}, BearerAuth(filler.access_token)),
                     "POST /api/runs/{id}/cancel");
            ExpectJson(r, {200}, "POST /api/runs/{id}/cancel of a filler run");
        }
        for (const auto& [filler, id] : fillers) WaitRunTerminal(http0, filler, id, std::chrono::seconds(15));
    }
    std::vector<json::object> got[2];  // what each socket received of the run so far
    FollowUntil(
        *live[0], run_id, got[0], [](const json::object& e) { return IsToolExecuting(e, "build_data_request"); }, 20s,
        "tool_executing of build_data_request (the data helper's slowed tool)");
    for (int i = 0; i < 2; ++i) {
        for (auto& e : EventsOf(DrainQuiet(*live[i], std::chrono::milliseconds(300)), run_id)) {
            got[i].push_back(std::move(e));
        }
    }
    // The client of the killed instance holds what reached it before the kill (nothing is written inside the tool).
    const std::vector<json::object> first = got[owner];
    const long long held_before = Contiguous(first);
    Expect(held_before > 0, "the client of " + std::string(kNames[owner]) + " holds none of the run's events");

    RestartOnExit restart{servers[owner]};
    servers[owner]->Kill();
    const auto killed = Clock::now();
    slow.Clear(survivor);  // the resumed attempt runs the tool at full speed
    // The killed instance's client reconnects to the survivor and resumes after what it holds.
    auto resumed = cl.ctx[survivor]->Connect(user);
    Expect(resumed->Send(json::object{{"type", "subscribe"}, {"run_id", run_id}, {"after_seq", held_before}}),
           "could not send subscribe: " + resumed->ReadError());
    bool matched = false;
    auto sub = resumed->CollectUntil([](const WsMessage& m) { return m.Type() == "subscribed" || m.Type() == "error"; },
                                     kFrameTimeout, &matched);
    Expect(matched && sub.back().Type() == "subscribed", "subscribe {run_id, after_seq " + std::to_string(held_before) +
                                                             "} on " + kNames[survivor] + " answered " +
                                                             (sub.empty() ? std::string("nothing") : sub.back().text));
    Expect(EventsOf(sub, run_id).empty(), "events of the run arrived before `subscribed`");

    auto http = cl.ctx[survivor]->Http();
    json::object run;
    try {
        run = WaitRunTerminal(http, user, run_id, std::chrono::seconds(60));
    } catch (const TestFailure& f) {
        Fail(std::string(f.what()) + " (60 s after " + kNames[owner] + " was killed; its lease is 3 s); " +
             kNames[survivor] + "'s log: " + servers[survivor]->LogTail(1500));
    }
    const double completed_ms = MsBetween(killed, Clock::now());
    Expect(JStr(run, "status") == "completed", "the run of the killed instance ended " + Quote(run));
    Expect(JStr(run, "instance_id") == cl.id[survivor], "the completed run names instance_id '" +
                                                            JStr(run, "instance_id") + "', not the survivor's (" +
                                                            cl.id[survivor] + ")");

    auto stored = StoredEvents(http, user, run_id);
    auto problems = ValidateRunSequence(stored, run_id, thread_id);
    Expect(problems.empty(), "the taken-over run's stored events: " + Join(problems, "; "));
    std::size_t resumed_at = stored.size();
    for (std::size_t i = 0; i < stored.size(); ++i) {
        if (JStr(stored[i], "type") != "run_resumed") continue;
        Expect(resumed_at == stored.size(), "two run_resumed events in the taken-over run");
        resumed_at = i;
    }
    Expect(resumed_at < stored.size(), "the taken-over run completed without a run_resumed event");
    Expect(Seq(stored[resumed_at]) > held_before, "run_resumed is seq " + std::to_string(Seq(stored[resumed_at])) +
                                                      ", not after the " + std::to_string(held_before) +
                                                      " events delivered before the kill");
    Expect(JStr(stored.back(), "type") == "run_completed", "the run ends with " + JStr(stored.back(), "type"));

    // The resubscribed client: what it held before the kill + what came after `subscribed`, each once, in order.
    auto rest = CollectRuns(*resumed, {run_id}, sub);
    auto more = DrainQuiet(*resumed, std::chrono::milliseconds(500));
    rest.insert(rest.end(), more.begin(), more.end());
    std::vector<json::object> held = first;
    for (auto& e : EventsOf(rest, run_id)) held.push_back(std::move(e));
    ExpectEqualsStored(held, stored,
                       "the client of the killed instance (seq 1-" + std::to_string(held_before) +
                           " before the kill) resubscribed on " + kNames[survivor]);
    // The survivor's own socket followed the run from seq 1, across the take-over.
    auto survivor_frames = CollectRuns(*live[survivor], {run_id});
    auto survivor_more = DrainQuiet(*live[survivor], std::chrono::milliseconds(300));
    survivor_frames.insert(survivor_frames.end(), survivor_more.begin(), survivor_more.end());
    std::vector<json::object> survivor_events = got[survivor];
    for (auto& e : EventsOf(survivor_frames, run_id)) survivor_events.push_back(std::move(e));
    ExpectEqualsStored(survivor_events, stored,
                       std::string("the socket on ") + kNames[survivor] + " that followed the run from seq 1");

    restart.server = nullptr;
    auto again = servers[owner]->Restart();
    Expect(again.ok(), std::string(kNames[owner]) +
                           " did not start again after the take-over: " + (again.ok() ? "" : again.error().message));
    return std::string("sent through instance 1, executed on instance ") + std::to_string(owner + 1) +
           (cross ? " (instance 1 full with " + std::to_string(fillers.size()) + " runs of other users)" : "") +
           ", killed inside the data helper's tool (seq 1-" + std::to_string(held_before) + " delivered); instance " +
           std::to_string(survivor + 1) + " resumed it (run_resumed seq " + std::to_string(Seq(stored[resumed_at])) +
           ") and completed it " + Ms(completed_ms) + " after the kill; the resubscribed client and the survivor's " +
           "socket each hold all " + std::to_string(stored.size()) + " events once; instance " +
           std::to_string(owner + 1) + " restarted";
}

void OwnerKilledTakeover(StageContext& ctx) {
    SpawnedServer* const servers[2] = {ctx.SpawnedInstance(0), ctx.SpawnedInstance(1)};
    if (!servers[0] || !servers[1]) {
        Skip("kills the instance executing a run: needs process control of both instances (--spawn --instances 2)");
    }
    for (bool cross : {false, true}) {
        const std::string round = cross ? "run executed by the instance it was not sent to"
                                        : "run executed where it was claimed (normally the instance it was sent to)";
        try {
            ctx.Note(round + ": " + TakeoverRound(ctx, servers, cross));
        } catch (const TestFailure& f) {
            Fail(round + ": " + f.what());
        }
    }
}

void PerUserLimitAcrossInstances(StageContext& ctx) {
    auto cl = OpenCluster(ctx, "checks the per-user run limit across instances");
    constexpr long long kMaxLimit = 16;
    auto limit = JInt(cl.runs[0], "per_user_limit");
    auto limit2 = JInt(cl.runs[1], "per_user_limit");
    Expect(limit && *limit > 0, "instance 1's /api/health runs.per_user_limit: " + Quote(cl.runs[0]));
    Expect(limit2 && *limit2 == *limit,
           "the instances state different per-user limits: " + Quote(cl.runs[0]) + " vs " + Quote(cl.runs[1]));
    if (*limit > kMaxLimit) {
        Skip("the per-user limit is " + std::to_string(*limit) + " runs: more than " + std::to_string(kMaxLimit) +
             " slowed runs of one user would take too long");
    }
    ClusterFaults slow(cl, {SlowTriageFault(2000, 90)});
    auto user = ctx.NewUser("co-user-limit");
    std::unique_ptr<WsClient> ws[2] = {cl.ctx[0]->Connect(user), cl.ctx[1]->Connect(user)};
    const int n = static_cast<int>(*limit) + 2;
    std::vector<std::string> runs;
    for (int i = 0; i < n; ++i) {
        // Each on a thread of its own (no thread_id): only the per-user limit can hold one back.
        auto acked = SendAcked(*ws[i % 2], UserMessage("Run " + std::to_string(i) + ": we spend $" +
                                                       std::to_string(20 + i) + "k/month on gpt-4o."));
        runs.push_back(acked.first);
    }
    auto http = ctx.Http();
    std::set<std::string> previous;  // running in the previous sample
    long long max_sure = 0, max_single = 0;
    int samples = 0;
    std::map<std::string, std::string> ran_on;
    std::map<std::string, std::string> final_status;
    const auto deadline = Clock::now() + kRunTimeout;
    for (;;) {
        std::set<std::string> running;
        std::size_t terminal = 0;
        for (const auto& id : runs) {
            auto run = GetRun(http, user, id);
            const std::string status = JStr(run, "status");
            if (status == "running") {
                running.insert(id);
                ran_on[id] = JStr(run, "instance_id");
            }
            if (IsTerminalStatus(status)) {
                ++terminal;
                final_status[id] = status;
            }
        }
        ++samples;
        long long both = 0;
        for (const auto& id : running) both += previous.count(id);
        max_sure = std::max(max_sure, both);
        max_single = std::max(max_single, static_cast<long long>(running.size()));
        Expect(both <= *limit, std::to_string(both) + " runs of one user were running at once across the cluster " +
                                   "(seen running in two consecutive samples), above the per-user limit of " +
                                   std::to_string(*limit));
        previous = std::move(running);
        if (terminal == runs.size()) break;
        Expect(Clock::now() < deadline, "the user's " + std::to_string(n) + " runs did not all end within " +
                                            std::to_string(kRunTimeout.count() / 1000) + " s");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    int on[2] = {0, 0};
    for (const auto& id : runs) {
        Expect(final_status[id] == "completed", "run " + id + " ended '" + final_status[id] + "'");
        const int where = cl.Index(ran_on[id]);
        if (where >= 0) ++on[where];
    }
    Expect(max_sure >= 2, "never more than " + std::to_string(max_sure) +
                              " of the user's runs were seen running at once: the runs did not overlap, the limit "
                              "was not exercised");
    ctx.Note(std::to_string(n) + " runs of one user (limit " + std::to_string(*limit) +
             ", triage slowed 2 s) submitted alternately through both instances: at most " + std::to_string(max_sure) +
             " running at once (consecutive samples; " + std::to_string(max_single) + " in one sample), " +
             std::to_string(samples) + " samples; executed " + std::to_string(on[0]) + " on instance 1, " +
             std::to_string(on[1]) + " on instance 2; all completed");
}

// Polls both instances' /api/health every 100 ms until `ok(body)` holds on each (HTTP 200); the ms each took.
// Fails after `limit` naming `what`.
std::vector<double> WaitBothHealth(Cluster& cl, const std::function<bool(const json::object&)>& ok,
                                   std::chrono::milliseconds limit, const std::string& what) {
    const auto start = Clock::now();
    std::vector<double> took = {-1, -1};
    std::string last[2];
    HttpClient http[2] = {cl.ctx[0]->Http(), cl.ctx[1]->Http()};
    for (;;) {
        for (int i = 0; i < 2; ++i) {
            if (took[static_cast<std::size_t>(i)] >= 0) continue;
            auto r = http[i].Request("GET", "/api/health", {}, {}, HttpRequestOptions{std::chrono::milliseconds(2000)});
            if (!r.ok()) {
                last[i] = r.error().message;
                http[i].Disconnect();
                continue;
            }
            last[i] = r->Describe(600);
            const auto* o = r->JsonObject();
            if (r->status == 200 && o != nullptr && ok(*o))
                took[static_cast<std::size_t>(i)] = MsBetween(start, Clock::now());
        }
        if (took[0] >= 0 && took[1] >= 0) return took;
        if (Clock::now() - start > limit) {
            for (int i = 0; i < 2; ++i) {
                if (took[static_cast<std::size_t>(i)] < 0) {
                    Fail(std::string(kNames[i]) + "'s /api/health did not show " + what + " within " +
                         std::to_string(limit.count()) + " ms; last answer: " + last[i]);
                }
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::string RedisStatus(const json::object& health) {
    const auto* checks = JObj(health, "checks");
    const auto* redis = checks ? JObj(*checks, "redis") : nullptr;
    return redis ? JStr(*redis, "status") : std::string();
}

void RedisOutageMidRun(StageContext& ctx) {
    const auto& o = ctx.options();
    if (o.redis_stop_command.empty() || o.redis_start_command.empty()) {
        Skip("needs --redis-stop-cmd and --redis-start-cmd (a Redis the suite may take down)");
    }
    auto cl = OpenCluster(ctx, "follows a run across instances while Redis is down");
    for (int i = 0; i < 2; ++i) {
        const std::string status = JStr(cl.redis[i], "status");
        if (status == "disabled") Skip(std::string(kNames[i]) + " runs without Redis (checks.redis.status disabled)");
        Expect(status == "up", std::string(kNames[i]) + "'s Redis is not up before the outage: " + Quote(cl.redis[i]));
    }
    // Three slowed places: the run writes events before, during and after the outage.
    ClusterFaults slow(cl, {SlowTriageFault(4000, 120), SlowToolFault("build_data_request", 4000, 120),
                            SlowToolFault("write_narrative", 2000, 120), SlowToolFault("render_report", 2000, 120)});
    auto user = ctx.NewUser("co-redis-outage");
    auto http = ctx.Http();
    const std::string run_id = PostOnNewThread(http, user, "redis outage", "How can we cut our LLM costs?");
    const int owner = WaitOwner(cl, http, user, run_id);
    const int other = 1 - owner;
    auto ws = cl.ctx[other]->Connect(user);
    Expect(ws->Send(json::object{{"type", "subscribe"}, {"run_id", run_id}, {"after_seq", 0}}),
           "could not send subscribe: " + ws->ReadError());
    bool matched = false;
    auto frames = ws->CollectUntil([](const WsMessage& m) { return m.Type() == "subscribed" || m.Type() == "error"; },
                                   kFrameTimeout, &matched);
    Expect(matched && frames.back().Type() == "subscribed",
           "subscribe {run_id, after_seq 0} on " + std::string(kNames[other]) + " answered " +
               (frames.empty() ? std::string("nothing") : frames.back().text));
    std::vector<json::object> events = EventsOf(frames, run_id);
    FollowUntil(
        *ws, run_id, events, [](const json::object& e) { return IsToolExecuting(e, "extract_entities"); }, 20s,
        "tool_executing of extract_entities (triage's slowed tool)");
    const std::size_t before_outage = events.size();

    std::vector<double> down_ms, up_ms;
    std::size_t during = 0;
    double outage_ms = 0;
    bool restored = false;
    RunShell(o.redis_stop_command, "taking Redis down");
    const auto stopped = Clock::now();
    try {
        down_ms = WaitBothHealth(
            cl, [](const json::object& h) { return RedisStatus(h) == "down" && JStr(h, "status") == "degraded"; },
            std::chrono::seconds(10), "status degraded with checks.redis.status down");
        const auto degraded = Clock::now();
        // Redis stays down until the client has received an event of the run that can only have come from the
        // database (its instance already reported Redis down), at most 15 s.
        const auto limit = stopped + std::chrono::seconds(15);
        bool ended = false;
        while (during == 0 && !ended && Clock::now() < limit) {
            auto m = ws->Receive(std::chrono::duration_cast<std::chrono::milliseconds>(limit - Clock::now()));
            if (!m || m->Object() == nullptr) continue;
            const auto& e = *m->Object();
            if (JStr(e, "run_id") != run_id || !e.contains("seq")) continue;
            events.push_back(e);
            if (m->received_at > degraded) ++during;
            ended = IsTerminalRunEvent(m->Type());
        }
        Expect(during > 0, "while Redis was down (" + Ms(MsBetween(stopped, Clock::now())) + ") the client on " +
                               kNames[other] + " received no event of the run executing on " + kNames[owner] +
                               " after its instance reported Redis down: delivery did not fall back to the "
                               "database; GET /api/runs/{id}: " +
                               Quote(GetRun(http, user, run_id)));
        outage_ms = MsBetween(stopped, Clock::now());
        restored = true;
        RunShell(o.redis_start_command, "bringing Redis back");
    } catch (...) {
        if (!restored) RunShell(o.redis_start_command, "bringing Redis back");
        throw;
    }
    up_ms = WaitBothHealth(
        cl, [](const json::object& h) { return RedisStatus(h) == "up" && JStr(h, "status") == "healthy"; },
        std::chrono::seconds(10), "status healthy with checks.redis.status up after Redis came back");

    auto rest = CollectRuns(*ws, {run_id});
    auto late = DrainQuiet(*ws, std::chrono::milliseconds(500));
    rest.insert(rest.end(), late.begin(), late.end());
    const std::size_t counted = events.size();
    for (auto& e : EventsOf(rest, run_id)) events.push_back(std::move(e));
    auto run = GetRun(http, user, run_id);
    Expect(JStr(run, "status") == "completed", "the run followed through the Redis outage ended " + Quote(run));
    auto stored = StoredEvents(http, user, run_id);
    ExpectEqualsStored(events, stored,
                       std::string("the client on ") + kNames[other] + " following the run on " + kNames[owner] +
                           " through the Redis outage");
    ctx.Note("Redis down " + Ms(outage_ms) + " while the run (on instance " + std::to_string(owner + 1) +
             ") was followed from instance " + std::to_string(other + 1) + ": degraded/down reported after " +
             Ms(down_ms[0]) + " / " + Ms(down_ms[1]) + ", up again after " + Ms(up_ms[0]) + " / " + Ms(up_ms[1]) +
             "; the client held " + std::to_string(before_outage) + " events before the outage, received " +
             std::to_string(counted - before_outage) + " while Redis was down (" + std::to_string(during) +
             " after it was reported down), " + std::to_string(events.size() - counted) + " after; all " +
             std::to_string(stored.size()) + " once, in order");
}

// Wrong passwords for one email, alternately through each instance, until one is refused: the throttle's windows
// (per email and per client address) are the cluster's, so the refusal comes within the limit the 429 states — after
// it exactly when this address made no other attempts in the last minute — and never after twice that (each instance
// counting its own). Last in the module: the loopback address's window stays full for a minute afterwards; a run
// that finds it full from an earlier one waits it out once.
void LoginThrottleAcrossInstances(StageContext& ctx) {
    auto cl = OpenCluster(ctx, "checks the login throttle across instances");
    HttpClient http[2] = {cl.ctx[0]->Http(), cl.ctx[1]->Http()};
    constexpr int kMaxAttempts = 400;
    int refused_after = -1;
    std::optional<HttpResponse> refusal;
    for (int round = 0; round < 2; ++round) {
        const std::string email = "throttle-" + core::RandomHex(8) + "@example.com";
        refused_after = -1;
        for (int i = 0; i < kMaxAttempts && refused_after < 0; ++i) {
            auto r = Must(
                http[i % 2].PostJson("/auth/login", json::object{{"email", email}, {"password", "wrong-password"}}),
                "POST /auth/login on " + std::string(kNames[i % 2]));
            if (r.status == 429) {
                refused_after = i;
                refusal = std::move(r);
            } else {
                Expect(r.status == 401,
                       "a wrong password answered " + std::to_string(r.status) + ": " + r.body.substr(0, 300));
            }
        }
        Expect(refused_after >= 0, std::to_string(kMaxAttempts) + " wrong passwords for one email were never refused");
        if (refused_after > 0 || round == 1) break;
        // Refused at once: this address's window is full from attempts before this check; wait until it empties.
        const int wait_s = std::stoi(refusal->Header("retry-after").value_or("61"));
        Expect(wait_s <= 61, "Retry-After " + std::to_string(wait_s) + " s for the login throttle's one-minute window");
        ctx.Note("the address's window was full from earlier attempts: waited " + std::to_string(wait_s) + " s");
        std::this_thread::sleep_for(std::chrono::seconds(wait_s));
    }
    auto limit_header = refusal->Header("x-ratelimit-limit");
    Expect(limit_header.has_value(), "the 429 has no x-ratelimit-limit: " + refusal->body.substr(0, 300));
    const int limit = std::stoi(*limit_header);
    Expect(refused_after > 0 && refused_after <= limit,
           "the first refusal came after " + std::to_string(refused_after) +
               " attempts split over both instances; the limit is " + std::to_string(limit) +
               (refused_after > limit ? ": the instances count apart, not as one cluster" : ""));
    // The other instance refuses too.
    auto other = Must(http[(refused_after + 1) % 2].PostJson(
                          "/auth/login", json::object{{"email", "throttle-other@example.com"}, {"password", "x"}}),
                      "POST /auth/login");
    Expect(other.status == 429, std::string(kNames[(refused_after + 1) % 2]) + " answered " +
                                    std::to_string(other.status) + " once the address's window was full");
    ctx.Note(std::to_string(refused_after) + " wrong passwords (limit " + std::to_string(limit) +
             "), alternately on both instances, then 429 from both (another email too: the address's window); "
             "Retry-After " +
             refusal->Header("retry-after").value_or("?") + " s");
}

}  // namespace

std::vector<TestCase> CoordinationClusterTests() {
    return {
        {"cross_instance_execution", CrossInstanceExecution},
        {"cancel_from_other_instance", CancelFromOtherInstance},
        {"owner_killed_takeover", OwnerKilledTakeover},
        {"per_user_limit_across_instances", PerUserLimitAcrossInstances},
        {"redis_outage_mid_run", RedisOutageMidRun},
        {"login_throttle_across_instances", LoginThrottleAcrossInstances},
    };
}

}  // namespace netra::stage

#include "stage/suite.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/jwt_craft.hpp"
#include "stage/process.hpp"

namespace netra::stage {

namespace json = boost::json;

void Fail(const std::string& reason) { throw TestFailure(reason); }
void Skip(const std::string& reason) { throw TestSkipped(reason); }

std::string Quote(const json::value& v, std::size_t max) {
    std::string s = json::serialize(v);
    if (s.size() > max) s = s.substr(0, max) + "…";
    return s;
}

std::string JStr(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return {};
    return std::string(it->value().get_string());
}

std::string Lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string CsvField(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

TempDir::TempDir() {
    char tmpl[] = "/tmp/netra-stage-analyze-XXXXXX";
    Expect(::mkdtemp(tmpl) != nullptr, std::string("mkdtemp: ") + std::strerror(errno));
    path = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
}

const json::object* JObj(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

const json::object& Payload(const WsMessage& m) {
    static const json::object kEmpty;
    const auto* o = m.Object();
    if (!o) return kEmpty;
    if (const auto* p = JObj(*o, "payload")) return *p;
    return *o;
}

HttpResponse Must(core::Result<HttpResponse> r, const std::string& what) {
    if (!r.ok()) Fail(what + ": " + r.error().message);
    return std::move(r).value();
}

const json::object& ExpectJson(const HttpResponse& r, std::initializer_list<int> statuses, const std::string& what) {
    bool ok = false;
    for (int s : statuses) ok |= r.status == s;
    if (!ok) {
        std::string want;
        for (int s : statuses) want += (want.empty() ? "" : "/") + std::to_string(s);
        Fail(what + ": expected " + want + ", got " + r.Describe());
    }
    const auto* o = r.JsonObject();
    if (!o) Fail(what + ": body is not a JSON object: " + r.Describe());
    return *o;
}

StageContext::StageContext(StageOptions options, ServerUrl server, bool spawned, std::string data_dir)
    : options_(std::move(options)), server_(std::move(server)), spawned_(spawned), data_dir_(std::move(data_dir)) {}

std::string StageContext::UniqueEmail(std::string_view label) const {
    std::string l(label);
    for (auto& ch : l) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '-';
    }
    return "stage-" + l + "-" + core::RandomHex(6) + "@example.com";
}

bool StageContext::CanCreateUsers() const { return !options_.bypass_key.empty() || options_.register_users; }

namespace {

Credentials FromAuthResponse(const json::object& o, const std::string& email, const std::string& password) {
    Credentials c;
    c.email = email;
    c.password = password;
    c.access_token = JStr(o, "access_token");
    c.refresh_token = JStr(o, "refresh_token");
    if (const auto* user = JObj(o, "user")) {
        c.user_id = JStr(*user, "id");
        if (c.user_id.empty()) c.user_id = JStr(*user, "user_id");
    }
    if (c.user_id.empty()) c.user_id = JStr(o, "user_id");
    if (c.user_id.empty()) {
        if (auto claims = JwtClaims(c.access_token)) c.user_id = JStr(*claims, "sub");
    }
    if (c.access_token.empty()) Fail("auth answer has no access_token: " + Quote(o));
    return c;
}

}  // namespace

Credentials StageContext::NewUser(std::string_view label) {
    auto http = Http();
    if (!options_.bypass_key.empty()) {
        std::string email = UniqueEmail(label);
        auto r = Must(http.PostJson("/auth/e2e/test-auth",
                                    json::object{{"email", email}, {"name", "stage " + std::string(label)}},
                                    {{"X-E2E-Bypass-Key", options_.bypass_key}}),
                      "POST /auth/e2e/test-auth");
        return FromAuthResponse(ExpectJson(r, {200, 201}, "POST /auth/e2e/test-auth"), email, "");
    }
    if (options_.register_users) {
        std::string email = UniqueEmail(label);
        std::string password = "Stage-" + core::RandomHex(12);
        auto r = Must(http.PostJson("/auth/register", json::object{{"email", email},
                                                                   {"password", password},
                                                                   {"name", "stage " + std::string(label)}}),
                      "POST /auth/register");
        return FromAuthResponse(ExpectJson(r, {201}, "POST /auth/register"), email, password);
    }
    // One shared account: log in once (login is throttled per email).
    std::lock_guard lock(mu_);
    if (login_cache_) return *login_cache_;
    if (options_.email.empty()) Fail("no way to get a user: give --register, --bypass-key or --email/--password");
    auto r =
        Must(http.PostJson("/auth/login", json::object{{"email", options_.email}, {"password", options_.password}}),
             "POST /auth/login");
    login_cache_ = FromAuthResponse(ExpectJson(r, {200}, "POST /auth/login"), options_.email, options_.password);
    return *login_cache_;
}

std::unique_ptr<WsClient> StageContext::Connect(const Credentials& user, WsConnectOptions options) {
    if (!options.bearer_token && options.subprotocols.empty() && options.query.empty()) {
        options.bearer_token = user.access_token;
    }
    auto ws = std::make_unique<WsClient>();
    WsConnectError err;
    if (!ws->Connect(server_, options, &err)) {
        Fail("WebSocket connect " + options.path + ": " + err.message + (err.body.empty() ? "" : " " + err.body));
    }
    auto m = ws->Receive(kFrameTimeout);
    if (!m) Fail("no connection_established within " + std::to_string(kFrameTimeout.count()) + " ms of the upgrade");
    if (m->Type() != "connection_established") Fail("first frame is not connection_established: " + m->text);
    return ws;
}

std::string StageContext::MintToken(const std::string& email, long expires_in_s) {
    if (!spawned_) Skip("needs the server's JWT secret: only possible with --spawn (netra token on its data dir)");
    std::string binary = options_.netra_binary.empty() ? SelfExecutable() : options_.netra_binary;
    std::vector<std::string> env = token_env_;
    env.push_back("NETRA_DATA_DIR=" + data_dir_);
    auto out = RunCapture({binary, "token", "--email", email, "--expires-in=" + std::to_string(expires_in_s)}, env);
    if (!out.ok()) Fail("netra token: " + out.error().message);
    static const std::regex kJwt(R"([A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})");
    std::smatch m;
    if (out->exit_code != 0 || !std::regex_search(out->output, m, kJwt)) {
        Skip("`netra token --email E --expires-in=S` did not produce a token (exit " + std::to_string(out->exit_code) +
             "): " + out->output.substr(0, 300));
    }
    return m.str();
}

void StageContext::Note(const std::string& text) {
    std::lock_guard lock(mu_);
    notes_ += (notes_.empty() ? "" : "; ") + text;
}

std::string StageContext::TakeNotes() {
    std::lock_guard lock(mu_);
    return std::exchange(notes_, {});
}

void StageContext::AddMetric(MetricResult metric) {
    std::lock_guard lock(mu_);
    metrics_.push_back(std::move(metric));
}

std::vector<MetricResult> StageContext::Metrics() const {
    std::lock_guard lock(mu_);
    return metrics_;
}

std::string StageContext::AdminKey() const {
    std::lock_guard lock(mu_);
    return !options_.bypass_key.empty() ? options_.bypass_key : admin_key_;
}

void StageContext::SetAdminKey(std::string key) {
    std::lock_guard lock(mu_);
    admin_key_ = std::move(key);
}

std::unique_ptr<SpawnedServer> StageContext::SpawnDedicated(std::vector<std::string> env, const std::string& why,
                                                            bool wait_ready) {
    if (!spawned_) Skip(why + ": needs process control (--spawn)");
    std::string binary = options_.netra_binary.empty() ? SelfExecutable() : options_.netra_binary;
    std::string key = core::RandomHex(16);
    env.push_back("NETRA_FAULT_INJECTION=1");
    env.push_back("NETRA_E2E_BYPASS_KEY=" + key);
    auto s = SpawnedServer::Start(binary, 60, std::move(env), wait_ready);
    if (!s.ok()) Fail("could not start a dedicated server: " + s.error().message);
    (*s)->SetNote(key);
    return std::move(s).value();
}

std::unique_ptr<StageContext> StageContext::ForServer(const SpawnedServer& server) const {
    auto url = ParseServerUrl(server.url());
    if (!url.ok()) Fail("dedicated server URL: " + url.error().message);
    StageOptions o = options_;
    o.url = server.url();
    o.url2.clear();  // a deployment of its own
    o.bypass_key.clear();
    o.email.clear();
    o.register_users = true;
    auto c = std::make_unique<StageContext>(o, *url, true, server.data_dir());
    c->SetAdminKey(server.note());
    return c;
}

SpawnedServer* StageContext::SpawnedInstance(std::size_t index) const {
    return index < instances_.size() ? instances_[index] : nullptr;
}

void StageContext::SetSpawnedInstances(std::vector<SpawnedServer*> instances) { instances_ = std::move(instances); }

void StageContext::SetTokenEnv(std::vector<std::string> env) { token_env_ = std::move(env); }

void RunShell(const std::string& command, const std::string& what) {
    auto ran = RunCapture({"/bin/sh", "-c", command}, {});
    Expect(ran.ok() && ran->exit_code == 0,
           what + " (" + command + ") failed: " + (ran.ok() ? ran->output.substr(0, 400) : ran.error().message));
}

FaultGuard::FaultGuard(StageContext& ctx, const json::object& spec, bool whole_deployment) : key_(ctx.AdminKey()) {
    if (key_.empty()) {
        Skip(
            "needs fault injection (§11): give --bypass-key for a deployment running NETRA_FAULT_INJECTION=1, or "
            "--spawn");
    }
    std::vector<ServerUrl> targets{ctx.server()};
    if (whole_deployment && !ctx.options().url2.empty()) {
        auto second = ParseServerUrl(ctx.options().url2);
        if (!second.ok()) Fail("--url2: " + second.error().message);
        second->ca_file = ctx.options().ca_file;
        targets.push_back(*second);
    }
    try {
        for (const auto& server : targets) {
            HttpClient http(server);
            auto r =
                Must(http.PostJson("/api/admin/faults", spec, {{"X-E2E-Bypass-Key", key_}}), "POST /api/admin/faults");
            if (r.status == 404) Skip("the deployment has fault injection disabled (POST /api/admin/faults → 404)");
            if (r.status != 200 && r.status != 201) Fail("POST /api/admin/faults " + Quote(spec) + ": " + r.Describe());
            servers_.push_back(server);
        }
    } catch (...) {
        Clear();  // an instance that refused: the ones that took it are cleared (no destructor runs)
        throw;
    }
}

FaultGuard::~FaultGuard() { Clear(); }

void FaultGuard::Clear() {
    for (const auto& server : servers_) {
        HttpClient http(server);
        (void)http.Request("DELETE", "/api/admin/faults", {{"X-E2E-Bypass-Key", key_}});
    }
    servers_.clear();
}

std::unique_ptr<FaultGuard> MaybeFault(StageContext& ctx, const json::object& spec) {
    if (ctx.AdminKey().empty()) return nullptr;
    try {
        return std::make_unique<FaultGuard>(ctx, spec);
    } catch (const TestSkipped&) {
        return nullptr;
    }
}

json::object SlowTriageFault(int latency_ms, int duration_s) {
    return json::object{{"target", "tool:extract_entities"},
                        {"mode", "latency"},
                        {"latency_ms", latency_ms},
                        {"duration_s", duration_s}};
}

std::string CreateThread(HttpClient& http, const Credentials& user, const std::string& title) {
    auto t = Must(http.PostJson("/api/threads", json::object{{"title", title}}, BearerAuth(user.access_token)),
                  "POST /api/threads");
    return JStr(ExpectJson(t, {201}, "POST /api/threads"), "id");
}

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

json::object GetRun(HttpClient& http, const Credentials& user, const std::string& run_id) {
    auto r = Must(http.Get("/api/runs/" + run_id, BearerAuth(user.access_token)), "GET /api/runs/" + run_id);
    return ExpectJson(r, {200}, "GET /api/runs/" + run_id);
}

bool IsTerminalStatus(std::string_view status) {
    return status == "completed" || status == "failed" || status == "cancelled";
}

json::object WaitRunTerminal(HttpClient& http, const Credentials& user, const std::string& run_id,
                             std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto run = GetRun(http, user, run_id);
        if (IsTerminalStatus(JStr(run, "status"))) return run;
        if (std::chrono::steady_clock::now() > deadline) {
            Fail("run " + run_id + " not terminal after " + std::to_string(timeout.count()) + " ms: " + Quote(run));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// Every call of one tool waits `latency_ms` (cooperatively: cancellation and timeouts still end the run). One
// tool and a short lifetime: were FaultGuard's DELETE lost, the fault would still be gone within seconds
// instead of slowing the rest of the suite.
json::object SlowToolFault(const std::string& tool, int latency_ms, int duration_s) {
    return json::object{{"target", "tool:" + tool},
                        {"mode", "latency"},
                        {"rate", 1.0},
                        {"latency_ms", latency_ms},
                        {"duration_s", duration_s}};
}

bool IsToolExecuting(const json::object& e, std::string_view tool) {
    if (JStr(e, "type") != "tool_executing") return false;
    const auto* p = JObj(e, "payload");
    return p != nullptr && JStr(*p, "tool") == tool;
}

// Reads `ws` until an event of `run_id` satisfies `until`, appending the run's events (arrival order) to
// `events`. Fails on timeout, or when the run ends before.
void FollowUntil(WsClient& ws, const std::string& run_id, std::vector<json::object>& events,
                 const std::function<bool(const json::object&)>& until, std::chrono::milliseconds timeout,
                 const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            Fail("no " + what + " within " + std::to_string(timeout.count()) +
                 " ms; the run's events so far: " + SeqRanges([&] {
                     std::vector<long long> s;
                     for (const auto& e : events) s.push_back(Seq(e));
                     return s;
                 }()));
        }
        auto m = ws.Receive(left);
        if (!m) continue;
        const auto* o = m->Object();
        if (o == nullptr || JStr(*o, "run_id") != run_id || !o->contains("seq")) continue;
        events.push_back(*o);
        if (until(*o)) return;
        if (IsTerminalRunEvent(m->Type())) Fail("the run ended with " + m->Type() + " before " + what);
    }
}

// `held` (what the client ended up with, in arrival order) is the stored run exactly: same count, same seqs in
// the same order, each event identical to its stored copy.
void ExpectStoredCancelled(HttpClient& http, const Credentials& user, const std::string& run_id,
                           const std::string& thread_id, const std::vector<json::object>& held,
                           const std::string& what) {
    auto run = GetRun(http, user, run_id);
    Expect(JStr(run, "status") == "cancelled", "GET /api/runs/{id} after run_cancelled: " + Quote(run));
    auto stored = StoredEvents(http, user, run_id);
    auto problems = ValidateRunSequence(stored, run_id, thread_id);
    Expect(problems.empty(), "the cancelled run's stored events are not a valid sequence: " + Join(problems, "; "));
    Expect(!stored.empty() && JStr(stored.back(), "type") == "run_cancelled",
           "stored events end with " + (stored.empty() ? std::string("nothing") : JStr(stored.back(), "type")));
    ExpectEqualsStored(held, stored, what);
}

void ExpectEqualsStored(const std::vector<json::object>& held, const std::vector<json::object>& stored,
                        const std::string& what) {
    std::vector<long long> held_seqs, stored_seqs;
    for (const auto& e : held) held_seqs.push_back(Seq(e));
    for (const auto& e : stored) stored_seqs.push_back(Seq(e));
    Expect(held_seqs == stored_seqs, what + ": the client holds seqs " + SeqRanges(held_seqs) + " (" +
                                         std::to_string(held.size()) + " events), the server stored " +
                                         SeqRanges(stored_seqs) + " (" + std::to_string(stored.size()) + ")");
    for (std::size_t i = 0; i < held.size(); ++i) {
        Expect(json::value(held[i]) == json::value(stored[i]),
               what + ": seq " + std::to_string(held_seqs[i]) +
                   " differs from the stored event: " + Quote(held[i], 200) + " vs " + Quote(stored[i], 200));
    }
}

std::vector<json::object> StoredEvents(HttpClient& http, const Credentials& user, const std::string& run_id,
                                       const std::string& query) {
    std::string target = "/api/runs/" + run_id + "/events" + (query.empty() ? "" : "?" + query);
    auto r = Must(http.Get(target, BearerAuth(user.access_token)), "GET " + target);
    const auto& o = ExpectJson(r, {200}, "GET " + target);
    auto it = o.find("data");
    if (it == o.end() || !it->value().is_array()) Fail("GET " + target + ": no data array: " + Quote(o));
    std::vector<json::object> out;
    for (const auto& v : it->value().get_array()) {
        if (!v.is_object()) Fail("GET " + target + ": an element of data is not an object: " + Quote(v));
        out.push_back(v.get_object());
    }
    return out;
}

long long Seq(const json::object& event) {
    auto it = event.find("seq");
    if (it == event.end() || !it->value().is_int64()) return -1;
    return it->value().get_int64();
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
    return out;
}

std::string SeqRanges(std::vector<long long> seqs) {
    std::sort(seqs.begin(), seqs.end());
    std::string out;
    for (std::size_t i = 0; i < seqs.size();) {
        std::size_t j = i;
        while (j + 1 < seqs.size() && seqs[j + 1] == seqs[j] + 1) ++j;
        out += (out.empty() ? "" : ",") + std::to_string(seqs[i]) + (j > i ? "-" + std::to_string(seqs[j]) : "");
        i = j + 1;
    }
    return out.empty() ? "none" : out;
}

void ExpectValidSequence(const RunTrace& t) {
    Expect(!t.terminal.empty(), "run " + t.run_id + " did not finish within " +
                                    std::to_string(kRunTimeout.count() / 1000) + " s; got " +
                                    std::to_string(t.events.size()) + " events");
    auto problems = ValidateRunSequence(t.events, t.run_id, t.thread_id);
    if (!problems.empty()) Fail("run " + t.run_id + ": " + Join(problems, "; "));
}

// Sends a message and waits for its ack only; returns (run_id, thread_id).
std::pair<std::string, std::string> SendAcked(WsClient& ws, json::object frame, std::vector<WsMessage>* before) {
    std::string cmid = JStr(frame, "client_message_id");
    Expect(ws.Send(frame), "send failed: " + ws.ReadError());
    bool matched = false;
    auto frames = ws.CollectUntil(
        [&](const WsMessage& x) {
            return x.Type() == "error" || (x.Type() == "ack" && JStr(Payload(x), "client_message_id") == cmid);
        },
        kFrameTimeout, &matched);
    Expect(matched, "no ack within 5 s");
    WsMessage m = std::move(frames.back());
    frames.pop_back();
    if (before) before->insert(before->end(), frames.begin(), frames.end());
    Expect(m.Type() == "ack", "message answered with " + m.text);
    return {JStr(Payload(m), "run_id"), JStr(Payload(m), "thread_id")};
}

std::vector<WsMessage> SendAllAndCollect(WsClient& ws, const std::vector<json::object>& frames,
                                         std::vector<std::string>* run_ids) {
    std::map<std::string, std::string> runs_by_cmid;
    for (const auto& f : frames) {
        runs_by_cmid[JStr(f, "client_message_id")] = "";
        Expect(ws.Send(f), "send failed: " + ws.ReadError());
    }
    std::vector<WsMessage> out;
    std::set<std::string> ended;
    const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
    for (;;) {
        bool all = true;
        for (const auto& [cmid, run] : runs_by_cmid) all &= !run.empty() && ended.count(run) > 0;
        if (all) break;
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        Expect(left.count() > 0, "not every message was acked and its run finished within the run timeout");
        auto m = ws.Receive(left);
        if (!m) continue;
        if (m->Type() == "error") Fail("a message was answered with " + m->text);
        const auto& p = Payload(*m);
        if (m->Type() == "ack" && runs_by_cmid.count(JStr(p, "client_message_id"))) {
            runs_by_cmid[JStr(p, "client_message_id")] = JStr(p, "run_id");
        }
        if (IsTerminalRunEvent(m->Type()) && m->Object()) ended.insert(JStr(*m->Object(), "run_id"));
        out.push_back(std::move(*m));
    }
    if (run_ids) {
        for (const auto& f : frames) run_ids->push_back(runs_by_cmid[JStr(f, "client_message_id")]);
    }
    return out;
}

// Collects frames until every run in `runs` has its terminal event; returns all frames (arrival order).
std::vector<WsMessage> CollectRuns(WsClient& ws, std::set<std::string> runs, std::vector<WsMessage> already) {
    std::vector<WsMessage> frames = std::move(already);
    for (const auto& f : frames) {
        if (IsTerminalRunEvent(f.Type()) && f.Object()) runs.erase(JStr(*f.Object(), "run_id"));
    }
    const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
    while (!runs.empty()) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        Expect(left.count() > 0, "runs " + Join(std::vector<std::string>(runs.begin(), runs.end())) +
                                     " did not finish within the run timeout");
        auto m = ws.Receive(left);
        if (!m) continue;
        if (IsTerminalRunEvent(m->Type()) && m->Object()) runs.erase(JStr(*m->Object(), "run_id"));
        frames.push_back(std::move(*m));
    }
    return frames;
}

std::vector<json::object> EventsOf(const std::vector<WsMessage>& frames, const std::string& run_id) {
    std::vector<json::object> out;
    for (const auto& f : frames) {
        const auto* o = f.Object();
        if (o && o->contains("seq") && JStr(*o, "run_id") == run_id) out.push_back(*o);
    }
    return out;
}

// Index of the first frame of `run_id` with `type` (-1 if none).
long IndexOf(const std::vector<WsMessage>& frames, const std::string& run_id, const std::string& type) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const auto* o = frames[i].Object();
        if (o && JStr(*o, "run_id") == run_id && frames[i].Type() == type) return static_cast<long>(i);
    }
    return -1;
}

json::object UserMessage(const std::string& content, const std::string& thread_id) {
    json::object f{{"type", "user_message"}, {"content", content}, {"client_message_id", core::NewId()}};
    if (!thread_id.empty()) f["thread_id"] = thread_id;
    return f;
}

double PingPong(WsClient& ws, const std::string& id, std::chrono::milliseconds timeout) {
    auto sent = std::chrono::steady_clock::now();
    if (!ws.Send(json::object{{"type", "ping"}, {"id", id}}))
        Fail("could not send ping: socket closed (" + ws.ReadError() + ")");
    auto pong = ws.ReceiveUntil(
        [&](const WsMessage& m) {
            if (m.Type() != "pong") return false;
            const auto& p = Payload(m);
            std::string got = JStr(*m.Object(), "id");
            if (got.empty()) got = JStr(p, "id");
            return got == id;
        },
        timeout);
    if (!pong) {
        Fail("no pong with id " + id + " within " + std::to_string(timeout.count()) + " ms" +
             (ws.IsOpen() ? ""
                          : " (socket closed by the server with code " + std::to_string(ws.CloseCode().value_or(0)) +
                                " '" + ws.CloseReason() + "': " + ws.ReadError() + ")"));
    }
    return std::chrono::duration<double, std::milli>(pong->received_at - sent).count();
}

RunTrace SendAndFollowRun(WsClient& ws, json::object frame, std::chrono::milliseconds timeout) {
    RunTrace t;
    std::string cmid = JStr(frame, "client_message_id");
    const auto sent = std::chrono::steady_clock::now();
    const auto deadline = sent + timeout;
    if (!ws.Send(frame)) Fail("could not send " + JStr(frame, "type") + ": socket closed (" + ws.ReadError() + ")");
    std::vector<json::object> early;  // run events that arrive before we know the run id
    auto left = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    };
    while (t.run_id.empty()) {
        auto m = ws.Receive(std::max(left(), std::chrono::milliseconds(0)));
        if (!m) Fail("no ack for " + JStr(frame, "type") + " within " + std::to_string(timeout.count()) + " ms");
        std::string type = m->Type();
        const auto* o = m->Object();
        if (type == "error") Fail("server answered " + JStr(frame, "type") + " with an error: " + m->text);
        if (type == "ack") {
            const auto& p = Payload(*m);
            std::string got_cmid = JStr(p, "client_message_id");
            if (got_cmid.empty() && o) got_cmid = JStr(*o, "client_message_id");
            if (!cmid.empty() && got_cmid != cmid) continue;  // someone else's ack (another tab of this user)
            t.ack = p;
            t.run_id = JStr(p, "run_id");
            t.thread_id = JStr(p, "thread_id");
            t.message_id = JStr(p, "message_id");
            t.ack_ms = std::chrono::duration<double, std::milli>(m->received_at - sent).count();
            if (t.run_id.empty()) Fail("ack has no run_id: " + m->text);
            continue;
        }
        if (o && o->contains("run_id") && o->contains("seq")) early.push_back(*o);
    }
    for (auto& e : early) {
        if (JStr(e, "run_id") == t.run_id) t.events.push_back(std::move(e));
    }
    if (!t.events.empty() && IsTerminalRunEvent(JStr(t.events.back(), "type"))) {
        t.terminal = JStr(t.events.back(), "type");
        t.total_ms = t.ack_ms;
        return t;
    }
    for (;;) {
        auto l = left();
        if (l.count() <= 0) return t;
        auto m = ws.Receive(l);
        if (!m) return t;
        const auto* o = m->Object();
        if (!o || JStr(*o, "run_id") != t.run_id || !o->contains("seq")) continue;
        t.events.push_back(*o);
        std::string type = m->Type();
        if (IsTerminalRunEvent(type)) {
            t.terminal = type;
            t.total_ms = std::chrono::duration<double, std::milli>(m->received_at - sent).count();
            return t;
        }
    }
}

std::vector<ModuleDef> AllModules() {
    return {
        {1, "websocket_events", WebsocketEventsTests()},
        {2, "message_flow", MessageFlowTests()},
        {3, "agent_pipeline", AgentPipelineTests()},
        {4, "agent_orchestration", AgentOrchestrationTests()},
        {5, "response_streaming", ResponseStreamingTests()},
        {6, "failure_recovery", FailureRecoveryTests()},
        {7, "startup_resilience", StartupResilienceTests()},
        {8, "lifecycle_events", LifecycleEventsTests()},
        {9, "coordination", CoordinationTests()},
        {10, "critical_path", CriticalPathTests()},
    };
}

}  // namespace netra::stage

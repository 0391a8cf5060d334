#include "stage/suite.hpp"

#include <boost/json.hpp>
#include <regex>

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
    auto out = RunCapture({binary, "token", "--email", email, "--expires-in=" + std::to_string(expires_in_s)},
                          {"NETRA_DATA_DIR=" + data_dir_});
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
        {3, "agent_pipeline", {}},
        {4, "agent_orchestration", {}},
        {5, "response_streaming", {}},
        {6, "failure_recovery", {}},
        {7, "startup_resilience", {}},
        {8, "lifecycle_events", {}},
        {9, "coordination", {}},
        {10, "critical_path", CriticalPathTests()},
    };
}

}  // namespace netra::stage

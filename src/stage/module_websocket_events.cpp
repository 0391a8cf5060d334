// Module 1 — websocket_events: health endpoints, WebSocket authentication (accepted and refused), the
// subprotocol echo rule, one run's full event sequence and many concurrent connections of one user.
#include <boost/json.hpp>
#include <ctime>
#include <thread>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/jwt_craft.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

void HealthEndpoint(StageContext& ctx) {
    auto http = ctx.Http();
    auto r = Must(http.Get("/health"), "GET /health");
    const auto& o = ExpectJson(r, {200}, "GET /health");
    Expect(JStr(o, "status") == "healthy", "GET /health status is not \"healthy\": " + Quote(o));
    Expect(!JStr(o, "service").empty(), "GET /health has no service: " + Quote(o));
    Expect(JStr(o, "service") == "netra-backend", "GET /health service is not netra-backend: " + Quote(o));
    Expect(!JStr(o, "version").empty(), "GET /health has no version: " + Quote(o));
    Expect(o.contains("uptime_s") && o.at("uptime_s").is_number(), "GET /health has no numeric uptime_s: " + Quote(o));
    auto head = Must(http.Request("HEAD", "/health"), "HEAD /health");
    Expect(head.status == 200, "HEAD /health: " + head.Describe());
    ctx.Note("version " + JStr(o, "version"));
}

void HealthLive(StageContext& ctx) {
    auto http = ctx.Http();
    auto r = Must(http.Get("/health/live"), "GET /health/live");
    Expect(r.status == 200, "GET /health/live: " + r.Describe());
}

void HealthReady(StageContext& ctx) {
    auto http = ctx.Http();
    for (const char* path : {"/health/ready", "/api/health"}) {
        auto r = Must(http.Get(path), std::string("GET ") + path);
        const auto& o = ExpectJson(r, {200}, std::string("GET ") + path);
        Expect(JStr(o, "status") == "healthy", std::string(path) + " status not healthy: " + Quote(o));
        const auto* checks = JObj(o, "checks");
        Expect(checks != nullptr, std::string(path) + " has no checks object: " + Quote(o));
        const auto* db = JObj(*checks, "database");
        Expect(db && JStr(*db, "status") == "up", std::string(path) + " checks.database.status is not up: " + Quote(o));
        // What a committed write survives is stated (docs/operations.md), for the backend in use.
        const std::string durability = JStr(*db, "durability");
        Expect(durability.find("synchronous") != std::string::npos || durability.find("in memory") != std::string::npos,
               std::string(path) + " checks.database.durability does not state the durability: " + Quote(o));
        Expect(JObj(*checks, "redis") != nullptr, std::string(path) + " has no checks.redis: " + Quote(o));
        Expect(JObj(*checks, "llm") != nullptr, std::string(path) + " has no checks.llm: " + Quote(o));
        const auto* startup = JObj(o, "startup");
        Expect(startup && JStr(*startup, "phase") == "ready",
               std::string(path) + " startup.phase is not ready: " + Quote(o));
        auto it = startup->find("completed_phases");
        Expect(it != startup->end() && it->value().is_array() && !it->value().get_array().empty(),
               std::string(path) + " startup.completed_phases missing or empty: " + Quote(o));
    }
}

void ConnectAuthorized(StageContext& ctx) {
    auto user = ctx.NewUser("ws-auth");
    auto ws = std::make_unique<WsClient>();
    WsConnectOptions opts;
    opts.bearer_token = user.access_token;
    WsConnectError err;
    const bool connected = ws->Connect(ctx.server(), opts, &err);
    Expect(connected, "authorized upgrade refused: " + err.message + " " + err.body);
    auto m = ws->Receive(kFrameTimeout);
    Expect(m.has_value(), "no frame within 5 s of the upgrade");
    Expect(m->Type() == "connection_established", "first frame is not connection_established: " + m->text);
    const auto& o = *m->Object();
    Expect(!JStr(o, "connection_id").empty(), "connection_established has no connection_id: " + m->text);
    Expect(
        !user.user_id.empty() && JStr(o, "user_id") == user.user_id,
        "connection_established user_id '" + JStr(o, "user_id") + "' is not the token's user '" + user.user_id + "'");
    Expect(!JStr(o, "server_time").empty(), "connection_established has no server_time: " + m->text);
    // The other WebSocket path and the query-token credential reach the same handler.
    WsConnectOptions alt;
    alt.path = "/ws";
    alt.query = "token=" + user.access_token;
    auto ws2 = ctx.Connect(user, alt);
    PingPong(*ws2, "alt-path");
}

// Expects the upgrade to be refused with `status` and a JSON body.
void ExpectRefused(StageContext& ctx, const WsConnectOptions& opts, int status, const std::string& what) {
    WsClient ws;
    WsConnectError err;
    if (ws.Connect(ctx.server(), opts, &err)) {
        auto m = ws.Receive(std::chrono::milliseconds(1000));
        Fail(what + ": the upgrade was accepted" + (m ? " (first frame: " + m->text + ")" : ""));
    }
    Expect(err.http_status == status, what + ": expected HTTP " + std::to_string(status) + ", got " +
                                          (err.http_status ? std::to_string(err.http_status) : err.message) +
                                          (err.body.empty() ? "" : " " + err.body));
    boost::system::error_code ec;
    auto body = json::parse(err.body, ec);
    Expect(!ec && body.is_object(), what + ": refusal body is not JSON: '" + err.body.substr(0, 200) + "'");
}

WsConnectOptions WithToken(const std::string& token) {
    WsConnectOptions o;
    o.bearer_token = token;
    return o;
}

void RefuseMissingToken(StageContext& ctx) { ExpectRefused(ctx, WsConnectOptions{}, 401, "no credentials"); }

// An upgrade is only answered on the WebSocket paths: anywhere else, even with good credentials, 404 JSON.
void RefuseUpgradeElsewhere(StageContext& ctx) {
    auto user = ctx.NewUser("ws-elsewhere");
    for (const char* path : {"/api/health", "/api/threads", "/nowhere"}) {
        WsConnectOptions opts = WithToken(user.access_token);
        opts.path = path;
        ExpectRefused(ctx, opts, 404, std::string("an upgrade on ") + path);
    }
}

void RefuseMalformedToken(StageContext& ctx) {
    ExpectRefused(ctx, WithToken("not-a-jwt"), 403, "malformed token 'not-a-jwt'");
    ExpectRefused(ctx, WithToken("aaa.bbb.ccc"), 403, "malformed token 'aaa.bbb.ccc'");
}

// Claims shaped like a real access token of this user (copied from one the server issued).
json::object RealClaims(StageContext& ctx, Credentials* user_out = nullptr) {
    auto user = ctx.NewUser("ws-claims");
    auto claims = JwtClaims(user.access_token);
    if (!claims) Fail("the server's access token is not a decodable JWT: " + user.access_token.substr(0, 40));
    if (user_out) *user_out = user;
    return *claims;
}

void RefuseExpiredToken(StageContext& ctx) {
    auto user = ctx.NewUser("ws-expired");
    std::string token = ctx.MintToken(user.email, -3600);
    auto claims = JwtClaims(token);
    auto exp = claims ? claims->if_contains("exp") : nullptr;
    if (!exp || !exp->is_number() || exp->to_number<double>() > static_cast<double>(std::time(nullptr)) - 60) {
        Skip("`netra token --expires-in=-3600` did not mint an expired token (claims: " +
             (claims ? Quote(*claims) : std::string("undecodable")) + ")");
    }
    ExpectRefused(ctx, WithToken(token), 403, "token expired an hour ago (signed with the server's secret)");
}

void RefuseWrongSignature(StageContext& ctx) {
    auto claims = RealClaims(ctx);
    std::string forged = SignHs256(json::object{{"alg", "HS256"}, {"typ", "JWT"}}, claims, core::RandomHex(32));
    ExpectRefused(ctx, WithToken(forged), 403, "valid claims signed with a different key");
}

void RefuseTamperedPayload(StageContext& ctx) {
    Credentials user;
    auto claims = RealClaims(ctx, &user);
    // Keep the server's signature, change the claims: the signature no longer matches.
    claims["sub"] = core::NewId();
    auto dot1 = user.access_token.find('.');
    auto dot2 = user.access_token.find('.', dot1 + 1);
    std::string tampered = user.access_token.substr(0, dot1) + "." + Base64UrlEncode(json::serialize(claims)) +
                           user.access_token.substr(dot2);
    ExpectRefused(ctx, WithToken(tampered), 403, "real token with its payload altered");
}

void RefuseAlgNone(StageContext& ctx) {
    auto claims = RealClaims(ctx);
    ExpectRefused(ctx, WithToken(UnsignedAlgNone(claims)), 403, "alg:none token");
}

void SubprotocolEcho(StageContext& ctx) {
    auto user = ctx.NewUser("ws-subproto");
    {
        WsConnectOptions o;
        o.subprotocols = {"jwt-auth", "jwt." + user.access_token};
        auto ws = ctx.Connect(user, o);
        Expect(ws->SelectedSubprotocol() == "jwt-auth", "offered [jwt-auth, jwt.<token>]: server selected '" +
                                                            ws->SelectedSubprotocol() + "', expected 'jwt-auth'");
    }
    {
        WsConnectOptions o;
        o.subprotocols = {"bearer." + user.access_token};
        auto ws = ctx.Connect(user, o);
        Expect(ws->SelectedSubprotocol().empty(), "offered only bearer.<token>: server selected '" +
                                                      ws->SelectedSubprotocol().substr(0, 40) +
                                                      "', expected none (never an entry carrying a token)");
    }
    {
        WsConnectOptions o;
        o.subprotocols = {"jwt-auth", "jwt-auth." + Base64UrlEncode(user.access_token)};
        auto ws = ctx.Connect(user, o);
        Expect(ws->SelectedSubprotocol() == "jwt-auth",
               "offered [jwt-auth, jwt-auth.<base64url token>]: server selected '" + ws->SelectedSubprotocol() + "'");
    }
}

void RunEventSequence(StageContext& ctx) {
    auto user = ctx.NewUser("ws-sequence");
    auto ws = ctx.Connect(user);
    auto t = SendAndFollowRun(
        *ws, UserMessage(
                 "We spend $40k/month on GPT-4o for customer support, 2M requests per month. How can we cut costs?"));
    Expect(!t.terminal.empty(), "run " + t.run_id + " did not finish within " +
                                    std::to_string(kRunTimeout.count() / 1000) + " s; got " +
                                    std::to_string(t.events.size()) + " events");
    auto problems = ValidateRunSequence(t.events, t.run_id, t.thread_id);
    if (!problems.empty()) {
        std::string all;
        for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
        Fail(all);
    }
    Expect(t.terminal == "run_completed", "run ended with " + t.terminal + ": " + Quote(t.events.back()));
    auto agents = AgentOrder(t.events);
    Expect(!agents.empty() && agents.front() == "triage", "first agent is not triage");
    Expect(agents.back() == "reporting", "last agent is not reporting");
    std::string order;
    for (const auto& a : agents) order += (order.empty() ? "" : " → ") + a;
    ctx.Note(std::to_string(t.events.size()) + " events, agents " + order);
}

void ConcurrentConnectionsPong(StageContext& ctx) {
    constexpr int kConnections = 8;
    auto user = ctx.NewUser("ws-concurrent");
    std::vector<std::unique_ptr<WsClient>> sockets;
    for (int i = 0; i < kConnections; ++i) sockets.push_back(ctx.Connect(user));
    // All pings are in flight at once; each socket must get its own pong.
    std::vector<std::string> errors(kConnections);
    std::vector<std::thread> threads;
    for (int i = 0; i < kConnections; ++i) {
        threads.emplace_back([&, i] {
            try {
                PingPong(*sockets[static_cast<std::size_t>(i)], "conc-" + std::to_string(i));
            } catch (const std::exception& e) {
                errors[static_cast<std::size_t>(i)] = e.what();
            }
        });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < kConnections; ++i) {
        Expect(errors[static_cast<std::size_t>(i)].empty(), "connection " + std::to_string(i + 1) + "/" +
                                                                std::to_string(kConnections) + ": " +
                                                                errors[static_cast<std::size_t>(i)]);
    }
    ctx.Note(std::to_string(kConnections) + " connections of one user each answered");
}

void HeartbeatAck(StageContext& ctx) {
    auto user = ctx.NewUser("ws-heartbeat");
    auto ws = ctx.Connect(user);
    Expect(ws->Send(json::object{{"type", "heartbeat"}}), "send failed");
    auto m = ws->ReceiveUntil([](const WsMessage& x) { return x.Type() == "heartbeat_ack" || x.Type() == "error"; },
                              kFrameTimeout);
    Expect(m && m->Type() == "heartbeat_ack", m ? "heartbeat answered with " + m->text : "no heartbeat_ack within 5 s");
}

}  // namespace

std::vector<TestCase> WebsocketEventsTests() {
    std::vector<TestCase> tests = {
        {"health_endpoint", HealthEndpoint},
        {"health_live", HealthLive},
        {"health_ready_shape", HealthReady},
        {"connect_authorized", ConnectAuthorized},
        {"refuse_missing_token_401", RefuseMissingToken},
        {"refuse_upgrade_elsewhere_404", RefuseUpgradeElsewhere},
        {"refuse_malformed_token_403", RefuseMalformedToken},
        {"refuse_expired_token_403", RefuseExpiredToken},
        {"refuse_wrong_signature_403", RefuseWrongSignature},
        {"refuse_tampered_payload_403", RefuseTamperedPayload},
        {"refuse_alg_none_403", RefuseAlgNone},
        {"subprotocol_echo", SubprotocolEcho},
        {"run_event_sequence", RunEventSequence},
        {"concurrent_connections_pong", ConcurrentConnectionsPong},
        {"heartbeat_ack", HeartbeatAck},
    };
    for (auto& t : AuthAttackTests()) tests.push_back(std::move(t));  // module_auth_attacks.cpp
    for (auto& t : HostileWsTests()) tests.push_back(std::move(t));   // module_hostile_clients.cpp
    return tests;
}

}  // namespace netra::stage

// Module 1's attacks on authentication and on the data at rest (issue 13, item 4), beside the token refusals of
// module_websocket_events.cpp:
//   auth_key_holder_tokens_refused: tokens only a holder of the server's key could make, and which a permissive
//     verifier would take — another HMAC (HS384, HS512), a `crit` header, a claim or header parameter written twice —
//     are refused; `kid`/`jku` hints never make the server fetch anything (spawned servers: the key is read from the
//     server's data directory);
//   auth_token_in_wrong_place: the access token in the query string, a cookie or X-Api-Key of the API is not a
//     credential;
//   auth_header_flood_431: a 48 KiB Authorization header gets 431 and the server goes on answering;
//   data_files_owner_only: the data directory, the generated JWT secret and every database file are its owner's only;
//   secrets_not_in_logs: a session's password, tokens, the JWT secret and the admin key never reach the server log;
//   login_timing_unknown_vs_known: a login for an unknown e-mail costs what a wrong password costs (no user probing);
//   refresh_reuse_grace_window: on a server with a 2 s reuse grace window, a rotated refresh token presented again
//     inside it gets the same successor back (and two tabs refreshing at once all get that one token), a token two
//     generations old is theft even inside it, and a replay after it revokes the family;
//   refresh_reuse_grace_across_instances: the same between two instances sharing one PostgreSQL (rotated on one,
//     replayed on the other): the window's state is the database's.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/stat.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/ids.hpp"
#include "stage/jwt_craft.hpp"
#include "stage/metrics.hpp"
#include "stage/process.hpp"
#include "stage/suite.hpp"

namespace netra::stage {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string ReadWhole(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A server of the test's own whose signing key it can read (a spawned server's generated jwt_secret).
struct KeyedServer {
    std::unique_ptr<SpawnedServer> server;
    std::unique_ptr<StageContext> ctx;
    std::string secret;
};

KeyedServer StartKeyed(StageContext& ctx, std::vector<std::string> env, const std::string& why) {
    KeyedServer k;
    k.server = ctx.SpawnDedicated(std::move(env), why);
    k.ctx = ctx.ForServer(*k.server);
    k.secret = ReadWhole(fs::path(k.server->data_dir()) / "jwt_secret");
    while (!k.secret.empty() && (k.secret.back() == '\n' || k.secret.back() == '\r')) k.secret.pop_back();
    Expect(!k.secret.empty(), "the spawned server's data directory has no jwt_secret");
    return k;
}

// header.payload.signature from raw JSON text (duplicates and all), signed with HMAC-SHA-`bits`.
std::string SignRaw(const std::string& header, const std::string& payload, const std::string& key, int bits = 256) {
    const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
    const EVP_MD* md = bits == 512 ? EVP_sha512() : bits == 384 ? EVP_sha384() : EVP_sha256();
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), mac, &len);
    return input + "." + Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), len));
}

int ThreadsStatus(HttpClient& http, const std::string& token) {
    auto r = Must(http.Get("/api/threads", {{"Authorization", "Bearer " + token}}), "GET /api/threads");
    return r.status;
}

void KeyHolderTokensRefused(StageContext& ctx) {
    auto k = StartKeyed(ctx, {}, "reads a server's own signing key to forge what only a key holder could");
    auto user = k.ctx->NewUser("auth-keyed");
    auto claims = JwtClaims(user.access_token);
    Expect(claims.has_value(), "the access token is not a decodable JWT");
    const std::string payload = json::serialize(*claims);
    const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";
    auto http = k.ctx->Http();
    Expect(ThreadsStatus(http, SignRaw(hs256, payload, k.secret)) == 200,
           "a token signed here like the server's own is refused: the test's signing is wrong, it proves nothing");
    struct Probe {
        std::string what, token;
    };
    std::string twice = payload;
    twice.insert(twice.size() - 1, R"(,"sub":")" + core::NewId() + "\"");
    const std::vector<Probe> probes = {
        {"HS512 with the server's key", SignRaw(R"({"alg":"HS512","typ":"JWT"})", payload, k.secret, 512)},
        {"HS384 with the server's key", SignRaw(R"({"alg":"HS384","typ":"JWT"})", payload, k.secret, 384)},
        {"a crit header", SignRaw(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", payload, k.secret)},
        {"\"sub\" written twice", SignRaw(hs256, twice, k.secret)},
        {"\"alg\" written twice (HS256, then none)",
         SignRaw(R"({"alg":"HS256","typ":"JWT","alg":"none"})", payload, k.secret)},
    };
    for (const auto& p : probes) {
        auto r = Must(http.Get("/api/threads", {{"Authorization", "Bearer " + p.token}}), "GET /api/threads");
        Expect(r.status == 401 && r.JsonObject() != nullptr,
               p.what + ": expected a 401 JSON refusal, got " + r.Describe());
    }
    // kid / jku name where a key could be fetched: the server's key is its own, so nothing is fetched. A listener
    // stands where jku points and must see no connection.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor listener(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    listener.non_blocking(true);
    const std::string jku = "http://127.0.0.1:" + std::to_string(listener.local_endpoint().port()) + "/jwks.json";
    const std::string hinted =
        SignRaw(R"({"alg":"HS256","typ":"JWT","kid":"../../jwt_secret","jku":")" + jku + "\"}", payload, k.secret);
    Expect(ThreadsStatus(http, hinted) == 200, "a token with kid/jku hints and the server's signature was refused");
    Expect(ThreadsStatus(http, SignRaw(R"({"alg":"HS256","typ":"JWT","jku":")" + jku + "\"}", payload,
                                       core::RandomHex(32))) == 401,
           "a token signed with another key was accepted because of its jku");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket peer(io);
    listener.accept(peer, ec);
    Expect(ec == boost::asio::error::would_block, "the server connected to the token's jku URL " + jku);
    ctx.Note(
        "HS384, HS512, crit, a duplicate claim and a duplicate header parameter refused with the server's own key; "
        "kid/jku ignored, nothing fetched");
}

void TokenInWrongPlace(StageContext& ctx) {
    auto user = ctx.NewUser("auth-place");
    auto http = ctx.Http();
    const std::vector<std::pair<std::string, std::pair<std::string, Headers>>> places = {
        {"the query string", {"/api/threads?token=" + user.access_token, {}}},
        {"a cookie",
         {"/api/threads", {{"Cookie", "token=" + user.access_token + "; access_token=" + user.access_token}}}},
        {"X-Api-Key", {"/api/threads", {{"X-Api-Key", user.access_token}}}},
        {"Authorization without the Bearer scheme", {"/api/threads", {{"Authorization", user.access_token}}}},
    };
    for (const auto& [where, request] : places) {
        auto r = Must(http.Get(request.first, request.second), "GET /api/threads");
        Expect(r.status == 401 && r.JsonObject() != nullptr,
               "the access token in " + where + " was taken as a credential (or not refused in JSON): " + r.Describe());
    }
    Expect(Must(http.Get("/api/threads", {{"Authorization", "Bearer " + user.access_token}}), "GET").status == 200,
           "the token itself is not valid: the test proves nothing");
}

void HeaderFlood431(StageContext& ctx) {
    auto http = ctx.Http();
    const std::string huge =
        "Bearer " + std::string(48 * 1024, 'a');  // past the server's header limit, under Beast's field cap
    auto r = Must(http.Get("/api/threads", {{"Authorization", huge}}), "GET /api/threads with a 48 KiB header");
    const bool netra = r.Header("x-request-id").has_value();
    if (netra) {
        Expect(r.status == 431 && r.JsonObject() && (*r.JsonObject()).contains("error"),
               "a 48 KiB header: expected 431 with a JSON error, got " + r.Describe(200));
    } else {
        // A proxy in front refused it before Netra saw it: its own status, which is not Netra's to choose.
        Expect(r.status >= 400 && r.status < 500, "a 48 KiB header through a proxy: got " + r.Describe(200));
        ctx.Note("the front refused the header flood itself with " + std::to_string(r.status));
    }
    auto again = ctx.Http();
    Expect(Must(again.Get("/health"), "GET /health").status == 200,
           "the server stopped answering after a header flood");
}

void DataFilesOwnerOnly(StageContext& ctx) {
    auto k = StartKeyed(ctx, {}, "inspects the files a server creates in its data directory");
    auto user = k.ctx->NewUser("auth-files");  // something written, so the WAL exists
    (void)user;
    const fs::path dir = k.server->data_dir();
    std::vector<std::string> checked;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().filename() == "serve.log" || entry.path().extension() == ".log") continue;  // the suite's
        const auto perms = fs::status(entry.path()).permissions();
        Expect((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none,
               entry.path().filename().string() + " is readable or writable by others than its owner");
        checked.push_back(entry.path().filename().string());
    }
    // The secret always; the database file when the server keeps it there (SQLite, not a PostgreSQL URL).
    Expect(std::find(checked.begin(), checked.end(), "jwt_secret") != checked.end(), "jwt_secret not found");
    auto health = Must(k.ctx->Http().Get("/api/health"), "GET /api/health");
    const auto* checks = health.JsonObject() ? health.JsonObject()->if_contains("checks") : nullptr;
    const auto* database = checks && checks->is_object() ? checks->as_object().if_contains("database") : nullptr;
    const bool sqlite = database && database->is_object() && database->as_object().contains("backend") &&
                        database->as_object().at("backend") == "sqlite";
    if (sqlite) {
        Expect(std::find(checked.begin(), checked.end(), "netra.db") != checked.end(), "netra.db not found");
    }
    ctx.Note("owner-only: " + std::to_string(checked.size()) + " files");
}

void SecretsNotInLogs(StageContext& ctx) {
    auto k = StartKeyed(ctx, {"NETRA_LOG_LEVEL=debug"}, "reads a server's whole log");
    const std::string password = "pw-" + core::RandomHex(12);
    auto http = k.ctx->Http();
    const std::string email = ctx.UniqueEmail("auth-logs");
    auto reg = Must(http.PostJson("/auth/register", json::object{{"email", email}, {"password", password}}),
                    "POST /auth/register");
    Expect(reg.status == 201 && reg.JsonObject(), "register: " + reg.Describe());
    const std::string access(reg.JsonObject()->at("access_token").as_string());
    const std::string refresh(reg.JsonObject()->at("refresh_token").as_string());
    Must(http.PostJson("/auth/login", json::object{{"email", email}, {"password", password + "-wrong"}}), "login");
    Must(http.PostJson("/auth/refresh", json::object{{"refresh_token", refresh}}), "refresh");
    Must(http.PostJson("/auth/refresh", json::object{{"refresh_token", refresh}}), "refresh reuse");
    Must(http.Get("/api/threads", {{"Authorization", "Bearer " + access}}), "GET /api/threads");
    Must(http.Get("/api/threads?token=" + access), "a token in the query");
    const std::string log = k.server->LogTail(64u << 20);
    Expect(!log.empty(), "the server log is empty: nothing to check");
    for (const auto& [what, secret] :
         std::vector<std::pair<std::string, std::string>>{{"the password", password},
                                                          {"the access token", access},
                                                          {"the refresh token", refresh},
                                                          {"the JWT secret", k.secret},
                                                          {"the admin key", k.ctx->AdminKey()}}) {
        if (secret.empty()) continue;
        Expect(log.find(secret) == std::string::npos, what + " appears in the server log");
    }
    ctx.Note("checked " + std::to_string(log.size()) + " bytes of debug log");
}

void LoginTimingUnknownVsKnown(StageContext& ctx) {
    auto k = StartKeyed(ctx, {"NETRA_LOGIN_ATTEMPTS_PER_MINUTE=100000"}, "times many failed logins");
    auto user = k.ctx->NewUser("auth-timing");
    auto http = k.ctx->Http();
    std::vector<double> known, unknown;
    for (int i = 0; i < 16; ++i) {
        auto a =
            Must(http.PostJson("/auth/login", json::object{{"email", user.email}, {"password", "not-the-password"}}),
                 "login (known e-mail)");
        Expect(a.status == 401, "a wrong password: " + a.Describe());
        known.push_back(a.elapsed_ms);
        auto b = Must(http.PostJson("/auth/login", json::object{{"email", ctx.UniqueEmail("nobody")},
                                                                {"password", "not-the-password"}}),
                      "login (unknown e-mail)");
        Expect(b.status == 401, "an unknown e-mail: " + b.Describe());
        unknown.push_back(b.elapsed_ms);
    }
    const double k50 = *Percentile(known, 50), u50 = *Percentile(unknown, 50);
    Expect(u50 > k50 * 0.5 && u50 < k50 * 2,
           "an unknown e-mail answers in " + std::to_string(u50) + " ms against " + std::to_string(k50) +
               " ms for a wrong password: the difference tells which e-mails have accounts");
    ctx.Note("median wrong password " + std::to_string(k50) + " ms, unknown e-mail " + std::to_string(u50) + " ms");
}

// POST /auth/refresh; the answer's refresh and access tokens (empty unless 200).
std::pair<std::string, std::string> Refresh(HttpClient& http, const std::string& token, int expect,
                                            const std::string& what) {
    auto r = Must(http.PostJson("/auth/refresh", json::object{{"refresh_token", token}}), "POST /auth/refresh");
    Expect(r.status == expect, what + ": expected " + std::to_string(expect) + ", got " + r.Describe(300));
    if (r.status != 200 || !r.JsonObject()) return {};
    return {JStr(*r.JsonObject(), "refresh_token"), JStr(*r.JsonObject(), "access_token")};
}

constexpr int kGraceS = 2;  // the dedicated servers' window: short enough to wait out

void RefreshReuseGraceWindow(StageContext& ctx) {
    auto server = ctx.SpawnDedicated({"NETRA_REFRESH_REUSE_GRACE_S=" + std::to_string(kGraceS)},
                                     "waits out a short refresh reuse grace window, which only a spawned server has");
    auto sctx = ctx.ForServer(*server);
    auto user = sctx->NewUser("auth-grace");
    auto http = sctx->Http();
    // A lost answer (the page unloaded mid-refresh): the replay gets the very same successor, and a working access
    // token.
    auto [t1, a1] = Refresh(http, user.refresh_token, 200, "refresh");
    auto [t1_again, a1_again] = Refresh(http, user.refresh_token, 200, "the same token again inside the window");
    Expect(t1_again == t1, "a replay inside the window got another refresh token than the first answer's");
    Expect(Must(http.Get("/auth/me", BearerAuth(a1_again)), "GET /auth/me").status == 200,
           "the access token of the replay's answer does not work");
    // Two tabs at once: every one gets the one successor.
    constexpr int kTabs = 4;
    std::vector<std::string> got(kTabs);
    std::vector<std::thread> tabs;
    for (int i = 0; i < kTabs; ++i) {
        tabs.emplace_back([&, i] {
            try {
                auto tab = sctx->Http();
                got[static_cast<std::size_t>(i)] = Refresh(tab, t1, 200, "tab " + std::to_string(i + 1)).first;
            } catch (const std::exception& e) {
                got[static_cast<std::size_t>(i)] = std::string("failed: ") + e.what();
            }
        });
    }
    for (auto& t : tabs) t.join();
    for (const auto& g : got) {
        Expect(g == got.front() && g.size() == 64,
               "tabs refreshing at once: " + g.substr(0, 200) + " vs " + got.front().substr(0, 200));
    }
    const std::string t2 = got.front();
    // The first token is two generations old now: theft even inside the window, and the family dies.
    Refresh(http, user.refresh_token, 401, "a token two generations old, inside the window");
    Refresh(http, t2, 401, "the family's live token after reuse was detected");
    // Outside the window, on a family of its own: reuse revokes as before.
    auto login = Must(http.PostJson("/auth/login", json::object{{"email", user.email}, {"password", user.password}}),
                      "POST /auth/login");
    const std::string u0 = JStr(ExpectJson(login, {200}, "POST /auth/login"), "refresh_token");
    auto [u1, b1] = Refresh(http, u0, 200, "refresh (second session)");
    std::this_thread::sleep_for(std::chrono::milliseconds(kGraceS * 1000 + 600));
    Refresh(http, u0, 401, "the spent token after the window");
    Refresh(http, u1, 401, "the family's live token after reuse outside the window");
    ctx.Note("window " + std::to_string(kGraceS) + " s: replay → same successor; " + std::to_string(kTabs) +
             " concurrent refreshes → one successor; two generations old → family revoked; after the window → "
             "family revoked");
}

void RefreshReuseGraceAcrossInstances(StageContext& ctx) {
    std::vector<std::string> env = {"NETRA_REFRESH_REUSE_GRACE_S=" + std::to_string(kGraceS),
                                    "JWT_SECRET=" + core::RandomHex(32)};
    auto one = ctx.SpawnDedicated(env, "starts two servers on one database");
    auto c1 = ctx.ForServer(*one);
    auto health = Must(c1->Http().Get("/api/health"), "GET /api/health");
    const auto* checks = health.JsonObject() ? health.JsonObject()->if_contains("checks") : nullptr;
    const auto* database = checks && checks->is_object() ? checks->as_object().if_contains("database") : nullptr;
    const std::string backend =
        database && database->is_object() ? JStr(database->as_object(), "backend") : std::string();
    if (backend != "postgres" && backend != "postgresql") {
        Skip("two instances share a database only on PostgreSQL (DATABASE_URL); this deployment's is '" + backend +
             "'");
    }
    auto two = ctx.SpawnDedicated(env, "starts two servers on one database");
    auto c2 = ctx.ForServer(*two);
    auto user = c1->NewUser("auth-grace-2i");
    auto h1 = c1->Http();
    auto h2 = c2->Http();
    auto [t1, a1] = Refresh(h1, user.refresh_token, 200, "refresh on instance 1");
    auto [t1_again, a1_again] = Refresh(h2, user.refresh_token, 200, "the same token on instance 2 inside the window");
    Expect(t1_again == t1, "instance 2 answered the replay with another refresh token than instance 1's successor");
    Expect(Must(h1.Get("/auth/me", BearerAuth(a1_again)), "GET /auth/me").status == 200,
           "instance 2's access token does not work on instance 1");
    auto [t2, a2] = Refresh(h2, t1, 200, "refresh on instance 2");
    std::this_thread::sleep_for(std::chrono::milliseconds(kGraceS * 1000 + 600));
    Refresh(h1, t1, 401, "the spent token on instance 1 after the window");
    Refresh(h2, t2, 401, "the family's live token on instance 2 after reuse was detected on instance 1");
    ctx.Note("rotated on one instance, replayed on the other: same successor inside the window, family revoked after");
}

}  // namespace

std::vector<TestCase> AuthAttackTests() {
    return {
        {"auth_key_holder_tokens_refused", KeyHolderTokensRefused},
        {"auth_token_in_wrong_place", TokenInWrongPlace},
        {"auth_header_flood_431", HeaderFlood431},
        {"data_files_owner_only", DataFilesOwnerOnly},
        {"secrets_not_in_logs", SecretsNotInLogs},
        {"login_timing_unknown_vs_known", LoginTimingUnknownVsKnown},
        {"refresh_reuse_grace_window", RefreshReuseGraceWindow},
        {"refresh_reuse_grace_across_instances", RefreshReuseGraceAcrossInstances},
    };
}

}  // namespace netra::stage

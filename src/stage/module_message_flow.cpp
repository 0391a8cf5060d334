// Module 2 — message_flow: acknowledgement and persistence, thread CRUD, malformed frames, HTTP error
// paths and ordering of rapid messages on one thread.
#include <boost/json.hpp>
#include <map>

#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

const json::array& DataArray(const json::object& o, const std::string& what) {
    auto it = o.find("data");
    if (it == o.end() || !it->value().is_array()) Fail(what + ": no data array: " + Quote(o));
    return it->value().get_array();
}

// The thread's messages (all pages).
std::vector<json::object> ThreadMessages(HttpClient& http, const Credentials& user, const std::string& thread_id) {
    std::vector<json::object> out;
    std::string cursor;
    for (int page = 0; page < 50; ++page) {
        std::string target = "/api/threads/" + thread_id + "/messages?limit=100";
        if (!cursor.empty()) target += "&cursor=" + cursor;
        auto r = Must(http.Get(target, BearerAuth(user.access_token)), "GET " + target);
        const auto& o = ExpectJson(r, {200}, "GET " + target);
        for (const auto& v : DataArray(o, "GET " + target)) {
            if (v.is_object()) out.push_back(v.get_object());
        }
        auto it = o.find("next_cursor");
        if (it == o.end() || !it->value().is_string() || it->value().get_string().empty()) break;
        cursor = std::string(it->value().get_string());
    }
    return out;
}

void AckAndPersist(StageContext& ctx) {
    auto user = ctx.NewUser("mf-persist");
    auto ws = ctx.Connect(user);
    std::string content = "Stage persistence check " + core::RandomHex(4) + ": we spend $12k/month on gpt-4o.";
    auto frame = UserMessage(content);
    std::string cmid = JStr(frame, "client_message_id");
    auto t = SendAndFollowRun(*ws, frame);
    Expect(JStr(t.ack, "client_message_id") == cmid, "ack client_message_id mismatch: " + Quote(t.ack));
    Expect(!t.message_id.empty(), "ack has no message_id: " + Quote(t.ack));
    Expect(!t.thread_id.empty(), "ack has no thread_id: " + Quote(t.ack));
    Expect(t.terminal == "run_completed", "run " + t.run_id + " ended with '" + t.terminal + "'");
    auto http = ctx.Http();
    auto messages = ThreadMessages(http, user, t.thread_id);
    bool user_found = false, assistant_found = false;
    for (const auto& m : messages) {
        if (JStr(m, "role") == "user" && JStr(m, "content") == content) {
            user_found = true;
            Expect(JStr(m, "id") == t.message_id,
                   "stored user message id '" + JStr(m, "id") + "' != ack message_id '" + t.message_id + "'");
        }
        if (JStr(m, "role") == "assistant" && !JStr(m, "content").empty()) assistant_found = true;
    }
    Expect(user_found, "the user message is not in GET /api/threads/" + t.thread_id + "/messages (" +
                           std::to_string(messages.size()) + " messages)");
    Expect(assistant_found, "no assistant reply in the thread history after run_completed (" +
                                std::to_string(messages.size()) + " messages)");
    ctx.Note("ack in " + std::to_string(static_cast<int>(t.ack_ms)) + " ms");
}

void ThreadCrud(StageContext& ctx) {
    auto user = ctx.NewUser("mf-crud");
    auto auth = BearerAuth(user.access_token);
    auto http = ctx.Http();
    std::string title = "stage thread " + core::RandomHex(4);
    auto created = Must(http.PostJson("/api/threads", json::object{{"title", title}}, auth), "POST /api/threads");
    const auto& c = ExpectJson(created, {200, 201}, "POST /api/threads");
    std::string id = JStr(c, "id");
    Expect(!id.empty(), "created thread has no id: " + Quote(c));
    Expect(JStr(c, "title") == title, "created thread title mismatch: " + Quote(c));

    auto got = Must(http.Get("/api/threads/" + id, auth), "GET thread");
    Expect(JStr(ExpectJson(got, {200}, "GET /api/threads/{id}"), "id") == id, "GET thread returned another id");

    bool listed = false;
    std::string cursor;
    for (int page = 0; page < 100 && !listed; ++page) {
        auto lr = Must(http.Get("/api/threads?limit=100" + (cursor.empty() ? "" : "&cursor=" + cursor), auth),
                       "GET /api/threads");
        const auto& l = ExpectJson(lr, {200}, "GET /api/threads");
        for (const auto& v : DataArray(l, "GET /api/threads"))
            listed |= v.is_object() && JStr(v.get_object(), "id") == id;
        auto it = l.find("next_cursor");
        if (it == l.end() || !it->value().is_string()) break;
        cursor = std::string(it->value().get_string());
    }
    Expect(listed, "new thread " + id + " is not in GET /api/threads");

    std::string new_title = "renamed " + core::RandomHex(4);
    auto patched =
        Must(http.Request("PATCH", "/api/threads/" + id, auth, json::serialize(json::object{{"title", new_title}})),
             "PATCH thread");
    ExpectJson(patched, {200}, "PATCH /api/threads/{id}");
    auto got2 = Must(http.Get("/api/threads/" + id, auth), "GET thread");
    Expect(JStr(ExpectJson(got2, {200}, "GET after PATCH"), "title") == new_title,
           "title after PATCH is not the new one: " + got2.Describe());

    auto deleted = Must(http.Request("DELETE", "/api/threads/" + id, auth), "DELETE thread");
    Expect(deleted.status == 200 || deleted.status == 204, "DELETE /api/threads/{id}: " + deleted.Describe());
    auto gone = Must(http.Get("/api/threads/" + id, auth), "GET deleted thread");
    std::string problem = CheckErrorBody(gone.status, gone.json, gone.Header("X-Request-Id"), 404, "not_found");
    Expect(problem.empty(), "GET a deleted thread: " + problem + " — " + gone.Describe());
}

// Sends a bad frame, expects an `error` frame with a string message, then proves the socket still works.
void MalformedFrame(StageContext& ctx, const std::string& raw, const std::string& what,
                    std::initializer_list<const char*> codes) {
    auto user = ctx.NewUser("mf-malformed");
    auto ws = ctx.Connect(user);
    Expect(ws->SendText(raw), "could not send the frame");
    auto m = ws->Receive(kFrameTimeout);
    Expect(m.has_value(),
           what + ": no answer within 5 s" + (ws->IsOpen() ? "" : " (socket closed: " + ws->ReadError() + ")"));
    Expect(m->Type() == "error", what + ": answered with '" + m->Type() + "', expected error: " + m->text);
    const auto& o = *m->Object();
    auto msg = o.if_contains("message");
    Expect(msg && msg->is_string() && !msg->get_string().empty(),
           what + ": error.message is not a non-empty string: " + m->text);
    std::string code = JStr(o, "code");
    bool known = false;
    for (const char* c : codes) known |= code == c;
    std::string expected;
    for (const char* c : codes) expected += (expected.empty() ? "" : "|") + std::string(c);
    Expect(known, what + ": error code '" + code + "', expected " + expected + ": " + m->text);
    PingPong(*ws, "after-" + core::RandomHex(3));
    Expect(ws->IsOpen(), what + ": socket closed after the error");
}

void MalformedInvalidJson(StageContext& ctx) {
    MalformedFrame(ctx, "{not json", "invalid JSON", {"INVALID_MESSAGE", "INVALID_REQUEST"});
}
void MalformedNoType(StageContext& ctx) {
    MalformedFrame(ctx, R"({"content":"hello"})", "frame without type",
                   {"INVALID_MESSAGE", "INVALID_REQUEST", "UNKNOWN_TYPE"});
}
void MalformedUnknownType(StageContext& ctx) {
    MalformedFrame(ctx, R"({"type":"definitely_not_a_type"})", "unknown type", {"UNKNOWN_TYPE"});
}
void MalformedEmptyContent(StageContext& ctx) {
    MalformedFrame(ctx, R"({"type":"user_message","content":""})", "empty content",
                   {"INVALID_REQUEST", "INVALID_MESSAGE"});
}

void ExpectHttpError(HttpResponse r, int status, const char* code, const std::string& what) {
    std::string problem = CheckErrorBody(r.status, r.json, r.Header("X-Request-Id"), status, code);
    Expect(problem.empty(), what + ": " + problem + " — " + r.Describe());
}

void HttpUnknownRoute404(StageContext& ctx) {
    auto http = ctx.Http();
    ExpectHttpError(Must(http.Get("/api/no-such-route-" + core::RandomHex(3)), "GET unknown"), 404, "not_found",
                    "GET unknown route");
    // A client-supplied request id is echoed in the header and body.
    std::string rid = "stage-" + core::RandomHex(8);
    auto r = Must(http.Get("/api/no-such-route", {{"X-Request-Id", rid}}), "GET unknown");
    Expect(r.Header("X-Request-Id").value_or("") == rid,
           "X-Request-Id '" + rid + "' not echoed: " + r.Header("X-Request-Id").value_or("(absent)"));
    Expect(r.JsonObject() && JStr(*r.JsonObject(), "request_id") == rid,
           "body request_id is not the echoed id: " + r.Describe());
}

void HttpWrongMethod405(StageContext& ctx) {
    auto http = ctx.Http();
    ExpectHttpError(Must(http.Request("DELETE", "/health"), "DELETE /health"), 405, "method_not_allowed",
                    "DELETE /health");
    ExpectHttpError(Must(http.Request("PUT", "/api/agents", {}, "{}"), "PUT /api/agents"), 405, "method_not_allowed",
                    "PUT /api/agents");
}

void HttpNoToken401(StageContext& ctx) {
    auto http = ctx.Http();
    auto r = Must(http.Get("/api/threads"), "GET /api/threads");
    ExpectHttpError(r, 401, "unauthenticated", "GET /api/threads without a token");
    auto www = r.Header("WWW-Authenticate");
    Expect(www && www->rfind("Bearer", 0) == 0,
           "401 without 'WWW-Authenticate: Bearer' (got '" + www.value_or("") + "')");
    auto bad = Must(http.Get("/api/threads", BearerAuth("garbage.token.here")), "GET /api/threads bad token");
    ExpectHttpError(bad, 401, "unauthenticated", "GET /api/threads with a garbage token");
}

void HttpBadJson400(StageContext& ctx) {
    auto user = ctx.NewUser("mf-badjson");
    auto http = ctx.Http();
    ExpectHttpError(Must(http.Request("POST", "/api/threads", BearerAuth(user.access_token), "{\"title\": "), "POST"),
                    400, "invalid_request", "POST /api/threads with truncated JSON");
    ExpectHttpError(Must(http.Request("POST", "/auth/login", {}, "not json at all"), "POST"), 400, "invalid_request",
                    "POST /auth/login with a non-JSON body");
}

void HttpOversize413(StageContext& ctx) {
    auto user = ctx.NewUser("mf-oversize");
    auto http = ctx.Http();
    std::string big = "{\"title\":\"" + std::string(2 * 1024 * 1024, 'x') + "\"}";  // 2 MiB > 1 MiB default limit
    ExpectHttpError(Must(http.Request("POST", "/api/threads", BearerAuth(user.access_token), big), "POST 2 MiB"), 413,
                    "payload_too_large", "POST /api/threads with a 2 MiB body");
}

void HttpPathTraversal404(StageContext& ctx) {
    auto http = ctx.Http();
    for (const char* target : {"/etc/passwd", "/../../etc/passwd", "/api/../../../etc/passwd",
                               "/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd"}) {
        auto r = Must(http.Get(target), std::string("GET ") + target);
        Expect(r.body.find("root:") == std::string::npos,
               std::string("GET ") + target + " leaked a file: " + r.Describe());
        // Some deployments reject an invalid target with 400 before routing; both are safe JSON answers.
        std::string problem = CheckErrorBody(r.status, r.json, r.Header("X-Request-Id"), r.status == 400 ? 400 : 404,
                                             r.status == 400 ? "invalid_request" : "not_found");
        Expect(problem.empty(), std::string("GET ") + target + ": " + problem + " — " + r.Describe());
    }
}

void RapidMessagesInOrder(StageContext& ctx) {
    constexpr int kMessages = 5;
    auto user = ctx.NewUser("mf-rapid");
    auto auth = BearerAuth(user.access_token);
    auto http = ctx.Http();
    auto created = Must(http.PostJson("/api/threads", json::object{{"title", "rapid"}}, auth), "POST /api/threads");
    std::string thread_id = JStr(ExpectJson(created, {200, 201}, "POST /api/threads"), "id");
    auto ws = ctx.Connect(user);
    std::vector<std::string> contents, cmids;
    for (int i = 0; i < kMessages; ++i) {
        contents.push_back("rapid message " + std::to_string(i + 1) + " of " + std::to_string(kMessages) +
                           ": we spend $" + std::to_string(10 + i) + "k/month on gpt-4o");
        auto f = UserMessage(contents.back(), thread_id);
        cmids.push_back(JStr(f, "client_message_id"));
        Expect(ws->Send(f), "send failed for message " + std::to_string(i + 1));
    }
    // Gather acks (to learn each message's run) and terminal events, in arrival order.
    std::map<std::string, std::string> run_of_cmid;
    std::vector<std::string> terminal_order;
    std::map<std::string, std::string> terminal_type;
    const auto deadline = std::chrono::steady_clock::now() + kRunTimeout;
    while (terminal_order.size() < kMessages) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        auto m = left.count() > 0 ? ws->Receive(left) : std::nullopt;
        if (!m) {
            Fail("after " + std::to_string(kRunTimeout.count() / 1000) + " s: " + std::to_string(run_of_cmid.size()) +
                 " acks, " + std::to_string(terminal_order.size()) + " runs finished of " + std::to_string(kMessages));
        }
        const auto* o = m->Object();
        if (!o) continue;
        std::string type = m->Type();
        if (type == "error") Fail("server answered a rapid message with an error: " + m->text);
        if (type == "ack") {
            const auto& p = Payload(*m);
            run_of_cmid[JStr(p, "client_message_id")] = JStr(p, "run_id");
        } else if (IsTerminalRunEvent(type)) {
            terminal_order.push_back(JStr(*o, "run_id"));
            terminal_type[JStr(*o, "run_id")] = type;
        }
    }
    std::vector<std::string> expected_runs;
    for (const auto& c : cmids) {
        auto it = run_of_cmid.find(c);
        Expect(it != run_of_cmid.end() && !it->second.empty(), "no ack with run_id for client_message_id " + c);
        expected_runs.push_back(it->second);
    }
    for (int i = 0; i < kMessages; ++i) {
        Expect(terminal_order[static_cast<std::size_t>(i)] == expected_runs[static_cast<std::size_t>(i)],
               "runs finished out of order: position " + std::to_string(i + 1) + " is run " +
                   terminal_order[static_cast<std::size_t>(i)] + ", expected the run of message " +
                   std::to_string(i + 1));
        Expect(terminal_type[expected_runs[static_cast<std::size_t>(i)]] == "run_completed",
               "run of message " + std::to_string(i + 1) + " ended with " +
                   terminal_type[expected_runs[static_cast<std::size_t>(i)]]);
    }
    auto messages = ThreadMessages(http, user, thread_id);
    Expect(messages.size() == 2 * kMessages, "thread history has " + std::to_string(messages.size()) +
                                                 " messages, expected " + std::to_string(2 * kMessages));
    // User messages are durable at ack time, so a server may list them before the replies; what must hold
    // is: user messages in send order, replies in run order, each reply after its own message.
    std::vector<std::size_t> user_pos, reply_pos;
    std::string layout;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        std::string role = JStr(messages[i], "role");
        layout += role == "user" ? "U" : role == "assistant" ? "A" : "?";
        if (role == "user") user_pos.push_back(i);
        if (role == "assistant") reply_pos.push_back(i);
    }
    Expect(user_pos.size() == kMessages && reply_pos.size() == kMessages, "history layout " + layout);
    std::string user_order;  // which sent message sits at each user position, e.g. "2,1,3,4,5"
    for (auto pos : user_pos) {
        std::string c = JStr(messages[pos], "content");
        std::string which = "?";
        for (std::size_t k = 0; k < contents.size(); ++k) {
            if (contents[k] == c) which = std::to_string(k + 1);
        }
        user_order += (user_order.empty() ? "" : ",") + which;
    }
    for (std::size_t i = 0; i < kMessages; ++i) {
        const auto& u = messages[user_pos[i]];
        const auto& a = messages[reply_pos[i]];
        Expect(JStr(u, "content") == contents[i], "user messages in history are in the order " + user_order +
                                                      " (sent 1.." + std::to_string(kMessages) + "; layout " + layout +
                                                      "); first misplaced: " + Quote(u, 160));
        std::string reply_run = JStr(a, "run_id");
        Expect(reply_run.empty() || reply_run == expected_runs[i],
               "reply " + std::to_string(i + 1) + " belongs to run " + reply_run + ", expected " + expected_runs[i]);
        Expect(reply_pos[i] > user_pos[i],
               "reply " + std::to_string(i + 1) + " precedes its message (layout " + layout + ")");
    }
    ctx.Note("history layout " + layout);
}

}  // namespace

std::vector<TestCase> MessageFlowTests() {
    std::vector<TestCase> tests = {
        {"ack_and_persistence", AckAndPersist},
        {"thread_crud", ThreadCrud},
        {"malformed_invalid_json", MalformedInvalidJson},
        {"malformed_missing_type", MalformedNoType},
        {"malformed_unknown_type", MalformedUnknownType},
        {"malformed_empty_content", MalformedEmptyContent},
        {"http_unknown_route_404", HttpUnknownRoute404},
        {"http_wrong_method_405", HttpWrongMethod405},
        {"http_no_token_401", HttpNoToken401},
        {"http_bad_json_400", HttpBadJson400},
        {"http_oversize_413", HttpOversize413},
        {"http_path_traversal_404", HttpPathTraversal404},
        {"rapid_messages_in_order", RapidMessagesInOrder},
    };
    for (auto& t : HostileHttpTests()) tests.push_back(std::move(t));  // module_hostile_clients.cpp
    return tests;
}

}  // namespace netra::stage

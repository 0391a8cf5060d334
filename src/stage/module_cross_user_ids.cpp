// Module 9 — the cross-user id sweep (issue 13, item 4): user A owns a thread with a finished run, a run in
// progress (when the deployment allows faults), a dataset, a LangGraph thread with an id of its client's choosing and
// an MCP session; user B presents A's ids everywhere an id is accepted, and the same request with a random
// well-formed id in their place:
//   - every HTTP operation of the server's own OpenAPI document (GET /openapi.json) that takes an id — a `{…}` path
//     parameter, a query or header parameter named like an id, a request-body field named like one (properties, or
//     the identifiers a body's description names when it has none) — is probed or acknowledged with a reason; a
//     route the document gains without a probe here fails the test, so a new route is not forgotten;
//   - the WebSocket frames that take thread_id / run_id / dataset_id (user_message and its aliases, start_agent,
//     cancel_run, subscribe by run and by thread, get_agent_status), the SSE stream (header and ?token=), dataset
//     uploads into a thread, a dataset attached to a message (HTTP, WebSocket, AG-UI, MCP), the LangGraph adapter
//     (threads, state, history, runs, join, stream, cancel, on A's thread and on B's own thread with A's run), AG-UI
//     (threadId, runId, forwardedProps.dataset_id), MCP (every tool whose input has an *_id field, as listed by
//     tools/list, and A's Mcp-Session-Id);
//   - A's answer must be a refusal (404 not_found / 403 forbidden; WebSocket error NOT_FOUND / FORBIDDEN; an MCP tool
//     error or 404) identical to the random id's — same status, same code, same message once the ids are written as
//     placeholders — so an answer never tells that the id exists. Ids a client may choose itself (LangGraph
//     thread_id, AG-UI threadId, LangGraph if_not_exists=create) share one namespace: a free id is created where a
//     taken one is refused (docs/decisions.md "Client-chosen thread ids"), so there A's id is compared with a third
//     user's instead: taken is taken, whoever holds it. Labels the client picks for itself (AG-UI runId) only have
//     to be answered as for a random label;
//   - nothing of A's — its ids other than those B sent in that very request, the secret words in its messages,
//     dataset name and thread titles — appears in any body or frame B receives (lists included), and afterwards A's
//     thread, runs, dataset and MCP session are intact, its run in progress not cancelled by B.
// The probes that name a thread or run are made twice: against the finished run and against the one in progress.
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

// Placeholders of the probe templates. A's ids (or their baseline stand-ins) and B's own values.
constexpr std::string_view kThread = "@thread@";        // A's thread (Netra id)
constexpr std::string_view kRun = "@run@";              // A's run on that thread
constexpr std::string_view kDataset = "@dataset@";      // A's dataset
constexpr std::string_view kLgThread = "@lg_thread@";   // A's LangGraph thread (an id its client chose)
constexpr std::string_view kSession = "@session@";      // A's MCP session id
constexpr std::string_view kBThread = "@b_thread@";     // B's own thread
constexpr std::string_view kBToken = "@b_token@";       // B's access token
constexpr std::string_view kBSession = "@b_session@";   // B's own MCP session id
constexpr std::string_view kMcpVersion = "2025-06-18";  // one the server supports (MCP-Protocol-Version)

using Tokens = std::map<std::string, std::string, std::less<>>;

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
    if (from.empty()) return text;
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
    return text;
}

std::string Fill(std::string text, const Tokens& tokens) {
    for (const auto& [name, value] : tokens) text = ReplaceAll(std::move(text), name, value);
    return text;
}

// The values written back as their placeholders, longest first (an id never hides inside another's name).
std::string Normalize(std::string text, const Tokens& tokens) {
    std::vector<std::pair<std::string, std::string>> by_length(tokens.begin(), tokens.end());
    std::sort(by_length.begin(), by_length.end(),
              [](const auto& x, const auto& y) { return x.second.size() > y.second.size(); });
    for (const auto& [name, value] : by_length) text = ReplaceAll(std::move(text), value, name);
    return text;
}

// What is compared between A's id and the baseline.
enum class Baseline {
    kRandom,     // a random well-formed id: existence must not show
    kOtherUser,  // a third user's id (ids a client may choose: a taken id is refused whoever holds it)
};
enum class Want {
    kRefused,  // 404 not_found / 403 forbidden, WebSocket NOT_FOUND / FORBIDDEN, MCP tool error or 404
    kTaken,    // as kRefused, or 409 conflict (an id that is taken)
    kLabel,    // the client's own label, never looked up: anything, as long as it equals the random label's answer
};

// One answer, reduced to what must not differ, plus everything received (for the leak scan).
struct Answer {
    std::string signature;  // "404 not_found: thread not found" with the ids as placeholders
    std::string received;   // bodies / frames as received
    bool refused = false;   // a refusal in the sense of Want::kRefused
    bool taken = false;     // 409 conflict
};

struct HttpProbe {
    std::string route;                // the OpenAPI operation, "GET /api/threads/{id}"
    std::vector<std::string> params;  // what it exercises there: "path:id", "body:dataset_id", "query:thread_id"
    std::string method, target, body, content_type;
    enum class Auth { kBearer, kApiKey, kNone } auth = Auth::kBearer;
    Headers headers;  // templates
    Baseline baseline = Baseline::kRandom;
    Want expect = Want::kRefused;
    bool names_run_or_thread = false;  // made again against the run in progress
};

HttpProbe Http(std::string route, std::vector<std::string> params, std::string method, std::string target,
               std::string body = {}) {
    HttpProbe p;
    p.route = std::move(route);
    p.params = std::move(params);
    p.method = std::move(method);
    p.target = std::move(target);
    p.body = std::move(body);
    p.names_run_or_thread =
        (p.target + p.body).find(kThread) != std::string::npos || (p.target + p.body).find(kRun) != std::string::npos;
    return p;
}

struct WsProbe {
    std::string what;
    std::string frame;  // template
    Baseline baseline = Baseline::kRandom;
    bool names_run_or_thread = false;
};

WsProbe Ws(std::string what, std::string frame) {
    WsProbe p;
    p.what = std::move(what);
    p.frame = std::move(frame);
    p.names_run_or_thread = p.frame.find(kThread) != std::string::npos || p.frame.find(kRun) != std::string::npos;
    return p;
}

struct McpProbe {
    std::string tool;                 // "" = tools/list (the session header probes)
    std::vector<std::string> params;  // input fields exercised
    std::string arguments;            // template (JSON object)
    std::string method = "POST";      // DELETE for ending a session
    std::string session;              // template of the Mcp-Session-Id sent
};

bool IsIdName(std::string_view name) {
    if (name.size() >= 2 && name.substr(name.size() - 2) == "Id") return true;  // threadId, Mcp-Session-Id
    const std::string lower = Lower(std::string(name));
    if (lower == "id") return true;
    return lower.size() > 3 && (lower.substr(lower.size() - 3) == "_id" || lower.substr(lower.size() - 3) == "-id");
}

// ---- what the OpenAPI document says takes an id ----------------------------------------------------------------

const json::value* Resolve(const json::object& doc, const json::value* v) {
    for (int hops = 0; v != nullptr && v->is_object() && hops < 8; ++hops) {
        const auto* ref = v->as_object().if_contains("$ref");
        if (ref == nullptr || !ref->is_string()) return v;
        std::string path(ref->as_string());
        if (path.rfind("#/", 0) != 0) return nullptr;
        const json::value* at = nullptr;
        const json::object* cur = &doc;
        std::stringstream parts(path.substr(2));
        std::string part;
        while (std::getline(parts, part, '/')) {
            if (cur == nullptr) return nullptr;
            at = cur->if_contains(part);
            cur = at != nullptr && at->is_object() ? &at->as_object() : nullptr;
        }
        v = at;
    }
    return v;
}

void BodyIdFields(const json::object& doc, const json::value* schema, const std::string& prefix,
                  std::set<std::string>& out, int depth) {
    schema = Resolve(doc, schema);
    if (schema == nullptr || !schema->is_object() || depth > 5) return;
    const auto& s = schema->as_object();
    const auto* props = s.if_contains("properties");
    if (props != nullptr && props->is_object()) {
        for (const auto& [key, sub] : props->as_object()) {
            if (IsIdName(key)) out.insert("body:" + prefix + std::string(key));
            BodyIdFields(doc, &sub, prefix + std::string(key) + ".", out, depth + 1);
        }
    } else if (depth == 0) {
        // An opaque body described in words ("thread_id, metadata, if_exists."): the identifiers it names.
        if (const auto* d = s.if_contains("description"); d != nullptr && d->is_string()) {
            std::string word;
            for (char c : std::string(d->as_string()) + " ") {
                if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
                    word += c;
                    continue;
                }
                if (word != "id" && IsIdName(word)) out.insert("body:" + word);
                word.clear();
            }
        }
    }
    for (const char* key : {"allOf", "oneOf", "anyOf"}) {
        if (const auto* list = s.if_contains(key); list != nullptr && list->is_array()) {
            for (const auto& sub : list->as_array()) BodyIdFields(doc, &sub, prefix, out, depth + 1);
        }
    }
    if (const auto* items = s.if_contains("items")) {
        std::string inner = prefix;  // "messages." → "messages[]."
        if (!inner.empty() && inner.back() == '.') inner.pop_back();
        BodyIdFields(doc, items, inner + "[].", out, depth + 1);
    }
}

// "METHOD /path" → the id parameters of that operation.
std::map<std::string, std::set<std::string>> IdOperations(const json::object& doc) {
    std::map<std::string, std::set<std::string>> ops;
    const auto* paths = doc.if_contains("paths");
    if (paths == nullptr || !paths->is_object()) return ops;
    for (const auto& [path_key, item_v] : paths->as_object()) {
        if (!item_v.is_object()) continue;
        const std::string path(path_key);
        const auto& item = item_v.as_object();
        for (const auto& [method, op_v] : item) {
            static const std::set<std::string> kMethods = {"get", "post", "put", "patch", "delete"};
            if (!kMethods.count(std::string(method)) || !op_v.is_object()) continue;
            const auto& op = op_v.as_object();
            std::set<std::string> ids;
            for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
                auto close = path.find('}', at);
                if (close != std::string::npos) ids.insert("path:" + path.substr(at + 1, close - at - 1));
            }
            for (const auto* list : {item.if_contains("parameters"), op.if_contains("parameters")}) {
                if (list == nullptr || !list->is_array()) continue;
                for (const auto& pv : list->as_array()) {
                    const auto* p = Resolve(doc, &pv);
                    if (p == nullptr || !p->is_object()) continue;
                    std::string in = JStr(p->as_object(), "in"), name = JStr(p->as_object(), "name");
                    if (in != "path" && IsIdName(name)) ids.insert(in + ":" + name);
                }
            }
            if (const auto* rb = Resolve(doc, op.if_contains("requestBody")); rb != nullptr && rb->is_object()) {
                if (const auto* content = rb->as_object().if_contains("content"); content && content->is_object()) {
                    for (const auto& [type, media] : content->as_object()) {
                        if (media.is_object()) BodyIdFields(doc, media.as_object().if_contains("schema"), "", ids, 0);
                    }
                }
            }
            if (ids.empty()) continue;
            std::string upper(method);
            for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            ops[upper + " " + path] = std::move(ids);
        }
    }
    return ops;
}

// Ids the document names that are not user objects, with the reason.
const std::map<std::string, std::string>& Acknowledged() {
    static const std::map<std::string, std::string> kAck = {
        {"GET /assets/{name} path:name", "a public static asset of the web UI, no user object"},
        {"GET /api/runs/{id}/stream header:Last-Event-ID", "an event seq within the run already named"},
        {"POST /langgraph/assistants/search body:graph_id", "the server's one graph name"},
        {"POST /langgraph/threads/{thread_id}/runs body:assistant_id", "the server's one assistant"},
        {"POST /langgraph/threads/{thread_id}/runs/stream body:assistant_id", "the server's one assistant"},
        {"POST /langgraph/threads/{thread_id}/runs/wait body:assistant_id", "the server's one assistant"},
        {"POST /langgraph/runs body:assistant_id", "the server's one assistant"},
        {"POST /langgraph/runs/stream body:assistant_id", "the server's one assistant"},
        {"POST /langgraph/runs/wait body:assistant_id", "the server's one assistant"},
        {"POST /mcp body:id", "the JSON-RPC request id, the client's own"},
        {"POST /ag-ui body:messages[].id", "the client's labels of its own messages, never looked up"},
    };
    return kAck;
}

// ---- the probes ------------------------------------------------------------------------------------------------

constexpr std::string_view kLgRun =
    R"({"assistant_id":"netra","input":{"messages":[{"role":"user","content":"cross-user probe"}]}})";
constexpr std::string_view kLgRunCreate =
    R"({"assistant_id":"netra","input":{"messages":[{"role":"user","content":"cross-user probe"}]},)"
    R"("if_not_exists":"create"})";

std::vector<HttpProbe> HttpProbes() {
    const std::string th = "/api/threads/" + std::string(kThread), run = "/api/runs/" + std::string(kRun);
    const std::string lg = "/langgraph/threads/" + std::string(kThread);
    const std::string lgr = lg + "/runs/" + std::string(kRun);
    const std::string lgb = "/langgraph/threads/" + std::string(kBThread) + "/runs/" + std::string(kRun);
    const std::string ds = std::string(kDataset), t = std::string(kThread), r = std::string(kRun);
    std::vector<HttpProbe> p = {
        Http("GET /api/threads/{id}", {"path:id"}, "GET", th),
        Http("PATCH /api/threads/{id}", {"path:id"}, "PATCH", th, R"({"title":"taken over by B"})"),
        Http("GET /api/threads/{id}/messages", {"path:id"}, "GET", th + "/messages?limit=50"),
        Http("POST /api/threads/{id}/messages", {"path:id"}, "POST", th + "/messages",
             R"({"content":"B writes into A's thread"})"),
        Http("POST /api/threads/{id}/messages", {"body:dataset_id"}, "POST",
             "/api/threads/" + std::string(kBThread) + "/messages",
             R"({"content":"B attaches A's dataset","dataset_id":")" + ds + "\"}"),
        Http("GET /api/threads/{id}/runs", {"path:id"}, "GET", th + "/runs"),
        Http("POST /api/agents/execute", {"body:thread_id"}, "POST", "/api/agents/execute",
             R"({"user_request":"B on A's thread","thread_id":")" + t + "\"}"),
        Http("POST /api/agents/execute", {"body:dataset_id"}, "POST", "/api/agents/execute",
             R"({"user_request":"B with A's dataset","dataset_id":")" + ds + "\"}"),
        Http("GET /api/runs/{id}", {"path:id"}, "GET", run),
        Http("GET /api/runs/{id}/events", {"path:id"}, "GET", run + "/events"),
        Http("GET /api/runs/{id}/events", {"path:id"}, "GET", run + "/events?after_seq=0&type=agent_started&limit=5"),
        Http("GET /api/runs/{id}/stream", {"path:id"}, "GET", run + "/stream"),
        Http("POST /api/runs/{id}/cancel", {"path:id"}, "POST", run + "/cancel", "{}"),
        Http("GET /api/datasets/{id}", {"path:id"}, "GET", "/api/datasets/" + ds),
        Http("POST /api/datasets", {"query:thread_id"}, "POST", "/api/datasets?name=b-upload&thread_id=" + t,
             "timestamp,model,input_tokens,output_tokens\n2025-01-01T00:00:00Z,gpt-4o,100,20\n"),
        // LangGraph: A's thread, A's run on it, and A's run under B's own thread.
        Http("GET /langgraph/assistants/{assistant_id}", {"path:assistant_id"}, "GET", "/langgraph/assistants/" + t),
        Http("GET /langgraph/threads/{thread_id}", {"path:thread_id"}, "GET", lg),
        Http("GET /langgraph/threads/{thread_id}", {"path:thread_id"}, "GET",
             "/langgraph/threads/" + std::string(kLgThread)),
        Http("GET /langgraph/threads/{thread_id}/state", {"path:thread_id"}, "GET", lg + "/state"),
        Http("POST /langgraph/threads/{thread_id}/history", {"path:thread_id"}, "POST", lg + "/history",
             R"({"limit":5})"),
        Http("POST /langgraph/threads/{thread_id}/runs", {"path:thread_id"}, "POST", lg + "/runs", std::string(kLgRun)),
        Http("GET /langgraph/threads/{thread_id}/runs", {"path:thread_id"}, "GET", lg + "/runs"),
        Http("POST /langgraph/threads/{thread_id}/runs/stream", {"path:thread_id"}, "POST", lg + "/runs/stream",
             std::string(kLgRun)),
        Http("POST /langgraph/threads/{thread_id}/runs/wait", {"path:thread_id"}, "POST", lg + "/runs/wait",
             std::string(kLgRun)),
        Http("GET /langgraph/threads/{thread_id}/runs/{run_id}", {"path:thread_id", "path:run_id"}, "GET", lgr),
        Http("GET /langgraph/threads/{thread_id}/runs/{run_id}", {"path:run_id"}, "GET", lgb),
        Http("GET /langgraph/threads/{thread_id}/runs/{run_id}/stream", {"path:thread_id", "path:run_id"}, "GET",
             lgr + "/stream"),
        Http("GET /langgraph/threads/{thread_id}/runs/{run_id}/stream", {"path:run_id"}, "GET", lgb + "/stream"),
        Http("POST /langgraph/threads/{thread_id}/runs/{run_id}/cancel", {"path:thread_id", "path:run_id"}, "POST",
             lgr + "/cancel"),
        Http("POST /langgraph/threads/{thread_id}/runs/{run_id}/cancel", {"path:run_id"}, "POST", lgb + "/cancel"),
        Http("GET /langgraph/threads/{thread_id}/runs/{run_id}/join", {"path:thread_id", "path:run_id"}, "GET",
             lgr + "/join"),
        Http("POST /langgraph/threads/{thread_id}/runs/{run_id}/join", {"path:thread_id", "path:run_id"}, "POST",
             lgr + "/join"),
        Http("POST /langgraph/threads/{thread_id}/runs/{run_id}/join", {"path:run_id"}, "POST", lgb + "/join"),
        Http("GET /langgraph/runs/{run_id}/stream", {"path:run_id"}, "GET", "/langgraph/runs/" + r + "/stream"),
        // AG-UI: a dataset of A's attached to a new thread of B's.
        Http("POST /ag-ui", {"body:forwardedProps.dataset_id"}, "POST", "/ag-ui",
             R"({"messages":[{"id":"m1","role":"user","content":"B with A's dataset"}],)"
             R"("forwardedProps":{"dataset_id":")" +
                 ds + "\"}}"),
    };
    // The SSE stream with the token where EventSource puts it, and resuming after a seq.
    auto sse_query =
        Http("GET /api/runs/{id}/stream", {"path:id"}, "GET", run + "/stream?token=" + std::string(kBToken));
    sse_query.auth = HttpProbe::Auth::kNone;
    p.push_back(sse_query);
    auto sse_resume = Http("GET /api/runs/{id}/stream", {"path:id"}, "GET", run + "/stream");
    sse_resume.headers = {{"Last-Event-ID", "1"}};
    p.push_back(sse_resume);
    // LangGraph's SDK sends its key as x-api-key.
    auto api_key = Http("GET /langgraph/threads/{thread_id}", {"path:thread_id"}, "GET", lg);
    api_key.auth = HttpProbe::Auth::kApiKey;
    p.push_back(api_key);
    // A thread id of A's as a client-chosen id: taken, whoever holds it.
    auto taken = [&p](HttpProbe probe) {
        probe.baseline = Baseline::kOtherUser;
        probe.expect = Want::kTaken;
        p.push_back(std::move(probe));
    };
    taken(Http("POST /langgraph/threads", {"body:thread_id"}, "POST", "/langgraph/threads",
               R"({"thread_id":")" + t + "\"}"));
    taken(Http("POST /langgraph/threads", {"body:thread_id"}, "POST", "/langgraph/threads",
               R"({"thread_id":")" + std::string(kLgThread) + R"(","if_exists":"do_nothing"})"));
    taken(Http("POST /langgraph/threads/{thread_id}/runs", {"path:thread_id"}, "POST", lg + "/runs",
               std::string(kLgRunCreate)));
    taken(Http("POST /langgraph/threads/{thread_id}/runs/stream", {"path:thread_id"}, "POST", lg + "/runs/stream",
               std::string(kLgRunCreate)));
    taken(Http("POST /langgraph/threads/{thread_id}/runs/wait", {"path:thread_id"}, "POST", lg + "/runs/wait",
               std::string(kLgRunCreate)));
    taken(Http("POST /ag-ui", {"body:threadId"}, "POST", "/ag-ui",
               R"({"threadId":")" + t + R"(","messages":[{"id":"m1","role":"user","content":"B in A's thread"}]})"));
    taken(Http("POST /ag-ui", {"body:threadId"}, "POST", "/ag-ui",
               R"({"threadId":")" + std::string(kLgThread) +
                   R"(","messages":[{"id":"m1","role":"user","content":"B in A's thread"}]})"));
    // AG-UI's runId is the client's label for its own new run: B's run, answered as for any label.
    auto label = Http("POST /ag-ui", {"body:runId"}, "POST", "/ag-ui",
                      R"({"runId":")" + r + R"(","messages":[{"id":"m1","role":"user","content":"hello"}]})");
    label.expect = Want::kLabel;
    label.names_run_or_thread = false;  // starts a run of B's: not while A's run is held in progress
    p.push_back(label);
    // Destructive ones last: were one to succeed, the probes after it would meet a deleted object.
    p.push_back(Http("DELETE /langgraph/threads/{thread_id}", {"path:thread_id"}, "DELETE", lg));
    p.push_back(Http("DELETE /api/datasets/{id}", {"path:id"}, "DELETE", "/api/datasets/" + ds));
    p.push_back(Http("DELETE /api/threads/{id}", {"path:id"}, "DELETE", th));
    return p;
}

std::vector<WsProbe> WsProbes() {
    const std::string t = std::string(kThread), r = std::string(kRun), ds = std::string(kDataset);
    return {
        Ws("subscribe {run_id}", R"({"type":"subscribe","run_id":")" + r + "\"}"),
        Ws("subscribe {run_id, after_seq}", R"({"type":"subscribe","run_id":")" + r + R"(","after_seq":2})"),
        Ws("subscribe {thread_id}", R"({"type":"subscribe","thread_id":")" + t + "\"}"),
        Ws("cancel_run", R"({"type":"cancel_run","run_id":")" + r + "\"}"),
        Ws("get_agent_status {run_id}", R"({"type":"get_agent_status","run_id":")" + r + "\"}"),
        Ws("user_message {thread_id}", R"({"type":"user_message","content":"B here","thread_id":")" + t + "\"}"),
        Ws("message {thread_id}", R"({"type":"message","content":"B here","thread_id":")" + t + "\"}"),
        Ws("chat {payload.thread_id}", R"({"type":"chat","payload":{"content":"B here","thread_id":")" + t + "\"}}"),
        Ws("start_agent {thread_id}",
           R"({"type":"start_agent","payload":{"user_request":"B here"},"thread_id":")" + t + "\"}"),
        Ws("execute_agent {thread_id}", R"({"type":"execute_agent","input":"B here","thread_id":")" + t + "\"}"),
        Ws("user_message {dataset_id}", R"({"type":"user_message","content":"B here","dataset_id":")" + ds + "\"}"),
        Ws("start_agent {dataset_id}",
           R"({"type":"start_agent","payload":{"user_request":"B here","dataset_id":")" + ds + "\"}}"),
    };
}

std::vector<McpProbe> McpProbes() {
    const std::string ds = std::string(kDataset), t = std::string(kThread);
    std::vector<McpProbe> p;
    auto add = [&p](std::string tool, std::vector<std::string> params, std::string args) {
        McpProbe m;
        m.tool = std::move(tool);
        m.params = std::move(params);
        m.arguments = std::move(args);
        m.session = std::string(kBSession);
        p.push_back(std::move(m));
    };
    add("profile_dataset", {"dataset_id"}, R"({"dataset_id":")" + ds + "\"}");
    add("estimate_savings", {"dataset_id"}, R"({"dataset_id":")" + ds + "\"}");
    add("run_optimization", {"dataset_id"},
        R"({"question":"B with A's dataset","timeout_s":5,"dataset_id":")" + ds + "\"}");
    add("run_optimization", {"thread_id"}, R"({"question":"B on A's thread","timeout_s":5,"thread_id":")" + t + "\"}");
    // A's session id under B's token: for requests, and for ending it.
    McpProbe list;
    list.params = {"header:Mcp-Session-Id"};
    list.session = std::string(kSession);
    p.push_back(list);
    McpProbe end = list;
    end.method = "DELETE";
    p.push_back(end);
    return p;
}

// ---- sending ---------------------------------------------------------------------------------------------------

std::string ErrorSignature(int status, const std::optional<json::value>& body) {
    std::string sig = std::to_string(status);
    if (body && body->is_object()) {
        const auto& o = body->as_object();
        if (o.contains("error") && o.at("error").is_string()) sig += " " + std::string(o.at("error").as_string());
        if (o.contains("message") && o.at("message").is_string())
            sig += ": " + std::string(o.at("message").as_string());
    }
    return sig;
}

struct Sweep {
    StageContext& ctx;
    Credentials a, b, c;
    Tokens b_tokens;  // B's own values, the same in every map
    HttpClient http;
    std::unique_ptr<WsClient> wb;
    std::vector<std::string> failures;
    std::set<std::string> a_private;  // A's ids and secret words: never in what B receives (unless B sent them)
    int compared = 0;

    explicit Sweep(StageContext& c_) : ctx(c_), http(c_.Http()) {}

    void Problem(const std::string& what) {
        if (failures.size() < 40) failures.push_back(what);
    }

    // Leak scan: nothing of A's in `received` except what B itself sent in `sent`.
    void ScanLeaks(const std::string& what, const std::string& received, const std::string& sent) {
        for (const auto& secret : a_private) {
            if (sent.find(secret) != std::string::npos) continue;
            if (received.find(secret) != std::string::npos) {
                Problem(what + ": B received " + secret + " of A's: " + received.substr(0, 300));
                return;
            }
        }
    }

    Answer SendHttp(const HttpProbe& p, const Tokens& tokens) {
        const std::string target = Fill(p.target, tokens);
        const std::string body = Fill(p.body, tokens);
        Headers headers;
        if (p.auth == HttpProbe::Auth::kBearer) headers = BearerAuth(b.access_token);
        if (p.auth == HttpProbe::Auth::kApiKey) headers.emplace_back("x-api-key", b.access_token);
        for (const auto& [k, v] : p.headers) headers.emplace_back(k, Fill(v, tokens));
        if (p.target.find("/api/datasets?") != std::string::npos) headers.emplace_back("Content-Type", "text/csv");
        auto r = http.Request(p.method, target, headers, body, HttpRequestOptions{std::chrono::milliseconds(20000)});
        Answer ans;
        if (!r.ok()) {
            http.Disconnect();
            ans.signature = "transport error: " + r.error().message;
            return ans;
        }
        // A body that is not JSON (an event stream, for the labels AG-UI echoes) counts by its status alone.
        ans.signature =
            Normalize(r->JsonObject() ? ErrorSignature(r->status, r->json) : std::to_string(r->status), tokens);
        ans.received = r->body;
        for (const auto& [k, v] : r->headers) ans.received += "\n" + k + ": " + v;
        const std::string code = r->JsonObject() ? JStr(*r->JsonObject(), "error") : "";
        ans.refused = (r->status == 404 && code == "not_found") || (r->status == 403 && code == "forbidden");
        ans.taken = r->status == 409 && code == "conflict";
        if (r->Header("connection").value_or("") == "close") http.Disconnect();
        return ans;
    }

    Answer SendWs(const WsProbe& p, const Tokens& tokens) {
        const std::string frame = Fill(p.frame, tokens);
        Answer ans;
        if (!wb->SendText(frame)) {
            ans.signature = "send failed";
            return ans;
        }
        bool matched = false;
        auto frames = wb->CollectUntil(
            [](const WsMessage& m) {
                const std::string t = m.Type();
                return t == "error" || t == "ack" || t == "subscribed" || t == "agent_status";
            },
            kFrameTimeout, &matched);
        for (const auto& f : frames) ans.received += f.text + "\n";
        if (!matched || frames.empty()) {
            ans.signature = "no answer";
            return ans;
        }
        const auto& last = frames.back();
        const auto* o = last.Object();
        std::string sig = last.Type();
        if (o != nullptr) {
            if (last.Type() == "error") {
                sig += " " + JStr(*o, "code") + ": " + JStr(*o, "message");
                ans.refused = JStr(*o, "code") == "NOT_FOUND" || JStr(*o, "code") == "FORBIDDEN";
            } else {
                sig += " " + last.text;
            }
        }
        ans.signature = Normalize(sig, tokens);
        return ans;
    }

    Answer SendMcp(const McpProbe& p, const Tokens& tokens, int id) {
        json::object rpc{{"jsonrpc", "2.0"}, {"id", id}};
        if (p.tool.empty()) {
            rpc["method"] = "tools/list";
        } else {
            rpc["method"] = "tools/call";
            rpc["params"] = json::object{{"name", p.tool}, {"arguments", json::parse(Fill(p.arguments, tokens))}};
        }
        Headers headers = BearerAuth(b.access_token);
        headers.emplace_back("Accept", "application/json");
        headers.emplace_back("Mcp-Session-Id", Fill(p.session, tokens));
        headers.emplace_back("MCP-Protocol-Version", std::string(kMcpVersion));
        auto r = http.Request(p.method, "/mcp", headers, p.method == "POST" ? json::serialize(rpc) : std::string(),
                              HttpRequestOptions{std::chrono::milliseconds(20000)});
        Answer ans;
        if (!r.ok()) {
            http.Disconnect();
            ans.signature = "transport error: " + r.error().message;
            return ans;
        }
        if (r->Header("connection").value_or("") == "close") http.Disconnect();
        ans.received = r->body;
        const auto* o = r->JsonObject();
        if (r->status != 200 || o == nullptr || !o->contains("jsonrpc")) {
            ans.signature = Normalize(ErrorSignature(r->status, r->json), tokens);
            const std::string code = o ? JStr(*o, "error") : "";
            ans.refused = (r->status == 404 && code == "not_found") || (r->status == 403 && code == "forbidden");
            return ans;
        }
        if (const auto* err = JObj(*o, "error")) {
            ans.signature = Normalize("rpc error " + json::serialize(*err), tokens);
            return ans;
        }
        const auto* result = JObj(*o, "result");
        const bool is_error = result && result->contains("isError") && result->at("isError") == true;
        std::string text;
        if (result != nullptr) {
            if (const auto* content = result->if_contains("content"); content && content->is_array()) {
                for (const auto& part : content->as_array()) {
                    if (part.is_object()) text += JStr(part.as_object(), "text");
                }
            }
        }
        ans.signature = Normalize(std::string(is_error ? "tool error: " : "tool result: ") + text, tokens);
        ans.refused = is_error;
        return ans;
    }

    // A's answer against the baseline's, and the leak scan of both.
    void Judge(const std::string& what, const Answer& mine, const Answer& base, Want expect, const std::string& sent_a,
               const std::string& sent_base) {
        ++compared;
        ScanLeaks(what, mine.received, sent_a);
        ScanLeaks(what + " (baseline)", base.received, sent_base);
        const bool ok =
            expect == Want::kLabel || (expect == Want::kTaken ? (mine.refused || mine.taken) : mine.refused);
        if (!ok) Problem(what + ": not refused — " + mine.signature + " — " + mine.received.substr(0, 200));
        if (mine.signature != base.signature) {
            Problem(what + ": A's id answers \"" + mine.signature + "\" but " +
                    (expect == Want::kTaken ? "a third user's" : "a random") + " id \"" + base.signature +
                    "\": the answer tells the id exists");
        }
    }
};

std::string NewLabel(std::string_view prefix) { return std::string(prefix) + core::RandomHex(8); }

// Creates an MCP session for `user`; its Mcp-Session-Id.
std::string McpSession(HttpClient& http, const Credentials& user) {
    Headers headers = BearerAuth(user.access_token);
    headers.emplace_back("Accept", "application/json");
    json::object init{
        {"jsonrpc", "2.0"},
        {"id", 1},
        {"method", "initialize"},
        {"params", json::object{{"protocolVersion", std::string(kMcpVersion)},
                                {"capabilities", json::object{}},
                                {"clientInfo", json::object{{"name", "netra-stage"}, {"version", "1"}}}}}};
    auto r = Must(http.Request("POST", "/mcp", headers, json::serialize(init)), "POST /mcp initialize");
    auto session = r.Header("Mcp-Session-Id");
    Expect(r.status == 200 && session.has_value(), "MCP initialize: " + r.Describe());
    return *session;
}

// The MCP tools whose input takes an id: tool → fields.
std::map<std::string, std::set<std::string>> McpIdTools(HttpClient& http, const Credentials& user,
                                                        const std::string& session) {
    Headers headers = BearerAuth(user.access_token);
    headers.emplace_back("Accept", "application/json");
    headers.emplace_back("Mcp-Session-Id", session);
    headers.emplace_back("MCP-Protocol-Version", std::string(kMcpVersion));
    auto r = Must(http.Request("POST", "/mcp", headers, R"({"jsonrpc":"2.0","id":2,"method":"tools/list"})"),
                  "POST /mcp tools/list");
    const auto* o = r.JsonObject();
    const auto* result = o ? JObj(*o, "result") : nullptr;
    const auto* tools = result ? result->if_contains("tools") : nullptr;
    Expect(tools && tools->is_array(), "MCP tools/list: " + r.Describe());
    std::map<std::string, std::set<std::string>> out;
    for (const auto& t : tools->as_array()) {
        if (!t.is_object()) continue;
        const auto* schema = JObj(t.as_object(), "inputSchema");
        const auto* props = schema ? JObj(*schema, "properties") : nullptr;
        if (props == nullptr) continue;
        for (const auto& [key, v] : *props) {
            if (IsIdName(key)) out[JStr(t.as_object(), "name")].insert(std::string(key));
        }
    }
    return out;
}

std::string CreateLgThread(HttpClient& http, const Credentials& user, const std::string& id, const std::string& title) {
    auto r = Must(http.PostJson("/langgraph/threads",
                                json::object{{"thread_id", id}, {"metadata", json::object{{"title", title}}}},
                                BearerAuth(user.access_token)),
                  "POST /langgraph/threads");
    Expect(r.status == 200, "POST /langgraph/threads with a chosen id: " + r.Describe());
    return id;
}

void CrossUserIdSweep(StageContext& ctx) {
    if (!ctx.CanCreateUsers()) Skip("needs three users: give --register or --bypass-key");
    Sweep s(ctx);
    s.a = ctx.NewUser("xid-a");
    s.b = ctx.NewUser("xid-b");
    s.c = ctx.NewUser("xid-c");
    const std::string secret = "Secret" + core::RandomHex(6);
    auto& http = s.http;

    // ---- the document: which operations take ids ----
    auto doc_r = Must(http.Get("/openapi.json"), "GET /openapi.json");
    Expect(doc_r.status == 200 && doc_r.JsonObject(), "GET /openapi.json: " + doc_r.Describe(200));
    const auto id_ops = IdOperations(*doc_r.JsonObject());
    Expect(!id_ops.empty(), "the OpenAPI document names no operation that takes an id");

    // ---- A's objects ----
    auto wa = ctx.Connect(s.a);
    s.wb = ctx.Connect(s.b);
    auto done = SendAndFollowRun(*wa, UserMessage("We spend $9k/month on gpt-4o. " + secret + " finished"));
    Expect(done.terminal == "run_completed", "A's run ended " + done.terminal);
    Headers csv = BearerAuth(s.a.access_token);
    csv.emplace_back("Content-Type", "text/csv");
    auto up = Must(http.Request("POST", "/api/datasets?name=" + secret + "-data&thread_id=" + done.thread_id, csv,
                                "timestamp,model,input_tokens,output_tokens\n2025-01-01T00:00:00Z,gpt-4o,100,20\n"
                                "2025-01-02T00:00:00Z,gpt-4o,120,25\n"),
                   "POST /api/datasets as A");
    const std::string dataset = JStr(ExpectJson(up, {201}, "POST /api/datasets as A"), "id");
    const std::string lg_thread = CreateLgThread(http, s.a, NewLabel("lg-a-"), secret + " lg");
    const std::string a_session = McpSession(http, s.a);
    // B's own thread and MCP session; C's thread and LangGraph thread (the "taken" baselines).
    const std::string b_thread = CreateThread(http, s.b, "B's own");
    const std::string b_session = McpSession(http, s.b);
    const std::string c_thread = CreateThread(http, s.c, "C's own");
    const std::string c_lg_thread = CreateLgThread(http, s.c, NewLabel("lg-c-"), "C lg");
    s.a_private = {secret, done.thread_id, done.run_id, dataset, lg_thread, a_session};
    {
        auto msgs = Must(http.Get("/api/threads/" + done.thread_id + "/messages", BearerAuth(s.a.access_token)),
                         "GET messages as A");
        if (const auto* o = msgs.JsonObject(); o && o->contains("data") && o->at("data").is_array()) {
            for (const auto& m : o->at("data").as_array()) {
                if (m.is_object()) s.a_private.insert(JStr(m.as_object(), "id"));
            }
        }
    }
    s.b_tokens = {{std::string(kBThread), b_thread},
                  {std::string(kBToken), s.b.access_token},
                  {std::string(kBSession), b_session}};

    auto tokens_for = [&](const std::string& thread, const std::string& run) {
        Tokens t = s.b_tokens;
        t[std::string(kThread)] = thread;
        t[std::string(kRun)] = run;
        t[std::string(kDataset)] = dataset;
        t[std::string(kLgThread)] = lg_thread;
        t[std::string(kSession)] = a_session;
        return t;
    };
    auto random_tokens = [&]() {
        Tokens t = s.b_tokens;
        t[std::string(kThread)] = core::NewId();
        t[std::string(kRun)] = core::NewId();
        t[std::string(kDataset)] = core::NewId();
        t[std::string(kLgThread)] = NewLabel("lg-r-");
        t[std::string(kSession)] = core::RandomHex(24);
        return t;
    };
    auto other_user_tokens = [&](const Tokens& mine) {
        Tokens t = mine;
        t[std::string(kThread)] = c_thread;
        t[std::string(kLgThread)] = c_lg_thread;
        return t;
    };

    const auto http_probes = HttpProbes();
    const auto ws_probes = WsProbes();
    const auto mcp_probes = McpProbes();
    int rpc_id = 10;
    std::size_t probes_made = 0;
    auto run_phase = [&](const std::string& phase, const Tokens& mine, bool only_runs_and_threads) {
        for (const auto& p : http_probes) {
            if (only_runs_and_threads && !p.names_run_or_thread) continue;
            const Tokens base = p.baseline == Baseline::kRandom ? random_tokens() : other_user_tokens(mine);
            const std::string what =
                phase + " " + p.method + " " + Fill(p.target, {}) + (p.body.empty() ? "" : " " + p.body.substr(0, 80));
            Answer x = s.SendHttp(p, mine);
            Answer y = s.SendHttp(p, base);
            s.Judge(what, x, y, p.expect, Fill(p.target + p.body, mine), Fill(p.target + p.body, base));
            ++probes_made;
        }
        for (const auto& p : ws_probes) {
            if (only_runs_and_threads && !p.names_run_or_thread) continue;
            const Tokens base = random_tokens();
            Answer x = s.SendWs(p, mine);
            Answer y = s.SendWs(p, base);
            s.Judge(phase + " WebSocket " + p.what, x, y, Want::kRefused, Fill(p.frame, mine), Fill(p.frame, base));
            ++probes_made;
        }
        if (only_runs_and_threads) return;
        for (const auto& p : mcp_probes) {
            const Tokens base = random_tokens();
            const std::string what =
                phase + " MCP " + (p.tool.empty() ? p.method + " with A's session" : p.tool + " " + p.arguments);
            Answer x = s.SendMcp(p, mine, ++rpc_id);
            Answer y = s.SendMcp(p, base, ++rpc_id);
            s.Judge(what, x, y, Want::kRefused, Fill(p.arguments + p.session, mine),
                    Fill(p.arguments + p.session, base));
            ++probes_made;
        }
    };

    // ---- phase 1: a run of A's in progress (triage held by a slowed tool) ----
    std::string busy_note = "no run in progress (the deployment has no fault injection)";
    {
        auto slow = MaybeFault(ctx, SlowTriageFault(20000, 90));
        if (slow) {
            auto [busy_run, busy_thread] = SendAcked(*wa, UserMessage("We spend $8k/month on gpt-4o. " + secret));
            s.a_private.insert(busy_run);
            s.a_private.insert(busy_thread);
            std::vector<json::object> held;
            FollowUntil(
                *wa, busy_run, held, [](const json::object& e) { return IsToolExecuting(e, "extract_entities"); },
                kFrameTimeout * 2, "A's run reaching triage's tool");
            run_phase("[run in progress]", tokens_for(busy_thread, busy_run), true);
            // Problems, not failures, from here on: what the probes found is reported with them.
            auto st = Must(http.Get("/api/runs/" + busy_run, BearerAuth(s.a.access_token)), "GET run as A");
            const std::string status = st.JsonObject() ? JStr(*st.JsonObject(), "status") : std::string();
            if (st.status != 200 || (status != "running" && status != "queued")) {
                s.Problem("A's run in progress after B's attempts (B cancelled or deleted it?): " + st.Describe(200));
            } else {
                auto cancel =
                    Must(http.Request("POST", "/api/runs/" + busy_run + "/cancel", BearerAuth(s.a.access_token), "{}"),
                         "POST cancel as A");
                Expect(cancel.status == 200 || cancel.status == 202, "A cancelling its own run: " + cancel.Describe());
                WaitRunTerminal(http, s.a, busy_run, std::chrono::seconds(30));
            }
            busy_note = "a run in progress (" + status + " throughout)";
        }
    }

    // ---- phase 2: the finished run, the dataset, the adapters, MCP ----
    run_phase("[finished run]", tokens_for(done.thread_id, done.run_id), false);

    // Lists B sees: nothing of A's.
    const std::vector<std::pair<std::string, std::string>> lists = {
        {"GET", "/api/threads?limit=100"}, {"GET", "/api/datasets"}, {"POST", "/langgraph/threads/search"}};
    for (const auto& [method, target] : lists) {
        auto r = Must(http.Request(method, target, BearerAuth(s.b.access_token), method == "POST" ? "{}" : ""),
                      method + " " + target);
        s.ScanLeaks("B's " + target, r.body, "");
    }
    {
        McpProbe list_datasets;
        list_datasets.tool = "list_datasets";
        list_datasets.arguments = "{}";
        list_datasets.session = std::string(kBSession);
        auto r = s.SendMcp(list_datasets, s.b_tokens, ++rpc_id);
        s.ScanLeaks("B's MCP list_datasets", r.received, "");
    }
    Expect(s.wb->Send(json::object{{"type", "get_agent_status"}}), "send failed");
    bool got_status = false;
    auto status_frames =
        s.wb->CollectUntil([](const WsMessage& m) { return m.Type() == "agent_status"; }, kFrameTimeout, &got_status);
    std::string status_text;
    for (const auto& f : status_frames) status_text += f.text + "\n";
    s.ScanLeaks("B's get_agent_status", status_text, "");
    // Whatever else reached B's socket meanwhile (A's live events would): nothing of A's.
    std::string rest;
    while (auto m = s.wb->Receive(std::chrono::milliseconds(300))) rest += m->text + "\n";
    s.ScanLeaks("B's socket after the sweep", rest, "");

    // ---- A's objects are intact ----
    auto a_auth = BearerAuth(s.a.access_token);
    auto th = Must(http.Get("/api/threads/" + done.thread_id, a_auth), "GET thread as A");
    if (th.status != 200 || th.body.find("taken over by B") != std::string::npos)
        s.Problem("A's thread after the sweep: " + th.Describe(200));
    auto finished = Must(http.Get("/api/runs/" + done.run_id, a_auth), "GET run as A");
    if (finished.status != 200 || !finished.JsonObject() || JStr(*finished.JsonObject(), "status") != "completed")
        s.Problem("A's finished run after the sweep: " + finished.Describe(200));
    if (Must(http.Get("/api/datasets/" + dataset, a_auth), "GET dataset as A").status != 200)
        s.Problem("A's dataset is gone after the sweep");
    if (Must(http.Get("/langgraph/threads/" + lg_thread, a_auth), "GET LangGraph thread as A").status != 200)
        s.Problem("A's LangGraph thread is gone after the sweep");
    {
        Headers h = a_auth;
        h.emplace_back("Accept", "application/json");
        h.emplace_back("Mcp-Session-Id", a_session);
        h.emplace_back("MCP-Protocol-Version", std::string(kMcpVersion));
        auto r = Must(http.Request("POST", "/mcp", h, R"({"jsonrpc":"2.0","id":99,"method":"tools/list"})"),
                      "POST /mcp as A");
        if (r.status != 200) s.Problem("A's MCP session after B's DELETE with it: " + r.Describe(200));
    }

    // ---- coverage: every id-taking operation of the document, every MCP tool with an id ----
    std::set<std::string> covered;  // "METHOD /path param"
    for (const auto& p : http_probes) {
        for (const auto& param : p.params) covered.insert(p.route + " " + param);
    }
    std::vector<std::string> missing;
    std::size_t pairs = 0, acknowledged = 0;
    for (const auto& [op, params] : id_ops) {
        if (op.rfind("POST /mcp", 0) == 0 || op.rfind("DELETE /mcp", 0) == 0) {
            // MCP: the session header by the MCP probes, the tools' ids from tools/list below.
            for (const auto& param : params) {
                const std::string key = op + " " + param;
                if (param == "header:Mcp-Session-Id") {
                    ++pairs;
                } else if (Acknowledged().count(key)) {
                    ++acknowledged;
                } else {
                    missing.push_back(key);
                }
            }
            continue;
        }
        for (const auto& param : params) {
            const std::string key = op + " " + param;
            if (covered.count(key)) {
                ++pairs;
            } else if (Acknowledged().count(key)) {
                ++acknowledged;
            } else {
                missing.push_back(key);
            }
        }
    }
    std::set<std::string> mcp_covered;
    for (const auto& p : mcp_probes) {
        for (const auto& f : p.params) mcp_covered.insert(p.tool + " " + f);
    }
    const auto mcp_tools = McpIdTools(http, s.b, b_session);
    std::size_t mcp_fields = 0;
    for (const auto& [tool, fields] : mcp_tools) {
        for (const auto& f : fields) {
            if (mcp_covered.count(tool + " " + f)) {
                ++mcp_fields;
            } else {
                missing.push_back("MCP tool " + tool + " " + f);
            }
        }
    }
    if (!missing.empty()) {
        s.Problem("ids the server accepts that this sweep does not probe (add a probe or an acknowledgement): " +
                  Join(missing, "; "));
    }
    if (!s.failures.empty()) {
        std::vector<std::string> first(s.failures.begin(),
                                       s.failures.begin() + std::min<std::ptrdiff_t>(15, s.failures.size()));
        Fail(std::to_string(s.failures.size()) + (s.failures.size() >= 40 ? "+" : "") +
             " problem(s), the first: " + Join(first, " | "));
    }
    std::size_t http_ops = 0;
    for (const auto& [op, params] : id_ops) http_ops += op.find("/assets/") == std::string::npos;
    ctx.Note(std::to_string(http_ops) + " id-taking HTTP operations of /openapi.json swept (" + std::to_string(pairs) +
             " operation × id pairs probed, " + std::to_string(acknowledged) + " acknowledged as not user objects), " +
             std::to_string(ws_probes.size()) + " WebSocket frame forms, " + std::to_string(mcp_fields) +
             " MCP tool id fields + the session header; " + std::to_string(probes_made) + " probes, " +
             std::to_string(s.compared) + " comparisons of A's id with a random (or, for client-chosen ids, a third " +
             "user's) id; " + busy_note + "; nothing of A's reached B");
}

}  // namespace

std::vector<TestCase> CrossUserIdTests() { return {{"cross_user_id_sweep", CrossUserIdSweep}}; }

}  // namespace netra::stage

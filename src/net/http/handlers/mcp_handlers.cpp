// POST|DELETE /mcp: Netra's analysis as an MCP server over the Streamable HTTP transport (JSON-RPC 2.0).
//
//  - POST: one JSON-RPC message (or, in protocol 2025-03-26, a batch). Requests are answered in the response body:
//    application/json, or one SSE event per answer when the client accepts only text/event-stream; notifications
//    and responses alone → 202 with no body. run_optimization waits for a real run: its POST is answered as an SSE
//    stream with keep-alive comments while the run goes on (JSON when the client does not accept event streams),
//    on a connection of its own (taken over and closed afterwards).
//  - GET: not a route — the router answers 405 (Allow: POST, DELETE): the server sends no requests or notifications
//    of its own, so it offers no server-to-client stream.
//  - DELETE: ends the session.
// Every method needs `Authorization: Bearer <access token>` (401 with WWW-Authenticate otherwise); a browser's
// Origin must be allowed (403). A tool reads and runs on the caller's own data only. Sessions are stateless signed
// ids (net/mcp/mcp_protocol.hpp): `initialize` issues one in Mcp-Session-Id, every later POST carries it (400 when
// missing, 404 when unknown, another user's, expired or ended).
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "core/time.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/run_event_stream.hpp"
#include "net/mcp/mcp_protocol.hpp"
#include "net/mcp/mcp_tools.hpp"

namespace netra::net::http {
namespace json = boost::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
using core::ErrorCode;
using core::MakeError;

namespace {

constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
constexpr std::string_view kVersionHeader = "MCP-Protocol-Version";

mcp::SessionRegistry& EndedSessions() {
    static mcp::SessionRegistry registry;
    return registry;
}

std::int64_t NowSeconds() { return core::NowMs() / 1000; }

std::string Header(const Request& req, std::string_view name) {
    auto v = req[boost::beast::string_view(name.data(), name.size())];
    return std::string(v.data(), v.size());
}

// What a tool call needs once the request's context is gone (a taken-over connection outlives it).
struct Caller {
    ServerContext* server = nullptr;
    std::shared_ptr<const Services> services;
    std::string user_id;
};

// Origin, then the bearer token (verified on the worker pool).
asio::awaitable<core::Result<auth::AccessClaims>> Admit(RequestContext& ctx) {
    std::string origin = Header(ctx.req, "Origin");
    if (!mcp::OriginAllowed(origin, ctx.server.settings.allowed_origins)) {
        co_return MakeError(ErrorCode::kForbidden, "origin " + origin +
                                                       " is not allowed to call /mcp (NETRA_ALLOWED_ORIGINS lists the "
                                                       "browser origins that may; loopback origins always may)");
    }
    auto work = [&ctx]() -> core::Result<auth::AccessClaims> {
        auto header = ctx.req[bhttp::field::authorization];
        auto token = BearerTokenOf(std::string_view(header.data(), header.size()));
        if (!token) {
            return MakeError(ErrorCode::kUnauthenticated, "missing bearer token: send Authorization: Bearer <token>");
        }
        auto claims = ctx.services().auth.Authenticate(*token);
        if (!claims.ok()) return MakeError(ErrorCode::kUnauthenticated, claims.error().message);
        return claims;
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await core::Offload(ctx.server.workers, std::move(work));
}

// A service failure inside a tool: what the model can act on (not found, validation, busy, rate limited) is a tool
// error; a server fault (storage down, a bug) is a JSON-RPC internal error.
core::Result<json::object> ToolErrorFrom(const core::Error& e, const std::string& prefix) {
    if (e.code == ErrorCode::kInternal || e.code == ErrorCode::kServiceUnavailable) return e;
    return mcp::ToolFailure(prefix + e.message);
}

std::string NotFoundText(const std::string& dataset_id) {
    return "dataset '" + dataset_id + "' not found: list_datasets shows the datasets you can use";
}

// --- The tools ---

core::Result<json::object> ListDatasets(const Caller& c, const json::object& args) {
    auto a = mcp::ReadListDatasets(args);
    auto page = c.services->datasets.List(c.user_id, a.limit, a.cursor);
    if (!page.ok()) return ToolErrorFrom(page.error(), "");
    json::object rendered = PageJson(*page, DatasetJson);
    return mcp::ToolSuccess(mcp::ListDatasetsResult(rendered.at("data").as_array(), rendered.at("next_cursor")));
}

core::Result<json::object> ProfileDataset(const Caller& c, const json::object& args) {
    std::string id = core::GetString(args, "dataset_id").value_or("");
    auto d = c.services->datasets.Get(c.user_id, id);
    if (!d.ok()) {
        if (d.error().code == ErrorCode::kNotFound) return mcp::ToolFailure(NotFoundText(id));
        return ToolErrorFrom(d.error(), "");
    }
    return mcp::ToolSuccess(mcp::ProfileResult(DatasetJson(*d)));
}

core::Result<json::object> EstimateSavings(const Caller& c, const json::object& args) {
    auto a = mcp::ReadSavings(args);
    auto view = c.services->datasets.LoadDataset(c.user_id, a.dataset_id);
    if (!view.ok()) return ToolErrorFrom(view.error(), "");
    if (!*view) return mcp::ToolFailure(NotFoundText(a.dataset_id));
    return mcp::ToolSuccess(mcp::EstimateSavings(**view, c.services->catalog, a));
}

core::Result<json::object> PriceWorkload(const Caller& c, const json::object& args) {
    auto priced = mcp::PriceWorkload(c.services->catalog, mcp::ReadPriceWorkload(args));
    if (!priced.ok()) return mcp::ToolFailure(priced.error().message);
    return mcp::ToolSuccess(std::move(*priced));
}

// The report (the reporting agent's, also the assistant message) and the run_completed result of a finished run.
struct RunOutcome {
    std::string report;
    json::object result;
};

core::Result<RunOutcome> ReadRunOutcome(const Services& services, const std::string& user_id,
                                        const std::string& run_id) {
    RunOutcome out;
    domain::EventFilter terminal;
    terminal.type = domain::EventType::kRunCompleted;
    terminal.limit = 0;
    auto end = services.events.ReadRunEvents(user_id, run_id, terminal);
    if (!end.ok()) return end.error();
    for (const auto& e : end->events) {
        auto payload = core::ParseJsonObject(e.payload);
        if (payload.ok() && payload->contains("result") && payload->at("result").is_object())
            out.result = payload->at("result").as_object();
    }
    domain::EventFilter reporting;
    reporting.type = domain::EventType::kAgentCompleted;
    reporting.agent_name = "reporting";
    reporting.limit = 0;
    auto report = services.events.ReadRunEvents(user_id, run_id, reporting);
    if (!report.ok()) return report.error();
    for (const auto& e : report->events) {
        auto payload = core::ParseJsonObject(e.payload);
        if (!payload.ok()) continue;
        if (auto r = payload->if_contains("result"); r && r->is_object()) {
            if (auto md = core::GetString(r->as_object(), "report_markdown")) out.report = *md;
        }
    }
    return out;
}

asio::awaitable<core::Result<json::object>> RunOptimization(Caller c, json::object args) {
    const auto a = mcp::ReadRunOptimization(args);
    runs::SubmitRequest request;
    request.user_id = c.user_id;
    request.content = a.question;
    request.dataset_id = a.dataset_id;
    request.thread_id = a.thread_id;
    auto submit = [services = c.services, request]() -> core::Result<runs::SubmitResult> {
        auto result = services->runs.Submit(request);
        if (result.ok()) services->runs.Schedule(result->run.id);
        return result;
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto submitted = co_await core::Offload(c.server->workers, std::move(submit));
    if (!submitted.ok()) co_return ToolErrorFrom(submitted.error(), "the run could not start: ");
    const std::string run_id = submitted->run.id;
    const std::string thread_id = submitted->run.thread_id;
    auto executor = co_await asio::this_coro::executor;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(a.timeout);
    auto ended = co_await AwaitRunEnd(*c.server, c.services, executor, c.user_id, run_id, wait);
    if (!ended.ok()) co_return ToolErrorFrom(ended.error(), "");
    const domain::RunStatus status = ended->status;
    if (!domain::IsFinished(status)) {
        co_return mcp::ToolFailure("run " + run_id + " (thread " + thread_id + ") is still " +
                                   std::string(domain::Name(status)) + " after " + std::to_string(a.timeout.count()) +
                                   " s; it goes on: GET /api/runs/" + run_id +
                                   " follows it, and its report becomes the thread's assistant message");
    }
    if (status != domain::RunStatus::kCompleted) {
        std::string why = "run " + run_id + " " + std::string(domain::Name(status));
        if (ended->error) why += ": " + *ended->error;
        co_return mcp::ToolFailure(std::move(why));
    }
    auto read = [services = c.services, user_id = c.user_id, run_id]() {
        return ReadRunOutcome(*services, user_id, run_id);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto outcome = co_await core::Offload(c.server->workers, std::move(read));
    if (!outcome.ok()) co_return ToolErrorFrom(outcome.error(), "");
    json::object structured = mcp::RunOptimizationResult(run_id, thread_id, std::string(domain::Name(status)),
                                                         outcome->report, outcome->result);
    std::vector<std::string> lead{outcome->report};
    co_return mcp::ToolSuccess(std::move(structured), std::move(lead));
}

asio::awaitable<core::Result<json::object>> CallTool(Caller c, const mcp::ToolDef& tool, json::object args) {
    if (tool.name == "run_optimization") co_return co_await RunOptimization(std::move(c), std::move(args));
    using Fn = core::Result<json::object> (*)(const Caller&, const json::object&);
    Fn fn = tool.name == "list_datasets"      ? ListDatasets
            : tool.name == "profile_dataset"  ? ProfileDataset
            : tool.name == "estimate_savings" ? EstimateSavings
                                              : PriceWorkload;
    auto work = [fn, c, args = std::move(args)]() { return fn(c, args); };  // blocking reads, CPU: the worker pool
    ServerContext* server = c.server;
    co_return co_await core::Offload(server->workers, std::move(work));
}

// --- JSON-RPC ---

json::object InitializeResult(const ServerContext& server, const std::string& version) {
    return json::object{
        {"protocolVersion", version},
        {"capabilities", json::object{{"tools", json::object{{"listChanged", false}}}}},
        {"serverInfo", json::object{{"name", mcp::kServerName}, {"title", "Netra"}, {"version", server.version}}},
        {"instructions",
         "Netra analyses your team's LLM usage and prices optimizations with a supply catalog of list prices. "
         "list_datasets shows your uploaded usage logs; profile_dataset and estimate_savings work on one of them; "
         "price_workload prices tokens on any catalog model; run_optimization runs the full analysis and returns "
         "the report. Figures are USD per 30-day month."}};
}

// One request of the POST (never `initialize`, answered before a session exists).
asio::awaitable<json::object> Answer(Caller c, mcp::Message m) {
    // Results named before co_return: GCC 12 mishandles initializer-list temporaries there.
    if (m.method == "ping") {
        json::object empty;
        co_return mcp::RpcResult(m.id, std::move(empty));
    }
    if (m.method == "tools/list") {
        json::object listed;
        listed["tools"] = mcp::ToolsListJson();
        co_return mcp::RpcResult(m.id, std::move(listed));
    }
    if (m.method == "initialize") {
        co_return mcp::RpcError(m.id, mcp::kInvalidRequest, "initialize must be sent alone, without a session id");
    }
    if (m.method != "tools/call") co_return mcp::RpcError(m.id, mcp::kMethodNotFound, "Method not found: " + m.method);
    auto name = core::GetString(m.params, "name");
    if (!name) co_return mcp::RpcError(m.id, mcp::kInvalidParams, "tools/call needs params.name (a string)");
    const mcp::ToolDef* tool = mcp::FindTool(*name);
    if (!tool) co_return mcp::RpcError(m.id, mcp::kInvalidParams, "Unknown tool: " + *name);
    json::object args;
    if (auto a = m.params.if_contains("arguments"); a && !a->is_null()) {
        if (!a->is_object()) co_return mcp::RpcError(m.id, mcp::kInvalidParams, "params.arguments must be an object");
        args = a->as_object();
    }
    if (auto valid = mcp::ValidateArguments(tool->input_schema, args); !valid.ok()) {
        // An input the model can correct: a tool execution error (SEP-1303), not a protocol error.
        co_return mcp::RpcResult(
            m.id, mcp::ToolFailure("invalid arguments for " + tool->name + ": " + valid.error().message));
    }
    auto result = co_await CallTool(std::move(c), *tool, std::move(args));
    if (!result.ok()) {
        spdlog::warn("mcp tool {} failed: {}", tool->name, result.error().message);
        co_return mcp::RpcError(m.id, mcp::kInternalError, "internal error in " + tool->name);
    }
    co_return mcp::RpcResult(m.id, std::move(*result));
}

// The answers to a POST's requests, in order (an invalid message with an id is answered with its error).
asio::awaitable<json::array> AnswerAll(Caller c, std::vector<mcp::Message> messages) {
    json::array out;
    for (auto& m : messages) {
        if (m.kind == mcp::Message::Kind::kInvalid) {
            out.push_back(mcp::RpcError(m.id, mcp::kInvalidRequest, "Invalid Request: " + m.problem));
            continue;
        }
        if (m.kind != mcp::Message::Kind::kRequest) continue;  // notifications, responses: nothing to answer
        json::object answer = co_await Answer(c, std::move(m));
        out.push_back(std::move(answer));
    }
    co_return out;
}

std::string Body(const json::array& answers, bool batch, bool sse) {
    if (!sse) return batch ? core::JsonText(answers) : core::JsonText(answers.at(0));
    std::string out;
    for (const auto& a : answers) out += mcp::SseMessage(a);
    return out;
}

void McpHeaders(Response& res, const std::string& session_id) {
    if (!session_id.empty())
        res.set(boost::beast::string_view(kSessionHeader.data(), kSessionHeader.size()), session_id);
}

Response AnswerResponse(const RequestContext& ctx, const json::array& answers, bool batch, bool sse,
                        const std::string& session_id) {
    auto res = TextResponse(ctx, bhttp::status::ok, Body(answers, batch, sse),
                            sse ? "text/event-stream" : "application/json; charset=utf-8");
    McpHeaders(res, session_id);
    return res;
}

// A POST that waits for a run: answered on the connection itself (no read deadline; SSE keep-alives while the run
// goes on, so a proxy in between does not time the request out), then the connection closes.
struct LongPost {
    Caller caller;
    std::vector<mcp::Message> messages;
    bool batch = false;
    bool sse = false;
    std::string session_id;
    std::string request_id;
};

asio::awaitable<void> ServeLongPost(std::shared_ptr<LongPost> post, beast::tcp_stream& stream) {
    stream.expires_never();
    const std::string head_common =
        "Server: netra\r\nCache-Control: no-store\r\nConnection: close\r\nX-Request-Id: " + post->request_id + "\r\n" +
        std::string(kSessionHeader) + ": " + post->session_id + "\r\n";
    bool ok = true;
    auto write = [&](std::string bytes) -> asio::awaitable<void> {  // by value: lives in the coroutine frame
        if (!ok) co_return;
        auto [ec, n] =
            co_await asio::async_write(stream.socket(), asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec) ok = false;
    };
    auto executor = co_await asio::this_coro::executor;
    std::optional<json::array> answers;
    asio::steady_timer wake(executor);
    auto work = AnswerAll(post->caller, std::move(post->messages));
    auto done = [&answers, &wake](std::exception_ptr error, json::array result) {
        if (error) {
            json::array failed;
            failed.push_back(mcp::RpcError(nullptr, mcp::kInternalError, "internal error"));
            answers = std::move(failed);
        } else {
            answers = std::move(result);
        }
        wake.cancel();
    };
    asio::co_spawn(executor, std::move(work), std::move(done));
    if (post->sse) {
        std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Accel-Buffering: no\r\n" + head_common + "\r\n";
        co_await write(std::move(head));
    }
    while (!answers) {
        wake.expires_after(std::chrono::seconds(15));
        auto [ec] = co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!ec && !answers && post->sse) co_await write(": the run is in progress\n\n");
    }
    if (post->sse) {
        std::string events = Body(*answers, post->batch, true);
        co_await write(std::move(events));
    } else {
        std::string body = answers->empty() ? std::string("{}") : Body(*answers, post->batch, false);
        std::string res = "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n" + head_common + "\r\n" + body;
        co_await write(std::move(res));
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

bool WaitsForARun(const std::vector<mcp::Message>& messages) {
    for (const auto& m : messages) {
        if (m.kind == mcp::Message::Kind::kRequest && m.method == "tools/call" &&
            core::GetString(m.params, "name").value_or("") == "run_optimization")
            return true;
    }
    return false;
}

asio::awaitable<Response> PostMcp(RequestContext& ctx) {
    auto claims = co_await Admit(ctx);
    if (!claims.ok()) co_return ErrorResponse(ctx, claims.error());
    auto type = ctx.req[bhttp::field::content_type];
    if (!type.empty() && type.find("json") == boost::string_view::npos) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kUnsupportedMediaType,
                                               "send JSON-RPC messages as Content-Type: application/json"));
    }
    auto parsed = mcp::ParseBody(std::string_view(ctx.req.body()), ctx.server.settings.limits.max_json_depth);
    if (!parsed.ok()) co_return ErrorResponse(ctx, parsed.error());
    const std::string version_header = Header(ctx.req, kVersionHeader);
    if (!version_header.empty() && !mcp::IsSupportedVersion(version_header)) {
        std::string supported;
        for (const auto& v : mcp::SupportedProtocolVersions()) supported += (supported.empty() ? "" : ", ") + v;
        co_return ErrorResponse(
            ctx, MakeError(ErrorCode::kInvalidRequest,
                           "unsupported MCP-Protocol-Version " + version_header + " (supported: " + supported + ")"));
    }
    const bool sse = mcp::WantsEventStream(Header(ctx.req, "Accept"));
    mcp::SessionCodec codec(ctx.server.settings.jwt_secret);

    // initialize: alone, answered with a new session.
    for (const auto& m : parsed->messages) {
        if (m.kind != mcp::Message::Kind::kRequest || m.method != "initialize") continue;
        if (parsed->batch) {
            co_return ErrorResponse(
                ctx, MakeError(ErrorCode::kInvalidRequest, "initialize must not be part of a JSON-RPC batch"));
        }
        auto requested = core::GetString(m.params, "protocolVersion");
        json::array answers;
        std::string session_id;
        if (!requested) {
            answers.push_back(mcp::RpcError(m.id, mcp::kInvalidParams, "initialize needs params.protocolVersion"));
        } else {
            const std::string version = mcp::NegotiateVersion(*requested);
            session_id = codec.Issue(claims->user_id, version, NowSeconds());
            answers.push_back(mcp::RpcResult(m.id, InitializeResult(ctx.server, version)));
        }
        co_return AnswerResponse(ctx, answers, false, sse, session_id);
    }

    const std::string session_id = Header(ctx.req, kSessionHeader);
    if (session_id.empty()) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest,
                                               "missing Mcp-Session-Id header: send initialize first, then the "
                                               "session id it answered with every request"));
    }
    const std::int64_t now = NowSeconds();
    auto session = codec.Verify(session_id, claims->user_id, now);
    if (!session || EndedSessions().Ended(session_id, now)) {
        co_return ErrorResponse(
            ctx, MakeError(ErrorCode::kNotFound, "unknown, expired or ended MCP session: send initialize again"));
    }
    if (parsed->batch && !mcp::AllowsBatching(session->protocol_version)) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest,
                                               "JSON-RPC batches are not part of MCP " + session->protocol_version +
                                                   " (they were removed in 2025-06-18): send one message per POST"));
    }
    if (!parsed->batch && parsed->messages.front().kind == mcp::Message::Kind::kInvalid &&
        parsed->messages.front().id.is_null()) {
        co_return ErrorResponse(
            ctx, MakeError(ErrorCode::kInvalidRequest, "not a JSON-RPC message: " + parsed->messages.front().problem));
    }
    bool any_answer = false;
    for (const auto& m : parsed->messages)
        any_answer = any_answer || m.kind == mcp::Message::Kind::kRequest || m.kind == mcp::Message::Kind::kInvalid;
    if (!any_answer) {
        // Notifications and responses only: accepted, nothing to answer.
        auto res = TextResponse(ctx, bhttp::status::accepted, "", "application/json; charset=utf-8");
        McpHeaders(res, session_id);
        co_return res;
    }
    Caller caller{&ctx.server, ctx.server.services(), claims->user_id};
    if (WaitsForARun(parsed->messages)) {
        auto post = std::make_shared<LongPost>();
        post->caller = std::move(caller);
        post->messages = std::move(parsed->messages);
        post->batch = parsed->batch;
        // SSE whenever the client takes it: keep-alives hold the request open through proxies while the run goes on.
        post->sse = sse || Header(ctx.req, "Accept").find("text/event-stream") != std::string::npos;
        post->session_id = session_id;
        post->request_id = ctx.request_id;
        ctx.takeover = [post](beast::tcp_stream& stream) -> asio::awaitable<void> {
            co_await ServeLongPost(post, stream);
        };
        co_return Response{};
    }
    auto answers = co_await AnswerAll(std::move(caller), std::move(parsed->messages));
    co_return AnswerResponse(ctx, answers, parsed->batch, sse, session_id);
}

asio::awaitable<Response> DeleteMcp(RequestContext& ctx) {
    auto claims = co_await Admit(ctx);
    if (!claims.ok()) co_return ErrorResponse(ctx, claims.error());
    const std::string session_id = Header(ctx.req, kSessionHeader);
    if (session_id.empty()) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest, "missing Mcp-Session-Id header"));
    }
    const std::int64_t now = NowSeconds();
    mcp::SessionCodec codec(ctx.server.settings.jwt_secret);
    auto session = codec.Verify(session_id, claims->user_id, now);
    if (!session || EndedSessions().Ended(session_id, now)) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kNotFound, "unknown, expired or ended MCP session"));
    }
    EndedSessions().End(*session);
    json::object body{{"session_id", session_id}, {"ended", true}};
    co_return JsonResponse(ctx, bhttp::status::ok, body);
}

}  // namespace

void AddMcpRoutes(Router& router) {
    router.Add(bhttp::verb::post, std::string(mcp::kEndpointPath), PostMcp);
    router.Add(bhttp::verb::delete_, std::string(mcp::kEndpointPath), DeleteMcp);
}

}  // namespace netra::net::http

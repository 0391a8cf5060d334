// POST|DELETE /mcp: Netra's analysis as an MCP server over the Streamable HTTP transport (JSON-RPC 2.0).
//
//  - POST: one JSON-RPC message (or, in protocol 2025-03-26, a batch). Requests are answered in the response body:
//    application/json, or one SSE event per answer when the client accepts only text/event-stream; notifications
//    and responses alone → 202 with no body. run_optimization waits for a real run: its POST is answered as an SSE
//    stream with keep-alive comments while the run goes on (JSON when the client does not accept event streams),
//    on a connection of its own (taken over and closed afterwards).
//    A call that sends the client messages before its answer (progress, log messages, sampling or elicitation
//    requests, see mcp_outbound.hpp) is answered the same way; the client's responses to the server's requests
//    arrive as POSTs of their own and reach the waiting call (on this instance).
//  - GET: not a route — the router answers 405 (Allow: POST, DELETE): the server sends messages only while it
//    answers a request, so it offers no stream of its own.
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
#include <set>

#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "core/time.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/handlers/mcp_methods.hpp"
#include "net/http/run_event_stream.hpp"
#include "net/mcp/mcp_protocol.hpp"

namespace netra::net::http {
using mcp_server::Answer;
using mcp_server::Caller;
using mcp_server::ClientRequests;
using mcp_server::EndedSessions;
using mcp_server::InitializeResult;
using mcp_server::Preferences;
using mcp_server::Streams;
namespace json = boost::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
using core::ErrorCode;
using core::MakeError;

namespace {

constexpr std::string_view kSessionHeader = "Mcp-Session-Id";
constexpr std::string_view kVersionHeader = "MCP-Protocol-Version";
// How long one write of a long POST's answer may take (a client that stops reading is dropped after it).
constexpr auto kLongPostWriteDeadline = std::chrono::seconds(30);

std::int64_t NowSeconds() { return core::NowMs() / 1000; }

std::string Header(const Request& req, std::string_view name) {
    auto v = req[boost::beast::string_view(name.data(), name.size())];
    return std::string(v.data(), v.size());
}

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

// --- JSON-RPC ---

// What every request of a POST shares: the session (its client's capabilities, its log level) and where messages
// before the answers go.
mcp::CallContext CallContextFor(const mcp::Session& session, mcp::Outbound& outbound, const mcp::Message& m) {
    mcp::CallContext call;
    call.outbound = &outbound;
    call.session = session;
    call.log_level = Preferences().LogLevelOf(session.id);
    if (auto meta = m.params.if_contains("_meta"); meta && meta->is_object()) {
        if (auto token = meta->as_object().if_contains("progressToken");
            token && (token->is_string() || token->is_number()))
            call.progress_token = *token;
    }
    return call;
}

// The answers to a POST's requests, in order (an invalid message with an id is answered with its error).
asio::awaitable<json::array> AnswerAll(Caller c, mcp::Session session, std::vector<mcp::Message> messages,
                                       mcp::Outbound& outbound) {
    json::array out;
    for (auto& m : messages) {
        if (m.kind == mcp::Message::Kind::kInvalid) {
            out.push_back(mcp::RpcError(m.id, mcp::kInvalidRequest, "Invalid Request: " + m.problem));
            continue;
        }
        if (m.kind != mcp::Message::Kind::kRequest) continue;  // notifications, responses: nothing to answer
        mcp::CallContext call = CallContextFor(session, outbound, m);
        json::object answer = co_await Answer(c, std::move(m), call);
        out.push_back(std::move(answer));
    }
    co_return out;
}

// The client's responses to this server's requests (sampling, elicitation) go to the calls awaiting them.
void DeliverResponses(const std::string& session_id, std::vector<mcp::Message>& messages) {
    for (auto& m : messages) {
        if (m.kind != mcp::Message::Kind::kResponse) continue;
        if (!ClientRequests().Resolve(session_id, m.id, std::move(m.response))) {
            spdlog::debug("mcp: a response to no open request ({})", core::JsonText(m.id));
        }
    }
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

// A POST whose answer may take long or send messages first (a run, a tool that logs, reports progress or asks the
// client something): answered on the connection itself (no read deadline; SSE keep-alives while it goes on, so a
// proxy in between does not time the request out), then the connection closes.
struct LongPost {
    Caller caller;
    mcp::Session session;
    std::vector<mcp::Message> messages;
    bool batch = false;
    bool sse = false;
    std::string request_id;
};

// The stream's side of the server's messages before the answers: queued on the connection's strand (the calls run
// there too) and written by ServeLongPost in order.
class StreamOutbound final : public mcp::Outbound, public std::enable_shared_from_this<StreamOutbound> {
  public:
    StreamOutbound(asio::any_io_executor executor, bool open, std::string session_id)
        : executor_(std::move(executor)), wake_(executor_), open_(open), session_id_(std::move(session_id)) {}

    bool Open() const override { return open_; }
    void Notify(json::object message) override {
        if (!open_) return;
        queued_ += mcp::SseMessage(message);
        wake_.cancel();
    }

    asio::awaitable<core::Result<json::object>> Request(std::string method, json::object params,
                                                        std::chrono::milliseconds timeout) override {
        if (!open_) {
            mcp::ClosedOutbound closed;
            co_return co_await closed.Request(std::move(method), std::move(params), timeout);
        }
        auto [id, waiter] = ClientRequests().Open(session_id_, executor_);
        asio::steady_timer timer(executor_, timeout);
        // Undone on every way out — an answer, the timeout, the client leaving, or the frame destroyed at shutdown
        // while it waits: the table never keeps an entry (and its executor) longer than the call.
        struct Pending {
            std::shared_ptr<StreamOutbound> out;  // kept alive until this is undone, whatever is destroyed first
            std::string id;
            std::shared_ptr<mcp::PendingRequests::Waiter> waiter;
            asio::steady_timer& timer;
            Pending(std::shared_ptr<StreamOutbound> o, std::string i, std::shared_ptr<mcp::PendingRequests::Waiter> w,
                    asio::steady_timer& t)
                : out(std::move(o)), id(std::move(i)), waiter(std::move(w)), timer(t) {
                waiter->wake = [this] { timer.cancel(); };
                out->waiting_.insert(&timer);
            }
            ~Pending() {
                waiter->wake = nullptr;
                out->waiting_.erase(&timer);
                ClientRequests().Close(out->session_id_, id);
            }
            Pending(const Pending&) = delete;
            Pending& operator=(const Pending&) = delete;
        } pending(shared_from_this(), id, waiter, timer);
        Notify(mcp::RpcRequest(id, method, std::move(params)));
        if (!waiter->response && open_) co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!waiter->response) {
            core::Error late =
                MakeError(ErrorCode::kServiceUnavailable, open_ ? "the client did not answer " + method + " in time"
                                                                : "the client left before it answered " + method);
            co_return late;
        }
        const json::object& response = *waiter->response;
        if (auto error = response.if_contains("error"); error && error->is_object()) {
            core::Error refused = MakeError(
                ErrorCode::kServiceUnavailable,
                "the client answered " + method +
                    " with an error: " + core::GetString(error->as_object(), "message").value_or("(no message)"));
            co_return refused;
        }
        json::object result;
        if (auto r = response.if_contains("result"); r && r->is_object()) result = r->as_object();
        co_return result;
    }

    // The client is gone (a write failed): nothing more is sent, and the calls waiting for its answers stop waiting.
    void Close() {
        open_ = false;
        queued_.clear();
        for (auto* timer : waiting_) timer->cancel();
    }

    std::string TakeQueued() { return std::exchange(queued_, std::string()); }
    bool HasQueued() const { return !queued_.empty(); }
    asio::steady_timer& wake() { return wake_; }

  private:
    asio::any_io_executor executor_;
    asio::steady_timer wake_;
    bool open_;
    std::string session_id_;
    std::string queued_;
    std::set<asio::steady_timer*> waiting_;  // the timers of the requests awaiting the client's answer
};

asio::awaitable<void> ServeLongPost(std::shared_ptr<LongPost> post, beast::tcp_stream& stream) {
    const std::string head_common =
        "Server: netra\r\nCache-Control: no-store\r\nConnection: close\r\nX-Request-Id: " + post->request_id + "\r\n" +
        std::string(kSessionHeader) + ": " + post->session.id + "\r\n";
    bool ok = true;
    auto executor = co_await asio::this_coro::executor;
    auto outbound = std::make_shared<StreamOutbound>(executor, post->sse, post->session.id);
    // No read deadline while the call goes on, but every write has one: a client that stops reading is dropped, and
    // the calls waiting on it are told.
    auto write = [&](std::string bytes) -> asio::awaitable<void> {  // by value: lives in the coroutine frame
        if (!ok || bytes.empty()) co_return;
        stream.expires_after(kLongPostWriteDeadline);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
        (void)n;
        stream.expires_never();
        if (ec) {
            ok = false;
            outbound->Close();
        }
    };
    stream.expires_never();
    std::optional<json::array> answers;
    // The calls run beside this writer, holding the post and the outbound in their own frame (a coroutine lambda
    // without captures: its parameters are copied into the frame).
    auto work = [](std::shared_ptr<LongPost> held,
                   std::shared_ptr<StreamOutbound> sink) -> asio::awaitable<json::array> {
        co_return co_await AnswerAll(held->caller, held->session, std::move(held->messages), *sink);
    };
    auto done = [&answers, outbound](std::exception_ptr error, json::array result) {
        if (error) {
            json::array failed;
            failed.push_back(mcp::RpcError(nullptr, mcp::kInternalError, "internal error"));
            answers = std::move(failed);
        } else {
            answers = std::move(result);
        }
        outbound->wake().cancel();
    };
    asio::co_spawn(executor, work(post, outbound), std::move(done));
    if (post->sse) {
        std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Accel-Buffering: no\r\n" + head_common + "\r\n";
        co_await write(std::move(head));
    }
    for (;;) {
        co_await write(outbound->TakeQueued());
        if (answers) break;
        if (outbound->HasQueued()) continue;  // queued during the write: its wake-up came before this wait
        outbound->wake().expires_after(std::chrono::seconds(15));
        auto [ec] = co_await outbound->wake().async_wait(asio::as_tuple(asio::use_awaitable));
        if (!ec && !answers && post->sse) co_await write(": still working\n\n");
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
            session_id = codec.Issue(claims->user_id, version, mcp::ReadClientCapabilities(m.params), NowSeconds());
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
    DeliverResponses(session_id, parsed->messages);
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
    if (Streams(ctx.server, parsed->messages)) {
        auto post = std::make_shared<LongPost>();
        post->caller = std::move(caller);
        post->session = *session;
        post->messages = std::move(parsed->messages);
        post->batch = parsed->batch;
        // SSE whenever the client takes it: messages before the answer need it, and keep-alives hold the request
        // open through proxies while a run goes on.
        post->sse = sse || Header(ctx.req, "Accept").find("text/event-stream") != std::string::npos;
        post->request_id = ctx.request_id;
        ctx.takeover = [post](beast::tcp_stream& stream) -> asio::awaitable<void> {
            co_await ServeLongPost(post, stream);
        };
        co_return Response{};
    }
    mcp::ClosedOutbound closed;
    auto answers = co_await AnswerAll(std::move(caller), *session, std::move(parsed->messages), closed);
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
    Preferences().Forget(session_id);
    json::object body{{"session_id", session_id}, {"ended", true}};
    co_return JsonResponse(ctx, bhttp::status::ok, body);
}

}  // namespace

void AddMcpRoutes(Router& router) {
    router.Add(bhttp::verb::post, std::string(mcp::kEndpointPath), PostMcp);
    router.Add(bhttp::verb::delete_, std::string(mcp::kEndpointPath), DeleteMcp);
}

}  // namespace netra::net::http

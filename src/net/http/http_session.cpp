#include "net/http/http_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "core/ids.hpp"
#include "net/http/handlers/dataset_upload.hpp"
#include "net/http/request_target.hpp"
#include "net/ws/ws_upgrade.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::as_tuple;

namespace {

// A client-supplied X-Request-Id is echoed only when it is short and printable (it ends up in logs).
std::string RequestIdFor(const bhttp::request_header<>& req) {
    auto given = req["X-Request-Id"];
    if (!given.empty() && given.size() <= 128) {
        bool printable = std::all_of(given.begin(), given.end(), [](char c) { return c > 32 && c < 127; });
        if (printable) return std::string(given);
    }
    return core::NewId();
}

// A request must arrive whole within timeouts.http_read: header and body together, however its bytes trickle in
// (slowloris). The tcp_stream's own expiry closes the socket, which leaves no way to answer; so this timer of the
// session's own cancels the read instead, and the session answers 408 when part of a request had come (an idle
// keep-alive connection is closed without a word). The stream's expiry stays as the backstop, a second later.
struct ReadDeadline {
    explicit ReadDeadline(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    beast::tcp_stream* stream = nullptr;  // null while disarmed: a late handler touches nothing
    bool fired = false;

    // The handler holds the deadline (shared), so it may run after the session's frame is gone.
    static void Arm(const std::shared_ptr<ReadDeadline>& self, beast::tcp_stream& s, std::chrono::milliseconds after) {
        self->stream = &s;
        self->fired = false;
        self->timer.expires_after(after);
        self->timer.async_wait([self](const beast::error_code& ec) {
            if (ec || !self->stream) return;
            self->fired = true;
            beast::error_code ignored;
            self->stream->socket().cancel(ignored);
        });
    }
    void Disarm() {
        stream = nullptr;
        timer.cancel();
    }
};

// Disarms on every way out of the session (the timer's handler holds the deadline, not the stream).
struct DisarmOnExit {
    std::shared_ptr<ReadDeadline> deadline;
    ~DisarmOnExit() { deadline->Disarm(); }
};

// A header over the limit whose request line did not even end within it: the target is what is too long, 414
// (RFC 9110 §15.5.15) rather than 431. The parser sets the target as soon as the request line is complete (and
// drops those bytes from the buffer), so an empty target means the line never ended.
bool RequestLineUnfinished(const bhttp::request_parser<bhttp::empty_body>& parser) {
    return parser.get().target().empty();
}

bool AvailableBeforeReady(const std::string& path) {
    return path == "/health" || path.rfind("/health/", 0) == 0 || path == "/api/health" || path == "/metrics";
}

asio::awaitable<Response> Dispatch(ServerContext& server, const Router& router, const Request& req,
                                   const std::string& request_id, const std::string& client_ip, Takeover& takeover) {
    RequestContext ctx{req, server, request_id, {}, {}, {}, client_ip, {}, {}};
    ParseTarget(std::string_view(req.target().data(), req.target().size()), ctx.path, ctx.query);
    if (!server.accepting() && !AvailableBeforeReady(ctx.path)) {
        co_return ErrorResponse(ctx, core::MakeError(core::ErrorCode::kServiceUnavailable,
                                                     server.shutting_down ? "server is shutting down"
                                                                          : "server is starting; retry shortly"));
    }
    auto match = router.Find(req.method(), ctx.path);
    if (!match.handler) {
        if (!match.allow.empty()) {
            auto res = ErrorResponse(ctx, core::MakeError(core::ErrorCode::kMethodNotAllowed,
                                                          "method not allowed; allowed: " + match.allow));
            res.set(bhttp::field::allow, match.allow);
            co_return res;
        }
        co_return ErrorResponse(ctx, core::MakeError(core::ErrorCode::kNotFound, "no route for " + ctx.path));
    }
    ctx.params = std::move(match.params);
    try {
        Response res = co_await (*match.handler)(ctx);
        takeover = std::move(ctx.takeover);
        co_return res;
    } catch (const std::exception& e) {
        spdlog::error("request {} {} failed: {}", request_id, ctx.path, e.what());
    }
    co_return ErrorResponse(ctx, core::MakeError(core::ErrorCode::kInternal, "internal error"));
}

}  // namespace

asio::awaitable<void> RunHttpSession(std::shared_ptr<ServerContext> server, std::shared_ptr<const Router> router,
                                     beast::tcp_stream stream) {
    server->metrics.ConnectionOpened(false);
    std::string client_ip;
    {
        beast::error_code ec;
        auto ep = stream.socket().remote_endpoint(ec);
        if (!ec) client_ip = ep.address().to_string();
    }
    beast::flat_buffer buffer;
    const auto& limits = server->settings.limits;
    bool unread_body = false;  // the last answer refused a body before reading it all (see the lingering close)
    const auto read_timeout = server->settings.timeouts.http_read;
    auto deadline = std::make_shared<ReadDeadline>(stream.get_executor());
    DisarmOnExit disarm_on_exit{deadline};
    for (;;) {
        // The header first: uploads stream their body through their own parser (never buffered whole); every
        // other request reads a small string body under the normal limit.
        bhttp::request_parser<bhttp::empty_body> header_parser;
        header_parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
        header_parser.body_limit(limits.max_upload_bytes);
        ReadDeadline::Arm(deadline, stream, read_timeout);
        stream.expires_after(read_timeout + std::chrono::seconds(1));
        auto [hec, hbytes] =
            co_await bhttp::async_read_header(stream, buffer, header_parser, as_tuple(asio::use_awaitable));
        (void)hbytes;
        beast::error_code ec = hec;
        std::optional<bhttp::request_parser<bhttp::string_body>> parser;
        if (!ec && IsUploadRequest(header_parser.get())) {
            deadline->Disarm();  // an upload's body has a deadline per chunk (dataset_upload.cpp)
            std::string request_id = RequestIdFor(header_parser.get());
            auto start = std::chrono::steady_clock::now();
            Response res = co_await HandleDatasetUpload(*server, stream, buffer, header_parser, request_id, client_ip);
            server->metrics.ObserveRequest(
                res.result_int(), std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            bool keep_alive = res.keep_alive() && !server->shutting_down;
            res.keep_alive(keep_alive);
            auto [uec, ubytes] = co_await bhttp::async_write(stream, res, as_tuple(asio::use_awaitable));
            (void)ubytes;
            unread_body = !res.keep_alive();  // an upload refused midway (413, a lost client) left its body unread
            if (uec || !keep_alive) break;
            continue;
        }
        if (!ec && header_parser.content_length() && *header_parser.content_length() > limits.max_body_bytes) {
            // The header was read under the upload limit; ordinary requests get the small one.
            ec = bhttp::error::body_limit;
        }
        if (!ec) {
            parser.emplace(std::move(header_parser));
            parser->body_limit(limits.max_body_bytes);  // still enforced for chunked bodies
            auto [bec, bbytes] = co_await bhttp::async_read(stream, buffer, *parser, as_tuple(asio::use_awaitable));
            (void)bbytes;
            ec = bec;
        }
        const bool timed_out = deadline->fired;
        deadline->Disarm();
        // Part of a request came, then time ran out: that is 408. Nothing of a next request came: a silent close.
        const bool late = timed_out && ec == asio::error::operation_aborted &&
                          (header_parser.got_some() || parser.has_value() || buffer.size() > 0);
        if (!late && (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
                      ec == asio::error::operation_aborted || ec == asio::error::connection_reset)) {
            break;
        }
        if (ec) {
            // The request could not be read: answer in JSON, then close (the stream position is unknown). A header
            // flood is 431 (RFC 6585), a request line that alone fills the header limit 414, a body over the limit
            // 413, a request too slow to arrive 408, anything else malformed.
            core::Error error =
                core::MakeError(core::ErrorCode::kInvalidRequest, "malformed HTTP request: " + ec.message());
            if (late) {
                error = core::MakeError(core::ErrorCode::kRequestTimeout,
                                        "request not received within " + std::to_string(read_timeout.count()) + " ms");
            } else if (ec == bhttp::error::header_limit && RequestLineUnfinished(header_parser)) {
                error = core::MakeError(core::ErrorCode::kUriTooLong, "request target longer than the limit");
            } else if (ec == bhttp::error::header_limit) {
                error =
                    core::MakeError(core::ErrorCode::kHeadersTooLarge, "request header fields larger than the limit");
            } else if (ec == bhttp::error::body_limit) {
                error = core::MakeError(core::ErrorCode::kPayloadTooLarge, "request larger than the limit");
            }
            Request stub;
            stub.version(11);
            stub.keep_alive(false);
            auto res = ErrorResponse(stub, core::NewId(), error);
            res.keep_alive(false);
            server->metrics.ObserveRequest(res.result_int(), 0);
            stream.expires_after(read_timeout);  // the answer's own deadline: the read's may be all but spent
            co_await bhttp::async_write(stream, res, as_tuple(asio::use_awaitable));
            unread_body = true;
            break;
        }
        Request req = parser->release();
        if (beast::websocket::is_upgrade(req) && !ws::IsWebSocketPath(std::string_view(req.target()))) {
            // An upgrade anywhere else is refused like any unknown route, and the connection closes: the client
            // expected a protocol switch, not a keep-alive HTTP exchange.
            auto res =
                ErrorResponse(req, RequestIdFor(req),
                              core::MakeError(core::ErrorCode::kNotFound,
                                              "no WebSocket endpoint at this path; use /api/v1/websocket or /ws"));
            res.keep_alive(false);
            server->metrics.ObserveRequest(res.result_int(), 0);
            co_await bhttp::async_write(stream, res, as_tuple(asio::use_awaitable));
            break;
        }
        if (beast::websocket::is_upgrade(req)) {
            stream.expires_never();
            server->metrics.ConnectionClosed(false);
            co_await ws::RunWebSocketUpgrade(server, std::move(stream), std::move(req), client_ip);
            co_return;
        }
        auto start = std::chrono::steady_clock::now();
        std::string request_id = RequestIdFor(req);
        Takeover takeover;
        Response res = co_await Dispatch(*server, *router, req, request_id, client_ip, takeover);
        if (takeover) {
            server->metrics.ObserveRequest(200, 0);
            stream.expires_never();
            co_await takeover(stream);
            break;
        }
        server->metrics.ObserveRequest(res.result_int(),
                                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        bool keep_alive = res.keep_alive() && !server->shutting_down;
        res.keep_alive(keep_alive);
        // The read's deadline runs on while the handler works: a handler that waits longer (a LangGraph join, an MCP
        // tool that runs the pipeline) would find its answer timed out before a byte is written. The write gets a
        // deadline of its own.
        stream.expires_after(server->settings.timeouts.http_read);
        auto [wec, wbytes] = co_await bhttp::async_write(stream, res, as_tuple(asio::use_awaitable));
        (void)wbytes;
        if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    if (unread_body) {
        // Lingering close: the client may still be sending the body we refused. Closing with unread bytes makes
        // the kernel reset the connection, and the client — a proxy in front of us above all — can lose the
        // answer just written (nginx turns it into a 502). So what still arrives is read and dropped until the
        // client closes, for at most 2 s and 64 MiB; the wait holds no thread.
        constexpr std::size_t kMaxDrainBytes = 64u << 20;
        std::array<char, 16384> sink{};
        std::size_t drained = 0;
        stream.expires_after(std::chrono::seconds(2));
        while (drained < kMaxDrainBytes) {
            auto [rec, n] = co_await stream.async_read_some(asio::buffer(sink), as_tuple(asio::use_awaitable));
            if (rec) break;
            drained += n;
        }
    }
    server->metrics.ConnectionClosed(false);
}

}  // namespace netra::net::http

#include "net/ws/ws_upgrade.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/http.hpp>

#include "auth/credentials.hpp"
#include "cluster/redis_cluster.hpp"
#include "core/ids.hpp"
#include "core/offload.hpp"
#include "net/ws/session_registry.hpp"
#include "net/ws/ws_session.hpp"

namespace netra::net::ws {
namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::as_tuple;
using core::ErrorCode;

bool IsWebSocketPath(std::string_view target) {
    auto path = target.substr(0, target.find('?'));
    return path == "/api/v1/websocket" || path == "/ws";
}

namespace {

asio::awaitable<void> Refuse(beast::tcp_stream& stream, const http::Request& req, const core::Error& error,
                             ServerContext& server) {
    auto res = http::ErrorResponse(req, core::NewId(), error);
    res.keep_alive(false);
    server.metrics.ObserveRequest(res.result_int(), 0);
    co_await beast::http::async_write(stream, res, as_tuple(asio::use_awaitable));
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> RunWebSocketUpgrade(std::shared_ptr<ServerContext> server, beast::tcp_stream stream,
                                          http::Request req, std::string client_ip) {
    (void)client_ip;
    auto services = server->services();
    if (!services || server->shutting_down) {
        co_await Refuse(stream, req, core::MakeError(ErrorCode::kServiceUnavailable, "server is not ready"), *server);
        co_return;
    }
    const auto& origins = server->settings.allowed_origins;
    auto origin = req[beast::http::field::origin];
    if (!origins.empty() && !origin.empty() &&
        std::find(origins.begin(), origins.end(), std::string(origin)) == origins.end()) {
        co_await Refuse(stream, req, core::MakeError(ErrorCode::kForbidden, "origin not allowed"), *server);
        co_return;
    }
    auto target = req.target();
    auto q = target.find('?');
    std::string_view query = q == boost::string_view::npos
                                 ? std::string_view()
                                 : std::string_view(target.data() + q + 1, target.size() - q - 1);
    auto protocols = req[beast::http::field::sec_websocket_protocol];
    auto authorization = req[beast::http::field::authorization];
    auto creds = auth::ExtractWsCredentials(std::string_view(protocols.data(), protocols.size()),
                                            std::string_view(authorization.data(), authorization.size()), query);
    if (!creds.token) {
        co_await Refuse(stream, req,
                        core::MakeError(ErrorCode::kUnauthenticated,
                                        "missing credentials: send Sec-WebSocket-Protocol jwt-auth.<token>, "
                                        "Authorization: Bearer <token> or ?token="),
                        *server);
        co_return;
    }
    std::string token = *creds.token;
    auto work = [services, token] { return services->auth.Authenticate(token); };
    auto claims = co_await core::Offload(server->workers, std::move(work));
    if (!claims.ok()) {
        co_await Refuse(stream, req, core::MakeError(ErrorCode::kForbidden, "invalid token: " + claims.error().message),
                        *server);
        co_return;
    }
    const std::string user_id = claims->user_id;
    auto session = std::make_shared<WsSession>(server, services, std::move(stream), std::move(*claims));
    static std::atomic<std::uint64_t> next_session{1};
    const std::uint64_t session_id = next_session++;
    const int limit = server->settings.limits.ws_connections_per_user;
    auto here = server->sessions.Add(session_id, user_id, session, limit);
    bool admitted = here.has_value();
    if (admitted && services->redis) {
        // The limit is the user's across the cluster (§12); while Redis is unavailable each instance applies it.
        auto cluster = co_await services->redis->AdmitConnection(user_id, *here, limit);
        if (cluster && !*cluster) {
            admitted = false;
            services->redis->ReportConnections(user_id, server->sessions.Remove(session_id, user_id));
        }
    }
    if (!admitted) {
        co_await Refuse(session->tcp_stream(), req,
                        core::MakeError(ErrorCode::kRateLimited, "too many WebSocket connections for this user"),
                        *server);
        co_return;
    }
    co_await session->Run(std::move(req), creds.echo_subprotocol);
    const int left = server->sessions.Remove(session_id, user_id);
    if (services->redis) services->redis->ReportConnections(user_id, left);
}

}  // namespace netra::net::ws

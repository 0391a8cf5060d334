#pragma once
// The WebSocket upgrade (§5, §6): only on the WebSocket paths, only once the server is ready, with the origin
// and the credentials checked and the per-user connection limit applied before the handshake is accepted, so
// a refused client gets an HTTP status with a JSON body instead of a socket that opens and closes.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "net/http/http_types.hpp"

namespace netra::net::ws {

// /api/v1/websocket and /ws (the query string is ignored).
bool IsWebSocketPath(std::string_view target);

boost::asio::awaitable<void> RunWebSocketUpgrade(std::shared_ptr<ServerContext> server, boost::beast::tcp_stream stream,
                                                 http::Request req, std::string client_ip);

}  // namespace netra::net::ws

#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>

#include "net/http/router.hpp"

namespace netra::net::http {

// Serves one TCP connection: HTTP/1.1 keep-alive requests until the peer closes, or a WebSocket upgrade.
boost::asio::awaitable<void> RunHttpSession(std::shared_ptr<ServerContext> server, std::shared_ptr<const Router> router,
                                            boost::beast::tcp_stream stream);

}  // namespace netra::net::http

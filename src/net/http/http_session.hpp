#pragma once
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <memory>

#include "net/http/router.hpp"

namespace netra::net::http {

// Serves one TCP connection: HTTP/1.1 keep-alive requests until the peer closes, or a WebSocket upgrade.
boost::asio::awaitable<void> RunHttpSession(std::shared_ptr<ServerContext> server, std::shared_ptr<const Router> router,
                                            boost::beast::tcp_stream stream);

// Splits a request target into a path and percent-decoded query parameters.
void ParseTarget(std::string_view target, std::string& path, std::unordered_map<std::string, std::string>& query);
std::string PercentDecode(std::string_view in);

}  // namespace netra::net::http

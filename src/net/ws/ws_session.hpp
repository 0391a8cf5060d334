#pragma once
// One WebSocket connection (§6): authenticates before the upgrade, then reads client frames one at a time
// (which keeps a user's rapid messages in order) while run events arrive from the event bus. Everything
// that touches the socket runs on the connection's strand; storage work is offloaded to the worker pool.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/http/http_types.hpp"

namespace netra::net::ws {

class WsSession;

// Open sessions, so shutdown can close each with 1001.
class WsSessionRegistry {
  public:
    // Registers a session unless its user already has `limit` open; false when over the limit.
    bool Add(std::uint64_t id, const std::string& user_id, const std::weak_ptr<WsSession>& session, int limit);
    void Remove(std::uint64_t id, const std::string& user_id);
    void CloseAll();
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<WsSession>> sessions_;
    std::unordered_map<std::string, int> per_user_;
};

boost::asio::awaitable<void> RunWebSocketUpgrade(std::shared_ptr<ServerContext> server, boost::beast::tcp_stream stream,
                                                 http::Request req, std::string client_ip);

}  // namespace netra::net::ws

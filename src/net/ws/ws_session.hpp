#pragma once
// One WebSocket connection (§6), once its upgrade was accepted (ws_upgrade.hpp): reads client frames one at a
// time (which keeps a user's rapid messages in order) while run events arrive from the event bus. Everything
// that touches the socket runs on the connection's strand; storage work is offloaded to the worker pool.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/jwt.hpp"
#include "core/ids.hpp"
#include "core/json_write.hpp"
#include "net/http/http_types.hpp"
#include "net/ws/protocol.hpp"
#include "net/ws/session_registry.hpp"
#include "runs/event_bus.hpp"
#include "runs/event_replay.hpp"

namespace netra::net::ws {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using core::ErrorCode;

class WsSession : public runs::EventListener, public GoingAway, public std::enable_shared_from_this<WsSession> {
  public:
    WsSession(std::shared_ptr<ServerContext> server, std::shared_ptr<const Services> services, beast::tcp_stream stream,
              auth::AccessClaims claims)
        : server_(std::move(server)),
          services_(std::move(services)),
          ws_(std::move(stream)),
          claims_(std::move(claims)),
          connection_id_(core::NewId()),
          close_guard_(ws_.get_executor()),
          message_deadline_(ws_.get_executor()),
          slow_timer_(ws_.get_executor()) {}

    // Accepts the handshake, then serves frames until the peer goes. The caller has authenticated the user and
    // registered the session.
    asio::awaitable<void> Run(http::Request req, std::optional<std::string> echo_subprotocol);
    beast::tcp_stream& tcp_stream() { return ws_.next_layer(); }
    void OnEvent(const std::shared_ptr<const runs::LiveEvent>& event) override {
        asio::post(ws_.get_executor(), [self = shared_from_this(), event] { self->DeliverLive(event); });
    }
    void CloseGoingAway() override {
        asio::post(ws_.get_executor(),
                   [self = shared_from_this()] { self->CloseWith(websocket::close_code::going_away); });
    }

  private:
    asio::awaitable<void> Handle(const std::string& text);
    asio::awaitable<void> HandleSubmit(const ClientFrame& frame);
    asio::awaitable<void> HandleCancel(const ClientFrame& frame);
    asio::awaitable<void> HandleSubscribe(const ClientFrame& frame);
    asio::awaitable<void> HandleThreadSubscribe(const ClientFrame& frame);
    asio::awaitable<void> HandleStatus(const ClientFrame& frame);

    void DeliverLive(const std::shared_ptr<const runs::LiveEvent>& event);
    // Sends what the replay ledger decided, in its order.
    void SendAll(const std::vector<runs::ReplayEvent>& events) {
        for (const auto& e : events) Send(e.envelope);
    }
    void SendJson(const json::object& frame) { Send(std::make_shared<const std::string>(core::JsonText(frame))); }
    void SendError(ErrorCode code, const std::string& message, const std::string& request_type) {
        SendError(core::MakeError(code, message), request_type);
    }
    void SendError(const core::Error& error, const std::string& request_type,
                   const std::optional<std::string>& client_message_id = std::nullopt) {
        server_->metrics.ErrorReturned();
        std::optional<std::int64_t> retry_after_ms;
        if (error.rate_limit) retry_after_ms = error.rate_limit->retry_after_ms;
        Send(std::make_shared<const std::string>(
            ErrorFrame(error.code, error.message, request_type, retry_after_ms, client_message_id)));
    }
    void Send(std::shared_ptr<const std::string> frame);
    void DoWrite();
    void WriteFront();
    void CloseWith(websocket::close_code code);
    void DoClose(websocket::close_code code);
    bool FloodCheck();
    void StartMessageDeadline();
    void OnControlFrame(websocket::frame_type kind);

    std::shared_ptr<ServerContext> server_;
    std::shared_ptr<const Services> services_;
    websocket::stream<beast::tcp_stream> ws_;
    auth::AccessClaims claims_;
    std::string connection_id_;
    std::deque<std::shared_ptr<const std::string>> outbox_;
    bool writing_ = false;
    bool closing_ = false;
    std::optional<websocket::close_code> pending_close_;
    asio::steady_timer close_guard_;
    asio::steady_timer message_deadline_;  // a message begun must be whole by then (timeouts.ws_message)
    bool in_message_ = false;              // part of a message has arrived, not all of it
    std::uint64_t messages_begun_ = 0;     // which message a deadline belongs to
    asio::steady_timer slow_timer_;        // the slow_consumer fault's wait before a write (§11)
    // Which events of which run this connection sent, and the merge of live events with replays (exactly once,
    // in seq order; runs/event_replay.hpp).
    runs::EventReplayLedger ledger_;
    std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
    int frames_in_window_ = 0;
    bool control_flood_ = false;  // the ping flood's verdict is on its way
    static constexpr std::size_t kReadChunkBytes = 64 << 10;
};

}  // namespace netra::net::ws

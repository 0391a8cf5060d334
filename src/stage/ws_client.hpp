#pragma once
// WebSocket client for the staging suite. A background thread reads frames and queues them (parsed JSON,
// with their arrival time) so tests can wait with timeouts and measure latency from the moment a frame
// arrived, not the moment a test got round to looking. Beast stays inside ws_client.cpp.
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "stage/http_client.hpp"

namespace netra::stage {

struct WsConnectOptions {
    std::string path = "/api/v1/websocket";    // relative to the server's base path
    std::string query;                         // without '?', e.g. "token=…"
    std::vector<std::string> subprotocols;     // offered in Sec-WebSocket-Protocol, in order
    std::optional<std::string> bearer_token;   // sent as Authorization: Bearer
    std::chrono::milliseconds timeout{10000};  // TCP connect + upgrade handshake
    // false = a stalled consumer: after the upgrade nothing is ever read (and the socket's receive buffer is
    // small), so the server's writes back up. Receive() then never returns frames.
    bool read = true;
};

struct WsMessage {
    boost::json::value json;  // the frame parsed as JSON; a json::string holding the raw text if it is not JSON
    bool is_json = true;
    std::string text;
    std::chrono::steady_clock::time_point received_at;

    std::string Type() const;  // the "type" field, or ""
    const boost::json::object* Object() const;
};

// Why a connection attempt failed. `http_status` is set when the server refused the upgrade with an HTTP
// response (401/403/503…), `body` is that response's body.
struct WsConnectError {
    std::string message;
    int http_status = 0;
    std::string body;
};

class WsClient {
  public:
    WsClient();
    ~WsClient();  // closes (best effort) and joins the reader
    WsClient(const WsClient&) = delete;
    WsClient& operator=(const WsClient&) = delete;

    // Connects and upgrades. On success the reader thread is running.
    bool Connect(const ServerUrl& server, const WsConnectOptions& options, WsConnectError* error = nullptr);

    // Subprotocol the server selected ("" when none).
    const std::string& SelectedSubprotocol() const;

    // Sends one text frame (blocking until written). False when the socket is closed or the write failed.
    bool Send(const boost::json::value& frame);
    bool SendText(std::string_view text);

    // Next queued frame, waiting up to `timeout`.
    std::optional<WsMessage> Receive(std::chrono::milliseconds timeout);
    // Frames until (and including) the first one matching `pred`; non-matching frames are discarded.
    std::optional<WsMessage> ReceiveUntil(const std::function<bool(const WsMessage&)>& pred,
                                          std::chrono::milliseconds timeout);
    // Every frame until (and including) the first matching `pred`. `matched` says whether it was found
    // before the timeout (otherwise the frames seen so far are returned).
    std::vector<WsMessage> CollectUntil(const std::function<bool(const WsMessage&)>& pred,
                                        std::chrono::milliseconds timeout, bool* matched);

    bool IsOpen() const;
    // Close code sent by the server (or by us), once the connection is closed.
    std::optional<int> CloseCode() const;
    std::string CloseReason() const;
    // Why the reader stopped ("" while open).
    std::string ReadError() const;

    // Starts reading on a socket connected with `read = false` (what the server left queued, then its close).
    void ResumeReading();

    // WebSocket pings received from the server (Beast answers each with a pong by itself).
    int PingsReceived() const;

    // Normal close (1000) and join; idempotent.
    void Close();
    // Drops the TCP connection without a close handshake (a client that vanished); idempotent.
    void Abort();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace netra::stage

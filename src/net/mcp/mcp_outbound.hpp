#pragma once
// What Netra's MCP server sends its client while it answers a request, before the answer: notifications (progress,
// log messages) and requests of its own (sampling/createMessage, elicitation/create) that the client answers with a
// POST of its own. All of them travel on the request's SSE response stream (the Streamable HTTP transport's rule), so
// a client that takes only JSON receives none of them; a request then fails at once instead of waiting.
//
// A client's response reaches the instance that sent the request only if the balancer brings the POST there (MCP
// sessions are stateless and carry no instance): `PendingRequests` is this instance's table of open requests.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "net/mcp/mcp_protocol.hpp"

namespace netra::net::mcp {

class Outbound {
  public:
    virtual ~Outbound() = default;
    // false: the client takes no event stream on this request; notifications are dropped, requests fail.
    virtual bool Open() const = 0;
    virtual void Notify(boost::json::object notification) = 0;
    // Sends a request and waits (holding no thread) for the client's response: its `result`, or kServiceUnavailable
    // when the stream is closed, the client answered with an error, or `timeout` passed.
    virtual boost::asio::awaitable<core::Result<boost::json::object>> Request(std::string method,
                                                                              boost::json::object params,
                                                                              std::chrono::milliseconds timeout) = 0;
};

// An Outbound for answers that go out as one JSON body.
class ClosedOutbound final : public Outbound {
  public:
    bool Open() const override { return false; }
    void Notify(boost::json::object) override {}
    boost::asio::awaitable<core::Result<boost::json::object>> Request(std::string method, boost::json::object,
                                                                      std::chrono::milliseconds) override;
};

// What a tools/call (or any request) may use besides its params.
struct CallContext {
    Outbound* outbound = nullptr;  // never null
    Session session;
    LogLevel log_level = kDefaultLogLevel;
    std::optional<boost::json::value> progress_token;  // params._meta.progressToken
};

// notifications/message when `level` reaches the session's level (and the stream is open).
void Log(CallContext& call, LogLevel level, std::string_view logger, boost::json::value data);
// notifications/progress when the request asked for it (a progress token), the values never decreasing.
void Progress(CallContext& call, double progress, std::optional<double> total, std::string_view message = {});

boost::json::object RpcRequest(const std::string& id, std::string_view method, boost::json::object params);
boost::json::object RpcNotification(std::string_view method, boost::json::object params);

// This instance's requests to clients that await a response, by (session id, request id).
class PendingRequests {
  public:
    struct Waiter {
        explicit Waiter(boost::asio::any_io_executor e) : executor(std::move(e)) {}
        boost::asio::any_io_executor executor;  // the requester's: `response` is set and `wake` fired there
        std::optional<boost::json::object> response;
        std::function<void()> wake;  // set by the requester before it waits
    };
    // A fresh request id, registered.
    std::pair<std::string, std::shared_ptr<Waiter>> Open(const std::string& session_id,
                                                         boost::asio::any_io_executor executor);
    // A client's response (the whole JSON-RPC message): false when nothing of this session awaits that id.
    bool Resolve(const std::string& session_id, const boost::json::value& id, boost::json::object response);
    void Close(const std::string& session_id, const std::string& request_id);
    std::size_t Size();

  private:
    std::mutex mutex_;
    std::uint64_t next_ = 0;
    std::map<std::pair<std::string, std::string>, std::shared_ptr<Waiter>> waiting_;
};

}  // namespace netra::net::mcp

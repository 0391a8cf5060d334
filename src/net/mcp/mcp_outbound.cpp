#include "net/mcp/mcp_outbound.hpp"

#include <boost/asio/post.hpp>

#include "core/json_util.hpp"

namespace netra::net::mcp {
namespace json = boost::json;
namespace asio = boost::asio;

asio::awaitable<core::Result<json::object>> ClosedOutbound::Request(std::string method, json::object,
                                                                    std::chrono::milliseconds) {
    co_return core::MakeError(core::ErrorCode::kServiceUnavailable,
                              method +
                                  " needs a stream to the client: send this request with Accept: "
                                  "text/event-stream (the server's requests travel on the response stream)");
}

json::object RpcRequest(const std::string& id, std::string_view method, json::object params) {
    return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

json::object RpcNotification(std::string_view method, json::object params) {
    return json::object{{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

void Log(CallContext& call, LogLevel level, std::string_view logger, json::value data) {
    if (level < call.log_level || !call.outbound->Open()) return;
    json::object params{{"level", Name(level)}, {"logger", logger}, {"data", std::move(data)}};
    call.outbound->Notify(RpcNotification("notifications/message", std::move(params)));
}

void Progress(CallContext& call, double progress, std::optional<double> total, std::string_view message) {
    if (!call.progress_token || !call.outbound->Open()) return;
    json::object params{{"progressToken", *call.progress_token}, {"progress", progress}};
    if (total) params["total"] = *total;
    if (!message.empty()) params["message"] = message;
    call.outbound->Notify(RpcNotification("notifications/progress", std::move(params)));
}

std::pair<std::string, std::shared_ptr<PendingRequests::Waiter>> PendingRequests::Open(const std::string& session_id,
                                                                                       asio::any_io_executor executor) {
    auto waiter = std::make_shared<Waiter>(std::move(executor));
    std::lock_guard lock(mutex_);
    std::string id = "netra-" + std::to_string(++next_);
    waiting_.emplace(std::make_pair(session_id, id), waiter);
    return {id, waiter};
}

bool PendingRequests::Resolve(const std::string& session_id, const json::value& id, json::object response) {
    // Netra's request ids are strings; a number could only be another request's.
    if (!id.is_string()) return false;
    std::shared_ptr<Waiter> waiter;
    {
        std::lock_guard lock(mutex_);
        auto it = waiting_.find(std::make_pair(session_id, std::string(id.as_string())));
        if (it == waiting_.end()) return false;
        waiter = std::move(it->second);
        waiting_.erase(it);
    }
    asio::post(waiter->executor, [waiter, response = std::move(response)]() mutable {
        waiter->response = std::move(response);
        if (waiter->wake) waiter->wake();
    });
    return true;
}

void PendingRequests::Close(const std::string& session_id, const std::string& request_id) {
    std::lock_guard lock(mutex_);
    waiting_.erase(std::make_pair(session_id, request_id));
}

std::size_t PendingRequests::Size() {
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

}  // namespace netra::net::mcp

#pragma once
// Beast request/response types and the per-request context handlers receive.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/object.hpp>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "core/error.hpp"
#include "net/server_context.hpp"

namespace netra::net::http {

namespace bhttp = boost::beast::http;
using Request = bhttp::request<bhttp::string_body>;
using Response = bhttp::response<bhttp::string_body>;

// A handler that needs the raw connection (Server-Sent Events) sets RequestContext::takeover; the session then
// hands the stream over instead of writing the handler's response, and closes the connection afterwards.
using Takeover = std::function<boost::asio::awaitable<void>(boost::beast::tcp_stream&)>;

struct RequestContext {
    const Request& req;
    ServerContext& server;
    std::string request_id;
    std::string path;
    std::unordered_map<std::string, std::string> query;
    std::unordered_map<std::string, std::string> params;  // path parameters such as {id}
    std::string client_ip;
    Takeover takeover;

    std::optional<std::string> Query(const std::string& key) const {
        auto it = query.find(key);
        return it == query.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    const std::string& Param(const std::string& key) const { return params.at(key); }
    // The domain services. Only the health routes run before the server is open; every other route is behind
    // the readiness gate in the session, so this is never reached unopened (it throws → 500, never a crash).
    const Services& services() const {
        if (!opened) opened = server.services();
        if (!opened) throw std::logic_error("services requested before the server opened");
        return *opened;
    }
    mutable std::shared_ptr<const Services> opened;
};

using Handler = std::function<boost::asio::awaitable<Response>(RequestContext&)>;

// Every response carries X-Request-Id; errors use the one JSON shape of §4.
Response JsonResponse(const RequestContext& ctx, bhttp::status status, const boost::json::value& body);
// 204: the common headers and no body (a body, even "null", is invalid on a 204).
Response NoContentResponse(const RequestContext& ctx);
Response ErrorResponse(const RequestContext& ctx, const core::Error& error);
Response ErrorResponse(const Request& req, const std::string& request_id, const core::Error& error);
Response TextResponse(const RequestContext& ctx, bhttp::status status, std::string body,
                      const std::string& content_type);

// Parses the body as a JSON object, checking the content type and the depth limit.
core::Result<boost::json::object> JsonBody(const RequestContext& ctx);

}  // namespace netra::net::http

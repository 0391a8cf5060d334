#pragma once
// The JSON-RPC methods of Netra's MCP server (/mcp) other than `initialize`: ping, tools, resources, prompts,
// completions and logging, on the caller's own data. The transport (POST/DELETE, sessions, streams) is
// mcp_handlers.cpp.
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/mcp/mcp_outbound.hpp"
#include "net/mcp/mcp_protocol.hpp"
#include "net/server_context.hpp"

namespace netra::net::http::mcp_server {

// Who calls, with what the call needs once the request's context is gone (a taken-over connection outlives it).
struct Caller {
    ServerContext* server = nullptr;
    std::shared_ptr<const Services> services;
    std::string user_id;
};

// This instance's state of the sessions it served (see mcp_protocol.hpp and mcp_outbound.hpp).
mcp::SessionRegistry& EndedSessions();
mcp::SessionPreferences& Preferences();
mcp::PendingRequests& ClientRequests();

boost::json::object InitializeResult(const ServerContext& server, const std::string& version);

// Whether answering these messages may send the client messages first (progress, logs, requests of its own): the
// POST is then answered as an event stream on a connection of its own.
bool Streams(const ServerContext& server, const std::vector<mcp::Message>& messages);

// The answer to one request (never `initialize`).
boost::asio::awaitable<boost::json::object> Answer(Caller caller, mcp::Message message, mcp::CallContext& call);

}  // namespace netra::net::http::mcp_server

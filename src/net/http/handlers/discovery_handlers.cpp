#include <boost/json.hpp>

#include "agents/registry.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/mcp/mcp_protocol.hpp"
#include "net/mcp/mcp_resources.hpp"
#include "net/mcp/mcp_tools.hpp"

namespace netra::net::http {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

asio::awaitable<Response> Services(RequestContext& ctx) {
    co_return JsonResponse(
        ctx, bhttp::status::ok,
        json::object{
            {"services", json::object{{"backend", json::object{{"name", "netra-backend"},
                                                               {"version", ctx.server.version},
                                                               {"health", "/health"},
                                                               {"api", "/api"}}},
                                      {"auth", json::object{{"path", "/auth"},
                                                            {"token_type", "Bearer"},
                                                            {"register", "/auth/register"},
                                                            {"login", "/auth/login"},
                                                            {"refresh", "/auth/refresh"}}},
                                      {"websocket", json::object{{"path", "/api/v1/websocket"},
                                                                 {"alias", "/ws"},
                                                                 {"protocol", 1},
                                                                 {"subprotocols", json::array{"jwt-auth"}}}}}}});
}

// The MCP server this process serves at /mcp (mcp_handlers.cpp): its tools with their schemas (the conformance
// fixtures, when on, are not Netra's: they are only counted as a flag).
json::array ToolsJson() {
    json::array tools;
    for (const auto& t : mcp::Tools()) {
        tools.push_back(json::object{{"name", t.name},
                                     {"title", t.title},
                                     {"description", t.description},
                                     {"input_schema", t.input_schema},
                                     {"output_schema", t.output_schema}});
    }
    return tools;
}

// Where clients reach /mcp: the Host the request came to (a proxy's X-Forwarded-Proto/Host when it sets them).
std::string McpUrl(const RequestContext& ctx) {
    auto forwarded_proto = ctx.req["X-Forwarded-Proto"];
    auto forwarded_host = ctx.req["X-Forwarded-Host"];
    auto host = !forwarded_host.empty() ? forwarded_host : ctx.req[bhttp::field::host];
    std::string scheme = forwarded_proto.empty() ? "http" : std::string(forwarded_proto);
    if (host.empty()) return std::string(mcp::kEndpointPath);
    return scheme + "://" + std::string(host) + std::string(mcp::kEndpointPath);
}

json::object McpServerJson(const RequestContext& ctx) {
    json::array versions, names;
    for (const auto& v : mcp::SupportedProtocolVersions()) versions.emplace_back(v);
    for (const auto& n : mcp::ToolNames()) names.emplace_back(n);
    json::array templates, prompts;
    for (const auto& r : mcp::ResourceTemplates()) templates.push_back(r.as_object().at("uriTemplate"));
    for (const auto& p : mcp::Prompts()) prompts.push_back(p.as_object().at("name"));
    return json::object{{"name", "netra-tools"},
                        {"server_name", mcp::kServerName},
                        {"status", "available"},
                        {"url", McpUrl(ctx)},
                        {"path", mcp::kEndpointPath},
                        {"transport", "streamable-http"},
                        {"auth", "bearer"},
                        {"protocol_version", mcp::kLatestProtocolVersion},
                        {"protocol_versions", std::move(versions)},
                        {"tools", mcp::Tools().size()},
                        {"tool_names", std::move(names)},
                        {"capabilities", json::array{"tools", "resources", "prompts", "completions", "logging"}},
                        {"resource_templates", std::move(templates)},
                        {"prompt_names", std::move(prompts)},
                        {"conformance_fixtures", ctx.server.settings.mcp_conformance_fixtures}};
}

asio::awaitable<Response> McpConfig(RequestContext& ctx) {
    json::object body = McpServerJson(ctx);
    body.erase("name");
    body.erase("status");
    body["tools"] = ToolsJson();
    // What an MCP client's configuration needs (the token is the user's access token from /auth/login).
    body["client_config"] = json::object{
        {"mcpServers",
         json::object{{"netra", json::object{{"type", "streamable-http"},
                                             {"url", McpUrl(ctx)},
                                             {"headers", json::object{{"Authorization", "Bearer <access_token>"}}}}}}}};
    co_return JsonResponse(ctx, bhttp::status::ok, body);
}

asio::awaitable<Response> McpServers(RequestContext& ctx) {
    json::array data;
    data.push_back(McpServerJson(ctx));
    json::object body{{"data", std::move(data)}, {"next_cursor", nullptr}};
    co_return JsonResponse(ctx, bhttp::status::ok, body);
}

asio::awaitable<Response> Agents(RequestContext& ctx) {
    json::array data;
    data.push_back(json::object{{"name", agents::kSupervisorName},
                                {"description", agents::kSupervisorDescription},
                                {"tools", json::array{}},
                                {"available", true}});
    for (const auto& a : agents::AgentRegistry::Get().Agents()) {
        json::array tools;
        for (const auto& t : a->Tools()) tools.emplace_back(t.name);
        data.push_back(json::object{
            {"name", a->Name()}, {"description", a->Description()}, {"tools", std::move(tools)}, {"available", true}});
    }
    co_return JsonResponse(ctx, bhttp::status::ok, json::object{{"data", std::move(data)}, {"next_cursor", nullptr}});
}

}  // namespace

void AddDiscoveryRoutes(Router& router) {
    router.Add(bhttp::verb::get, "/api/discovery/services", Services);
    router.Add(bhttp::verb::get, "/api/mcp/config", McpConfig);
    router.Add(bhttp::verb::get, "/api/mcp/servers", McpServers);
    router.Add(bhttp::verb::get, "/api/agents", Agents);
}

}  // namespace netra::net::http

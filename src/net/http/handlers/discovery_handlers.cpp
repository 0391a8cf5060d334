#include <boost/json.hpp>

#include "agents/registry.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"

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

json::array ToolsJson() {
    json::array tools;
    for (const auto* t : agents::AgentRegistry::Get().Tools()) {
        tools.push_back(json::object{
            {"name", t->name}, {"description", t->description}, {"input_schema", json::parse(t->input_schema_json)}});
    }
    return tools;
}

asio::awaitable<Response> McpConfig(RequestContext& ctx) {
    co_return JsonResponse(
        ctx, bhttp::status::ok,
        json::object{{"server_name", "netra-tools"}, {"protocol_version", "2024-11-05"}, {"tools", ToolsJson()}});
}

asio::awaitable<Response> McpServers(RequestContext& ctx) {
    json::array data;
    data.push_back(json::object{
        {"name", "netra-tools"}, {"status", "connected"}, {"tools", agents::AgentRegistry::Get().Tools().size()}});
    co_return JsonResponse(ctx, bhttp::status::ok, json::object{{"data", std::move(data)}, {"next_cursor", nullptr}});
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

#pragma once
// Route registration, one file per resource. Handlers are thin: parse, call a service on the worker pool,
// render JSON.
#include "net/http/router.hpp"

namespace netra::net::http {

void AddHealthRoutes(Router& router);
void AddDiscoveryRoutes(Router& router);
void AddAuthRoutes(Router& router);
void AddThreadRoutes(Router& router);
void AddRunRoutes(Router& router);
void AddStreamRoutes(Router& router);
void AddAdminRoutes(Router& router);
void AddDatasetRoutes(Router& router);
void AddCatalogRoutes(Router& router);
void AddWebRoutes(Router& router);
void AddOpenApiRoutes(Router& router);
void AddMcpRoutes(Router& router);        // POST|DELETE /mcp (mcp_handlers.cpp)
void AddLangGraphRoutes(Router& router);  // /langgraph/… (langgraph_handlers.cpp)
void AddAgUiRoutes(Router& router);       // POST /ag-ui (agui_handlers.cpp)

// Builds the full route table.
std::shared_ptr<const Router> BuildRouter();

// The endpoints the HTTP session answers before the router (http_session.cpp): the streamed dataset upload
// (IsUploadRequest) and the WebSocket upgrades (ws::IsWebSocketPath). Listed so that the OpenAPI test can hold the
// document to the route table plus these; the test checks each against its predicate.
std::vector<Router::RouteInfo> SessionRoutes();

}  // namespace netra::net::http

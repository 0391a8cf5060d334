// The route table: every HTTP route of the server, one resource file each (handlers/). WebSocket upgrades are
// answered on their own paths only (ws/ws_upgrade.hpp). openapi.json describes every route here and in
// SessionRoutes(); openapi_test.cpp fails when the two differ.
#include "net/http/handlers/handlers.hpp"

namespace netra::net::http {

std::shared_ptr<const Router> BuildRouter() {
    auto router = std::make_shared<Router>();
    AddHealthRoutes(*router);
    AddDiscoveryRoutes(*router);
    AddAuthRoutes(*router);
    AddThreadRoutes(*router);
    AddRunRoutes(*router);
    AddStreamRoutes(*router);
    AddAdminRoutes(*router);
    AddDatasetRoutes(*router);
    AddCatalogRoutes(*router);
    AddWebRoutes(*router);
    AddOpenApiRoutes(*router);
    AddMcpRoutes(*router);
    AddLangGraphRoutes(*router);
    AddAgUiRoutes(*router);
    return router;
}

std::vector<Router::RouteInfo> SessionRoutes() {
    return {{bhttp::verb::post, "/api/datasets"}, {bhttp::verb::get, "/api/v1/websocket"}, {bhttp::verb::get, "/ws"}};
}

}  // namespace netra::net::http

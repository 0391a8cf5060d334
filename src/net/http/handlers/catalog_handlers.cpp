// GET /api/catalog/models: the supply catalog the optimizer prices with (public, like the agent registry).
#include <boost/json.hpp>

#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"

namespace netra::net::http {
namespace asio = boost::asio;

namespace {

asio::awaitable<Response> CatalogModels(RequestContext& ctx) {
    // Serialized once: the catalog does not change while the server runs.
    static const boost::json::object kBody = analysis::CatalogToJson(ctx.services().catalog);
    co_return JsonResponse(ctx, bhttp::status::ok, kBody);
}

}  // namespace

void AddCatalogRoutes(Router& router) { router.Add(bhttp::verb::get, "/api/catalog/models", CatalogModels); }

}  // namespace netra::net::http

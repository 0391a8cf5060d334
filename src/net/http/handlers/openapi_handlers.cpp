// GET /openapi.json: the OpenAPI 3.1 description of every HTTP route (src/net/http/openapi.json, embedded at
// configure time). Like the web UI's files it carries an ETag and `no-cache` (revalidated, then 304 while
// unchanged) and is sent gzipped to clients that accept it.
#include "net/http/embedded_response.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/openapi_document.hpp"

namespace netra::net::http {
namespace asio = boost::asio;

namespace {

asio::awaitable<Response> OpenApi(RequestContext& ctx) {
    static const std::string kEtag = ContentEtag(OpenApiDocument().raw);
    co_return EmbeddedResponse(ctx, OpenApiDocument(), kEtag, "application/json; charset=utf-8");
}

}  // namespace

void AddOpenApiRoutes(Router& router) { router.Add(bhttp::verb::get, "/openapi.json", OpenApi); }

}  // namespace netra::net::http

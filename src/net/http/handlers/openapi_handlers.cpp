// GET /openapi.json: the OpenAPI 3.1 description of every HTTP route (src/net/http/openapi.json, embedded at
// configure time). Like the web UI's files it carries an ETag and `no-cache` (revalidated, then 304 while
// unchanged) and is sent gzipped to clients that accept it.
#include "core/ids.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/openapi_document.hpp"

namespace netra::net::http {
namespace asio = boost::asio;

namespace {

const std::string& DocumentEtag() {
    static const std::string kEtag = [] {
        std::string hex = core::Sha256Hex(OpenApiDocument().raw);
        hex.resize(20);
        return "\"" + hex + "\"";
    }();
    return kEtag;
}

asio::awaitable<Response> OpenApi(RequestContext& ctx) {
    const WebAsset& doc = OpenApiDocument();
    const std::string& etag = DocumentEtag();
    const bool not_modified = ctx.req[bhttp::field::if_none_match] == etag;
    Response res{not_modified ? bhttp::status::not_modified : bhttp::status::ok, ctx.req.version()};
    res.set(bhttp::field::server, "netra");
    res.set("X-Request-Id", ctx.request_id);
    res.set(bhttp::field::cache_control, "no-cache");
    res.set(bhttp::field::etag, etag);
    res.set(bhttp::field::vary, "Accept-Encoding");
    res.set("X-Content-Type-Options", "nosniff");
    res.keep_alive(ctx.req.keep_alive());
    if (!not_modified) {
        res.set(bhttp::field::content_type, "application/json; charset=utf-8");
        auto accept = ctx.req[bhttp::field::accept_encoding];
        const bool gzip = std::string_view(accept.data(), accept.size()).find("gzip") != std::string_view::npos;
        if (gzip) res.set(bhttp::field::content_encoding, "gzip");
        const std::string_view body = gzip ? doc.gzip : doc.raw;
        if (ctx.req.method() == bhttp::verb::head) {
            res.content_length(body.size());  // the length a GET would have, and no body
            co_return res;
        }
        res.body().assign(body.data(), body.size());
    }
    res.prepare_payload();
    co_return res;
}

}  // namespace

void AddOpenApiRoutes(Router& router) { router.Add(bhttp::verb::get, "/openapi.json", OpenApi); }

}  // namespace netra::net::http

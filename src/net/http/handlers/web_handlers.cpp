// The web UI (SPEC §15) at `/`: the embedded files of web/, same origin as the API. Each answer carries an ETag
// (revalidated on every load: `no-cache`, then 304 while unchanged), is sent gzipped to clients that accept it, and
// carries the page's security headers — a Content-Security-Policy that allows only this origin's script and style
// (no inline script), frames nowhere, nosniff, no referrer.
#include <map>

#include "net/http/embedded_response.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/web_assets.hpp"

namespace netra::net::http {
namespace asio = boost::asio;

namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct ServedAsset {
    const WebAsset* asset;
    std::string content_type;
    std::string etag;
};

std::string ContentTypeOf(std::string_view name) {
    auto dot = name.rfind('.');
    std::string_view ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
    if (ext == "html") return "text/html; charset=utf-8";
    if (ext == "js") return "text/javascript; charset=utf-8";
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "png") return "image/png";
    if (ext == "json") return "application/json; charset=utf-8";
    return "application/octet-stream";
}

const std::map<std::string, ServedAsset, std::less<>>& Served() {
    static const auto kServed = [] {
        std::map<std::string, ServedAsset, std::less<>> served;
        for (const auto& a : WebAssets())
            served[std::string(a.name)] = ServedAsset{&a, ContentTypeOf(a.name), ContentEtag(a.raw)};
        return served;
    }();
    return kServed;
}

Response Serve(const RequestContext& ctx, std::string_view name) {
    const auto& served = Served();
    auto it = served.find(name);
    if (it == served.end()) {
        return ErrorResponse(ctx, core::MakeError(core::ErrorCode::kNotFound, "no such file in the web UI"));
    }
    const ServedAsset& s = it->second;
    Response res = EmbeddedResponse(ctx, *s.asset, s.etag, s.content_type);
    // The pages' own headers: what they may load and who may frame them.
    res.set("Content-Security-Policy", kContentSecurityPolicy);
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "DENY");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    return res;
}

asio::awaitable<Response> Index(RequestContext& ctx) { co_return Serve(ctx, "index.html"); }

asio::awaitable<Response> Asset(RequestContext& ctx) { co_return Serve(ctx, ctx.Param("name")); }

}  // namespace

void AddWebRoutes(Router& router) {
    router.Add(bhttp::verb::get, "/", Index);
    router.Add(bhttp::verb::get, "/index.html", Index);
    router.Add(bhttp::verb::get, "/assets/{name}", Asset);
}

}  // namespace netra::net::http

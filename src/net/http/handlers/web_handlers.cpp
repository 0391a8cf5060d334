// The web UI (SPEC §15) at `/`: the embedded files of web/, same origin as the API. Each answer carries an ETag
// (revalidated on every load: `no-cache`, then 304 while unchanged), is sent gzipped to clients that accept it, and
// carries the page's security headers — a Content-Security-Policy that allows only this origin's script and style
// (no inline script), frames nowhere, nosniff, no referrer.
#include <map>

#include "core/ids.hpp"
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
        for (const auto& a : WebAssets()) {
            std::string etag = core::Sha256Hex(a.raw);
            etag.resize(20);
            etag.insert(etag.begin(), '"');
            etag.push_back('"');
            served[std::string(a.name)] = ServedAsset{&a, ContentTypeOf(a.name), std::move(etag)};
        }
        return served;
    }();
    return kServed;
}

bool AcceptsGzip(const Request& req) {
    auto accept = req[bhttp::field::accept_encoding];
    return std::string_view(accept.data(), accept.size()).find("gzip") != std::string_view::npos;
}

Response Serve(const RequestContext& ctx, std::string_view name) {
    const auto& served = Served();
    auto it = served.find(name);
    if (it == served.end()) {
        return ErrorResponse(ctx, core::MakeError(core::ErrorCode::kNotFound, "no such file in the web UI"));
    }
    const ServedAsset& s = it->second;
    const bool not_modified = ctx.req[bhttp::field::if_none_match] == s.etag;
    Response res{not_modified ? bhttp::status::not_modified : bhttp::status::ok, ctx.req.version()};
    res.set(bhttp::field::server, "netra");
    res.set("X-Request-Id", ctx.request_id);
    res.set(bhttp::field::cache_control, "no-cache");
    res.set(bhttp::field::etag, s.etag);
    res.set(bhttp::field::vary, "Accept-Encoding");
    res.set("Content-Security-Policy", kContentSecurityPolicy);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    res.set("X-Frame-Options", "DENY");
    res.set("Cross-Origin-Opener-Policy", "same-origin");
    res.keep_alive(ctx.req.keep_alive());
    if (!not_modified) {
        res.set(bhttp::field::content_type, s.content_type);
        const bool gzip = AcceptsGzip(ctx.req);
        if (gzip) res.set(bhttp::field::content_encoding, "gzip");
        const std::string_view body = gzip ? s.asset->gzip : s.asset->raw;
        if (ctx.req.method() == bhttp::verb::head) {
            res.content_length(body.size());  // the length a GET would have, and no body
            return res;
        }
        res.body().assign(body.data(), body.size());
    }
    res.prepare_payload();
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

#include "net/http/embedded_response.hpp"

#include "core/ids.hpp"

namespace netra::net::http {

std::string ContentEtag(std::string_view raw) {
    std::string hex = core::Sha256Hex(raw);
    hex.resize(20);
    return "\"" + hex + "\"";
}

Response EmbeddedResponse(const RequestContext& ctx, const WebAsset& asset, const std::string& etag,
                          std::string_view content_type) {
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
        res.set(bhttp::field::content_type, content_type);
        auto accept = ctx.req[bhttp::field::accept_encoding];
        const bool gzip = std::string_view(accept.data(), accept.size()).find("gzip") != std::string_view::npos;
        if (gzip) res.set(bhttp::field::content_encoding, "gzip");
        const std::string_view body = gzip ? asset.gzip : asset.raw;
        if (ctx.req.method() == bhttp::verb::head) {
            res.content_length(body.size());  // the length a GET would have, and no body
            return res;
        }
        res.body().assign(body.data(), body.size());
    }
    res.prepare_payload();
    return res;
}

}  // namespace netra::net::http

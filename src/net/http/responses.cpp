#include <algorithm>
#include <boost/json.hpp>

#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "net/http/http_types.hpp"

namespace netra::net::http {
namespace json = boost::json;

namespace {
void CommonHeaders(Response& res, const Request& req, const std::string& request_id) {
    res.set(bhttp::field::server, "netra");
    res.set("X-Request-Id", request_id);
    res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(req.keep_alive());
}
}  // namespace

Response JsonResponse(const RequestContext& ctx, bhttp::status status, const json::value& body) {
    Response res{status, ctx.req.version()};
    CommonHeaders(res, ctx.req, ctx.request_id);
    res.set(bhttp::field::content_type, "application/json; charset=utf-8");
    if (ctx.req.method() != bhttp::verb::head) res.body() = core::JsonText(body);
    res.prepare_payload();
    return res;
}

Response NoContentResponse(const RequestContext& ctx) {
    Response res{bhttp::status::no_content, ctx.req.version()};
    CommonHeaders(res, ctx.req, ctx.request_id);
    res.prepare_payload();
    return res;
}

Response ErrorResponse(const Request& req, const std::string& request_id, const core::Error& error) {
    Response res{static_cast<bhttp::status>(core::HttpStatus(error.code)), req.version()};
    CommonHeaders(res, req, request_id);
    res.set(bhttp::field::content_type, "application/json; charset=utf-8");
    if (error.code == core::ErrorCode::kUnauthenticated) {
        res.set(bhttp::field::www_authenticate, "Bearer realm=\"netra\"");
    }
    if (error.code == core::ErrorCode::kRateLimited) {
        // The limit's real figures (RFC 9110 Retry-After in whole seconds, rounded up; the x-ratelimit-* headers as
        // the common APIs send them: the allowance, what is left, seconds until it is whole again).
        const core::RateLimitInfo info = error.rate_limit.value_or(core::RateLimitInfo{0, 0, 1000, 1000});
        auto seconds = [](std::int64_t ms) { return std::to_string(std::max<std::int64_t>(1, (ms + 999) / 1000)); };
        res.set(bhttp::field::retry_after, seconds(info.retry_after_ms));
        if (error.rate_limit) {
            res.set("x-ratelimit-limit", std::to_string(info.limit));
            res.set("x-ratelimit-remaining", std::to_string(info.remaining));
            res.set("x-ratelimit-reset", seconds(info.reset_ms));
        }
    }
    json::object body{
        {"error", core::HttpErrorName(error.code)}, {"message", error.message}, {"request_id", request_id}};
    if (error.rate_limit) body["retry_after_ms"] = error.rate_limit->retry_after_ms;
    res.body() = core::JsonText(body);
    res.prepare_payload();
    return res;
}

Response ErrorResponse(const RequestContext& ctx, const core::Error& error) {
    ctx.server.metrics.ErrorReturned();
    return ErrorResponse(ctx.req, ctx.request_id, error);
}

Response TextResponse(const RequestContext& ctx, bhttp::status status, std::string body,
                      const std::string& content_type) {
    Response res{status, ctx.req.version()};
    CommonHeaders(res, ctx.req, ctx.request_id);
    res.set(bhttp::field::content_type, content_type);
    if (ctx.req.method() != bhttp::verb::head) res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

core::Result<json::object> JsonBody(const RequestContext& ctx) {
    auto type = ctx.req[bhttp::field::content_type];
    if (!type.empty() && type.find("json") == boost::string_view::npos) {
        return core::MakeError(core::ErrorCode::kUnsupportedMediaType, "send the body as application/json");
    }
    if (ctx.req.body().empty()) return core::MakeError(core::ErrorCode::kInvalidRequest, "request body is empty");
    return core::ParseJsonObject(ctx.req.body(), core::JsonLimits{ctx.server.settings.limits.max_json_depth});
}

}  // namespace netra::net::http

// Fault injection endpoints for test deployments (§11). They exist only when the server runs with
// NETRA_FAULT_INJECTION=1 and a bypass key; otherwise they answer 404 like any unknown route.
#include <sodium.h>

#include <boost/json.hpp>

#include "core/json_util.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"

namespace netra::net::http {
namespace json = boost::json;
namespace asio = boost::asio;
using core::ErrorCode;
using core::MakeError;

namespace {

// Not found when disabled, unauthenticated when the key does not match (constant-time compare).
std::optional<core::Error> CheckAdmin(const RequestContext& ctx) {
    const auto& key = ctx.server.settings.e2e_bypass_key;
    if (!ctx.server.settings.fault_injection || key.empty())
        return MakeError(ErrorCode::kNotFound, "no route for " + ctx.path);
    auto given = ctx.req["X-E2E-Bypass-Key"];
    if (given.size() != key.size() || sodium_memcmp(given.data(), key.data(), key.size()) != 0) {
        return MakeError(ErrorCode::kUnauthenticated, "X-E2E-Bypass-Key missing or wrong");
    }
    return std::nullopt;
}

json::object FaultJson(const core::FaultSpec& f) {
    return json::object{{"target", f.target},
                        {"mode", f.mode},
                        {"error", f.error.empty() ? json::value(nullptr) : json::value(f.error)},
                        {"rate", f.rate},
                        {"latency_ms", f.latency_ms},
                        {"duration_s", f.duration_s}};
}

json::object ActiveJson(core::FaultRegistry& faults) {
    json::array data;
    for (const auto& f : faults.Active()) data.push_back(FaultJson(f));
    return json::object{{"data", std::move(data)}, {"next_cursor", nullptr}};
}

asio::awaitable<Response> SetFault(RequestContext& ctx) {
    if (auto e = CheckAdmin(ctx)) co_return ErrorResponse(ctx, *e);
    auto body = JsonBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    core::FaultSpec spec;
    spec.target = core::GetString(*body, "target").value_or("");
    spec.mode = core::GetString(*body, "mode").value_or("");
    bool target_ok = spec.target == "llm" || spec.target == "database" || spec.target == "slow_consumer" ||
                     (spec.target.rfind("tool:", 0) == 0 && spec.target.size() > 5);
    if (!target_ok) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed,
                                               "target must be llm, tool:<name>, tool:*, database or slow_consumer"));
    }
    if (spec.mode != "error" && spec.mode != "timeout" && spec.mode != "latency") {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "mode must be error, timeout or latency"));
    }
    spec.error = core::GetString(*body, "error").value_or("");
    if (!spec.error.empty() && spec.error != "unavailable" && spec.error != "internal") {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "error must be unavailable or internal"));
    }
    if (!spec.error.empty() && spec.mode != "error") {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "error applies to mode error only"));
    }
    if (auto it = body->find("rate"); it != body->end()) {
        if (!it->value().is_number())
            co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "rate must be a number"));
        spec.rate = it->value().to_number<double>();
    }
    if (spec.rate < 0 || spec.rate > 1) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "rate must be between 0 and 1"));
    }
    spec.latency_ms =
        static_cast<int>(std::clamp<std::int64_t>(core::GetInt(*body, "latency_ms").value_or(0), 0, 600000));
    spec.duration_s =
        static_cast<int>(std::clamp<std::int64_t>(core::GetInt(*body, "duration_s").value_or(0), 0, 86400));
    if (spec.mode == "latency" && spec.latency_ms <= 0) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "latency mode needs latency_ms > 0"));
    }
    ctx.services().faults.Set(spec);
    co_return JsonResponse(ctx, bhttp::status::created, ActiveJson(ctx.services().faults));
}

asio::awaitable<Response> ListFaults(RequestContext& ctx) {
    if (auto e = CheckAdmin(ctx)) co_return ErrorResponse(ctx, *e);
    co_return JsonResponse(ctx, bhttp::status::ok, ActiveJson(ctx.services().faults));
}

asio::awaitable<Response> ClearFaults(RequestContext& ctx) {
    if (auto e = CheckAdmin(ctx)) co_return ErrorResponse(ctx, *e);
    ctx.services().faults.Clear();
    co_return JsonResponse(ctx, bhttp::status::ok, ActiveJson(ctx.services().faults));
}

}  // namespace

void AddAdminRoutes(Router& router) {
    router.Add(bhttp::verb::post, "/api/admin/faults", SetFault);
    router.Add(bhttp::verb::get, "/api/admin/faults", ListFaults);
    router.Add(bhttp::verb::delete_, "/api/admin/faults", ClearFaults);
}

}  // namespace netra::net::http

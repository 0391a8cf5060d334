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

json::object PairJson(const auth::TokenPair& pair) {
    return json::object{{"user", UserJson(pair.user)},
                        {"access_token", pair.access_token},
                        {"refresh_token", pair.refresh_token},
                        {"token_type", "Bearer"},
                        {"expires_in", pair.expires_in}};
}

// Reads required string fields of a JSON body; the error names the first missing one.
core::Result<std::vector<std::string>> RequiredStrings(const json::object& body,
                                                       std::initializer_list<const char*> keys) {
    std::vector<std::string> out;
    for (const char* key : keys) {
        auto v = core::GetString(body, key);
        if (!v) return MakeError(ErrorCode::kValidationFailed, std::string("field '") + key + "' (string) is required");
        out.push_back(std::move(*v));
    }
    return out;
}

// Parses the body, then runs `fn(body)` on the worker pool.
template <class F>
asio::awaitable<Response> WithBody(RequestContext& ctx, F fn) {
    auto body = JsonBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    auto work = [&ctx, b = std::move(*body), fn]() { return fn(ctx, b); };  // named: see Authed
    co_return co_await core::Offload(ctx.server.workers, std::move(work));
}

Response PairOr(RequestContext& ctx, const core::Result<auth::TokenPair>& r, bhttp::status status) {
    if (!r.ok()) return ErrorResponse(ctx, r.error());
    return JsonResponse(ctx, status, PairJson(*r));
}

asio::awaitable<Response> Register(RequestContext& ctx) {
    auto handler = [](RequestContext& c, const json::object& body) {
        auto fields = RequiredStrings(body, {"email", "password"});
        if (!fields.ok()) return ErrorResponse(c, fields.error());
        auto name = core::GetString(body, "name").value_or("");
        return PairOr(c, c.services().auth.Register((*fields)[0], (*fields)[1], name), bhttp::status::created);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await WithBody(ctx, std::move(handler));
}

asio::awaitable<Response> Login(RequestContext& ctx) {
    auto handler = [](RequestContext& c, const json::object& body) {
        auto fields = RequiredStrings(body, {"email", "password"});
        if (!fields.ok()) return ErrorResponse(c, fields.error());
        return PairOr(c, c.services().auth.Login((*fields)[0], (*fields)[1], c.client_ip), bhttp::status::ok);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await WithBody(ctx, std::move(handler));
}

asio::awaitable<Response> Refresh(RequestContext& ctx) {
    auto handler = [](RequestContext& c, const json::object& body) {
        auto fields = RequiredStrings(body, {"refresh_token"});
        if (!fields.ok()) return ErrorResponse(c, fields.error());
        return PairOr(c, c.services().auth.Refresh((*fields)[0]), bhttp::status::ok);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await WithBody(ctx, std::move(handler));
}

asio::awaitable<Response> Logout(RequestContext& ctx) {
    auto handler = [](RequestContext& c, const json::object& body) {
        auto fields = RequiredStrings(body, {"refresh_token"});
        if (!fields.ok()) return ErrorResponse(c, fields.error());
        auto s = c.services().auth.Logout((*fields)[0]);
        if (!s.ok()) return ErrorResponse(c, s.error());
        return JsonResponse(c, bhttp::status::ok, json::object{{"status", "logged_out"}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await WithBody(ctx, std::move(handler));
}

asio::awaitable<Response> Me(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto user = ctx.services().auth.Me(claims.user_id);
        if (!user.ok()) return ErrorResponse(ctx, user.error());
        return JsonResponse(ctx, bhttp::status::ok, json::object{{"user", UserJson(*user)}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> Validate(RequestContext& ctx) {
    auto handler = [](RequestContext& c, const json::object& body) {
        auto token = core::GetString(body, "token");
        if (!token)
            return ErrorResponse(c, MakeError(ErrorCode::kValidationFailed, "field 'token' (string) is required"));
        auto claims = c.services().auth.Authenticate(*token);
        if (!claims.ok()) {
            return JsonResponse(c, bhttp::status::ok,
                                json::object{{"valid", false}, {"error", claims.error().message}});
        }
        json::array perms;
        for (const auto& p : claims->permissions) perms.emplace_back(p);
        return JsonResponse(c, bhttp::status::ok,
                            json::object{{"valid", true},
                                         {"user_id", claims->user_id},
                                         {"email", claims->email},
                                         {"permissions", std::move(perms)},
                                         {"expires_at", claims->expires_at}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await WithBody(ctx, std::move(handler));
}

asio::awaitable<Response> TestAuth(RequestContext& ctx) {
    if (ctx.server.settings.e2e_bypass_key.empty()) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kNotFound, "no route for " + ctx.path));
    }
    auto handler = [](RequestContext& c, const json::object& body) {
        auto key = c.req["X-E2E-Bypass-Key"];
        auto email = core::GetString(body, "email");
        if (!email)
            return ErrorResponse(c, MakeError(ErrorCode::kValidationFailed, "field 'email' (string) is required"));
        std::vector<std::string> permissions;
        if (auto it = body.find("permissions"); it != body.end() && it->value().is_array()) {
            for (const auto& p : it->value().get_array()) {
                if (p.is_string()) permissions.emplace_back(p.get_string());
            }
        }
        return PairOr(c,
                      c.services().auth.TestAuth(std::string(key), *email, core::GetString(body, "name").value_or(""),
                                                 permissions),
                      bhttp::status::ok);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await WithBody(ctx, std::move(handler));
}

}  // namespace

void AddAuthRoutes(Router& router) {
    router.Add(bhttp::verb::post, "/auth/register", Register);
    router.Add(bhttp::verb::post, "/auth/login", Login);
    router.Add(bhttp::verb::post, "/auth/refresh", Refresh);
    router.Add(bhttp::verb::post, "/auth/logout", Logout);
    router.Add(bhttp::verb::get, "/auth/me", Me);
    router.Add(bhttp::verb::post, "/auth/validate", Validate);
    router.Add(bhttp::verb::post, "/auth/e2e/test-auth", TestAuth);
}

}  // namespace netra::net::http

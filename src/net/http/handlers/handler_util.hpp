#pragma once
// Shared pieces of the resource handlers: authentication on the worker pool and record → JSON renderers.
#include <boost/json.hpp>

#include "auth/jwt.hpp"
#include "core/offload.hpp"
#include "domain/records.hpp"
#include "net/http/http_types.hpp"

namespace netra::net::http {

std::optional<std::string> BearerTokenOf(std::string_view header);
int LimitParam(const RequestContext& ctx, int fallback = 50);
// A sequence number from a query parameter or header; nullopt unless it is a non-negative integer.
std::optional<std::int64_t> ParseSeq(std::string_view text);

// Verifies the bearer token and runs `fn(claims)` on the worker pool; `fn` returns a Response.
// Unauthenticated requests answer 401 with WWW-Authenticate (§4).
template <class F>
boost::asio::awaitable<Response> Authed(RequestContext& ctx, F fn) {
    // GCC 12 mishandles lambdas with captures that are temporaries inside co_await: name them first.
    auto work = [&ctx, fn = std::move(fn)]() mutable -> Response {
        auto header = ctx.req[bhttp::field::authorization];
        auto token = BearerTokenOf(std::string_view(header.data(), header.size()));
        if (!token) {
            return ErrorResponse(ctx, core::MakeError(core::ErrorCode::kUnauthenticated,
                                                      "missing bearer token: send Authorization: Bearer <token>"));
        }
        auto claims = ctx.services().auth.Authenticate(*token);
        if (!claims.ok())
            return ErrorResponse(ctx, core::MakeError(core::ErrorCode::kUnauthenticated, claims.error().message));
        return fn(*claims);
    };
    co_return co_await core::Offload(ctx.server.workers, std::move(work));
}

boost::json::object UserJson(const domain::User& user);
boost::json::object ThreadJson(const domain::Thread& thread);
boost::json::object MessageJson(const domain::Message& message);
boost::json::object RunJson(const domain::Run& run);
boost::json::object DatasetJson(const domain::Dataset& dataset);

template <class T, class F>
boost::json::object PageJson(const domain::Page<T>& page, F render) {
    boost::json::array data;
    for (const auto& item : page.data) data.push_back(render(item));
    boost::json::object o{{"data", std::move(data)}};
    o["next_cursor"] = page.next_cursor ? boost::json::value(*page.next_cursor) : boost::json::value(nullptr);
    return o;
}

}  // namespace netra::net::http

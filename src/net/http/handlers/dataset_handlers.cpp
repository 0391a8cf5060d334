// Datasets (§4, §9): list, get and delete. The upload streams through dataset_upload.cpp.
#include <boost/json.hpp>

#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"

namespace netra::net::http {
namespace json = boost::json;
namespace asio = boost::asio;

json::object DatasetJson(const domain::Dataset& d) {
    json::array columns;
    for (const auto& c : d.columns) columns.emplace_back(c);
    boost::system::error_code ec;
    json::value profile = json::parse(d.profile.empty() ? "{}" : d.profile, ec);
    return json::object{{"id", d.id},
                        {"name", d.name},
                        {"format", d.format},
                        {"source_format", d.source_format},
                        {"grain", d.grain},
                        {"thread_id", d.thread_id ? json::value(*d.thread_id) : json::value(nullptr)},
                        {"rows", d.rows},
                        {"rejected_rows", d.rejected_rows},
                        {"columns", std::move(columns)},
                        {"profile", ec ? json::value(json::object{}) : std::move(profile)},
                        {"created_at", core::FormatRfc3339Ms(d.created_at)}};
}

namespace {

asio::awaitable<Response> ListDatasets(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto page = ctx.services().datasets.List(claims.user_id, LimitParam(ctx), ctx.Query("cursor"));
        if (!page.ok()) return ErrorResponse(ctx, page.error());
        return JsonResponse(ctx, bhttp::status::ok, PageJson(*page, DatasetJson));
    };
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> GetDataset(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto d = ctx.services().datasets.Get(claims.user_id, ctx.Param("id"));
        if (!d.ok()) return ErrorResponse(ctx, d.error());
        return JsonResponse(ctx, bhttp::status::ok, DatasetJson(*d));
    };
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> DeleteDataset(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto deleted = ctx.services().datasets.Delete(claims.user_id, ctx.Param("id"));
        if (!deleted.ok()) return ErrorResponse(ctx, deleted.error());
        return JsonResponse(ctx, bhttp::status::ok, json::object{{"id", ctx.Param("id")}, {"deleted", true}});
    };
    co_return co_await Authed(ctx, std::move(handler));
}

}  // namespace

void AddDatasetRoutes(Router& router) {
    router.Add(bhttp::verb::get, "/api/datasets", ListDatasets);
    router.Add(bhttp::verb::get, "/api/datasets/{id}", GetDataset);
    router.Add(bhttp::verb::delete_, "/api/datasets/{id}", DeleteDataset);
}

}  // namespace netra::net::http

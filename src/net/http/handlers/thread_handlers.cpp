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

// Optional JSON body (POST /api/threads may have none).
core::Result<json::object> OptionalBody(RequestContext& ctx) {
    if (ctx.req.body().empty()) return json::object{};
    return JsonBody(ctx);
}

asio::awaitable<Response> ListThreads(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto page = ctx.services().threads.List(claims.user_id, LimitParam(ctx), ctx.Query("cursor"));
        if (!page.ok()) return ErrorResponse(ctx, page.error());
        return JsonResponse(ctx, bhttp::status::ok, PageJson(*page, ThreadJson));
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> CreateThread(RequestContext& ctx) {
    auto body = OptionalBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    std::optional<std::string> title;
    if (auto it = body->find("title"); it != body->end() && !it->value().is_null()) {
        if (!it->value().is_string())
            co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "title must be a string"));
        title = std::string(it->value().get_string());
    }
    auto handler = [&ctx, title](const auth::AccessClaims& claims) {
        auto thread = ctx.services().threads.Create(claims.user_id, title);
        if (!thread.ok()) return ErrorResponse(ctx, thread.error());
        return JsonResponse(ctx, bhttp::status::created, ThreadJson(*thread));
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> GetThread(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto thread = ctx.services().threads.Get(claims.user_id, ctx.Param("id"));
        if (!thread.ok()) return ErrorResponse(ctx, thread.error());
        return JsonResponse(ctx, bhttp::status::ok, ThreadJson(*thread));
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> PatchThread(RequestContext& ctx) {
    auto body = JsonBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    auto title = core::GetString(*body, "title");
    if (!title)
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "field 'title' (string) is required"));
    auto handler = [&ctx, t = *title](const auth::AccessClaims& claims) {
        auto thread = ctx.services().threads.Rename(claims.user_id, ctx.Param("id"), t);
        if (!thread.ok()) return ErrorResponse(ctx, thread.error());
        return JsonResponse(ctx, bhttp::status::ok, ThreadJson(*thread));
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> DeleteThread(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto s = ctx.services().threads.Delete(claims.user_id, ctx.Param("id"));
        if (!s.ok()) return ErrorResponse(ctx, s.error());
        return JsonResponse(ctx, bhttp::status::ok, json::object{{"id", ctx.Param("id")}, {"deleted", true}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> ListMessages(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto page =
            ctx.services().threads.Messages(claims.user_id, ctx.Param("id"), LimitParam(ctx, 100), ctx.Query("cursor"));
        if (!page.ok()) return ErrorResponse(ctx, page.error());
        return JsonResponse(ctx, bhttp::status::ok, PageJson(*page, MessageJson));
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> ListThreadRuns(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto runs = ctx.services().threads.Runs(claims.user_id, ctx.Param("id"));
        if (!runs.ok()) return ErrorResponse(ctx, runs.error());
        json::array data;
        for (const auto& r : *runs) data.push_back(RunJson(r));
        return JsonResponse(ctx, bhttp::status::ok, json::object{{"data", std::move(data)}, {"next_cursor", nullptr}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

}  // namespace

// Shared by POST /api/threads/{id}/messages and POST /api/agents/execute: submit, then schedule.
core::Result<runs::SubmitResult> SubmitAndSchedule(RequestContext& ctx, runs::SubmitRequest request) {
    auto result = ctx.services().runs.Submit(request);
    if (result.ok()) ctx.services().runs.Schedule(result->run.id);
    return result;
}

// Reads the optional policy and dataset_id of a submit body.
core::Status ReadSubmitOptions(const json::object& body, runs::SubmitRequest& request) {
    for (const char* key : {"policy", "dataset_id", "thread_id"}) {
        auto it = body.find(key);
        if (it == body.end() || it->value().is_null()) continue;
        if (!it->value().is_string())
            return MakeError(ErrorCode::kValidationFailed, std::string(key) + " must be a string");
        std::string v(it->value().get_string());
        if (std::string_view(key) == "policy")
            request.policy = v;
        else if (std::string_view(key) == "dataset_id")
            request.dataset_id = v;
        else
            request.thread_id = v;
    }
    return core::Ok();
}

namespace {

asio::awaitable<Response> PostMessage(RequestContext& ctx) {
    auto body = JsonBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    runs::SubmitRequest request;
    auto content = core::GetString(*body, "content");
    if (!content)
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "field 'content' (string) is required"));
    request.content = *content;
    if (auto s = ReadSubmitOptions(*body, request); !s.ok()) co_return ErrorResponse(ctx, s.error());
    request.thread_id = ctx.Param("id");
    auto handler = [&ctx, request](const auth::AccessClaims& claims) mutable {
        request.user_id = claims.user_id;
        auto result = SubmitAndSchedule(ctx, request);
        if (!result.ok()) return ErrorResponse(ctx, result.error());
        return JsonResponse(ctx, bhttp::status::accepted,
                            json::object{{"message", MessageJson(result->message)}, {"run", RunJson(result->run)}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

}  // namespace

void AddThreadRoutes(Router& router) {
    router.Add(bhttp::verb::get, "/api/threads", ListThreads);
    router.Add(bhttp::verb::post, "/api/threads", CreateThread);
    router.Add(bhttp::verb::get, "/api/threads/{id}", GetThread);
    router.Add(bhttp::verb::patch, "/api/threads/{id}", PatchThread);
    router.Add(bhttp::verb::delete_, "/api/threads/{id}", DeleteThread);
    router.Add(bhttp::verb::get, "/api/threads/{id}/messages", ListMessages);
    router.Add(bhttp::verb::post, "/api/threads/{id}/messages", PostMessage);
    router.Add(bhttp::verb::get, "/api/threads/{id}/runs", ListThreadRuns);
}

}  // namespace netra::net::http

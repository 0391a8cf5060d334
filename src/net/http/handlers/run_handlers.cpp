#include <boost/json.hpp>

#include "core/json_util.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "runs/event_envelope.hpp"

namespace netra::net::http {
namespace json = boost::json;
namespace asio = boost::asio;
using core::ErrorCode;
using core::MakeError;

core::Result<runs::SubmitResult> SubmitAndSchedule(RequestContext& ctx, runs::SubmitRequest request);
core::Status ReadSubmitOptions(const json::object& body, runs::SubmitRequest& request);

namespace {

asio::awaitable<Response> Execute(RequestContext& ctx) {
    auto body = JsonBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    runs::SubmitRequest request;
    auto content = core::GetString(*body, "user_request");
    if (!content) content = core::GetString(*body, "input");
    if (!content)
        co_return ErrorResponse(ctx,
                                MakeError(ErrorCode::kValidationFailed, "field 'user_request' (string) is required"));
    request.content = *content;
    if (auto agent = core::GetString(*body, "agent")) request.agent = *agent;
    if (auto s = ReadSubmitOptions(*body, request); !s.ok()) co_return ErrorResponse(ctx, s.error());
    auto handler = [&ctx, request](const auth::AccessClaims& claims) mutable {
        request.user_id = claims.user_id;
        auto result = SubmitAndSchedule(ctx, request);
        if (!result.ok()) return ErrorResponse(ctx, result.error());
        return JsonResponse(ctx, bhttp::status::accepted,
                            json::object{{"run_id", result->run.id},
                                         {"thread_id", result->run.thread_id},
                                         {"message_id", result->message.id},
                                         {"status", domain::Name(result->run.status)}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> GetRun(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto view = ctx.services().runs.Get(claims.user_id, ctx.Param("id"));
        if (!view.ok()) return ErrorResponse(ctx, view.error());
        json::object o = RunJson(view->run);
        o["last_seq"] = view->last_seq;
        return JsonResponse(ctx, bhttp::status::ok, o);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> ListEvents(RequestContext& ctx) {
    domain::EventFilter filter;
    if (auto after = ctx.Query("after_seq")) {
        auto seq = ParseSeq(*after);
        if (!seq) {
            co_return ErrorResponse(ctx,
                                    MakeError(ErrorCode::kInvalidRequest, "after_seq must be a non-negative integer"));
        }
        filter.after_seq = *seq;
    }
    if (auto type = ctx.Query("type"); type && !type->empty()) {
        filter.type = domain::ParseEventType(*type);
        if (!filter.type) {
            co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest, "unknown event type '" + *type + "'"));
        }
    }
    if (auto agent = ctx.Query("agent"); agent && !agent->empty()) filter.agent_name = *agent;
    filter.limit = LimitParam(ctx, 10000);
    if (auto l = ctx.Query("limit"); !l) filter.limit = 10000;
    auto handler = [&ctx, filter](const auth::AccessClaims& claims) {
        auto read = ctx.services().events.ReadRunEvents(claims.user_id, ctx.Param("id"), filter);
        if (!read.ok()) return ErrorResponse(ctx, read.error());
        json::array data;
        for (const auto& e : read->events) data.push_back(runs::EnvelopeJson(e, read->run.thread_id));
        // More events than the limit: the client reads on with after_seq = next_cursor.
        json::value next = read->truncated && !read->events.empty()
                               ? json::value(std::to_string(read->events.back().seq))
                               : json::value(nullptr);
        return JsonResponse(
            ctx, bhttp::status::ok,
            json::object{{"data", std::move(data)}, {"next_cursor", next}, {"status", domain::Name(read->run.status)}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

asio::awaitable<Response> Cancel(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto run = ctx.services().runs.Cancel(claims.user_id, ctx.Param("id"));
        if (!run.ok()) return ErrorResponse(ctx, run.error());
        return JsonResponse(ctx, bhttp::status::ok,
                            json::object{{"run_id", run->id}, {"status", domain::Name(run->status)}});
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await Authed(ctx, std::move(handler));
}

}  // namespace

void AddRunRoutes(Router& router) {
    router.Add(bhttp::verb::post, "/api/agents/execute", Execute);
    router.Add(bhttp::verb::get, "/api/runs/{id}", GetRun);
    router.Add(bhttp::verb::get, "/api/runs/{id}/events", ListEvents);
    router.Add(bhttp::verb::post, "/api/runs/{id}/cancel", Cancel);
}

}  // namespace netra::net::http

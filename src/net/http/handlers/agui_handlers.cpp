// POST /ag-ui: the AG-UI protocol (docs/protocols.md "AG-UI"). A RunAgentInput becomes a message on the user's thread
// and a Netra run, submitted exactly as POST /api/threads/{id}/messages does; the answer is that run's events as
// AG-UI events over Server-Sent Events, through the same replay-then-follow stream as GET /api/runs/{id}/stream. A
// thin layer: same users, bearer auth, isolation, runs and event log; the mapping itself is agui_translate.cpp.
#include "net/http/handlers/agui_translate.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/run_event_stream.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

core::Result<runs::SubmitResult> SubmitAndSchedule(RequestContext& ctx, runs::SubmitRequest request);

namespace {

class AgUiTranslator final : public SseTranslator {
  public:
    explicit AgUiTranslator(agui::StreamIds ids) : mapper_(std::move(ids)) {}
    std::string Begin() override { return Frames(mapper_.Start()); }
    std::string Translate(const runs::ReplayEvent& e) override {
        if (!e.envelope) return {};
        boost::system::error_code ec;
        json::value envelope = json::parse(*e.envelope, ec);
        if (ec || !envelope.is_object()) return {};
        return Frames(mapper_.Map(envelope.get_object()));
    }
    std::string End() override { return Frames(mapper_.Finish()); }

  private:
    static std::string Frames(const std::vector<json::object>& events) {
        std::string out;
        for (const auto& e : events) out += agui::SseData(e);
        return out;
    }
    agui::EventMapper mapper_;
};

// The user's thread with the client's id: found, or created with that id. Another user's id is not found.
core::Status EnsureThread(const Services& services, const std::string& user_id, const std::string& thread_id,
                          const std::string& content) {
    auto thread = services.threads.Get(user_id, thread_id);
    if (thread.ok()) return core::Ok();
    if (thread.error().code != ErrorCode::kNotFound) return thread.error();
    auto created = services.threads.Create(user_id, agui::ThreadTitleFrom(content), thread_id);
    if (created.ok()) return core::Ok();
    if (created.error().code != ErrorCode::kConflict) return created.error();
    // The id exists: this user's (created a moment ago by a concurrent request) or another user's (not found).
    thread = services.threads.Get(user_id, thread_id);
    if (thread.ok()) return core::Ok();
    return thread.error();
}

asio::awaitable<Response> RunAgent(RequestContext& ctx) {
    auto body = JsonBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    auto parsed = agui::ParseRunAgentInput(*body);
    if (!parsed.ok()) co_return ErrorResponse(ctx, parsed.error());
    if (parsed->content.size() > ctx.server.settings.limits.max_message_bytes) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kPayloadTooLarge, "the user message is over the size limit"));
    }
    const agui::RunRequest request = std::move(*parsed);
    auto accepted = std::make_shared<std::optional<runs::SubmitResult>>();
    auto handler = [&ctx, request, accepted](const auth::AccessClaims& claims) -> Response {
        const Services& services = ctx.services();
        if (request.thread_id) {
            auto s = EnsureThread(services, claims.user_id, *request.thread_id, request.content);
            if (!s.ok()) return ErrorResponse(ctx, s.error());
        }
        runs::SubmitRequest submit;
        submit.user_id = claims.user_id;
        submit.thread_id = request.thread_id;
        submit.content = request.content;
        submit.dataset_id = request.dataset_id;
        submit.policy = request.policy;
        auto result = SubmitAndSchedule(ctx, submit);
        if (!result.ok()) return ErrorResponse(ctx, result.error());
        *accepted = std::move(*result);
        return Response{};
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    Response refused = co_await Authed(ctx, std::move(handler));
    if (!accepted->has_value()) co_return refused;

    const domain::Run run = (*accepted)->run;
    agui::StreamIds ids;
    ids.thread_id = run.thread_id;
    ids.run_id = request.run_id.value_or(run.id);
    ids.netra_run_id = run.id;
    auto* server = &ctx.server;
    auto services = ctx.server.services();
    std::string request_id = ctx.request_id;
    std::string headers = "X-Netra-Run-Id: " + run.id + "\r\nX-Netra-Thread-Id: " + run.thread_id + "\r\n";
    ctx.takeover = [server, services, run, request_id, ids,
                    headers](beast::tcp_stream& stream) -> asio::awaitable<void> {
        SseStreamOptions options;
        options.extra_headers = headers;
        std::shared_ptr<SseTranslator> translator = std::make_shared<AgUiTranslator>(ids);
        co_await StreamRunEvents(*server, services, stream, run, request_id, options, translator);
    };
    co_return Response{};
}

}  // namespace

void AddAgUiRoutes(Router& router) { router.Add(bhttp::verb::post, "/ag-ui", RunAgent); }

}  // namespace netra::net::http

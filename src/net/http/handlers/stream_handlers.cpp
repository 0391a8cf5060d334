// GET /api/runs/{id}/stream: the run's events as Server-Sent Events (§4, §6). `id:` is the event seq, so a
// browser's EventSource resumes with Last-Event-ID; the stream replays stored events after that seq, then
// follows live ones, and ends after the run's terminal event.
#include "auth/credentials.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/run_event_stream.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using core::ErrorCode;
using core::MakeError;

namespace {

// Netra's own vocabulary: `id:` is the seq, `event:` the type, `data:` the envelope.
class EnvelopeTranslator final : public SseTranslator {
  public:
    std::string Begin() override { return "retry: 1000\n\n"; }
    std::string Translate(const runs::ReplayEvent& e) override {
        return SseFrame(std::to_string(e.seq), domain::Name(e.type), *e.envelope);
    }
};

// The token from the Authorization header or, for EventSource (which cannot set headers), ?token=.
std::optional<std::string> StreamToken(const RequestContext& ctx) {
    auto header = ctx.req[bhttp::field::authorization];
    if (auto t = auth::BearerToken(std::string_view(header.data(), header.size()))) return t;
    return ctx.Query("token");
}

asio::awaitable<Response> Stream(RequestContext& ctx) {
    std::int64_t after = 0;
    auto last_event_id = ctx.req["Last-Event-ID"];
    std::string after_text = !last_event_id.empty() ? std::string(last_event_id) : ctx.Query("after_seq").value_or("0");
    auto seq = ParseSeq(after_text);
    if (!seq) {
        co_return ErrorResponse(
            ctx, MakeError(ErrorCode::kInvalidRequest, "Last-Event-ID / after_seq must be a non-negative integer"));
    }
    after = *seq;
    auto token = StreamToken(ctx);
    if (!token) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kUnauthenticated, "missing bearer token"));
    }
    auto* server = &ctx.server;
    auto services = ctx.server.services();
    std::string run_id = ctx.Param("id");
    std::string bearer = *token;
    auto load = [services, run_id, bearer]() -> core::Result<domain::Run> {
        auto claims = services->auth.Authenticate(bearer);
        if (!claims.ok()) return MakeError(ErrorCode::kUnauthenticated, claims.error().message);
        auto view = services->runs.Get(claims->user_id, run_id);
        if (!view.ok()) return view.error();
        return std::move(view->run);
    };
    auto loaded = co_await core::Offload(ctx.server.workers, std::move(load));
    if (!loaded.ok()) co_return ErrorResponse(ctx, loaded.error());
    domain::Run run = std::move(*loaded);
    std::string request_id = ctx.request_id;
    ctx.takeover = [server, services, run, request_id, after](beast::tcp_stream& stream) -> asio::awaitable<void> {
        SseStreamOptions options;
        options.after_seq = after;
        std::shared_ptr<SseTranslator> translator = std::make_shared<EnvelopeTranslator>();  // named: GCC 12
        co_await StreamRunEvents(*server, services, stream, run, request_id, options, std::move(translator));
    };
    co_return Response{};
}

}  // namespace

void AddStreamRoutes(Router& router) { router.Add(bhttp::verb::get, "/api/runs/{id}/stream", Stream); }

}  // namespace netra::net::http

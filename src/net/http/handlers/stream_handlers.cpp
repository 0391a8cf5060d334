// GET /api/runs/{id}/stream: the run's events as Server-Sent Events (§4, §6). `id:` is the event seq, so a
// browser's EventSource resumes with Last-Event-ID; the stream replays stored events after that seq, then
// follows live ones, and ends after the run's terminal event.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <deque>

#include "auth/credentials.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "runs/event_envelope.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using core::ErrorCode;
using core::MakeError;

namespace {

// Receives the user's live events on the bus and wakes the stream's coroutine on its strand.
class SseFollower : public runs::EventListener, public std::enable_shared_from_this<SseFollower> {
  public:
    SseFollower(asio::any_io_executor executor, std::string run_id)
        : executor_(std::move(executor)), run_id_(std::move(run_id)), wake_(executor_) {}

    void OnEvent(const std::shared_ptr<const runs::LiveEvent>& event) override {
        if (event->run_id != run_id_) return;
        asio::post(executor_, [self = shared_from_this(), event] {
            self->pending_.push_back(event);
            self->wake_.cancel();
        });
    }

    std::deque<std::shared_ptr<const runs::LiveEvent>>& pending() { return pending_; }
    asio::steady_timer& wake() { return wake_; }

  private:
    asio::any_io_executor executor_;
    std::string run_id_;
    asio::steady_timer wake_;
    std::deque<std::shared_ptr<const runs::LiveEvent>> pending_;
};

std::string SseFrame(std::int64_t seq, const std::string& type, const std::string& data) {
    std::string out;
    out.reserve(data.size() + type.size() + 32);
    out += "id: ";
    out += std::to_string(seq);
    out += "\nevent: ";
    out += type;
    out += "\ndata: ";
    out += data;  // serialized JSON has no newlines
    out += "\n\n";
    return out;
}

asio::awaitable<void> StreamRun(ServerContext& server, std::shared_ptr<const Services> services,
                                beast::tcp_stream& stream, domain::Run run, std::string request_id,
                                std::int64_t after) {
    auto follower = std::make_shared<SseFollower>(stream.get_executor(), run.id);
    auto subscription = services->bus.Subscribe(run.user_id, follower);
    // Subscribed first, then the stored events are read: the ledger merges both, each event once, in seq order.
    runs::EventReplayLedger ledger;
    ledger.BeginRunReplay(run.id, after);
    auto read = [services, user_id = run.user_id, run_id = run.id, after]() {
        domain::EventFilter filter;
        filter.after_seq = after;
        filter.limit = 0;  // all of them, page by page
        return services->events.ReadRunEvents(user_id, run_id, filter);
    };
    auto read_result = co_await core::Offload(server.workers, std::move(read));
    bool ok = true;
    auto write = [&](std::string bytes) -> asio::awaitable<void> {  // by value: lives in the coroutine frame
        auto [ec, n] =
            co_await asio::async_write(stream.socket(), asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec) ok = false;
    };
    auto emit = [&](std::vector<runs::ReplayEvent> events) -> asio::awaitable<void> {
        for (const auto& e : events) {
            if (ok) co_await write(SseFrame(e.seq, std::string(domain::Name(e.type)), *e.envelope));
        }
    };
    if (!read_result.ok()) {
        // Never a stream with a hole in it: the client retries (EventSource reconnects with Last-Event-ID).
        Request req;
        req.version(11);
        auto res = ErrorResponse(req, request_id, read_result.error());
        res.keep_alive(false);
        co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    } else {
        co_await write(
            "HTTP/1.1 200 OK\r\nServer: netra\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\nX-Request-Id: " +
            request_id + "\r\n\r\nretry: 1000\n\n");
        // No co_await may separate these two from the read's result: they decide what the live side adds.
        auto stored = ledger.AcceptStored(run.id, runs::ReplayEventsOf(*read_result));
        auto released = ledger.EndRunReplay(run.id);
        co_await emit(std::move(stored));
        co_await emit(std::move(released));
        // A finished run whose events the client already holds (Last-Event-ID at its end): nothing will follow.
        bool done = ledger.Ended(run.id) || domain::IsFinished(read_result->run.status);
        const auto keepalive = std::chrono::seconds(15);
        const std::size_t max_pending = server.settings.limits.ws_outbound_queue_messages;
        while (ok && !done && !server.shutting_down) {
            auto& pending = follower->pending();
            if (pending.size() > max_pending) break;  // a consumer this far behind reconnects with Last-Event-ID
            if (!pending.empty()) {
                auto event = pending.front();
                pending.pop_front();
                co_await emit(ledger.OnLive(runs::ReplayEventFromLive(*event)));
                done = ledger.Ended(run.id);
                continue;
            }
            follower->wake().expires_after(keepalive);
            auto [ec] = co_await follower->wake().async_wait(asio::as_tuple(asio::use_awaitable));
            if (!ec) co_await write(": keep-alive\n\n");  // timer expired: nothing happened for a while
        }
    }
    services->bus.Unsubscribe(run.user_id, subscription);
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

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
        co_await StreamRun(*server, services, stream, run, request_id, after);
    };
    co_return Response{};
}

}  // namespace

void AddStreamRoutes(Router& router) { router.Add(bhttp::verb::get, "/api/runs/{id}/stream", Stream); }

}  // namespace netra::net::http

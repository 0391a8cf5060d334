#include "net/http/run_event_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <deque>

#include "core/offload.hpp"
#include "net/http/handlers/handler_util.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
namespace beast = boost::beast;

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

    // The server is shutting down: the stream ends at once rather than at its next event or keep-alive.
    void Stop() {
        asio::post(executor_, [self = shared_from_this()] {
            self->stopping_ = true;
            self->wake_.cancel();
        });
    }

    std::deque<std::shared_ptr<const runs::LiveEvent>>& pending() { return pending_; }
    asio::steady_timer& wake() { return wake_; }
    bool stopping() const { return stopping_; }

  private:
    asio::any_io_executor executor_;
    std::string run_id_;
    asio::steady_timer wake_;
    std::deque<std::shared_ptr<const runs::LiveEvent>> pending_;
    bool stopping_ = false;  // on the executor only, like pending_
};

// Lets the server's shutdown stop the follower (OpenStreams), for as long as the stream lasts.
OpenStreams::Registration StopAtShutdown(ServerContext& server, const std::shared_ptr<SseFollower>& follower) {
    return OpenStreams::Registration(server.open_streams, [weak = std::weak_ptr<SseFollower>(follower)] {
        if (auto f = weak.lock()) f->Stop();
    });
}

// Unsubscribes on every way out, exceptions from the store included: a subscription left behind would keep the user
// "watched" (and, clustered, subscribed in Redis) for ever.
class SubscriptionGuard {
  public:
    SubscriptionGuard(runs::EventBus& bus, std::string user_id, const std::shared_ptr<runs::EventListener>& listener)
        : bus_(bus), user_id_(std::move(user_id)), id_(bus_.Subscribe(user_id_, listener)) {}
    ~SubscriptionGuard() { bus_.Unsubscribe(user_id_, id_); }
    SubscriptionGuard(const SubscriptionGuard&) = delete;
    SubscriptionGuard& operator=(const SubscriptionGuard&) = delete;

  private:
    runs::EventBus& bus_;
    std::string user_id_;
    runs::EventBus::SubscriptionId id_;
};

// A client that stops reading does not hold the stream (and its subscription) for ever.
constexpr auto kWriteDeadline = std::chrono::seconds(30);

}  // namespace

std::string SseFrame(std::string_view id, std::string_view event, std::string_view data) {
    std::string out;
    out.reserve(data.size() + event.size() + id.size() + 24);
    if (!id.empty()) {
        out += "id: ";
        out += id;
        out += '\n';
    }
    if (!event.empty()) {
        out += "event: ";
        out += event;
        out += '\n';
    }
    out += "data: ";
    out += data;
    out += "\n\n";
    return out;
}

asio::awaitable<StreamEnd> StreamRunEvents(ServerContext& server, std::shared_ptr<const Services> services,
                                           beast::tcp_stream& stream, domain::Run run, std::string request_id,
                                           SseStreamOptions options, std::shared_ptr<SseTranslator> translator) {
    auto follower = std::make_shared<SseFollower>(stream.get_executor(), run.id);
    SubscriptionGuard subscription(services->bus, run.user_id, follower);
    auto stop_at_shutdown = StopAtShutdown(server, follower);
    // Subscribed first, then the stored events are read: the ledger merges both, each event once, in seq order.
    runs::EventReplayLedger ledger;
    const std::int64_t after = options.after_seq;
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
        if (bytes.empty() || !ok) co_return;
        stream.expires_after(kWriteDeadline);
        auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec) ok = false;
    };
    bool done = false;
    auto emit = [&](std::vector<runs::ReplayEvent> events) -> asio::awaitable<void> {
        for (const auto& e : events) {
            std::string bytes = translator->Translate(e);
            co_await write(std::move(bytes));
            if (domain::IsTerminal(e.type)) {
                done = true;
                std::string end = translator->End();
                co_await write(std::move(end));
            }
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
        std::string head =
            "HTTP/1.1 200 OK\r\nServer: netra\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\nX-Accel-Buffering: no\r\nX-Request-Id: " +
            request_id + "\r\n" + options.extra_headers + "\r\n";
        head += translator->Begin();
        co_await write(std::move(head));
        // No co_await may separate these two from the read's result: they decide what the live side adds.
        auto stored = ledger.AcceptStored(run.id, runs::ReplayEventsOf(*read_result));
        auto released = ledger.EndRunReplay(run.id);
        co_await emit(std::move(stored));
        co_await emit(std::move(released));
        // A finished run whose events the client already holds (Last-Event-ID at its end): nothing will follow.
        if (!done && (ledger.Ended(run.id) || domain::IsFinished(read_result->run.status))) {
            done = true;
            std::string end = translator->End();
            co_await write(std::move(end));
        }
        const auto keepalive = std::chrono::seconds(15);
        const std::size_t max_pending = server.settings.limits.ws_outbound_queue_messages;
        while (ok && !done && !server.shutting_down && !follower->stopping()) {
            auto& pending = follower->pending();
            if (pending.size() > max_pending) break;  // a consumer this far behind reconnects with Last-Event-ID
            if (!pending.empty()) {
                auto event = pending.front();
                pending.pop_front();
                co_await emit(ledger.OnLive(runs::ReplayEventFromLive(*event)));
                continue;
            }
            follower->wake().expires_after(keepalive);
            auto [ec] = co_await follower->wake().async_wait(asio::as_tuple(asio::use_awaitable));
            if (!ec) co_await write(": keep-alive\n\n");  // timer expired: nothing happened for a while
        }
    }
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    StreamEnd end = StreamEnd::kStopped;  // named: GCC 12 mishandles ?: in co_return
    if (done) {
        end = StreamEnd::kRunEnded;
    } else if (!ok) {
        end = StreamEnd::kClientLeft;
    }
    co_return end;
}

asio::awaitable<core::Result<domain::Run>> AwaitRunEnd(ServerContext& server, std::shared_ptr<const Services> services,
                                                       asio::any_io_executor executor, std::string user_id,
                                                       std::string run_id, std::chrono::milliseconds timeout,
                                                       std::function<void(const runs::LiveEvent&)> on_event,
                                                       std::function<void()> on_subscribed) {
    auto follower = std::make_shared<SseFollower>(executor, run_id);
    SubscriptionGuard subscription(services->bus, user_id, follower);
    auto stop_at_shutdown = StopAtShutdown(server, follower);
    if (on_subscribed) on_subscribed();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    core::Result<domain::Run> result = core::MakeError(core::ErrorCode::kInternal, "not read");
    for (;;) {
        // Subscribed before each read: a terminal event after the read is in `pending` or wakes the wait below.
        for (const auto& e : follower->pending())
            if (on_event) on_event(*e);
        follower->pending().clear();
        auto read = [services, user_id, run_id]() -> core::Result<domain::Run> {
            auto view = services->runs.Get(user_id, run_id);
            if (!view.ok()) return view.error();
            return std::move(view->run);
        };
        result = co_await core::Offload(server.workers, std::move(read));
        if (!result.ok() || domain::IsFinished(result->status) || server.shutting_down || follower->stopping()) break;
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) break;
        // The bus wakes this at the terminal event; the store is read again every 2 s regardless (an event relayed
        // late from another instance must not delay the answer long).
        follower->wake().expires_after(
            std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::seconds(2)));
        bool ended = false;
        for (;;) {
            for (const auto& e : follower->pending()) {
                if (on_event) on_event(*e);
                ended = ended || domain::IsTerminal(e->type);
            }
            follower->pending().clear();
            if (ended || follower->stopping()) break;  // also one that arrived during the read: no wait
            auto [ec] = co_await follower->wake().async_wait(asio::as_tuple(asio::use_awaitable));
            if (!ec) break;  // the time passed: read again
        }
    }
    // Events that arrived during the last read (the one that found the run ended) are still owed to the observer.
    for (const auto& e : follower->pending())
        if (on_event) on_event(*e);
    follower->pending().clear();
    co_return result;
}

}  // namespace netra::net::http

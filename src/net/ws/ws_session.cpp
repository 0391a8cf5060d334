#include "net/ws/ws_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/json.hpp>

#include "core/ids.hpp"
#include "core/offload.hpp"
#include "core/time.hpp"
#include "runs/event_envelope.hpp"

namespace netra::net::ws {
using asio::as_tuple;

void WsSession::Send(std::shared_ptr<const std::string> frame) {
    if (closing_) return;
    if (outbox_.size() >= server_->settings.limits.ws_outbound_queue_messages) {
        // A consumer that cannot keep up is dropped rather than buffered without bound; it resumes with
        // `subscribe` and after_seq (§6). What was queued is dropped, and an `error` saying why goes before the
        // 1013, for a client that reads again within the close grace (one that never does loses the socket then).
        spdlog::warn("ws {}: outbound queue full ({} frames), closing 1013", connection_id_, outbox_.size());
        while (outbox_.size() > (writing_ ? 1u : 0u)) outbox_.pop_back();
        server_->metrics.ErrorReturned();
        outbox_.push_back(std::make_shared<const std::string>(
            ErrorFrame(ErrorCode::kServiceUnavailable,
                       "this connection reads too slowly: its outbound queue is full; closing (1013), resume with "
                       "subscribe and after_seq",
                       "")));
        if (!writing_) DoWrite();
        CloseWith(websocket::close_code::try_again_later);
        return;
    }
    outbox_.push_back(std::move(frame));
    if (!writing_) DoWrite();
}

void WsSession::DoWrite() {
    writing_ = true;
    // §11 slow_consumer: this server's side of its sockets turns slow. latency: every frame waits latency_ms before
    // it is written; timeout: frames wait as long as the fault lasts, so a busy socket's queue fills and it is closed
    // 1013 (the client resumes with subscribe/after_seq); error: the socket is dropped. Runs never wait for it.
    if (server_->settings.fault_injection) {
        if (auto fault = services_->faults.Check("slow_consumer")) {
            if (fault->mode == "error") {
                writing_ = false;
                closing_ = true;
                outbox_.clear();
                beast::error_code ignored;
                beast::get_lowest_layer(ws_).socket().close(ignored);
                return;
            }
            slow_timer_.expires_after(std::chrono::milliseconds(fault->mode == "latency" ? fault->latency_ms : 100));
            slow_timer_.async_wait(
                [self = shared_from_this(), latency = fault->mode == "latency"](beast::error_code ec) {
                    if (ec || self->closing_) {
                        self->writing_ = false;
                        return;
                    }
                    if (latency) {
                        self->WriteFront();
                    } else {
                        self->DoWrite();  // timeout: look again until the fault is gone
                    }
                });
            return;
        }
    }
    WriteFront();
}

void WsSession::WriteFront() {
    ws_.text(true);
    ws_.async_write(
        asio::buffer(*outbox_.front()),
        asio::bind_executor(ws_.get_executor(), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            self->writing_ = false;
            if (!self->outbox_.empty()) self->outbox_.pop_front();
            if (ec) {
                self->closing_ = true;
                self->outbox_.clear();
                return;
            }
            self->server_->metrics.WsFrameSent();
            // What was queued before a close (the `error` that explains it above all) goes out first; the close
            // guard bounds how long that may take.
            if (!self->outbox_.empty()) {
                self->DoWrite();
            } else if (self->pending_close_) {
                auto code = *self->pending_close_;
                self->pending_close_.reset();
                self->DoClose(code);
            }
        }));
}

void WsSession::CloseWith(websocket::close_code code) {
    if (closing_) return;
    closing_ = true;
    if (writing_) {
        pending_close_ = code;
    } else {
        DoClose(code);
    }
    // A peer that never completes the close handshake (or a stalled write) must not hold the socket.
    close_guard_.expires_after(server_->settings.timeouts.ws_close_grace);
    close_guard_.async_wait([self = shared_from_this()](beast::error_code ec) {
        if (ec) return;
        // An abortive close (RST): a graceful one would queue the FIN behind the unsent frames of a peer that does
        // not read, and the kernel would keep that orphan socket and its buffers for minutes.
        beast::error_code ignored;
        auto& socket = beast::get_lowest_layer(self->ws_).socket();
        socket.set_option(asio::socket_base::linger(true, 0), ignored);
        socket.close(ignored);
    });
}

void WsSession::DoClose(websocket::close_code code) {
    outbox_.clear();
    ws_.async_close(code, asio::bind_executor(ws_.get_executor(), [self = shared_from_this()](beast::error_code) {}));
}

void WsSession::DeliverLive(const std::shared_ptr<const runs::LiveEvent>& event) {
    SendAll(ledger_.OnLive(runs::ReplayEventFromLive(*event)));
}

void WsSession::OnControlFrame(websocket::frame_type kind) {
    // Pings and pongs count against the frames-per-second limit like messages do: Beast answers every ping by
    // itself, so without this a ping flood would cost the server a pong each, unbounded. Runs inside Beast's read:
    // the verdict is posted, not written from here.
    if (kind == websocket::frame_type::close || closing_ || control_flood_) return;
    if (FloodCheck()) return;
    control_flood_ = true;
    asio::post(ws_.get_executor(), [self = shared_from_this()] {
        self->SendError(ErrorCode::kRateLimited, "too many frames per second (pings included); closing", "");
        self->CloseWith(websocket::close_code::policy_error);
    });
}

bool WsSession::FloodCheck() {
    auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= std::chrono::seconds(1)) {
        window_start_ = now;
        frames_in_window_ = 0;
    }
    return ++frames_in_window_ <= server_->settings.limits.ws_frames_per_second;
}

void WsSession::StartMessageDeadline() {
    const auto limit = server_->settings.timeouts.ws_message;
    message_deadline_.expires_after(limit);
    message_deadline_.async_wait([self = shared_from_this(), limit, message = ++messages_begun_](beast::error_code ec) {
        // The message may have completed after the deadline fired but before this ran (and another begun since).
        if (ec || self->closing_ || !self->in_message_ || message != self->messages_begun_) return;
        self->SendError(ErrorCode::kRequestTimeout,
                        "message not received whole within " + std::to_string(limit.count()) + " ms; closing (1008)",
                        "");
        self->CloseWith(websocket::close_code::policy_error);
    });
}

asio::awaitable<void> WsSession::Run(http::Request req, std::optional<std::string> echo_subprotocol) {
    auto self = shared_from_this();
    const auto& settings = server_->settings;
    ws_.set_option(
        websocket::stream_base::timeout{settings.timeouts.ws_handshake, settings.timeouts.ws_ping_interval * 2, true});
    // Message size is checked by the read loop below, which can still send an `error` before the 1009; Beast's
    // own limit would close 1009 without a word (the declared length of a frame is no reason to wait for it).
    ws_.read_message_max(0);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view /*payload*/) { OnControlFrame(kind); });
    ws_.set_option(websocket::stream_base::decorator([echo_subprotocol](websocket::response_type& res) {
        res.set(beast::http::field::server, "netra");
        if (echo_subprotocol) res.set(beast::http::field::sec_websocket_protocol, *echo_subprotocol);
    }));
    auto [aec] = co_await ws_.async_accept(req, as_tuple(asio::use_awaitable));
    if (aec) co_return;
    server_->metrics.ConnectionOpened(true);
    auto subscription = services_->bus.Subscribe(claims_.user_id, std::weak_ptr<runs::EventListener>(self));

    SendJson(json::object{{"type", "connection_established"},
                          {"connection_id", connection_id_},
                          {"user_id", claims_.user_id},
                          {"server_time", core::FormatRfc3339Ms(core::NowMs())},
                          {"protocol", 1}});

    const std::size_t max_message = settings.limits.max_ws_frame_bytes;
    beast::flat_buffer buffer;
    for (;;) {
        // One message, piece by piece, so that one over the limit is refused with an `error` then 1009 as soon as
        // the limit is passed, whatever length its frames declare. While closing, what arrives is dropped.
        // A message begun must be whole within timeouts.ws_message: Beast's idle timeout does not see a client that
        // answers pings between fragments trickled one at a time.
        beast::error_code ec;
        bool too_big = false;
        do {
            auto [rec, bytes] = co_await ws_.async_read_some(buffer, kReadChunkBytes, as_tuple(asio::use_awaitable));
            (void)bytes;
            ec = rec;
            if (!ec && !closing_ && buffer.size() > max_message) too_big = true;
            if (closing_ || too_big) buffer.consume(buffer.size());
            if (!ec && !closing_ && !in_message_ && !ws_.is_message_done()) {
                in_message_ = true;
                StartMessageDeadline();
            }
        } while (!ec && !too_big && !ws_.is_message_done());
        if (in_message_) {
            in_message_ = false;
            message_deadline_.cancel();
        }
        if (ec) break;  // closed, protocol error (Beast closes 1002), timed out, or reset
        server_->metrics.WsFrameReceived();
        std::string text = beast::buffers_to_string(buffer.data());
        buffer.consume(buffer.size());
        if (closing_) continue;  // draining until the close handshake completes
        if (too_big) {
            SendError(ErrorCode::kPayloadTooLarge,
                      "message larger than " + std::to_string(max_message) + " bytes; closing (1009)", "");
            CloseWith(websocket::close_code::too_big);
            continue;
        }
        if (!FloodCheck()) {
            SendError(ErrorCode::kRateLimited, "too many frames per second; closing", "");
            CloseWith(websocket::close_code::policy_error);
            continue;
        }
        if (!ws_.got_text()) {
            SendError(ErrorCode::kInvalidMessage, "binary frames are not supported; send JSON text", "");
            continue;
        }
        try {
            co_await Handle(text);
        } catch (const std::exception& e) {
            spdlog::error("ws {}: frame handling failed: {}", connection_id_, e.what());
            SendError(ErrorCode::kInternal, "internal error", "");
        }
    }
    services_->bus.Unsubscribe(claims_.user_id, subscription);
    server_->metrics.ConnectionClosed(true);
    close_guard_.cancel();
}

asio::awaitable<void> WsSession::Handle(const std::string& text) {
    ParseLimits limits{server_->settings.limits.max_json_depth, server_->settings.limits.max_message_bytes};
    auto parsed = ParseClientFrame(text, limits);
    if (auto* error = std::get_if<FrameError>(&parsed)) {
        SendError(core::MakeError(error->code, error->message), error->request_type, error->client_message_id);
        co_return;
    }
    const ClientFrame& frame = std::get<ClientFrame>(parsed);
    switch (frame.type) {
        case FrameType::kPing:
            SendJson(json::object{
                {"type", "pong"}, {"id", frame.ping_id}, {"server_time", core::FormatRfc3339Ms(core::NowMs())}});
            break;
        case FrameType::kHeartbeat:
            SendJson(json::object{{"type", "heartbeat_ack"}, {"server_time", core::FormatRfc3339Ms(core::NowMs())}});
            break;
        case FrameType::kUserMessage:
        case FrameType::kStartAgent:
            co_await HandleSubmit(frame);
            break;
        case FrameType::kCancelRun:
            co_await HandleCancel(frame);
            break;
        case FrameType::kSubscribe:
            co_await HandleSubscribe(frame);
            break;
        case FrameType::kGetAgentStatus:
            co_await HandleStatus(frame);
            break;
    }
}

asio::awaitable<void> WsSession::HandleSubmit(const ClientFrame& frame) {
    runs::SubmitRequest request;
    request.user_id = claims_.user_id;
    request.thread_id = frame.thread_id;
    request.content = frame.content;
    request.dataset_id = frame.dataset_id;
    request.policy = frame.policy.value_or("enqueue");
    request.agent = frame.agent;
    auto services = services_;
    auto work = [services, request] { return services->runs.Submit(request); };  // named: GCC 12 co_await temporaries
    auto result = co_await core::Offload(server_->workers, std::move(work));
    if (!result.ok()) {
        SendError(result.error(), frame.type_name, frame.client_message_id);
        co_return;
    }
    json::object ack{{"type", "ack"},
                     {"request_type", frame.type_name},
                     {"message_id", result->message.id},
                     {"thread_id", result->run.thread_id},
                     {"run_id", result->run.id},
                     {"status", domain::Name(result->run.status)}};
    if (frame.client_message_id)
        ack["client_message_id"] = *frame.client_message_id;
    else
        ack["client_message_id"] = nullptr;
    SendJson(ack);
    // Scheduling after the ack is queued guarantees the ack precedes every event of the run.
    services_->runs.Schedule(result->run.id);
}

asio::awaitable<void> WsSession::HandleCancel(const ClientFrame& frame) {
    auto services = services_;
    std::string user = claims_.user_id, run_id = *frame.run_id;
    auto work = [services, user, run_id] { return services->runs.Cancel(user, run_id); };
    auto result = co_await core::Offload(server_->workers, std::move(work));
    if (!result.ok()) {
        SendError(result.error(), frame.type_name);
        co_return;
    }
    SendJson(json::object{{"type", "ack"},
                          {"request_type", frame.type_name},
                          {"run_id", run_id},
                          {"status", domain::Name(result->status)}});
}

// subscribe {run_id, after_seq}: the stored events after after_seq that this connection has not sent, then live.
// The connection is registered with the bus since it opened and the ledger holds the run's live events from
// here until the hand-over, so every event is either in the read or arrives live (or both, sent once).
asio::awaitable<void> WsSession::HandleSubscribe(const ClientFrame& frame) {
    if (!frame.run_id || frame.run_id->empty()) co_return co_await HandleThreadSubscribe(frame);
    const std::string run_id = *frame.run_id;
    ledger_.BeginRunReplay(run_id, frame.after_seq);
    auto services = services_;
    std::string user = claims_.user_id;
    std::int64_t after = frame.after_seq;
    auto work = [services, user, run_id, after] {
        domain::EventFilter filter;
        filter.after_seq = after;
        filter.limit = 0;  // every event after `after`, read page by page
        return services->events.ReadRunEvents(user, run_id, filter);
    };
    auto result = co_await core::Offload(server_->workers, std::move(work));
    if (!result.ok()) {
        SendError(result.error(), frame.type_name);
        SendAll(ledger_.AbandonRunReplay(run_id));
        co_return;
    }
    std::int64_t last_seq = result->events.empty() ? frame.after_seq : result->events.back().seq;
    SendJson(json::object{{"type", "subscribed"},
                          {"run_id", run_id},
                          {"after_seq", frame.after_seq},
                          {"last_seq", std::max(last_seq, frame.after_seq)},
                          {"status", domain::Name(result->run.status)}});
    // No co_await from here to the hand-over: nothing can interleave with the replay on this strand.
    SendAll(ledger_.AcceptStored(run_id, runs::ReplayEventsOf(*result)));
    SendAll(ledger_.EndRunReplay(run_id));
}

// subscribe {thread_id}: every event of every run of the thread that this connection has not sent yet, run by
// run in creation order, then live ones.
asio::awaitable<void> WsSession::HandleThreadSubscribe(const ClientFrame& frame) {
    const std::string thread_id = *frame.thread_id;
    ledger_.BeginThreadReplay(thread_id);
    auto services = services_;
    std::string user = claims_.user_id;
    auto work = [services, user, thread_id] { return services->events.ReadThreadEvents(user, thread_id); };
    auto result = co_await core::Offload(server_->workers, std::move(work));
    if (!result.ok()) {
        SendError(result.error(), frame.type_name);
        SendAll(ledger_.AbandonThreadReplay(thread_id));
        co_return;
    }
    json::array summary;
    for (const auto& r : *result) {
        summary.push_back(json::object{{"run_id", r.run.id},
                                       {"last_seq", r.events.empty() ? 0 : r.events.back().seq},
                                       {"status", domain::Name(r.run.status)}});
    }
    SendJson(json::object{{"type", "subscribed"}, {"thread_id", thread_id}, {"runs", std::move(summary)}});
    for (const auto& r : *result) SendAll(ledger_.AcceptThreadRunStored(thread_id, r.run.id, runs::ReplayEventsOf(r)));
    SendAll(ledger_.EndThreadReplay(thread_id));
}

asio::awaitable<void> WsSession::HandleStatus(const ClientFrame& frame) {
    auto services = services_;
    std::string user = claims_.user_id;
    auto run_id = frame.run_id;
    auto work = [services, user, run_id] { return services->runs.Status(user, run_id); };
    auto result = co_await core::Offload(server_->workers, std::move(work));
    if (!result.ok()) {
        SendError(result.error(), frame.type_name);
        co_return;
    }
    json::array list;
    for (const auto& r : *result) {
        list.push_back(json::object{
            {"run_id", r.run_id},
            {"thread_id", r.thread_id},
            {"status", domain::Name(r.status)},
            {"current_agent", r.current_agent.empty() ? json::value(nullptr) : json::value(r.current_agent)},
            {"seq", r.seq}});
    }
    SendJson(json::object{{"type", "agent_status"}, {"runs", std::move(list)}});
}

}  // namespace netra::net::ws

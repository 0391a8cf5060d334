#include "stage/ws_client.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <variant>

#include "stage/connection.hpp"

namespace netra::stage {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

std::string WsMessage::Type() const {
    if (const auto* o = Object()) {
        if (auto it = o->find("type"); it != o->end() && it->value().is_string()) {
            return std::string(it->value().get_string());
        }
    }
    return {};
}

const json::object* WsMessage::Object() const { return json.is_object() ? &json.as_object() : nullptr; }

struct WsClient::Impl {
    asio::io_context ioc;
    std::shared_ptr<asio::ssl::context> tls;  // wss: outlives the stream
    // ws:// or wss://: the same WebSocket over a plain or a TLS stream.
    using PlainWs = websocket::stream<beast::tcp_stream>;
    using TlsWs = websocket::stream<detail::TlsStream>;
    std::optional<std::variant<PlainWs, TlsWs>> ws;
    beast::flat_buffer rbuf;
    std::thread io_thread;
    std::string selected;
    bool reading = true;
    std::atomic<int> pings{0};

    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<WsMessage> queue;
    bool open = false;
    std::optional<int> close_code;
    std::string close_reason;
    std::string read_error;

    std::mutex send_mu;  // one write in flight at a time, as Beast requires
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> idle_guard;

    // Calls f with the WebSocket stream, whichever transport it runs on.
    template <class F>
    decltype(auto) Ws(F&& f) {
        return std::visit(std::forward<F>(f), *ws);
    }
    beast::tcp_stream& Lowest() {
        return Ws([](auto& w) -> beast::tcp_stream& { return beast::get_lowest_layer(w); });
    }

    void StartRead() {
        Ws([this](auto& w) {
            w.async_read(rbuf, [this](const boost::system::error_code& ec, std::size_t) { OnRead(ec); });
        });
    }

    void OnRead(const boost::system::error_code& ec) {
        if (ec) {
            std::lock_guard lock(mu);
            open = false;
            read_error = ec.message();
            const auto reason = Ws([](auto& w) { return w.reason(); });
            if (reason.code != websocket::close_code::none || ec == websocket::error::closed) {
                close_code = static_cast<int>(reason.code);
                close_reason = std::string(reason.reason.c_str());
            }
            cv.notify_all();
            return;
        }
        WsMessage msg;
        msg.received_at = std::chrono::steady_clock::now();
        msg.text = beast::buffers_to_string(rbuf.data());
        rbuf.consume(rbuf.size());
        boost::system::error_code jec;
        msg.json = json::parse(msg.text, jec);
        if (jec) {
            msg.is_json = false;
            msg.json = json::string(msg.text);
        }
        {
            std::lock_guard lock(mu);
            queue.push_back(std::move(msg));
        }
        cv.notify_all();
        StartRead();
    }

    // Runs the io_context on this thread until `done` or the deadline passes.
    template <class Done>
    bool RunUntil(Done done, std::chrono::steady_clock::time_point deadline) {
        ioc.restart();
        while (!done()) {
            auto left = deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::milliseconds(0)) return false;
            if (ioc.run_one_for(left) == 0 && ioc.stopped()) {
                ioc.restart();
                if (!done() && ioc.poll() == 0) return done();
            }
        }
        return true;
    }

    bool SendText(std::string text) {
        {
            std::lock_guard lock(mu);
            if (!open) return false;
        }
        std::lock_guard send_lock(send_mu);
        auto state = std::make_shared<std::pair<std::string, std::promise<boost::system::error_code>>>();
        state->first = std::move(text);
        auto fut = state->second.get_future();
        asio::post(ioc, [this, state] {
            Ws([&](auto& w) {
                w.async_write(asio::buffer(state->first), [state](const boost::system::error_code& ec, std::size_t) {
                    state->second.set_value(ec);
                });
            });
        });
        if (fut.wait_for(std::chrono::seconds(10)) != std::future_status::ready) return false;
        return !fut.get();
    }
};

WsClient::WsClient() : impl_(std::make_unique<Impl>()) {}
WsClient::~WsClient() { Close(); }

bool WsClient::Connect(const ServerUrl& server, const WsConnectOptions& options, WsConnectError* error) {
    auto& d = *impl_;
    auto fail = [&](std::string message, int status = 0, std::string body = {}) {
        if (error) *error = WsConnectError{std::move(message), status, std::move(body)};
        d.ws.reset();
        return false;
    };
    if (d.ws) return fail("already connected");
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;

    d.reading = options.read;
    // A small window before connecting (it is negotiated in the handshake) makes the server's writes back up
    // after a few KiB instead of megabytes.
    std::function<void(beast::tcp_stream&)> small_window;
    if (!options.read) {
        small_window = [](beast::tcp_stream& s) {
            boost::system::error_code ignored;
            s.socket().set_option(asio::socket_base::receive_buffer_size(4096), ignored);
        };
    }
    auto run_until = [&](const std::function<bool()>& done) {
        return d.RunUntil(done, deadline + std::chrono::milliseconds(500));
    };
    auto opened = detail::OpenStream(d.ioc, server, d.tls, deadline, run_until, small_window);
    if (!opened.ok()) return fail(opened.error().message);
    if (auto* plain = std::get_if<beast::tcp_stream>(&*opened)) {
        d.ws.emplace(std::in_place_type<Impl::PlainWs>, std::move(*plain));
    } else {
        d.ws.emplace(std::in_place_type<Impl::TlsWs>, std::move(std::get<detail::TlsStream>(*opened)));
    }
    auto& lowest = d.Lowest();
    lowest.expires_never();  // from here the websocket stream's own timeout settings apply
    boost::system::error_code ec;
    bool done = false;

    websocket::stream_base::timeout to{};
    to.handshake_timeout = options.timeout;
    to.idle_timeout = websocket::stream_base::none();
    to.keep_alive_pings = false;
    d.Ws([&](auto& w) {
        w.set_option(to);
        w.set_option(websocket::stream_base::decorator([&options](websocket::request_type& req) {
            req.set(http::field::user_agent, "netra-stage/1");
            if (!options.subprotocols.empty()) {
                std::string joined;
                for (const auto& p : options.subprotocols) joined += (joined.empty() ? "" : ", ") + p;
                req.set(http::field::sec_websocket_protocol, joined);
            }
            if (options.bearer_token) req.set(http::field::authorization, "Bearer " + *options.bearer_token);
        }));
        w.text(true);
        w.read_message_max(64ull * 1024 * 1024);
    });

    std::string target = server.base_path + options.path;
    if (!options.query.empty()) target += "?" + options.query;
    websocket::response_type res;
    done = false;
    d.Ws([&](auto& w) {
        w.async_handshake(res, server.host + ":" + server.port, target, [&](const boost::system::error_code& e) {
            ec = e;
            done = true;
        });
    });
    if (!d.RunUntil([&] { return done; }, deadline + std::chrono::milliseconds(1000))) {
        lowest.close();
        d.RunUntil([&] { return done; }, std::chrono::steady_clock::now() + std::chrono::seconds(1));
        return fail("handshake timed out after " + std::to_string(options.timeout.count()) + " ms");
    }
    if (ec) {
        int status = static_cast<int>(res.result_int());
        std::string body = res.body();
        if (ec == websocket::error::upgrade_declined) {
            return fail("upgrade refused with HTTP " + std::to_string(status), status, std::move(body));
        }
        return fail("handshake failed: " + ec.message(), status, std::move(body));
    }
    if (auto it = res.find(http::field::sec_websocket_protocol); it != res.end()) d.selected = std::string(it->value());
    {
        std::lock_guard lock(d.mu);
        d.open = true;
    }
    d.Ws([&d](auto& w) {
        w.control_callback([&d](websocket::frame_type kind, beast::string_view) {
            if (kind == websocket::frame_type::ping) d.pings.fetch_add(1);
        });
    });
    d.ioc.restart();
    if (d.reading) {
        d.StartRead();
    } else {
        // Keeps ioc.run() alive with no read pending (writes still go through the io thread).
        d.idle_guard.emplace(asio::make_work_guard(d.ioc));
    }
    d.io_thread = std::thread([&d] { d.ioc.run(); });
    return true;
}

const std::string& WsClient::SelectedSubprotocol() const { return impl_->selected; }

bool WsClient::Send(const json::value& frame) { return impl_->SendText(json::serialize(frame)); }
bool WsClient::SendText(std::string_view text) { return impl_->SendText(std::string(text)); }

std::optional<WsMessage> WsClient::Receive(std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    std::unique_lock lock(d.mu);
    d.cv.wait_for(lock, timeout, [&] { return !d.queue.empty() || !d.open; });
    if (d.queue.empty()) return std::nullopt;
    WsMessage m = std::move(d.queue.front());
    d.queue.pop_front();
    return m;
}

std::optional<WsMessage> WsClient::ReceiveUntil(const std::function<bool(const WsMessage&)>& pred,
                                                std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) return std::nullopt;
        auto m = Receive(left);
        if (!m) return std::nullopt;
        if (pred(*m)) return m;
    }
}

std::vector<WsMessage> WsClient::CollectUntil(const std::function<bool(const WsMessage&)>& pred,
                                              std::chrono::milliseconds timeout, bool* matched) {
    std::vector<WsMessage> out;
    if (matched) *matched = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() < 0) return out;
        auto m = Receive(left);
        if (!m) return out;
        bool hit = pred(*m);
        out.push_back(std::move(*m));
        if (hit) {
            if (matched) *matched = true;
            return out;
        }
    }
}

bool WsClient::IsOpen() const {
    std::lock_guard lock(impl_->mu);
    return impl_->open;
}

std::optional<int> WsClient::CloseCode() const {
    std::lock_guard lock(impl_->mu);
    return impl_->close_code;
}

std::string WsClient::CloseReason() const {
    std::lock_guard lock(impl_->mu);
    return impl_->close_reason;
}

std::string WsClient::ReadError() const {
    std::lock_guard lock(impl_->mu);
    return impl_->read_error;
}

void WsClient::ResumeReading() {
    auto& d = *impl_;
    if (d.reading || !d.io_thread.joinable()) return;
    d.reading = true;
    asio::post(d.ioc, [&d] {
        d.idle_guard.reset();
        d.StartRead();
    });
}

int WsClient::PingsReceived() const { return impl_->pings.load(); }

void WsClient::Abort() {
    auto& d = *impl_;
    if (!d.io_thread.joinable()) {
        d.ws.reset();
        return;
    }
    asio::post(d.ioc, [&d] {
        boost::system::error_code ignored;
        d.Lowest().socket().close(ignored);
        d.idle_guard.reset();
    });
    d.io_thread.join();
    {
        std::lock_guard lock(d.mu);
        d.open = false;
    }
    d.ws.reset();
}

void WsClient::Close() {
    auto& d = *impl_;
    if (!d.io_thread.joinable()) {
        d.ws.reset();
        return;
    }
    if (!d.reading) {  // nothing reads the server's close frame: a handshake would only time out
        Abort();
        return;
    }
    bool was_open;
    {
        std::lock_guard lock(d.mu);
        was_open = d.open;
    }
    if (was_open) {
        std::lock_guard send_lock(d.send_mu);
        auto closed = std::make_shared<std::promise<void>>();
        auto fut = closed->get_future();
        asio::post(d.ioc, [&d, closed] {
            d.Ws([&](auto& w) {
                w.async_close(websocket::close_code::normal,
                              [closed](const boost::system::error_code&) { closed->set_value(); });
            });
        });
        fut.wait_for(std::chrono::seconds(3));
        // The pending read completes once the server's close frame arrives; do not wait for a slow peer.
        std::unique_lock lock(d.mu);
        d.cv.wait_for(lock, std::chrono::seconds(2), [&] { return !d.open; });
    }
    asio::post(d.ioc, [&d] {
        boost::system::error_code ignored;
        d.Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        d.Lowest().close();
        d.idle_guard.reset();
        // Whatever is still pending (a close handshake the peer never answered, a stream timer) is abandoned: a
        // client being closed must never wait on its peer. (Seen once: a join that never returned, in teardown.)
        d.ioc.stop();
    });
    d.io_thread.join();
    {
        std::lock_guard lock(d.mu);
        d.open = false;
    }
    d.ws.reset();
}

}  // namespace netra::stage

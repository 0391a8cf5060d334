#include "stage/http_client.hpp"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "core/json_util.hpp"
#include "stage/connection.hpp"

namespace netra::stage {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using core::ErrorCode;
using core::MakeError;

namespace {

bool IEquals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Errors that mean "the idle keep-alive connection was closed by the server before we used it".
bool IsStaleConnectionError(const boost::system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == http::error::partial_message;
}

}  // namespace

std::string ServerUrl::Origin() const { return scheme + "://" + host + ":" + port; }

core::Result<ServerUrl> ParseServerUrl(std::string_view text) {
    auto parsed = boost::urls::parse_uri(boost::core::string_view(text.data(), text.size()));
    if (!parsed) return MakeError(ErrorCode::kInvalidRequest, "invalid URL '" + std::string(text) + "'");
    ServerUrl out;
    out.scheme = std::string(parsed->scheme());
    if (out.scheme == "ws") out.scheme = "http";
    if (out.scheme == "wss") out.scheme = "https";
    if (out.scheme != "http" && out.scheme != "https") {
        return MakeError(ErrorCode::kInvalidRequest, "URL scheme must be http or https, got '" + out.scheme + "'");
    }
    out.tls = out.scheme == "https";
    out.host = std::string(parsed->host_address());
    if (out.host.empty()) return MakeError(ErrorCode::kInvalidRequest, "URL has no host");
    // IPv6 literals come back with brackets from host_address(); the resolver wants them bare.
    if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
        out.host = out.host.substr(1, out.host.size() - 2);
    }
    out.port = parsed->has_port() ? std::string(parsed->port()) : (out.tls ? "443" : "80");
    std::string path(parsed->encoded_path());
    while (!path.empty() && path.back() == '/') path.pop_back();
    out.base_path = path;
    return out;
}

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (IEquals(k, name)) return v;
    }
    return std::nullopt;
}

const json::object* HttpResponse::JsonObject() const {
    if (json && json->is_object()) return &json->as_object();
    return nullptr;
}

std::string HttpResponse::Describe(std::size_t max_body) const {
    std::string b = body.size() > max_body ? body.substr(0, max_body) + "…" : body;
    return "HTTP " + std::to_string(status) + (b.empty() ? std::string(" (empty body)") : " " + b);
}

Headers BearerAuth(std::string_view access_token) { return {{"Authorization", "Bearer " + std::string(access_token)}}; }

struct HttpClient::Impl {
    ServerUrl server;
    asio::io_context ioc;
    std::shared_ptr<asio::ssl::context> tls;  // https: made on first connect, outlives every stream
    std::optional<detail::AnyStream> stream;
    beast::flat_buffer buffer;

    explicit Impl(ServerUrl s) : server(std::move(s)) {}

    void Close() {
        if (stream) {
            boost::system::error_code ignored;
            auto& lowest = detail::Lowest(*stream);
            lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
            lowest.close();
            stream.reset();
        }
        buffer.clear();
    }

    // Runs the private io_context until `done()` or the deadline (plus grace for the stream's own expiry).
    template <class Done>
    void RunUntil(Done done, std::chrono::steady_clock::time_point deadline) {
        ioc.restart();
        while (!done()) {
            auto left = deadline - std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
            if (left <= std::chrono::milliseconds(0)) {
                // The tcp_stream timeout should already have fired; closing makes pending handlers complete.
                if (stream) detail::Lowest(*stream).close();
                ioc.restart();
                ioc.run();
                return;
            }
            if (ioc.run_one_for(left) == 0 && ioc.stopped()) {
                ioc.restart();
                if (!done() && ioc.poll() == 0) return;  // nothing left that could complete: do not spin
            }
        }
    }

    core::Status Connect(std::chrono::steady_clock::time_point deadline) {
        Close();
        // The private io_context runs with the deadline plus grace for the stream's own expiry (RunUntil).
        auto run_until = [&](const std::function<bool()>& done) {
            RunUntil(done, deadline);
            return done();
        };
        auto opened = detail::OpenStream(ioc, server, tls, deadline, run_until);
        if (!opened.ok()) return opened.error();
        stream.emplace(std::move(*opened));
        return core::Ok();
    }
};

HttpClient::HttpClient(ServerUrl server) : impl_(std::make_unique<Impl>(std::move(server))) {}
HttpClient::~HttpClient() {
    if (impl_) impl_->Close();
}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

const ServerUrl& HttpClient::server() const { return impl_->server; }

void HttpClient::Disconnect() { impl_->Close(); }

core::Result<HttpResponse> HttpClient::Request(std::string_view method, std::string_view target, const Headers& headers,
                                               std::string_view body, const HttpRequestOptions& options) {
    auto& d = *impl_;
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;

    http::request<http::string_body> req;
    http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
    if (verb == http::verb::unknown) {
        req.method_string(beast::string_view(method.data(), method.size()));
    } else {
        req.method(verb);
    }
    req.version(11);
    req.target(d.server.base_path + std::string(target));
    req.set(http::field::host, d.server.host + ":" + d.server.port);
    req.set(http::field::user_agent, "netra-stage/1");
    bool has_content_type = false;
    for (const auto& [k, v] : headers) {
        if (IEquals(k, "content-type")) has_content_type = true;
        req.insert(beast::string_view(k.data(), k.size()), beast::string_view(v.data(), v.size()));
    }
    if (!body.empty()) {
        if (!has_content_type) req.set(http::field::content_type, "application/json");
        req.body().assign(body.data(), body.size());
    }
    req.keep_alive(true);
    req.prepare_payload();
    const bool is_head = verb == http::verb::head;

    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = d.stream.has_value();
        if (!reused) {
            auto st = d.Connect(deadline);
            if (!st.ok()) return st.error();
        }
        detail::Lowest(*d.stream).expires_at(deadline);

        http::response_parser<http::string_body> parser;
        parser.body_limit(256ull * 1024 * 1024);
        if (is_head) parser.skip(true);
        boost::system::error_code write_ec, read_ec;
        bool write_done = false, read_done = false;
        const auto started = std::chrono::steady_clock::now();
        double elapsed = 0;

        // Write and read run concurrently: a server may answer (413, 401…) before it has read a large body
        // and then stop reading; the response is what we want to see, not the broken pipe.
        std::visit(
            [&](auto& stream) {
                http::async_write(stream, req, [&](const boost::system::error_code& ec, std::size_t) {
                    write_ec = ec;
                    write_done = true;
                });
                http::async_read(stream, d.buffer, parser, [&](const boost::system::error_code& ec, std::size_t) {
                    read_ec = ec;
                    read_done = true;
                    elapsed =
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
                    // Answered early: abandon the body.
                    if (!write_done && d.stream) detail::Lowest(*d.stream).socket().cancel();
                });
            },
            *d.stream);
        d.RunUntil([&] { return write_done && read_done; }, deadline);

        if (read_ec) {
            const bool timed_out = read_ec == beast::error::timeout;
            d.Close();
            if (reused && attempt == 0 && !timed_out && IsStaleConnectionError(read_ec)) continue;
            if (timed_out) {
                return MakeError(ErrorCode::kTimeout, std::string(method) + " " + std::string(target) +
                                                          ": no response within " +
                                                          std::to_string(options.timeout.count()) + " ms");
            }
            return MakeError(ErrorCode::kServiceUnavailable,
                             std::string(method) + " " + std::string(target) + ": " + read_ec.message() +
                                 (write_ec ? " (write: " + write_ec.message() + ")" : std::string()));
        }

        auto msg = parser.release();
        HttpResponse out;
        out.status = static_cast<int>(msg.result_int());
        out.elapsed_ms = elapsed;
        for (const auto& field : msg) {
            out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
        }
        out.body = std::move(msg.body());
        if (!out.body.empty()) {
            boost::system::error_code jec;
            json::value v = json::parse(out.body, jec);
            if (!jec) out.json = std::move(v);
        }
        if (write_ec || !write_done || !msg.keep_alive()) d.Close();
        return out;
    }
    return MakeError(ErrorCode::kServiceUnavailable, "connection closed by server twice");
}

core::Result<HttpResponse> HttpClient::Get(std::string_view target, const Headers& headers) {
    return Request("GET", target, headers);
}

core::Result<HttpResponse> HttpClient::PostJson(std::string_view target, const json::value& body,
                                                const Headers& headers) {
    return Request("POST", target, headers, json::serialize(body));
}

}  // namespace netra::stage

namespace netra::stage {

struct SseStream::Impl {
    asio::io_context ioc;
    std::shared_ptr<asio::ssl::context> tls;  // https: outlives the stream
    std::optional<detail::AnyStream> stream;
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    char chunk[16384];
    std::thread reader;
    std::string pending;  // body bytes not yet forming a complete line
    SseEvent current;     // the event being assembled
    bool has_fields = false;
    std::string raw_body;  // the body of a non-200 answer

    mutable std::mutex mu;
    std::condition_variable cv;
    std::deque<SseEvent> events;
    bool ended = false;
    std::string end_reason;

    void Line(std::string_view line, std::chrono::steady_clock::time_point now) {
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) {  // blank line: dispatch (events without data are not dispatched, per the SSE rules)
            if (has_fields && !current.data.empty()) {
                if (current.data.back() == '\n') current.data.pop_back();
                current.received_at = now;
                std::lock_guard lock(mu);
                events.push_back(std::move(current));
                cv.notify_all();
            }
            current = SseEvent{};
            has_fields = false;
            return;
        }
        if (line.front() == ':') return;  // comment (keep-alive)
        auto colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        if (field == "data") {
            current.data.append(value);
            current.data.push_back('\n');
            has_fields = true;
        } else if (field == "id") {
            current.id = std::string(value);
            has_fields = true;
        } else if (field == "event") {
            current.event = std::string(value);
            has_fields = true;
        }
    }

    void Feed(std::string_view bytes) {
        const auto now = std::chrono::steady_clock::now();
        pending.append(bytes);
        std::size_t start = 0;
        for (;;) {
            auto nl = pending.find('\n', start);
            if (nl == std::string::npos) break;
            Line(std::string_view(pending).substr(start, nl - start), now);
            start = nl + 1;
        }
        pending.erase(0, start);
    }

    void End(std::string reason) {
        std::lock_guard lock(mu);
        if (!ended) {
            ended = true;
            end_reason = std::move(reason);
        }
        cv.notify_all();
    }

    // One read of the body into `chunk`; `on_bytes` gets what arrived. Calls `done(ec)` when finished.
    void ReadBody(std::function<void(std::string_view)> on_bytes, std::function<void(std::string)> done) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof(chunk);
        auto on_read = [this, on_bytes, done](const boost::system::error_code& ec, std::size_t) {
            std::size_t got = sizeof(chunk) - parser.get().body().size;
            if (got > 0) on_bytes(std::string_view(chunk, got));
            if (ec && ec != http::error::need_buffer) {
                done(ec == asio::error::eof || ec == http::error::end_of_stream ? "server closed the connection"
                                                                                : ec.message());
                return;
            }
            if (parser.is_done()) {
                done("server ended the body");
                return;
            }
            ReadBody(on_bytes, done);
        };
        std::visit([&](auto& s) { http::async_read_some(s, buffer, parser, std::move(on_read)); }, *stream);
    }
};

SseStream::SseStream() : impl_(std::make_unique<Impl>()) {}
SseStream::~SseStream() { Close(); }

core::Result<HttpResponse> SseStream::Open(const ServerUrl& server, std::string_view target, const Headers& headers,
                                           std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    if (d.stream) return MakeError(ErrorCode::kInvalidRequest, "stream already open");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto run_until = [&](const std::function<bool()>& done) {
        d.ioc.restart();
        while (!done()) {
            auto left = deadline - std::chrono::steady_clock::now();
            if (left <= std::chrono::milliseconds(0)) return false;
            if (d.ioc.run_one_for(left) == 0 && d.ioc.stopped()) {
                d.ioc.restart();
                if (!done() && d.ioc.poll() == 0) return done();
            }
        }
        return true;
    };
    auto opened = detail::OpenStream(d.ioc, server, d.tls, deadline, run_until);
    if (!opened.ok()) return opened.error();
    d.stream.emplace(std::move(*opened));
    boost::system::error_code ec;
    bool done = false;

    http::request<http::empty_body> req{http::verb::get, server.base_path + std::string(target), 11};
    req.set(http::field::host, server.host + ":" + server.port);
    req.set(http::field::user_agent, "netra-stage/1");
    req.set(http::field::accept, "text/event-stream");
    for (const auto& [k, v] : headers)
        req.insert(beast::string_view(k.data(), k.size()), beast::string_view(v.data(), v.size()));
    done = false;
    std::visit(
        [&](auto& s) {
            http::async_write(s, req, [&](const boost::system::error_code& e, std::size_t) {
                ec = e;
                done = true;
            });
        },
        *d.stream);
    if (!run_until([&] { return done; }) || ec) {
        Close();
        return MakeError(ErrorCode::kServiceUnavailable, "GET " + std::string(target) + ": write failed");
    }
    d.parser.body_limit(boost::none);
    done = false;
    std::visit(
        [&](auto& s) {
            http::async_read_header(s, d.buffer, d.parser, [&](const boost::system::error_code& e, std::size_t) {
                ec = e;
                done = true;
            });
        },
        *d.stream);
    if (!run_until([&] { return done; }) || ec) {
        Close();
        return MakeError(ErrorCode::kTimeout, "GET " + std::string(target) + ": no response head within " +
                                                  std::to_string(timeout.count()) + " ms" +
                                                  (ec ? " (" + ec.message() + ")" : std::string()));
    }
    HttpResponse head;
    head.status = static_cast<int>(d.parser.get().result_int());
    for (const auto& field : d.parser.get()) {
        head.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (head.status != 200) {
        std::string finished;
        if (!d.parser.is_done()) {
            d.ReadBody([&](std::string_view bytes) { d.raw_body.append(bytes); },
                       [&](std::string reason) { finished = reason.empty() ? "done" : reason; });
            run_until([&] { return !finished.empty(); });
        }
        head.body = d.raw_body;
        boost::system::error_code jec;
        json::value v = json::parse(head.body, jec);
        if (!jec) head.json = std::move(v);
        Close();
        return head;
    }
    detail::Lowest(*d.stream).expires_never();
    d.ioc.restart();
    d.ReadBody([&d](std::string_view bytes) { d.Feed(bytes); }, [&d](std::string reason) { d.End(reason); });
    d.reader = std::thread([&d] { d.ioc.run(); });
    return head;
}

std::optional<SseEvent> SseStream::Next(std::chrono::milliseconds timeout) {
    auto& d = *impl_;
    std::unique_lock lock(d.mu);
    d.cv.wait_for(lock, timeout, [&] { return !d.events.empty() || d.ended; });
    if (d.events.empty()) return std::nullopt;
    SseEvent e = std::move(d.events.front());
    d.events.pop_front();
    return e;
}

bool SseStream::Ended() const {
    std::lock_guard lock(impl_->mu);
    return impl_->ended;
}

std::string SseStream::EndReason() const {
    std::lock_guard lock(impl_->mu);
    return impl_->end_reason;
}

void SseStream::Close() {
    auto& d = *impl_;
    if (d.reader.joinable()) {
        asio::post(d.ioc, [&d] {
            boost::system::error_code ignored;
            if (d.stream) detail::Lowest(*d.stream).socket().close(ignored);
        });
        d.reader.join();
    }
    if (d.stream) {
        boost::system::error_code ignored;
        detail::Lowest(*d.stream).socket().close(ignored);
        d.stream.reset();
    }
    d.End("closed by the client");
}

}  // namespace netra::stage

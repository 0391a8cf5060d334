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

#include "core/json_util.hpp"

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
    if (out.scheme == "https" || out.scheme == "wss") {
        return MakeError(ErrorCode::kInvalidRequest,
                         "TLS URLs are not supported by the staging client; put a plain-HTTP address in front");
    }
    if (out.scheme != "http") {
        return MakeError(ErrorCode::kInvalidRequest, "URL scheme must be http, got '" + out.scheme + "'");
    }
    out.host = std::string(parsed->host_address());
    if (out.host.empty()) return MakeError(ErrorCode::kInvalidRequest, "URL has no host");
    // IPv6 literals come back with brackets from host_address(); the resolver wants them bare.
    if (out.host.size() > 2 && out.host.front() == '[' && out.host.back() == ']') {
        out.host = out.host.substr(1, out.host.size() - 2);
    }
    out.port = parsed->has_port() ? std::string(parsed->port()) : "80";
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
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;

    explicit Impl(ServerUrl s) : server(std::move(s)) {}

    void Close() {
        if (stream) {
            boost::system::error_code ignored;
            stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
            stream->close();
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
                if (stream) stream->close();
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
        tcp::resolver resolver(ioc);
        boost::system::error_code ec;
        auto endpoints = resolver.resolve(server.host, server.port, ec);
        if (ec) return MakeError(ErrorCode::kServiceUnavailable, "resolve " + server.host + ": " + ec.message());
        stream.emplace(ioc);
        stream->expires_at(deadline);
        bool done = false;
        stream->async_connect(endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) {
            ec = e;
            done = true;
        });
        RunUntil([&] { return done; }, deadline);
        if (ec) {
            Close();
            return MakeError(ErrorCode::kServiceUnavailable,
                             "connect " + server.host + ":" + server.port + ": " + ec.message());
        }
        stream->socket().set_option(tcp::no_delay(true), ec);  // latency metrics must not wait on Nagle
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
        d.stream->expires_at(deadline);

        http::response_parser<http::string_body> parser;
        parser.body_limit(256ull * 1024 * 1024);
        if (is_head) parser.skip(true);
        boost::system::error_code write_ec, read_ec;
        bool write_done = false, read_done = false;
        const auto started = std::chrono::steady_clock::now();
        double elapsed = 0;

        // Write and read run concurrently: a server may answer (413, 401…) before it has read a large body
        // and then stop reading; the response is what we want to see, not the broken pipe.
        http::async_write(*d.stream, req, [&](const boost::system::error_code& ec, std::size_t) {
            write_ec = ec;
            write_done = true;
        });
        http::async_read(*d.stream, d.buffer, parser, [&](const boost::system::error_code& ec, std::size_t) {
            read_ec = ec;
            read_done = true;
            elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            if (!write_done && d.stream) d.stream->socket().cancel();  // answered early: abandon the body
        });
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

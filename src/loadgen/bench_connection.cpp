#include "loadgen/bench_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include "core/json_write.hpp"

namespace netra::loadgen {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using asio::ip::tcp;
using core::ErrorCode;
using core::MakeError;

namespace {

constexpr auto kTimeout = std::chrono::seconds(60);
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

asio::awaitable<core::Status> ConnectTcp(beast::tcp_stream& stream, const stage::ServerUrl& server) {
    tcp::resolver resolver(stream.get_executor());
    auto [rec, endpoints] = co_await resolver.async_resolve(server.host, server.port, kAwait);
    if (rec) co_return MakeError(ErrorCode::kServiceUnavailable, "resolve " + server.host + ": " + rec.message());
    stream.expires_after(std::chrono::seconds(10));
    auto [ec, endpoint] = co_await stream.async_connect(endpoints, kAwait);
    (void)endpoint;
    if (ec) co_return MakeError(ErrorCode::kServiceUnavailable, "connect " + server.Origin() + ": " + ec.message());
    stream.socket().set_option(tcp::no_delay(true));
    co_return core::Ok();
}

}  // namespace

BenchHttp::BenchHttp(asio::any_io_executor executor, stage::ServerUrl server)
    : executor_(std::move(executor)), server_(std::move(server)) {}

asio::awaitable<core::Status> BenchHttp::Open() {
    stream_ = std::make_unique<beast::tcp_stream>(executor_);
    buffer_.clear();
    auto status = co_await ConnectTcp(*stream_, server_);
    if (!status.ok()) stream_.reset();
    co_return status;
}

asio::awaitable<core::Result<BenchResponse>> BenchHttp::Request(bhttp::verb method, std::string target,
                                                                std::string body, std::string content_type,
                                                                std::string bearer) {
    bhttp::request<bhttp::string_body> req{method, server_.base_path + target, 11};
    req.set(bhttp::field::host, server_.host);
    req.set(bhttp::field::user_agent, "netra-bench");
    if (!bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer);
    if (!body.empty() || method == bhttp::verb::post) {
        req.set(bhttp::field::content_type, content_type);
        req.body() = std::move(body);
        req.prepare_payload();
    }
    req.keep_alive(true);
    // A kept-alive connection the server closed meanwhile fails on first use: one retry on a fresh one.
    for (int attempt = 0; attempt < 2; ++attempt) {
        const bool reused = stream_ != nullptr;
        if (!stream_) {
            auto opened = co_await Open();
            if (!opened.ok()) co_return opened.error();
        }
        stream_->expires_after(kTimeout);
        auto [wec, wn] = co_await bhttp::async_write(*stream_, req, kAwait);
        (void)wn;
        bhttp::response<bhttp::string_body> res;
        beast::error_code rec;
        if (!wec) {
            auto [ec, rn] = co_await bhttp::async_read(*stream_, buffer_, res, kAwait);
            (void)rn;
            rec = ec;
        }
        if (wec || rec) {
            stream_.reset();
            if (reused && attempt == 0) continue;
            const auto& ec = wec ? wec : rec;
            co_return MakeError(ErrorCode::kServiceUnavailable,
                                std::string(bhttp::to_string(method)) + " " + target + ": " + ec.message());
        }
        if (!res.keep_alive()) stream_.reset();
        BenchResponse answer;  // named: GCC 12 mishandles braced temporaries in co_return
        answer.status = static_cast<int>(res.result_int());
        answer.body = std::move(res.body());
        co_return answer;
    }
    co_return MakeError(ErrorCode::kServiceUnavailable, "unreachable");
}

BenchSocket::BenchSocket(asio::any_io_executor executor, stage::ServerUrl server)
    : executor_(std::move(executor)), server_(std::move(server)) {}

asio::awaitable<core::Status> BenchSocket::Connect(std::string token) {
    ws_ = std::make_unique<Stream>(executor_);
    buffer_.clear();
    auto connected = co_await ConnectTcp(beast::get_lowest_layer(*ws_), server_);
    if (!connected.ok()) co_return connected;
    beast::get_lowest_layer(*ws_).expires_never();  // the websocket's own timeouts from here
    ws_->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
        req.set(bhttp::field::sec_websocket_protocol, "jwt-auth, jwt-auth." + token);
        req.set(bhttp::field::user_agent, "netra-bench");
    }));
    websocket::response_type response;
    const std::string host = server_.host + ":" + server_.port;
    const std::string path = server_.base_path + "/api/v1/websocket";
    auto [ec] = co_await ws_->async_handshake(response, host, path, kAwait);
    if (ec) {
        co_return MakeError(ErrorCode::kServiceUnavailable, "websocket handshake: " + ec.message() + " (HTTP " +
                                                                std::to_string(response.result_int()) + ")");
    }
    ws_->text(true);
    co_return core::Ok();
}

asio::awaitable<core::Status> BenchSocket::Send(const json::object& frame) {
    if (!ws_) co_return MakeError(ErrorCode::kServiceUnavailable, "not connected");
    std::string text = core::JsonText(frame);
    auto [ec, n] = co_await ws_->async_write(asio::buffer(text), kAwait);
    (void)n;
    if (ec) co_return MakeError(ErrorCode::kServiceUnavailable, "websocket write: " + ec.message());
    co_return core::Ok();
}

asio::awaitable<core::Result<json::object>> BenchSocket::Read() {
    if (!ws_) co_return MakeError(ErrorCode::kServiceUnavailable, "not connected");
    buffer_.clear();
    auto [ec, n] = co_await ws_->async_read(buffer_, kAwait);
    (void)n;
    if (ec) co_return MakeError(ErrorCode::kServiceUnavailable, "websocket read: " + ec.message());
    boost::system::error_code pec;
    auto value = json::parse(beast::buffers_to_string(buffer_.data()), pec);
    if (pec || !value.is_object()) co_return MakeError(ErrorCode::kInvalidMessage, "a frame that is not a JSON object");
    co_return std::move(value.as_object());
}

void BenchSocket::Abort() {
    if (!ws_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(*ws_).socket().close(ignored);
}

void BenchSocket::Drop() {
    if (!ws_) return;
    beast::error_code ignored;
    beast::get_lowest_layer(*ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(*ws_).socket().close(ignored);
    ws_.reset();
}

}  // namespace netra::loadgen

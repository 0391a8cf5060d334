#pragma once
// The load tool's connections: asynchronous (C++20 coroutines on one io_context), so a few threads drive hundreds
// of users — the staging kit's clients are a thread per socket, fine for tests, not for load. Plain TCP (http://);
// measure through a TLS front with `netra stage` instead.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "stage/http_client.hpp"

namespace netra::loadgen {

struct BenchResponse {
    int status = 0;
    std::string body;
};

// One keep-alive HTTP connection, reopened when the server closed it.
class BenchHttp {
  public:
    BenchHttp(boost::asio::any_io_executor executor, stage::ServerUrl server);
    boost::asio::awaitable<core::Result<BenchResponse>> Request(boost::beast::http::verb method, std::string target,
                                                                std::string body, std::string content_type,
                                                                std::string bearer);

  private:
    boost::asio::awaitable<core::Status> Open();

    boost::asio::any_io_executor executor_;
    stage::ServerUrl server_;
    std::unique_ptr<boost::beast::tcp_stream> stream_;
    boost::beast::flat_buffer buffer_;
};

// One WebSocket to /api/v1/websocket, authenticated by subprotocol.
class BenchSocket {
  public:
    BenchSocket(boost::asio::any_io_executor executor, stage::ServerUrl server);
    boost::asio::awaitable<core::Status> Connect(std::string token);
    boost::asio::awaitable<core::Status> Send(const boost::json::object& frame);
    // The next text frame as a JSON object (an error when the socket closed or the frame is not an object).
    boost::asio::awaitable<core::Result<boost::json::object>> Read();
    // Drops the TCP connection without a close handshake, as a lost network would; the caller's coroutine only (it
    // frees the stream, which no operation may still be using).
    void Drop();
    // Closes the socket under an operation in flight, which then fails: for a watchdog. The stream stays.
    void Abort();

  private:
    using Stream = boost::beast::websocket::stream<boost::beast::tcp_stream>;
    boost::asio::any_io_executor executor_;
    stage::ServerUrl server_;
    std::unique_ptr<Stream> ws_;
    boost::beast::flat_buffer buffer_;
};

}  // namespace netra::loadgen

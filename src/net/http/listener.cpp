#include "net/http/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "net/http/http_session.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
using asio::ip::tcp;

Listener::Listener(asio::io_context& ioc, std::shared_ptr<ServerContext> server, std::shared_ptr<const Router> router)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), server_(std::move(server)), router_(std::move(router)) {}

core::Status Listener::Bind(const std::string& host, std::uint16_t port) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) return core::MakeError(core::ErrorCode::kInvalidRequest, "invalid listen address '" + host + "'");
    tcp::endpoint endpoint{address, port};
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return core::MakeError(core::ErrorCode::kServiceUnavailable,
                               "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    return core::Ok();
}

std::uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::Start() { asio::co_spawn(acceptor_.get_executor(), AcceptLoop(), asio::detached); }

// On the acceptor's strand, like the accept loop: on the bare io_context the close could run on one I/O thread while
// another resumed the loop into async_accept on the same acceptor (ThreadSanitizer: the reactor's descriptor data freed
// by close while start_op read it).
void Listener::Stop() {
    asio::post(acceptor_.get_executor(), [this] {
        boost::system::error_code ec;
        acceptor_.close(ec);
    });
}

asio::awaitable<void> Listener::AcceptLoop() {
    for (;;) {
        auto [ec, socket] =
            co_await acceptor_.async_accept(asio::make_strand(ioc_), asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (!acceptor_.is_open()) co_return;
            spdlog::warn("accept failed: {}", ec.message());
            continue;
        }
        socket.set_option(tcp::no_delay(true));
        auto executor = socket.get_executor();
        asio::co_spawn(executor, RunHttpSession(server_, router_, boost::beast::tcp_stream(std::move(socket))),
                       [](std::exception_ptr e) {
                           if (!e) return;
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                               spdlog::error("connection ended by an exception: {}", ex.what());
                           }
                       });
    }
}

}  // namespace netra::net::http

#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "net/http/router.hpp"

namespace netra::net::http {

// Accepts connections and gives each its own strand and session coroutine.
class Listener {
  public:
    Listener(boost::asio::io_context& ioc, std::shared_ptr<ServerContext> server, std::shared_ptr<const Router> router);
    // Binds and listens; kServiceUnavailable with the OS error when the address cannot be used.
    core::Status Bind(const std::string& host, std::uint16_t port);
    std::uint16_t port() const;
    void Start();
    void Stop();

  private:
    boost::asio::awaitable<void> AcceptLoop();

    boost::asio::io_context& ioc_;
    boost::asio::ip::tcp::acceptor acceptor_;  // on its own strand: the accept loop and Stop run there
    std::shared_ptr<ServerContext> server_;
    std::shared_ptr<const Router> router_;
};

}  // namespace netra::net::http

#pragma once
// The staging client kit's connections (internal to http_client.cpp and ws_client.cpp): plain TCP for http://, TLS
// for https:// — real staging deployments sit behind TLS. The peer's certificate is verified against the system's
// CAs plus an optional PEM file of private CAs (--ca-file), and its name against the URL's host (a DNS name or an
// IP address); verification is never skipped.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>

#include "core/error.hpp"
#include "stage/http_client.hpp"

namespace netra::stage::detail {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
// What a client connection is: plain TCP for http://, TLS for https://.
using AnyStream = std::variant<boost::beast::tcp_stream, TlsStream>;

inline boost::beast::tcp_stream& Lowest(AnyStream& s) {
    return std::visit([](auto& x) -> boost::beast::tcp_stream& { return boost::beast::get_lowest_layer(x); }, s);
}

// A client context: TLS 1.2+, peer verification with the system store and `ca_file` (when not empty).
core::Result<std::shared_ptr<boost::asio::ssl::context>> ClientTlsContext(const std::string& ca_file);

// Before the handshake: the server name for SNI (names only, not addresses) and the check of the certificate's
// name against `host`.
core::Status PrepareTls(TlsStream& stream, const std::string& host);

// A failed handshake, said plainly (a certificate that does not verify names why).
std::string TlsFailure(const boost::system::error_code& ec, TlsStream& stream);

// Runs the caller's io_context until `done()` or the deadline; true when done.
using RunUntilFn = std::function<bool(const std::function<bool()>& done)>;

// Resolves and connects to `server` (no Nagle: latency metrics must not wait on it), then for https runs the TLS
// handshake with `tls` (made on first use and kept by the caller: it must outlive the stream). `prepare` may set
// socket options before the connect (a small receive window).
core::Result<AnyStream> OpenStream(boost::asio::io_context& ioc, const ServerUrl& server,
                                   std::shared_ptr<boost::asio::ssl::context>& tls,
                                   std::chrono::steady_clock::time_point deadline, const RunUntilFn& run_until,
                                   const std::function<void(boost::beast::tcp_stream&)>& prepare = {});

}  // namespace netra::stage::detail

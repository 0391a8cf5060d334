#include "stage/connection.hpp"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

namespace netra::stage::detail {

namespace asio = boost::asio;
using core::ErrorCode;
using core::MakeError;

core::Result<std::shared_ptr<asio::ssl::context>> ClientTlsContext(const std::string& ca_file) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                         asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                     ec);
    ctx->set_verify_mode(asio::ssl::verify_peer, ec);
    ctx->set_default_verify_paths(ec);
    if (ec) return MakeError(ErrorCode::kInvalidRequest, "TLS: the system's CA store: " + ec.message());
    if (!ca_file.empty()) {
        ctx->load_verify_file(ca_file, ec);
        if (ec) return MakeError(ErrorCode::kInvalidRequest, "--ca-file " + ca_file + ": " + ec.message());
    }
    return ctx;
}

core::Status PrepareTls(TlsStream& stream, const std::string& host) {
    boost::system::error_code ec;
    asio::ip::make_address(host, ec);
    const bool is_address = !ec;
    // SNI carries names only (RFC 6066); an address is checked against the certificate's IP entries.
    if (!is_address && SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()) != 1) {
        return MakeError(ErrorCode::kInvalidRequest, "TLS: cannot set the server name " + host);
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(host), ec);
    if (ec) return MakeError(ErrorCode::kInvalidRequest, "TLS: " + ec.message());
    return core::Ok();
}

std::string TlsFailure(const boost::system::error_code& ec, TlsStream& stream) {
    const long verify = SSL_get_verify_result(stream.native_handle());
    if (verify != X509_V_OK) {
        return std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify) +
               " (a private CA is given with --ca-file)";
    }
    return ec.message();
}

core::Result<AnyStream> OpenStream(asio::io_context& ioc, const ServerUrl& server,
                                   std::shared_ptr<asio::ssl::context>& tls,
                                   std::chrono::steady_clock::time_point deadline, const RunUntilFn& run_until,
                                   const std::function<void(boost::beast::tcp_stream&)>& prepare) {
    using tcp = asio::ip::tcp;
    const std::string where = server.host + ":" + server.port;
    if (server.tls && !tls) {  // an unusable CA file fails before any connection is made
        auto made = ClientTlsContext(server.ca_file);
        if (!made.ok()) return made.error();
        tls = std::move(*made);
    }
    tcp::resolver resolver(ioc);
    boost::system::error_code ec;
    auto endpoints = resolver.resolve(server.host, server.port, ec);
    if (ec) return MakeError(ErrorCode::kServiceUnavailable, "resolve " + server.host + ": " + ec.message());
    if (endpoints.empty()) return MakeError(ErrorCode::kServiceUnavailable, "resolve " + server.host + ": no address");
    boost::beast::tcp_stream plain(ioc);
    plain.expires_at(deadline);
    bool done = false;
    if (prepare) {
        // Options set before connecting survive only on this socket: connect to the first address with it (a
        // range connect would close and reopen the socket per attempt).
        const tcp::endpoint first = *endpoints.begin();
        plain.socket().open(first.protocol(), ec);
        prepare(plain);
        plain.async_connect(first, [&](const boost::system::error_code& e) {
            ec = e;
            done = true;
        });
    } else {
        plain.async_connect(endpoints, [&](const boost::system::error_code& e, const tcp::endpoint&) {
            ec = e;
            done = true;
        });
    }
    // A wait that gave up leaves its handler pending on `done` and `ec`: close and let it run before they go.
    auto abandon = [&ioc](boost::beast::tcp_stream& s) {
        s.close();
        ioc.restart();
        ioc.run();
    };
    if (!run_until([&] { return done; }) || ec) {
        abandon(plain);
        return MakeError(ErrorCode::kServiceUnavailable, "connect " + where + ": " + (ec ? ec.message() : "timeout"));
    }
    plain.socket().set_option(tcp::no_delay(true), ec);
    if (!server.tls) return AnyStream(std::in_place_type<boost::beast::tcp_stream>, std::move(plain));

    AnyStream stream(std::in_place_type<TlsStream>, std::move(plain), *tls);
    auto& secure = std::get<TlsStream>(stream);
    if (auto s = PrepareTls(secure, server.host); !s.ok()) return s.error();
    done = false;
    secure.async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& e) {
        ec = e;
        done = true;
    });
    if (!run_until([&] { return done; }) || ec) {
        std::string why = ec ? TlsFailure(ec, secure) : "timeout";
        abandon(boost::beast::get_lowest_layer(secure));
        return MakeError(ErrorCode::kServiceUnavailable, "TLS handshake with " + where + ": " + why);
    }
    return stream;
}

}  // namespace netra::stage::detail

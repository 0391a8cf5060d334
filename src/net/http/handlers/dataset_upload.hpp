#pragma once
// POST /api/datasets: a streamed upload (§4, §9). The session hands over after reading the header; the body is
// read in chunks and fed to the ingest parser on the worker pool, never buffered whole.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "net/http/http_types.hpp"

namespace netra::net::http {

bool IsUploadRequest(const bhttp::request_header<>& header);

boost::asio::awaitable<Response> HandleDatasetUpload(ServerContext& server, boost::beast::tcp_stream& stream,
                                                     boost::beast::flat_buffer& buffer,
                                                     bhttp::request_parser<bhttp::empty_body>& header_parser,
                                                     std::string request_id, std::string client_ip);

}  // namespace netra::net::http

#include "net/http/handlers/dataset_upload.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "analysis/ingest.hpp"
#include "auth/credentials.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/request_target.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;
using namespace boost::asio::experimental::awaitable_operators;  // a && b: both at once

namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;  // one worker hand-off per chunk

std::string PathOf(boost::beast::string_view target) {
    std::string t(target.data(), target.size());
    return t.substr(0, t.find('?'));
}

// ?format= names a syntax, a source or both ("anthropic_usage", "litellm_spend_logs.csv"); otherwise the media
// type may name the syntax; whatever is left open is detected from the bytes.
core::Result<analysis::FormatRequest> FormatOf(const bhttp::request_header<>& h,
                                               const std::optional<std::string>& query) {
    analysis::FormatRequest out;
    if (query && !query->empty()) {
        auto parsed = analysis::ParseFormatRequest(*query);
        if (!parsed) {
            std::string names = "csv, jsonl, json";
            for (const auto& spec : analysis::AllSources()) names += ", " + std::string(spec.name);
            return MakeError(ErrorCode::kValidationFailed,
                             "unknown format '" + *query + "': one of " + names + " (or source.syntax)");
        }
        out = *parsed;
    }
    if (!out.syntax) {
        std::string type(h[bhttp::field::content_type]);
        out.syntax = analysis::FormatFromString(type);
        // application/json is sent for JSON Lines as often as for one document: the bytes decide.
        if (out.syntax == analysis::Format::kJson) out.syntax.reset();
    }
    return out;
}

}  // namespace

bool IsUploadRequest(const bhttp::request_header<>& header) {
    if (header.method() != bhttp::verb::post) return false;
    auto path = PathOf(header.target());
    return path == "/api/datasets" || path == "/api/datasets/";
}

asio::awaitable<Response> HandleDatasetUpload(ServerContext& server, beast::tcp_stream& stream,
                                              beast::flat_buffer& buffer,
                                              bhttp::request_parser<bhttp::empty_body>& header_parser,
                                              std::string request_id, std::string client_ip) {
    const auto& header = header_parser.get();
    Request meta;
    meta.version(header.version());
    meta.method(header.method());
    meta.target(header.target());
    meta.keep_alive(false);  // until the body has been read completely
    RequestContext ctx{meta, server, request_id, {}, {}, {}, client_ip, {}, {}};
    ParseTarget(std::string_view(header.target().data(), header.target().size()), ctx.path, ctx.query);
    auto services = server.services();
    if (!services || server.shutting_down) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kServiceUnavailable, "server is not ready"));
    }
    auto auth_header = header[bhttp::field::authorization];
    auto token = auth::BearerToken(std::string_view(auth_header.data(), auth_header.size()));
    if (!token) co_return ErrorResponse(ctx, MakeError(ErrorCode::kUnauthenticated, "missing bearer token"));
    auto format = FormatOf(header, ctx.Query("format"));
    if (!format.ok()) co_return ErrorResponse(ctx, format.error());
    auto thread_id = ctx.Query("thread_id");
    if (thread_id && thread_id->empty()) thread_id.reset();

    // Who is uploading, and into which thread: checked before a byte of the body is read.
    auto begin = [services, bearer = *token, thread_id, name = ctx.Query("name").value_or(""),
                  format = *format]() -> core::Result<std::unique_ptr<datasets::Upload>> {
        auto claims = services->auth.Authenticate(bearer);
        if (!claims.ok()) return MakeError(ErrorCode::kUnauthenticated, claims.error().message);
        return services->datasets.BeginUpload(claims->user_id, thread_id, name, format);
    };
    auto begun = co_await core::Offload(server.workers, std::move(begin));
    if (!begun.ok()) co_return ErrorResponse(ctx, begun.error());
    std::shared_ptr<datasets::Upload> upload = std::move(*begun);

    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] =
            co_await asio::async_write(stream, asio::buffer(kContinue), asio::as_tuple(asio::use_awaitable));
        (void)cn;
        if (cec) co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest, "connection lost"));
    }

    const bool client_keep_alive = header.keep_alive();  // `header` dies with the move below
    bhttp::request_parser<bhttp::buffer_body> body_parser(std::move(header_parser));
    body_parser.body_limit(server.settings.limits.max_upload_bytes);
    // Lets the parser size its record buffer once instead of doubling it (analysis/ingest.hpp).
    if (auto length = body_parser.content_length()) upload->ExpectBytes(static_cast<std::size_t>(*length));
    // Two chunks: a worker parses one while the socket fills the other, so the parse hides behind the client's
    // sending (uploads are as fast as the slower of the two, not their sum). Chunks are parsed in order.
    std::array<std::string, 2> chunks{std::string(kChunkBytes, '\0'), std::string(kChunkBytes, '\0')};
    std::size_t filling = 0;
    std::size_t unparsed = 0;  // bytes read into chunks[1 - filling] and not parsed yet
    // Returns whether it parsed (a value, not void: Boost 1.81's `&&` of a tuple and a void awaitable miscompiles).
    auto parse = [&server, upload](std::string_view piece) -> asio::awaitable<bool> {
        // After a fatal parse error the rest of the body is drained, not parsed.
        if (piece.empty() || upload->Failed()) co_return false;
        auto feed = [upload, piece] { return upload->Feed(piece); };
        co_await core::Offload(server.workers, std::move(feed));
        co_return true;
    };
    while (!body_parser.is_done()) {
        std::string& chunk = chunks[filling];
        body_parser.get().body().data = chunk.data();
        body_parser.get().body().size = chunk.size();
        stream.expires_after(server.settings.timeouts.http_read);
        // Named first, not built inside the co_await (GCC 12 destroys such temporaries twice).
        auto read = bhttp::async_read(stream, buffer, body_parser, asio::as_tuple(asio::use_awaitable));
        auto parsing = parse(std::string_view(chunks[1 - filling]).substr(0, unparsed));
        auto both = std::move(read) && std::move(parsing);
        auto [ec, n, parsed] = co_await std::move(both);
        (void)n;
        (void)parsed;
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec == bhttp::error::body_limit) {
            co_return ErrorResponse(
                ctx,
                MakeError(ErrorCode::kPayloadTooLarge,
                          "upload larger than " + std::to_string(server.settings.limits.max_upload_bytes) + " bytes"));
        }
        if (ec)
            co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest, "upload interrupted: " + ec.message()));
        unparsed = chunk.size() - body_parser.get().body().size;
        filling = 1 - filling;
    }
    auto last = parse(std::string_view(chunks[1 - filling]).substr(0, unparsed));
    co_await std::move(last);
    meta.keep_alive(client_keep_alive);  // the body is fully read: the connection can be reused

    auto finish = [services, upload] { return services->datasets.FinishUpload(*upload); };
    auto result = co_await core::Offload(server.workers, std::move(finish));
    if (!result.ok()) co_return ErrorResponse(ctx, result.error());
    json::object out = DatasetJson(result->dataset);
    json::array errors;
    for (const auto& e : result->errors) errors.push_back(json::object{{"line", e.line}, {"message", e.message}});
    json::array warnings;
    for (const auto& w : result->warnings) warnings.emplace_back(w);
    out["errors"] = std::move(errors);
    out["warnings"] = std::move(warnings);
    co_return JsonResponse(ctx, bhttp::status::created, out);
}

}  // namespace netra::net::http

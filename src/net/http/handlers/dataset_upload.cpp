#include "net/http/handlers/dataset_upload.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "analysis/ingest.hpp"
#include "analysis/profile.hpp"
#include "auth/credentials.hpp"
#include "core/ids.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/http_session.hpp"

namespace netra::net::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;  // one worker hand-off per chunk

std::string PathOf(boost::beast::string_view target) {
    std::string t(target.data(), target.size());
    return t.substr(0, t.find('?'));
}

std::optional<analysis::Format> FormatOf(const bhttp::request_header<>& h, const std::optional<std::string>& query) {
    if (query) return analysis::FormatFromString(*query);
    std::string type(h[bhttp::field::content_type]);
    type = type.substr(0, type.find(';'));
    for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (type == "text/csv" || type == "application/csv") return analysis::Format::kCsv;
    if (type == "application/x-ndjson" || type == "application/jsonl" || type == "application/json-lines" ||
        type == "application/x-jsonlines" || type == "application/ndjson") {
        return analysis::Format::kJsonl;
    }
    return std::nullopt;
}

struct Owner {
    std::string user_id;
};

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
    RequestContext ctx{meta, server, request_id, {}, {}, {}, client_ip, {}};
    ParseTarget(std::string_view(header.target().data(), header.target().size()), ctx.path, ctx.query);
    if (!server.startup->ready() || server.shutting_down) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kServiceUnavailable, "server is not ready"));
    }
    auto auth_header = header[bhttp::field::authorization];
    auto token = auth::BearerToken(std::string_view(auth_header.data(), auth_header.size()));
    if (!token) co_return ErrorResponse(ctx, MakeError(ErrorCode::kUnauthenticated, "missing bearer token"));
    auto format = FormatOf(header, ctx.Query("format"));
    if (!format) {
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kUnsupportedMediaType,
                                               "upload usage data as text/csv or application/x-ndjson (JSONL)"));
    }
    std::string name = ctx.Query("name").value_or("");
    if (name.empty()) name = "usage." + std::string(analysis::FormatName(*format));
    if (name.size() > 200)
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "name is longer than 200 bytes"));
    auto thread_id = ctx.Query("thread_id");
    if (thread_id && thread_id->empty()) thread_id.reset();

    // Who is uploading, and into which thread: checked before a byte of the body is read.
    auto* srv = &server;
    std::string bearer = *token;
    auto check = [srv, bearer, thread_id]() -> core::Result<Owner> {
        auto claims = srv->auth->Authenticate(bearer);
        if (!claims.ok()) return MakeError(ErrorCode::kUnauthenticated, claims.error().message);
        if (thread_id) {
            auto thread = srv->store->GetThread(claims->user_id, *thread_id);
            if (!thread.ok()) return thread.error();
            if (!*thread) return MakeError(ErrorCode::kNotFound, "thread not found");
        }
        return Owner{claims->user_id};
    };
    auto owner = co_await Offload(*server.workers, std::move(check));
    if (!owner.ok()) co_return ErrorResponse(ctx, owner.error());

    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        auto [cec, cn] =
            co_await asio::async_write(stream, asio::buffer(kContinue), asio::as_tuple(asio::use_awaitable));
        (void)cn;
        if (cec) co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest, "connection lost"));
    }

    const bool client_keep_alive = header.keep_alive();  // `header` dies with the move below
    auto ingest = std::make_shared<analysis::UsageIngest>(*format, *server.catalog);
    bhttp::request_parser<bhttp::buffer_body> body_parser(std::move(header_parser));
    body_parser.body_limit(server.settings->limits.max_upload_bytes);
    // Lets the parser size its record buffer once instead of doubling it (analysis/ingest.hpp).
    if (auto length = body_parser.content_length()) ingest->ExpectBytes(static_cast<std::size_t>(*length));
    std::string chunk(kChunkBytes, '\0');
    core::Status parse_status;
    while (!body_parser.is_done()) {
        body_parser.get().body().data = chunk.data();
        body_parser.get().body().size = chunk.size();
        stream.expires_after(server.settings->timeouts.http_read);
        auto [ec, n] = co_await bhttp::async_read(stream, buffer, body_parser, asio::as_tuple(asio::use_awaitable));
        (void)n;
        if (ec == bhttp::error::need_buffer) ec = {};
        if (ec == bhttp::error::body_limit) {
            co_return ErrorResponse(
                ctx,
                MakeError(ErrorCode::kPayloadTooLarge,
                          "upload larger than " + std::to_string(server.settings->limits.max_upload_bytes) + " bytes"));
        }
        if (ec)
            co_return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest, "upload interrupted: " + ec.message()));
        std::size_t got = chunk.size() - body_parser.get().body().size;
        if (got == 0 || !parse_status.ok()) continue;  // after a fatal parse error the rest is drained, not parsed
        auto feed = [ingest, piece = chunk.substr(0, got)] { return ingest->Feed(piece); };
        parse_status = co_await Offload(*server.workers, std::move(feed));
    }
    meta.keep_alive(client_keep_alive);  // the body is fully read: the connection can be reused

    auto finish = [srv, ingest, parse_status, user = owner->user_id, thread_id, name,
                   format_name = std::string(analysis::FormatName(*format))]() -> core::Result<json::object> {
        if (!parse_status.ok()) return parse_status.error();
        if (auto s = ingest->Finish(); !s.ok()) return s.error();
        const auto& summary = ingest->Summary();
        storage::Dataset d;
        d.id = core::NewId();
        d.user_id = user;
        d.thread_id = thread_id;
        d.name = name;
        d.format = format_name;
        d.rows = summary.rows;
        d.rejected_rows = summary.rejected_rows;
        d.columns = summary.columns;
        d.created_at = core::NowMs();
        auto records = ingest->TakeRecords();
        d.profile = json::serialize(analysis::ProfileToJson(analysis::ProfileUsage(records, *srv->catalog)));
        if (auto s = srv->store->CreateDataset(d); !s.ok()) return s.error();
        if (auto s = srv->store->InsertUsageRecords(d.id, records); !s.ok()) return s.error();
        if (auto s = srv->store->FinalizeDataset(d.id, d.rows, d.rejected_rows, d.columns, d.profile); !s.ok()) {
            return s.error();
        }
        // Cached in the order storage returns them (timestamp, then upload order) so results never depend on
        // whether a run read the records from the cache or from storage.
        std::stable_sort(records.begin(), records.end(),
                         [](const storage::UsageRecord& a, const storage::UsageRecord& b) { return a.ts < b.ts; });
        srv->runs->RememberDataset(d.id, std::make_shared<const std::vector<storage::UsageRecord>>(std::move(records)));
        json::object out = DatasetJson(d);
        json::array errors;
        for (const auto& e : summary.errors) errors.push_back(json::object{{"line", e.line}, {"message", e.message}});
        json::array warnings;
        for (const auto& w : summary.warnings) warnings.emplace_back(w);
        out["errors"] = std::move(errors);
        out["warnings"] = std::move(warnings);
        return out;
    };
    auto result = co_await Offload(*server.workers, std::move(finish));
    if (!result.ok()) {
        auto error = result.error();
        // Empty files and files without a usable header are the user's data problem, not a server error.
        if (error.code == ErrorCode::kInvalidRequest) error.code = ErrorCode::kValidationFailed;
        co_return ErrorResponse(ctx, error);
    }
    co_return JsonResponse(ctx, bhttp::status::created, *result);
}

}  // namespace netra::net::http

#include "core/error.hpp"

namespace netra::core {
namespace {

struct ErrorRow {
    ErrorCode code;
    int http_status;
    std::string_view http_name;
    std::string_view ws_code;
};

constexpr ErrorRow kErrorTable[] = {
    {ErrorCode::kInvalidRequest, 400, "invalid_request", "INVALID_REQUEST"},
    {ErrorCode::kInvalidMessage, 400, "invalid_request", "INVALID_MESSAGE"},
    {ErrorCode::kUnknownType, 400, "invalid_request", "UNKNOWN_TYPE"},
    {ErrorCode::kUnauthenticated, 401, "unauthenticated", "UNAUTHENTICATED"},
    {ErrorCode::kForbidden, 403, "forbidden", "FORBIDDEN"},
    {ErrorCode::kNotFound, 404, "not_found", "NOT_FOUND"},
    {ErrorCode::kMethodNotAllowed, 405, "method_not_allowed", "METHOD_NOT_ALLOWED"},
    {ErrorCode::kConflict, 409, "conflict", "CONFLICT"},
    {ErrorCode::kThreadBusy, 409, "thread_busy", "THREAD_BUSY"},
    {ErrorCode::kPayloadTooLarge, 413, "payload_too_large", "PAYLOAD_TOO_LARGE"},
    {ErrorCode::kUnsupportedMediaType, 415, "unsupported_media_type", "UNSUPPORTED_MEDIA_TYPE"},
    {ErrorCode::kValidationFailed, 422, "validation_failed", "VALIDATION_FAILED"},
    {ErrorCode::kRateLimited, 429, "rate_limited", "RATE_LIMITED"},
    {ErrorCode::kInternal, 500, "internal_error", "INTERNAL_ERROR"},
    {ErrorCode::kServiceUnavailable, 503, "service_unavailable", "SERVICE_UNAVAILABLE"},
    {ErrorCode::kTimeout, 504, "timeout", "TIMEOUT"},
    {ErrorCode::kCancelled, 409, "cancelled", "CANCELLED"},
    {ErrorCode::kHeadersTooLarge, 431, "headers_too_large", "HEADERS_TOO_LARGE"},
    {ErrorCode::kUriTooLong, 414, "uri_too_long", "URI_TOO_LONG"},
    {ErrorCode::kRequestTimeout, 408, "request_timeout", "REQUEST_TIMEOUT"},
};

const ErrorRow& Row(ErrorCode code) {
    for (const auto& row : kErrorTable) {
        if (row.code == code) return row;
    }
    return kErrorTable[13];  // internal_error: unreachable while the table covers the enum
}

}  // namespace

int HttpStatus(ErrorCode code) { return Row(code).http_status; }
std::string_view HttpErrorName(ErrorCode code) { return Row(code).http_name; }
std::string_view WsErrorCode(ErrorCode code) { return Row(code).ws_code; }

}  // namespace netra::core

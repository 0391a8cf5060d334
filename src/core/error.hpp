#pragma once
// One error vocabulary for the whole server. Every failure a user can see is an ErrorCode; the table in
// error.cpp maps it to the HTTP status, the HTTP JSON `error` string and the WebSocket `code`.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace netra::core {

enum class ErrorCode {
    kInvalidRequest,        // 400 invalid_request / INVALID_REQUEST
    kInvalidMessage,        // 400 invalid_request / INVALID_MESSAGE (unparseable frame)
    kUnknownType,           // 400 invalid_request / UNKNOWN_TYPE
    kUnauthenticated,       // 401
    kForbidden,             // 403
    kNotFound,              // 404
    kMethodNotAllowed,      // 405
    kConflict,              // 409
    kThreadBusy,            // 409 thread_busy / THREAD_BUSY
    kPayloadTooLarge,       // 413
    kUnsupportedMediaType,  // 415
    kValidationFailed,      // 422
    kRateLimited,           // 429
    kInternal,              // 500
    kServiceUnavailable,    // 503
    kTimeout,               // run/agent timeouts (504 on HTTP)
    kCancelled,             // run cancelled (409 on HTTP)
    kHeadersTooLarge,       // 431: a request's header block over the limit
    kUriTooLong,            // 414: a request line longer than the header limit (RFC 9110 §15.5.15)
    kRequestTimeout,        // 408: a request not received whole in time (slow headers or body)
};

// What a rate limit that said no tells the client (HTTP `Retry-After` and `x-ratelimit-*`, WebSocket
// `retry_after_ms`).
struct RateLimitInfo {
    std::int64_t limit = 0;           // allowance per window
    std::int64_t remaining = 0;       // left now
    std::int64_t retry_after_ms = 0;  // until the next attempt can succeed
    std::int64_t reset_ms = 0;        // until the full allowance is back
};

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;
    std::optional<RateLimitInfo> rate_limit;  // kRateLimited only
};

int HttpStatus(ErrorCode code);
std::string_view HttpErrorName(ErrorCode code);  // "not_found"
std::string_view WsErrorCode(ErrorCode code);    // "NOT_FOUND"

inline Error MakeError(ErrorCode code, std::string message) { return Error{code, std::move(message), {}}; }

// Result<T>: a value or an Error. Expected failures are values; exceptions are for programmer errors.
template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

  private:
    Error error_;
    bool ok_ = true;
};

using Status = Result<void>;
inline Status Ok() { return {}; }

}  // namespace netra::core

#pragma once
// Blocking HTTP/1.1 client for the staging suite. One instance = one keep-alive connection to one server;
// not thread-safe (give each thread its own). Beast stays inside http_client.cpp so the suite's many
// translation units compile quickly.
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace netra::stage {

// The deployment under test: "http[s]://host:port[/prefix]" (ws:// and wss:// name the same). The suite only ever
// connects to host:port; https verifies the certificate (system CAs plus `ca_file`) and its name against `host`.
struct ServerUrl {
    std::string scheme;     // "http" or "https"
    std::string host;       // "127.0.0.1", "staging.example.com"
    std::string port;       // "8080" (80 / 443 when the URL gives none)
    std::string base_path;  // "" or "/prefix" (no trailing slash); prepended to every target
    bool tls = false;       // https
    std::string ca_file;    // https: a PEM file of extra trusted CAs (--ca-file); the system store is always used

    std::string Origin() const;  // "http://host:port"
};

core::Result<ServerUrl> ParseServerUrl(std::string_view url);

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
    int status = 0;
    Headers headers;
    std::string body;
    std::optional<boost::json::value> json;  // set when the body parses as JSON
    double elapsed_ms = 0;                   // request written → response fully read

    // Case-insensitive header lookup; nullopt when absent.
    std::optional<std::string> Header(std::string_view name) const;
    // `json` as an object, or nullptr.
    const boost::json::object* JsonObject() const;
    // Short description for failure reasons: "404 {"error":...}" (body truncated).
    std::string Describe(std::size_t max_body = 400) const;
};

struct HttpRequestOptions {
    std::chrono::milliseconds timeout{10000};
};

class HttpClient {
  public:
    explicit HttpClient(ServerUrl server);
    ~HttpClient();
    HttpClient(HttpClient&&) noexcept;
    HttpClient& operator=(HttpClient&&) noexcept;
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Sends one request and reads the whole response. `target` is relative to the base path and is sent
    // verbatim (no normalisation: traversal probes must reach the server as written). Transport failures
    // and timeouts are errors; any HTTP status is a response. Content-Type defaults to application/json
    // when a body is given and no Content-Type header is.
    core::Result<HttpResponse> Request(std::string_view method, std::string_view target, const Headers& headers = {},
                                       std::string_view body = {}, const HttpRequestOptions& options = {});

    core::Result<HttpResponse> Get(std::string_view target, const Headers& headers = {});
    core::Result<HttpResponse> PostJson(std::string_view target, const boost::json::value& body,
                                        const Headers& headers = {});

    // Drops the keep-alive connection (next request reconnects).
    void Disconnect();

    const ServerUrl& server() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// One Server-Sent Event as received (`id:`, `event:`, `data:` lines; several data lines joined with '\n').
struct SseEvent {
    std::string id, event, data;
    std::chrono::steady_clock::time_point received_at;
};

// A streaming GET (text/event-stream) on its own connection: a background thread reads the body as it
// arrives and queues the parsed events, so a test can wait with timeouts and timestamp arrivals.
class SseStream {
  public:
    SseStream();
    ~SseStream();  // Close()
    SseStream(const SseStream&) = delete;
    SseStream& operator=(const SseStream&) = delete;

    // Sends GET `target` (relative to the base path) and waits for the response head. A 200 answer starts
    // the reader and returns an ok result holding the head (status, headers, empty body); any other status
    // is read whole and returned as the response (the stream is then closed). Transport failures are errors.
    core::Result<HttpResponse> Open(const ServerUrl& server, std::string_view target, const Headers& headers = {},
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

    // Next event, waiting up to `timeout`; nullopt on timeout or once the stream ended and all were taken.
    std::optional<SseEvent> Next(std::chrono::milliseconds timeout);
    // True once the server ended the body (or the connection failed); `EndReason()` says how.
    bool Ended() const;
    std::string EndReason() const;
    // Drops the connection (a client going away mid-stream); idempotent.
    void Close();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "Authorization: Bearer <token>" as a header list.
Headers BearerAuth(std::string_view access_token);

}  // namespace netra::stage

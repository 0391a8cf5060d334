#pragma once
// The Model Context Protocol's wire rules as Netra's /mcp endpoint applies them (Streamable HTTP transport,
// JSON-RPC 2.0): protocol version negotiation, the batching rule of each version, parsing a POST body into
// messages, JSON-RPC answers, the session ids, and the header checks (Accept, Origin). Pure functions; the
// transport that uses them is net/http/handlers/mcp_handlers.cpp.
//
// Sessions are stateless: an id is issued by `initialize` and carries the negotiated version, what the client said it
// can answer (sampling, elicitation), its issue time and a random nonce, signed (HMAC-SHA-256) with a key derived from
// the JWT secret every instance shares and bound to the user it was issued to. Any instance behind a balancer verifies
// it without shared state; another user's id, a forged or expired one is "not found". What a session sets later lives
// on the instance that received it: ended ids
// (`SessionRegistry`, until they would expire anyway) and the log level and resource subscriptions
// (`SessionPreferences`); behind a balancer without affinity another instance answers with the defaults.
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"

namespace netra::net::mcp {

// Newest first. 2025-11-25 and 2025-06-18 forbid JSON-RPC batches; 2025-03-26 (the first with this transport)
// allows them.
inline constexpr std::string_view kLatestProtocolVersion = "2025-11-25";
const std::vector<std::string>& SupportedProtocolVersions();
bool IsSupportedVersion(std::string_view version);
// The version a server answers to `initialize`: the client's when supported, otherwise the latest.
std::string NegotiateVersion(std::string_view requested);
bool AllowsBatching(std::string_view version);
// What a request without an MCP-Protocol-Version header is taken to speak (the transport's rule).
inline constexpr std::string_view kVersionWithoutHeader = "2025-03-26";

inline constexpr std::string_view kServerName = "netra";
inline constexpr std::string_view kEndpointPath = "/mcp";

// JSON-RPC 2.0 error codes.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

// One message of a POST body.
struct Message {
    enum class Kind { kRequest, kNotification, kResponse, kInvalid };
    Kind kind = Kind::kInvalid;
    boost::json::value id;  // requests and responses (string or integer); null otherwise
    std::string method;
    boost::json::object params;    // absent params read as {}
    boost::json::object response;  // kResponse: the whole message (its result or error)
    std::string problem;           // kInvalid: what is wrong
};

Message ClassifyMessage(const boost::json::value& value);

struct ParsedBody {
    bool batch = false;  // the body was a JSON array
    std::vector<Message> messages;
};

// A body that cannot be parsed, an empty batch or a value that is neither an object nor an array is kInvalidRequest
// (answered 400). Messages that are objects but not valid JSON-RPC come back as kInvalid messages.
core::Result<ParsedBody> ParseBody(std::string_view body, std::size_t max_depth);

boost::json::object RpcResult(const boost::json::value& id, boost::json::object result);
boost::json::object RpcError(const boost::json::value& id, int code, std::string message);

// The response body's media type: SSE only when the client accepts event streams but not JSON (a request without
// Accept, or with */*, gets JSON, which every client of the transport must accept).
bool WantsEventStream(std::string_view accept);
// One SSE event carrying a JSON-RPC message.
std::string SseMessage(const boost::json::value& message);

// DNS-rebinding defence (the transport's MUST): a request from a browser carries Origin, and that Origin must be one
// the operator allowed (NETRA_ALLOWED_ORIGINS) or a loopback origin (a local MCP inspector). Requests without Origin
// (every non-browser client) pass; bearer authentication still applies to all.
bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed);

// --- Sessions ---

inline constexpr std::chrono::hours kSessionLifetime{24};

// Requests a server may send its client, as the client declared them in `initialize` (params.capabilities).
struct ClientCapabilities {
    bool sampling = false;
    bool elicitation = false;
};
ClientCapabilities ReadClientCapabilities(const boost::json::object& initialize_params);

struct Session {
    std::string id;
    std::string protocol_version;
    ClientCapabilities client;
    std::int64_t issued_s = 0;
};

class SessionCodec {
  public:
    // `secret`: the JWT secret (every instance of a deployment shares it).
    explicit SessionCodec(std::string_view secret);
    std::string Issue(const std::string& user_id, const std::string& protocol_version, ClientCapabilities client,
                      std::int64_t now_s) const;
    // nullopt when the id is malformed, forged, another user's, or older than kSessionLifetime.
    std::optional<Session> Verify(std::string_view id, const std::string& user_id, std::int64_t now_s) const;

  private:
    std::string Sign(std::string_view payload) const;
    std::string key_;  // 32 bytes
};

// Ended sessions, remembered until they would have expired (bounded: the oldest are forgotten first).
class SessionRegistry {
  public:
    explicit SessionRegistry(std::size_t capacity = 100'000) : capacity_(capacity) {}
    void End(const Session& session);
    bool Ended(std::string_view id, std::int64_t now_s);

  private:
    std::mutex mutex_;
    std::size_t capacity_;
    std::deque<std::pair<std::int64_t, std::string>> order_;  // (expiry, id), oldest first
    std::unordered_set<std::string> ended_;
};

// --- Logging (notifications/message) ---

// RFC 5424's severities, as MCP names them, least severe first.
enum class LogLevel { kDebug, kInfo, kNotice, kWarning, kError, kCritical, kAlert, kEmergency };
std::optional<LogLevel> ParseLogLevel(std::string_view name);
std::string_view Name(LogLevel level);
// What a session that never sent logging/setLevel receives.
inline constexpr LogLevel kDefaultLogLevel = LogLevel::kInfo;

// The log level and resource subscriptions each session set, on this instance (bounded: the least recently set
// sessions are forgotten first, and answer with the defaults again).
class SessionPreferences {
  public:
    explicit SessionPreferences(std::size_t capacity = 100'000) : capacity_(capacity) {}
    void SetLogLevel(const std::string& session_id, LogLevel level);
    LogLevel LogLevelOf(const std::string& session_id);
    void Subscribe(const std::string& session_id, const std::string& uri);
    void Unsubscribe(const std::string& session_id, const std::string& uri);
    bool Subscribed(const std::string& session_id, const std::string& uri);
    void Forget(const std::string& session_id);

  private:
    struct Entry {
        std::string session_id;
        LogLevel level = kDefaultLogLevel;
        std::unordered_set<std::string> subscriptions;
    };
    Entry& Touch(const std::string& session_id);  // with mutex_ held; moves the entry to the front
    std::mutex mutex_;
    std::size_t capacity_;
    std::list<Entry> recent_;  // most recently set first: the back is forgotten first, in constant time
    std::unordered_map<std::string, std::list<Entry>::iterator> entries_;
};

}  // namespace netra::net::mcp

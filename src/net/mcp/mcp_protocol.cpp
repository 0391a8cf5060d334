#include "net/mcp/mcp_protocol.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "auth/base64url.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/json_write.hpp"

namespace netra::net::mcp {
namespace json = boost::json;

const std::vector<std::string>& SupportedProtocolVersions() {
    static const std::vector<std::string> kVersions{std::string(kLatestProtocolVersion), "2025-06-18", "2025-03-26"};
    return kVersions;
}

bool IsSupportedVersion(std::string_view version) {
    const auto& v = SupportedProtocolVersions();
    return std::find(v.begin(), v.end(), version) != v.end();
}

std::string NegotiateVersion(std::string_view requested) {
    return IsSupportedVersion(requested) ? std::string(requested) : std::string(kLatestProtocolVersion);
}

// Batching was removed in 2025-06-18; dates compare as strings.
bool AllowsBatching(std::string_view version) { return version < std::string_view("2025-06-18"); }

Message ClassifyMessage(const json::value& value) {
    Message m;
    if (!value.is_object()) {
        m.problem = "a JSON-RPC message must be an object";
        return m;
    }
    const auto& o = value.get_object();
    auto version = o.if_contains("jsonrpc");
    const json::value* id = o.if_contains("id");
    if (id && !id->is_string() && !id->is_int64() && !id->is_uint64()) {
        m.problem = "id must be a string or an integer";
        return m;
    }
    if (id) m.id = *id;
    if (!version || !version->is_string() || version->get_string() != "2.0") {
        m.problem = "jsonrpc must be \"2.0\"";
        return m;
    }
    if (auto method = o.if_contains("method")) {
        if (!method->is_string() || method->get_string().empty()) {
            m.problem = "method must be a non-empty string";
            return m;
        }
        m.method = std::string(method->get_string());
        if (auto params = o.if_contains("params"); params && !params->is_null()) {
            if (!params->is_object()) {
                m.problem = "params must be an object";
                return m;
            }
            m.params = params->get_object();
        }
        m.kind = id ? Message::Kind::kRequest : Message::Kind::kNotification;
        return m;
    }
    if (id && (o.contains("result") || o.contains("error"))) {
        m.kind = Message::Kind::kResponse;
        m.response = o;
        return m;
    }
    m.problem = "neither a request, a notification nor a response";
    return m;
}

core::Result<ParsedBody> ParseBody(std::string_view body, std::size_t max_depth) {
    if (body.empty())
        return core::MakeError(core::ErrorCode::kInvalidRequest, "the body is empty: send a JSON-RPC message");
    auto value = core::ParseJson(body, core::JsonLimits{max_depth});
    if (!value.ok()) return value.error();
    ParsedBody out;
    if (value->is_array()) {
        out.batch = true;
        if (value->get_array().empty())
            return core::MakeError(core::ErrorCode::kInvalidRequest, "an empty JSON-RPC batch is not a request");
        for (const auto& v : value->get_array()) out.messages.push_back(ClassifyMessage(v));
        return out;
    }
    if (!value->is_object())
        return core::MakeError(core::ErrorCode::kInvalidRequest, "the body must be a JSON-RPC message (an object)");
    out.messages.push_back(ClassifyMessage(*value));
    return out;
}

json::object RpcResult(const json::value& id, json::object result) {
    return json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json::object RpcError(const json::value& id, int code, std::string message) {
    return json::object{
        {"jsonrpc", "2.0"}, {"id", id}, {"error", json::object{{"code", code}, {"message", std::move(message)}}}};
}

namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// The media ranges of an Accept header, lower-cased, parameters (q=…) dropped; q=0 ranges left out.
std::vector<std::string> MediaRanges(std::string_view accept) {
    std::vector<std::string> out;
    std::string text = Lower(accept);
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string::npos) end = text.size();
        std::string item = text.substr(start, end - start);
        std::size_t semi = item.find(';');
        std::string params = semi == std::string::npos ? "" : item.substr(semi);
        std::string range = item.substr(0, semi);
        range.erase(std::remove_if(range.begin(), range.end(), [](unsigned char c) { return std::isspace(c); }),
                    range.end());
        params.erase(std::remove_if(params.begin(), params.end(), [](unsigned char c) { return std::isspace(c); }),
                     params.end());
        const bool refused = params.find("q=0") != std::string::npos && params.find("q=0.") == std::string::npos;
        if (!range.empty() && !refused) out.push_back(range);
        start = end + 1;
    }
    return out;
}

}  // namespace

bool WantsEventStream(std::string_view accept) {
    bool sse = false, json = false;
    for (const auto& r : MediaRanges(accept)) {
        if (r == "text/event-stream") sse = true;
        if (r == "application/json" || r == "application/*" || r == "*/*") json = true;
    }
    return sse && !json;
}

std::string SseMessage(const json::value& message) {
    return "event: message\ndata: " + core::JsonText(message) + "\n\n";
}

bool OriginAllowed(std::string_view origin, const std::vector<std::string>& allowed) {
    if (origin.empty()) return true;
    if (std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) return true;
    // scheme://host[:port], the host a loopback name.
    std::string o = Lower(origin);
    std::size_t scheme_end = o.find("://");
    if (scheme_end == std::string::npos) return false;
    std::string scheme = o.substr(0, scheme_end);
    if (scheme != "http" && scheme != "https") return false;
    std::string host = o.substr(scheme_end + 3);
    if (host.find('/') != std::string::npos) return false;
    if (host.rfind("[::1]", 0) == 0) {
        host = host.substr(5);
        return host.empty() || host[0] == ':';
    }
    host = host.substr(0, host.find(':'));
    return host == "localhost" || host == "127.0.0.1";
}

// --- Sessions ---

namespace {
constexpr std::string_view kSessionKeyLabel = "netra-mcp-session-v1:";

// Splits on '.', which neither versions' digits and dashes, capability letters, decimal times, hex nonces nor base64url
// contain.
std::vector<std::string_view> Split(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        std::size_t dot = s.find('.', start);
        out.push_back(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) return out;
        start = dot + 1;
    }
}
}  // namespace

SessionCodec::SessionCodec(std::string_view secret) {
    std::string material = std::string(kSessionKeyLabel) + std::string(secret);
    key_.resize(crypto_hash_sha256_BYTES);
    crypto_hash_sha256(reinterpret_cast<unsigned char*>(key_.data()),
                       reinterpret_cast<const unsigned char*>(material.data()), material.size());
}

std::string SessionCodec::Sign(std::string_view payload) const {
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
    crypto_auth_hmacsha256_final(&state, mac);
    return auth::Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

ClientCapabilities ReadClientCapabilities(const json::object& initialize_params) {
    ClientCapabilities out;
    auto caps = initialize_params.if_contains("capabilities");
    if (!caps || !caps->is_object()) return out;
    out.sampling = caps->as_object().contains("sampling");
    out.elicitation = caps->as_object().contains("elicitation");
    return out;
}

namespace {
// The capabilities part of an id: a letter per request the client answers ('s' sampling, 'e' elicitation), "-" for
// none.
std::string CapabilityLetters(ClientCapabilities c) {
    std::string out = std::string(c.sampling ? "s" : "") + (c.elicitation ? "e" : "");
    return out.empty() ? "-" : out;
}
}  // namespace

std::string SessionCodec::Issue(const std::string& user_id, const std::string& protocol_version,
                                ClientCapabilities client, std::int64_t now_s) const {
    std::string visible =
        protocol_version + "." + CapabilityLetters(client) + "." + std::to_string(now_s) + "." + core::RandomHex(16);
    return visible + "." + Sign(user_id + "\n" + visible);
}

std::optional<Session> SessionCodec::Verify(std::string_view id, const std::string& user_id, std::int64_t now_s) const {
    if (id.size() > 256) return std::nullopt;
    auto parts = Split(id);
    if (parts.size() != 5) return std::nullopt;
    std::string visible =
        std::string(parts[0]) + "." + std::string(parts[1]) + "." + std::string(parts[2]) + "." + std::string(parts[3]);
    std::string expected = Sign(user_id + "\n" + visible);
    if (expected.size() != parts[4].size() || sodium_memcmp(expected.data(), parts[4].data(), expected.size()) != 0)
        return std::nullopt;
    std::int64_t issued = 0;
    try {
        issued = std::stoll(std::string(parts[2]));
    } catch (...) {
        return std::nullopt;
    }
    const std::int64_t lifetime = std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count();
    if (issued > now_s + 60 || now_s - issued > lifetime) return std::nullopt;
    if (!IsSupportedVersion(parts[0])) return std::nullopt;
    ClientCapabilities client;
    client.sampling = parts[1].find('s') != std::string_view::npos;
    client.elicitation = parts[1].find('e') != std::string_view::npos;
    return Session{std::string(id), std::string(parts[0]), client, issued};
}

void SessionRegistry::End(const Session& session) {
    const std::int64_t expiry =
        session.issued_s + std::chrono::duration_cast<std::chrono::seconds>(kSessionLifetime).count();
    std::lock_guard lock(mutex_);
    if (!ended_.insert(session.id).second) return;
    order_.emplace_back(expiry, session.id);
    while (order_.size() > capacity_) {
        ended_.erase(order_.front().second);
        order_.pop_front();
    }
}

bool SessionRegistry::Ended(std::string_view id, std::int64_t now_s) {
    std::lock_guard lock(mutex_);
    // Expiries are not strictly ordered (ids issued at different times end in any order): prune the front only while
    // it has expired, which keeps the work bounded; an expired id fails verification anyway.
    while (!order_.empty() && order_.front().first < now_s) {
        ended_.erase(order_.front().second);
        order_.pop_front();
    }
    return ended_.contains(std::string(id));
}

// --- Logging ---

namespace {
constexpr std::array<std::string_view, 8> kLogLevelNames = {"debug", "info",     "notice", "warning",
                                                            "error", "critical", "alert",  "emergency"};
}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
    for (std::size_t i = 0; i < kLogLevelNames.size(); ++i)
        if (kLogLevelNames[i] == name) return static_cast<LogLevel>(i);
    return std::nullopt;
}

std::string_view Name(LogLevel level) { return kLogLevelNames[static_cast<std::size_t>(level)]; }

SessionPreferences::Entry& SessionPreferences::Touch(const std::string& session_id) {
    if (auto it = entries_.find(session_id); it != entries_.end()) {
        recent_.splice(recent_.begin(), recent_, it->second);
        return recent_.front();
    }
    recent_.push_front(Entry{session_id, kDefaultLogLevel, {}});
    entries_.emplace(session_id, recent_.begin());
    if (recent_.size() > capacity_) {
        entries_.erase(recent_.back().session_id);
        recent_.pop_back();
    }
    return recent_.front();
}

void SessionPreferences::SetLogLevel(const std::string& session_id, LogLevel level) {
    std::lock_guard lock(mutex_);
    Touch(session_id).level = level;
}

LogLevel SessionPreferences::LogLevelOf(const std::string& session_id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(session_id);
    return it == entries_.end() ? kDefaultLogLevel : it->second->level;
}

void SessionPreferences::Subscribe(const std::string& session_id, const std::string& uri) {
    std::lock_guard lock(mutex_);
    Touch(session_id).subscriptions.insert(uri);
}

void SessionPreferences::Unsubscribe(const std::string& session_id, const std::string& uri) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(session_id);
    if (it != entries_.end()) it->second->subscriptions.erase(uri);
}

bool SessionPreferences::Subscribed(const std::string& session_id, const std::string& uri) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(session_id);
    return it != entries_.end() && it->second->subscriptions.contains(uri);
}

void SessionPreferences::Forget(const std::string& session_id) {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(session_id);
    if (it == entries_.end()) return;
    recent_.erase(it->second);
    entries_.erase(it);
}

}  // namespace netra::net::mcp

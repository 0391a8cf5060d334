#include "auth/credentials.hpp"

#include <array>
#include <vector>

#include "auth/base64url.hpp"

namespace netra::auth {
namespace {

constexpr std::string_view kEchoProtocol = "jwt-auth";

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (Lower(s[i]) != Lower(prefix[i])) return false;
    }
    return true;
}

std::vector<std::string_view> SplitEntries(std::string_view header) {
    std::vector<std::string_view> out;
    while (true) {
        const std::size_t comma = header.find(',');
        std::string_view entry = Trim(header.substr(0, comma));
        if (!entry.empty()) out.push_back(entry);
        if (comma == std::string_view::npos) break;
        header.remove_prefix(comma + 1);
    }
    return out;
}

// A subprotocol token may be sent base64url-encoded (clients that do not trust '.' in the header).
std::string NormalizeProtocolToken(std::string_view raw) {
    if (LooksLikeJwt(raw)) return std::string(raw);
    if (auto decoded = Base64UrlDecode(raw); decoded && LooksLikeJwt(*decoded)) return *decoded;
    return std::string(raw);
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> PercentDecode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size()) return std::nullopt;
        const int hi = HexValue(s[i + 1]);
        const int lo = HexValue(s[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

std::optional<std::string> QueryToken(std::string_view query) {
    if (!query.empty() && query.front() == '?') query.remove_prefix(1);
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos) {
            auto key = PercentDecode(pair.substr(0, eq));
            if (key && *key == "token") {
                auto value = PercentDecode(pair.substr(eq + 1));
                if (value && !value->empty()) return value;
            }
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

}  // namespace

bool LooksLikeJwt(std::string_view token) {
    const std::size_t dot1 = token.find('.');
    if (dot1 == std::string_view::npos || dot1 == 0) return false;
    const std::size_t dot2 = token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || dot2 == dot1 + 1 || dot2 + 1 >= token.size()) return false;
    return token.find('.', dot2 + 1) == std::string_view::npos;
}

std::optional<std::string> BearerToken(std::string_view authorization_header) {
    std::string_view h = Trim(authorization_header);
    constexpr std::string_view kScheme = "bearer";
    if (h.size() <= kScheme.size() || !StartsWithNoCase(h, kScheme)) return std::nullopt;
    if (h[kScheme.size()] != ' ' && h[kScheme.size()] != '\t') return std::nullopt;
    std::string_view token = Trim(h.substr(kScheme.size()));
    if (token.empty()) return std::nullopt;
    return std::string(token);
}

WsCredentials ExtractWsCredentials(std::string_view sec_websocket_protocol, std::string_view authorization,
                                   std::string_view query_string) {
    WsCredentials out;
    out.source = "none";
    const auto entries = SplitEntries(sec_websocket_protocol);
    for (auto entry : entries) {
        // Exact match: subprotocol names are case-sensitive and we may only echo what was offered.
        if (entry == kEchoProtocol) out.echo_subprotocol = std::string(kEchoProtocol);
    }
    static constexpr std::array<std::string_view, 3> kPrefixes = {"jwt-auth.", "jwt.", "bearer."};
    for (auto prefix : kPrefixes) {
        for (auto entry : entries) {
            if (!StartsWithNoCase(entry, prefix) || entry.size() == prefix.size()) continue;
            out.token = NormalizeProtocolToken(entry.substr(prefix.size()));
            out.source = "subprotocol";
            return out;
        }
    }
    if (auto token = BearerToken(authorization)) {
        out.token = std::move(token);
        out.source = "authorization";
        return out;
    }
    if (auto token = QueryToken(query_string)) {
        out.token = std::move(token);
        out.source = "query";
    }
    return out;
}

}  // namespace netra::auth

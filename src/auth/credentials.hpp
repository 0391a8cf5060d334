#pragma once
// Where a request's access token comes from (§5). Pure string handling: no verification happens here.
#include <optional>
#include <string>
#include <string_view>

namespace netra::auth {

struct WsCredentials {
    std::optional<std::string> token;
    // The subprotocol the upgrade response must echo: "jwt-auth" when the client offered that bare entry,
    // else nothing. Never an entry carrying a token (it would leak the token into logs and proxies).
    std::optional<std::string> echo_subprotocol;
    // Where the token came from: "subprotocol", "authorization", "query", or "none".
    std::string source;
};

// Credentials of a WebSocket upgrade, first match wins:
//  1. Sec-WebSocket-Protocol (comma-separated, each entry trimmed): entries `jwt-auth.<token>`, then
//     `jwt.<token>`, then `bearer.<token>` (prefix priority in that order; among entries with the same prefix
//     the client's order). A token that is not JWT-shaped is base64url-decoded when the result is JWT-shaped;
//     otherwise it is passed on as sent so verification reports it invalid (403) rather than missing (401).
//  2. `Authorization: Bearer <token>`.
//  3. Query parameter `token` (percent-decoded; `+` stays `+`).
// `sec_websocket_protocol` is all the header's values joined with commas; `query_string` may start with '?'.
WsCredentials ExtractWsCredentials(std::string_view sec_websocket_protocol, std::string_view authorization,
                                   std::string_view query_string);

// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive); nullopt when the header is
// absent, uses another scheme or carries no token.
std::optional<std::string> BearerToken(std::string_view authorization_header);

// Three non-empty dot-separated segments.
bool LooksLikeJwt(std::string_view token);

}  // namespace netra::auth

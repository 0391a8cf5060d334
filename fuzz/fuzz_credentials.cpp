// libFuzzer target: credential extraction from a WebSocket upgrade / HTTP request (auth::ExtractWsCredentials,
// BearerToken, LooksLikeJwt). The input is split at its first two newlines into Sec-WebSocket-Protocol,
// Authorization and the query string.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/credentials.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    auto next = [&rest]() {
        const auto nl = rest.find('\n');
        const std::string_view part = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        return part;
    };
    const std::string_view protocol = next();
    const std::string_view authorization = next();
    const std::string_view query = rest;
    const auto creds = netra::auth::ExtractWsCredentials(protocol, authorization, query);
    // A subprotocol carrying a token is never echoed.
    if (creds.echo_subprotocol && *creds.echo_subprotocol != "jwt-auth") __builtin_trap();
    if (creds.token.has_value() == (creds.source == "none")) __builtin_trap();
    (void)netra::auth::BearerToken(authorization);
    (void)netra::auth::LooksLikeJwt(protocol);
    return 0;
}

#pragma once
// Hand-made JWTs for the suite's refusal tests (alg:none, wrong signature, tampered payload). These are
// attack probes, not authentication: the suite never verifies tokens, it checks that the server refuses.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace netra::stage {

std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// The payload (claims) of a compact JWT, unverified; nullopt when it is not three base64url JSON parts.
std::optional<boost::json::object> JwtClaims(std::string_view token);

// header.payload.signature with an HMAC-SHA256 signature under `key`.
std::string SignHs256(const boost::json::object& header, const boost::json::object& claims, std::string_view key);
// header.payload. (empty signature) with header {"alg":"none","typ":"JWT"}.
std::string UnsignedAlgNone(const boost::json::object& claims);

}  // namespace netra::stage

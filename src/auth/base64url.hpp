#pragma once
// Unpadded base64url (RFC 4648 §5), the encoding of every JWT segment. Backed by libsodium.
#include <optional>
#include <string>
#include <string_view>

namespace netra::auth {

std::string Base64UrlEncode(std::string_view data);
// Accepts trailing `=` padding (some clients add it); nullopt for any other non-alphabet byte.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace netra::auth

#pragma once
#include <string>

namespace netra::core {

// Random UUIDv4 from libsodium's CSPRNG: ids are opaque and unguessable (they appear in URLs).
std::string NewId();
// 32 random bytes as 64 lowercase hex characters (refresh tokens, secrets).
std::string RandomHex(std::size_t bytes = 32);
// SHA-256 of `data` as lowercase hex (refresh tokens are stored hashed).
std::string Sha256Hex(std::string_view data);

}  // namespace netra::core

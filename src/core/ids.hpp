#pragma once
#include <string>
#include <string_view>

namespace netra::core {

// Time-ordered UUIDv7 with 62 random bits from libsodium's CSPRNG: opaque, unguessable, and in creation
// order within this process (see ids.cpp).
std::string NewId();
// 32 random bytes as 64 lowercase hex characters (refresh tokens, secrets).
std::string RandomHex(std::size_t bytes = 32);
// SHA-256 of `data` as lowercase hex (refresh tokens are stored hashed).
std::string Sha256Hex(std::string_view data);

}  // namespace netra::core

#pragma once
// Password hashing with Argon2id (libsodium). Hashes are self-describing PHC strings
// ("$argon2id$v=19$m=...,t=...,p=1$salt$hash"), so cost parameters can change without a migration:
// PasswordNeedsRehash tells when a stored hash was made with other limits.
#include <sodium.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace netra::auth {

struct PasswordParams {
    unsigned long long ops_limit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    std::size_t mem_limit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

    static PasswordParams Interactive() { return {}; }
    // The smallest limits libsodium accepts. Only for tests: such hashes are cheap to brute-force.
    static PasswordParams Minimum() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }
};

// kInternal when libsodium cannot allocate the memory the limits ask for.
core::Result<std::string> HashPassword(std::string_view password, const PasswordParams& params = {});
// Constant-time comparison inside libsodium; false for a wrong password and for a malformed/empty hash.
bool VerifyPassword(std::string_view password, const std::string& hash);
// True when `hash` is not an Argon2id hash made with exactly `params` (also for unparseable hashes).
bool PasswordNeedsRehash(const std::string& hash, const PasswordParams& params = {});

}  // namespace netra::auth

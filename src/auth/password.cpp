#include "auth/password.hpp"

#include <array>
#include <stdexcept>

namespace netra::auth {
namespace {

void EnsureSodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

core::Result<std::string> HashPassword(std::string_view password, const PasswordParams& params) {
    EnsureSodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), params.ops_limit, params.mem_limit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return core::MakeError(core::ErrorCode::kInternal, "password hashing failed (out of memory)");
    }
    return std::string(out.data());
}

bool VerifyPassword(std::string_view password, const std::string& hash) {
    EnsureSodium();
    // crypto_pwhash_str_verify reads a NUL-terminated string of at most STRBYTES; anything else is not ours.
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(const std::string& hash, const PasswordParams& params) {
    EnsureSodium();
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return true;
    // crypto_pwhash_str_needs_rehash is algorithm-generic and would accept an argon2i hash as current.
    if (hash.rfind("$argon2id$", 0) != 0) return true;
    return crypto_pwhash_argon2id_str_needs_rehash(hash.c_str(), params.ops_limit, params.mem_limit) != 0;
}

}  // namespace netra::auth

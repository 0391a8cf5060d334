#include "auth/base64url.hpp"

#include <sodium.h>

#include <stdexcept>

namespace netra::auth {
namespace {

constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

void EnsureSodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
    EnsureSodium();
    std::string out(sodium_base64_encoded_len(data.size(), kVariant), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                      kVariant);
    out.resize(out.size() - 1);  // sodium writes a terminating NUL
    return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
    EnsureSodium();
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out(text.size() * 3 / 4 + 3, '\0');
    std::size_t len = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                          &len, &end, kVariant) != 0) {
        return std::nullopt;
    }
    // sodium stops at the first byte outside the alphabet; a token is only valid when all of it was consumed.
    if (end != text.data() + text.size()) return std::nullopt;
    out.resize(len);
    return out;
}

}  // namespace netra::auth

// libFuzzer target: JWT verification (auth::JwtCodec::VerifyAt) with a fixed secret the fuzzer cannot know. No
// input may verify: acceptance means a forged token got through (alg confusion, `none`, a signature check
// skipped), so it aborts.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "auth/jwt.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const netra::auth::JwtCodec codec("fuzz-secret-7c1e0d3f9a4b2e6d8c5f1a0b3e7d9c2f", "netra",
                                             std::chrono::seconds(3600));
    const std::string token(reinterpret_cast<const char*>(data), size);
    auto claims = codec.VerifyAt(token, 1'760'000'000);
    if (claims.ok()) __builtin_trap();
    return 0;
}

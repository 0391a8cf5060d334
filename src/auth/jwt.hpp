#pragma once
// HS256 JSON Web Tokens through libjwt (no hand-rolled crypto). Verification is strict: the header `alg`
// must be HS256 (`none` and every other algorithm are rejected before any claim is read), the signature
// must match, `exp`/`nbf` are checked with 30 s leeway, `iss` must equal the configured issuer, and a
// token whose `type`/`token_type` says `refresh` is not an access token.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace netra::auth {

struct AccessClaims {
    std::string user_id;  // sub
    std::string email;
    std::vector<std::string> permissions;
    std::int64_t issued_at = 0;   // iat, epoch seconds
    std::int64_t expires_at = 0;  // exp, epoch seconds
    std::string jti;
};

class JwtCodec {
  public:
    // Clock skew tolerated on `exp` and `nbf`.
    static constexpr std::int64_t kLeewaySeconds = 30;
    // Tokens longer than this are refused unparsed (they arrive in headers and query strings).
    static constexpr std::size_t kMaxTokenBytes = 8192;

    // Throws std::invalid_argument for an empty secret: an HMAC key of zero bytes is a start-up error.
    JwtCodec(std::string secret, std::string issuer, std::chrono::seconds ttl);

    // Mints an access token for the claims (iat = now, exp = now + ttl, fresh jti, type "access").
    std::string Issue(const std::string& user_id, const std::string& email,
                      const std::vector<std::string>& permissions) const;
    // Same, with explicit times (tests mint expired tokens with it).
    std::string IssueAt(const std::string& user_id, const std::string& email,
                        const std::vector<std::string>& permissions, std::int64_t iat, std::int64_t exp) const;
    // kUnauthenticated with a reason ("token expired", "invalid signature", "unsupported alg"...).
    core::Result<AccessClaims> Verify(const std::string& token) const;
    // Same, against an explicit clock (epoch seconds) so leeway is testable without sleeping.
    core::Result<AccessClaims> VerifyAt(const std::string& token, std::int64_t now_s) const;

    const std::string& issuer() const { return issuer_; }

    std::chrono::seconds ttl() const { return ttl_; }

  private:
    std::string secret_;
    std::string issuer_;
    std::chrono::seconds ttl_;
};

}  // namespace netra::auth

#pragma once
// The authentication rules of §5: registration, login, refresh rotation with reuse detection, logout,
// token validation and the e2e test-auth bypass. Synchronous and thread-safe: callers run it on the
// worker pool (password hashing is deliberately slow and storage calls block).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"
#include "core/rate_limiter.hpp"
#include "storage/store.hpp"

namespace netra::auth {

struct TokenPair {
    domain::User user;  // password_hash is always cleared
    std::string access_token;
    std::string refresh_token;
    std::int64_t expires_in = 0;  // seconds until the access token expires
};

// Construction knobs that are not user settings.
struct AuthOptions {
    // Argon2id cost for new hashes. Tests pass PasswordParams::Minimum() to stay fast.
    PasswordParams password;
    // Wall clock (epoch ms) for refresh-token expiry and the login throttle window; empty = core::NowMs.
    std::function<core::Millis()> clock;
};

class AuthService {
  public:
    // `settings` and `shared_limits` must outlive the service. Throws std::invalid_argument when settings.jwt_secret
    // is empty. `shared_limits`: the cluster's login throttle (Redis); a single instance passes NoSharedRateLimits.
    AuthService(const config::Settings& settings, std::shared_ptr<storage::Store> store,
                core::SharedRateLimits& shared_limits, AuthOptions options = {});

    // 201 on success; kConflict when the email exists; kValidationFailed for a bad email or short password.
    core::Result<TokenPair> Register(const std::string& email, const std::string& password, const std::string& name);
    // kUnauthenticated with one message for unknown email and wrong password; kRateLimited when throttled
    // (per email and per client IP, across the cluster when the limits are shared; this instance's own windows
    // decide while they cannot be reached).
    core::Result<TokenPair> Login(const std::string& email, const std::string& password, const std::string& client_ip);
    // Rotation: the presented token is spent and a new pair issued. A spent token presented again within
    // settings.refresh_reuse_grace of its rotation, while its successor is still unused, gets that same successor
    // back with a fresh access token (concurrent refreshes, a lost response); any other spent token presented
    // again — after the window, or one whose successor was itself rotated — revokes its whole family and answers
    // kUnauthenticated. The state is in the store only, so this holds across instances.
    // Expired, revoked or unknown tokens answer kUnauthenticated; an empty one kInvalidRequest.
    core::Result<TokenPair> Refresh(const std::string& refresh_token);
    // Revokes the token's whole family. Idempotent: an already spent/revoked/expired or unknown token also
    // answers Ok, because the outcome the caller asked for (that token can no longer be used) holds.
    core::Status Logout(const std::string& refresh_token);
    // Verifies an access token and returns its user, creating the user on first use when `sub` is unknown.
    core::Result<AccessClaims> Authenticate(const std::string& access_token);
    // Test users for the e2e bypass (the key check is done here too: kNotFound when no key is configured,
    // kUnauthenticated when it does not match).
    core::Result<TokenPair> TestAuth(const std::string& bypass_key, const std::string& email, const std::string& name,
                                     const std::vector<std::string>& permissions);
    // kNotFound when the user does not exist; password_hash cleared.
    core::Result<domain::User> Me(const std::string& user_id);

    const JwtCodec& jwt() const { return jwt_; }

  private:
    const config::Settings& settings_;
    std::shared_ptr<storage::Store> store_;
    core::SharedRateLimits& shared_limits_;
    JwtCodec jwt_;
    AuthOptions options_;
    // Login throttle, the dummy hash that equalises login timing, and the ids already known to exist
    // (so Authenticate does not write on every request). See auth_service.cpp.
    struct State;
    std::shared_ptr<State> state_;
    core::Result<TokenPair> IssuePair(const domain::User& user, const std::string& family_id);
    // A spent or revoked token presented again (see Refresh).
    core::Result<TokenPair> Replayed(const domain::RefreshToken& token, const std::string& presented, core::Millis now);
    TokenPair PairFor(const domain::User& user, std::string refresh_token) const;
    core::Millis Now() const;
    const std::string& DummyHash();
};

}  // namespace netra::auth

#pragma once
// The authentication rules of §5: registration, login, refresh rotation with reuse detection, logout,
// token validation and the e2e test-auth bypass. Synchronous and thread-safe: callers run it on the
// worker pool (password hashing is deliberately slow and storage calls block).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"
#include "storage/store.hpp"

namespace netra::auth {

struct TokenPair {
    storage::User user;
    std::string access_token;
    std::string refresh_token;
    std::int64_t expires_in = 0;  // seconds until the access token expires
};

class AuthService {
public:
    AuthService(const config::Settings& settings, std::shared_ptr<storage::Store> store);

    // 201 on success; kConflict when the email exists; kValidationFailed for a bad email or short password.
    core::Result<TokenPair> Register(const std::string& email, const std::string& password, const std::string& name);
    // kUnauthenticated with one message for unknown email and wrong password; kRateLimited when throttled
    // (per email and per client IP).
    core::Result<TokenPair> Login(const std::string& email, const std::string& password, const std::string& client_ip);
    // Rotation: the presented token is spent and a new pair issued. A spent token presented again revokes
    // its whole family and answers kUnauthenticated.
    core::Result<TokenPair> Refresh(const std::string& refresh_token);
    core::Status Logout(const std::string& refresh_token);
    // Verifies an access token and returns its user, creating the user on first use when `sub` is unknown.
    core::Result<AccessClaims> Authenticate(const std::string& access_token);
    // Test users for the e2e bypass (the key check is done here too: kNotFound when no key is configured,
    // kUnauthenticated when it does not match).
    core::Result<TokenPair> TestAuth(const std::string& bypass_key, const std::string& email, const std::string& name,
                                     const std::vector<std::string>& permissions);
    core::Result<storage::User> Me(const std::string& user_id);

    const JwtCodec& jwt() const { return jwt_; }

private:
    const config::Settings& settings_;
    std::shared_ptr<storage::Store> store_;
    JwtCodec jwt_;
    // (login throttle state lives here too; see auth_service.cpp)
    struct Throttle;
    std::shared_ptr<Throttle> throttle_;
    core::Result<TokenPair> IssuePair(const storage::User& user, const std::string& family_id);
};

}  // namespace netra::auth

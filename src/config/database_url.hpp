#pragma once
// The database URL builder of SPEC §2.1: pure (no I/O, no process environment), so every rule is unit-tested.
#include <optional>
#include <string>
#include <string_view>

#include "config/settings.hpp"
#include "core/error.hpp"

namespace netra::config {

// The raw settings the URL is built from. Unset and empty values are treated alike (empty env vars are common
// in container manifests and mean "not configured").
struct DatabaseEnv {
    std::optional<std::string> database_url;        // DATABASE_URL (or --db): wins when set
    std::optional<std::string> postgres_host;       // POSTGRES_HOST: host name, IP or a /cloudsql/P:R:I socket dir
    std::optional<std::string> postgres_port;       // POSTGRES_PORT, default 5432
    std::optional<std::string> postgres_user;       // POSTGRES_USER
    std::optional<std::string> postgres_password;   // POSTGRES_PASSWORD
    std::optional<std::string> postgres_db;         // POSTGRES_DB
    std::optional<std::string> allow_localhost_db;  // NETRA_ALLOW_LOCALHOST_DB: 1/true/yes/on
};

// Turns the environment into one connection URL, or kInvalidRequest naming the offending setting:
//  - DATABASE_URL when set (must be sqlite:… or postgres[ql]://…);
//  - POSTGRES_HOST containing "/cloudsql/": postgresql://USER:PASS@/DB?host=/cloudsql/PROJECT:REGION:INSTANCE;
//  - POSTGRES_HOST otherwise: postgresql://USER:PASS@HOST:PORT/DB, plus sslmode=require in staging/production;
//  - development/test with nothing set: sqlite:///<absolute data_dir>/netra.db.
// Staging/production refuse a missing host/user/password/db, a weak password and a loopback host (unless
// NETRA_ALLOW_LOCALHOST_DB). User, password and database name are percent-encoded.
core::Result<std::string> BuildDatabaseUrl(const DatabaseEnv& env, Environment app_env, const std::string& data_dir);

// Replaces the password of a PostgreSQL URL or keyword/value connection string with "***" (the userinfo form
// `user:pass@` and any `password=` parameter) so the URL can be logged. SQLite URLs are returned unchanged.
std::string MaskDatabaseUrl(std::string_view url);

// Percent-encodes everything except RFC 3986 unreserved characters: safe inside userinfo and path segments.
std::string PercentEncode(std::string_view text);

// True for a password found in common default/leaked lists ("password", "postgres", "admin", …),
// compared case-insensitively, or one equal to the user name.
bool IsWeakPassword(std::string_view password, std::string_view user = {});

}  // namespace netra::config

#pragma once
// Loads Settings at start-up: command-line flags > environment > optional TOML file (SPEC §2). Runs before any
// I/O thread exists, so it may do blocking file I/O (reading the TOML file, the development JWT secret).
#include <functional>
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "core/error.hpp"

namespace netra::config {

// The settings a command line may carry. Secrets are deliberately absent: flags are visible in `ps`.
struct CliOverrides {
    std::optional<std::string> host;
    std::optional<std::string> db;           // --db URL, same meaning as DATABASE_URL
    std::optional<std::string> config_path;  // --config FILE, else NETRA_CONFIG
    std::optional<std::string> data_dir;
    std::optional<std::string> log_format;
    std::optional<std::string> catalog;  // --catalog FILE
    std::optional<int> port;
};

// Looks up one environment variable; std::nullopt when unset. Tests pass a map-backed fake.
using GetenvFn = std::function<std::optional<std::string>(const std::string&)>;

// The real process environment (std::getenv), for main().
GetenvFn ProcessEnvironment();

// Builds the Settings, or kInvalidRequest with a message naming every unknown or invalid setting (and where it
// came from: flag, environment variable or file key). Empty environment variables count as unset.
//
// Environment variables: those of SPEC §2 plus NETRA_DATA_DIR, NETRA_LOG_LEVEL, NETRA_ALLOWED_ORIGINS (comma
// list), NETRA_IO_THREADS, NETRA_WORKER_THREADS, NETRA_ALLOW_LOCALHOST_DB, NETRA_CATALOG, NETRA_CONFIG,
// NETRA_ACCESS_TOKEN_TTL_S, NETRA_REFRESH_TOKEN_TTL_S, every limit as NETRA_<FIELD> (NETRA_MAX_BODY_BYTES, …)
// and every timeout as NETRA_<FIELD>_TIMEOUT_MS / NETRA_WS_PING_INTERVAL_MS / NETRA_SHUTDOWN_DRAIN_MS.
// The TOML file uses snake_case keys: the variable name without NETRA_ at the top level (env, port,
// database_url, postgres_host, jwt_secret, llm_provider, …), limits in [limits] (max_body_bytes, …) and
// timeouts in [timeouts] (agent_step_ms, run_ms, http_read_ms, ws_ping_interval_ms, shutdown_drain_ms).
//
// Side effect in development/test without a JWT secret: reads `<data_dir>/jwt_secret`, or creates the data dir
// and writes a fresh random secret there (mode 0600) so tokens survive restarts.
core::Result<Settings> LoadSettings(const CliOverrides& flags, const GetenvFn& getenv_fn);

// One line for the start-up log: every effective setting that helps an operator, the database and Redis URLs
// masked, and no secret (only whether one is set).
std::string DescribeSettings(const Settings& settings);

}  // namespace netra::config

#pragma once
// Wiring: builds every component from Settings, runs the start-up phases of §10 and the graceful shutdown.
// The only place that knows which storage backend is real.
#include "config/settings.hpp"

namespace netra::app {

// Runs `netra serve` until SIGTERM/SIGINT; returns the process exit code.
int RunServer(const config::Settings& settings, double config_phase_ms);

// `netra migrate`: applies the schema and prints the version.
int RunMigrate(const config::Settings& settings);

// `netra token`: mints an access token for a user (created when unknown) with the configured secret.
int RunToken(const config::Settings& settings, const std::string& email, long long expires_in_s);

}  // namespace netra::app

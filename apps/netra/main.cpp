// netra: the platform server, its staging suite and its operator tools in one binary (SPEC §1).
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/server_app.hpp"
#include "config/loader.hpp"
#include "core/logging.hpp"
#include "core/time.hpp"
#include "stage/cli.hpp"

namespace {

void AddServerFlags(CLI::App* cmd, netra::config::CliOverrides& flags) {
    cmd->add_option_function<std::string>(
        "--host", [&](const std::string& v) { flags.host = v; }, "listen address");
    cmd->add_option_function<int>(
        "--port", [&](int v) { flags.port = v; }, "listen port (0 = any free port)");
    cmd->add_option_function<std::string>(
        "--db", [&](const std::string& v) { flags.db = v; },
        "database URL (sqlite:///path.db, sqlite::memory:, postgresql://...)");
    cmd->add_option_function<std::string>(
        "--config", [&](const std::string& v) { flags.config_path = v; }, "TOML file");
    cmd->add_option_function<std::string>(
        "--data-dir", [&](const std::string& v) { flags.data_dir = v; },
        "data directory (embedded database, generated secrets)");
    cmd->add_option_function<std::string>(
        "--log-format", [&](const std::string& v) { flags.log_format = v; }, "text or json");
    cmd->add_option_function<std::string>(
        "--catalog", [&](const std::string& v) { flags.catalog = v; }, "supply catalog file");
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Netra: AI-optimization platform server"};
    app.require_subcommand(1);
    netra::config::CliOverrides flags;
    int exit_code = 0;

    auto* serve = app.add_subcommand("serve", "run the platform server (HTTP + WebSocket)");
    AddServerFlags(serve, flags);
    auto* migrate = app.add_subcommand("migrate", "apply the database schema and exit");
    AddServerFlags(migrate, flags);
    auto* token = app.add_subcommand("token", "mint an access token for a user with the configured secret");
    AddServerFlags(token, flags);
    std::string email;
    long long expires_in = 15 * 60;
    token->add_option("--email", email, "user email (the user is created when unknown)")->required();
    token->add_option("--expires-in", expires_in, "seconds until expiry (negative mints an expired token)");
    netra::stage::AddStageCommand(app, exit_code);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (!serve->parsed() && !migrate->parsed() && !token->parsed()) return exit_code;

    auto t0 = netra::core::MonoNow();
    auto settings = netra::config::LoadSettings(flags, netra::config::ProcessEnvironment());
    if (!settings.ok()) {
        std::cerr << "configuration error: " << settings.error().message << "\n";
        return 2;
    }
    netra::core::SetupLogging(netra::core::LogFormatFromString(settings->log_format), settings->log_level);
    if (serve->parsed()) return netra::app::RunServer(*settings, netra::core::ElapsedMs(t0));
    if (migrate->parsed()) return netra::app::RunMigrate(*settings);
    return netra::app::RunToken(*settings, email, expires_in);
}

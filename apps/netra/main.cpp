// netra: the platform server, its staging suite and its operator tools in one binary (SPEC §1).
#include <CLI/CLI.hpp>
#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "agents/offline.hpp"
#include "app/server_app.hpp"
#include "catalog_command.hpp"
#include "config/loader.hpp"
#include "core/json_write.hpp"
#include "core/logging.hpp"
#include "core/time.hpp"
#include "llm/builtin_provider.hpp"
#if NETRA_WITH_LOADGEN
#include "loadgen/load_run.hpp"
#endif
#if NETRA_WITH_STAGE
#include "stage/cli.hpp"
#endif

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

struct AnalyzeArgs {
    std::string file, catalog, format;
    bool json = false;
};

// `netra analyze`: the server's ingest and agent pipeline on a local file (agents/offline.hpp).
int RunAnalyze(const AnalyzeArgs& args) {
    std::string catalog_text(netra::analysis::BundledCatalogJson());
    if (!args.catalog.empty()) {
        std::ifstream in(args.catalog, std::ios::binary);
        if (!in) return std::cerr << "cannot read catalog " << args.catalog << "\n", 2;
        catalog_text.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto catalog = netra::analysis::LoadCatalog(catalog_text);
    if (!catalog.ok()) return std::cerr << catalog.error().message << "\n", 2;
    // The whole file, mapped rather than read: the parser cuts it into parts for every core, and the page cache
    // holds it already (Boost.Interprocess: the mapping and its unmapping on every exit path).
    namespace bip = boost::interprocess;
    std::optional<bip::mapped_region> mapped;
    std::string piped;  // a pipe or a device (/dev/stdin) cannot be mapped: read whole
    std::string_view usage;
    try {
        if (!std::filesystem::is_regular_file(args.file)) {
            std::ifstream in(args.file, std::ios::binary);
            if (!in) return std::cerr << "cannot read " << args.file << "\n", 2;
            piped.assign(std::istreambuf_iterator<char>(in), {});
            usage = piped;
        } else if (std::filesystem::file_size(args.file) > 0) {
            bip::file_mapping file(args.file.c_str(), bip::read_only);
            mapped.emplace(file, bip::read_only);
            mapped->advise(bip::mapped_region::advice_sequential);
            usage = std::string_view(static_cast<const char*>(mapped->get_address()), mapped->get_size());
        }
    } catch (const std::exception& e) {
        return std::cerr << "cannot read " << args.file << ": " << e.what() << "\n", 2;
    }
    // --format names a syntax, a source or both; without it the extension may name the syntax, and the ingest
    // detects the rest from the data.
    netra::analysis::FormatRequest format;
    if (!args.format.empty()) {
        auto parsed = netra::analysis::ParseFormatRequest(args.format);
        if (!parsed) return std::cerr << "unknown --format '" << args.format << "'\n", 2;
        format = *parsed;
    } else {
        format.syntax = netra::analysis::FormatFromString(args.file.substr(args.file.find_last_of('.') + 1));
    }
    // Offline and deterministic: the builtin provider writes the prose, so the numbers and the report equal a
    // server's on the builtin provider with the same catalog.
    netra::llm::BuiltinProvider builtin;
    auto result = netra::agents::AnalyzeUsageLog(usage, format, args.file, *catalog, builtin);
    if (!result.ok()) return std::cerr << args.file << ": " << result.error().message << "\n", 1;
    if (args.json) {
        std::cout << netra::core::JsonText(netra::agents::OfflineToJson(*result)) << "\n";
    } else {
        for (const auto& w : result->ingest.warnings) std::cerr << "warning: " << w << "\n";
        for (const auto& e : result->ingest.errors) std::cerr << "rejected: " << e.message << "\n";
        std::cout << result->output.report_markdown;
    }
    // The answer is out; what is left is freeing the records one by one (a tenth of a run on a million rows) and
    // unmapping the file, which the kernel does at exit in one go. So the process ends here, output flushed.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(std::cout ? 0 : 1);
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
#if NETRA_WITH_STAGE  // left out of a tree that skips the module (apps/netra/CMakeLists.txt)
    netra::stage::AddStageCommand(app, exit_code);
#endif
#if NETRA_WITH_LOADGEN
    netra::loadgen::AddBenchCommand(app, exit_code);
#endif
    netra::cli::AddCatalogCommand(app, exit_code);
    AnalyzeArgs analyze_args;
    auto* analyze = app.add_subcommand("analyze", "run the optimization engine offline on a usage log (CSV/JSONL)");
    analyze->add_option("FILE", analyze_args.file, "usage log (.csv, .jsonl)")->required();
    analyze->add_flag("--json", analyze_args.json, "print the JSON result instead of the markdown report");
    analyze->add_option("--catalog", analyze_args.catalog, "supply catalog file (default: the bundled one)");
    analyze->add_option("--format", analyze_args.format,
                        "csv, jsonl, json, a source (openai_usage, anthropic_usage, litellm_spend_logs, otel, …) or "
                        "source.syntax (default: detected)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (analyze->parsed()) return RunAnalyze(analyze_args);
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

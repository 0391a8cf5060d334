#include "stage/cli.hpp"

#include <CLI/CLI.hpp>
#include <memory>

#include "stage/stage.hpp"

namespace netra::stage {

void AddStageCommand(CLI::App& app, int& exit_code) {
    auto opts = std::make_shared<StageOptions>();
    auto* cmd = app.add_subcommand("stage", "Run the staging validation suite against a live deployment");
    cmd->add_option("url", opts->url, "Server URL, e.g. http://127.0.0.1:8080 (not needed with --spawn)");
    cmd->add_option("--url2", opts->url2, "A second instance of the same deployment (cross-instance tests)");
    cmd->add_option("--ca-file", opts->ca_file,
                    "https: a PEM file of CAs to trust besides the system's (a private CA); certificates are always "
                    "verified")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--spawn", opts->spawn, "Start a local `netra serve` on a free port with a temp data dir");
    cmd->add_option("--instances", opts->instances,
                    "With --spawn: 2 starts two servers sharing the environment's DATABASE_URL (postgresql://) and "
                    "REDIS_URL, the second as --url2 (module 9's cross-instance tests)")
        ->check(CLI::Range(1, 2));
    cmd->add_option("--modules", opts->modules, "Modules to run, e.g. 1,2,10 (default: all)")->delimiter(',');
    cmd->add_option("--tests", opts->tests, "Only these tests (names as in the report), e.g. golden_path")
        ->delimiter(',');
    cmd->add_option("--email", opts->email, "Log in as this existing user");
    cmd->add_option("--password", opts->password, "Password for --email (prefer NETRA_STAGE_PASSWORD)")
        ->envname("NETRA_STAGE_PASSWORD");
    cmd->add_option("--bypass-key", opts->bypass_key, "Use POST /auth/e2e/test-auth with this key")
        ->envname("NETRA_STAGE_BYPASS_KEY");
    auto force_register = std::make_shared<bool>(false);
    cmd->add_flag("--register", *force_register,
                  "Create throw-away users with POST /auth/register (default when no "
                  "--email or --bypass-key is given)");
    cmd->add_option("--json", opts->json_report_path, "Write the JSON report to this file");
    cmd->add_option("--markdown", opts->markdown_report_path, "Write the Markdown report to this file");
    cmd->add_option("--samples", opts->samples, "Samples per latency metric")->check(CLI::PositiveNumber);
    cmd->add_option("--sigkills", opts->sigkills, "Module 7: SIGKILLs of a busy server at random moments")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--db-stop-cmd", opts->db_stop_command,
                    "Module 7: a shell command that takes the deployment's database down (its data kept)");
    cmd->add_option("--db-start-cmd", opts->db_start_command, "Module 7: a shell command that brings it back");
    cmd->add_option("--redis-stop-cmd", opts->redis_stop_command,
                    "Module 9: a shell command that takes the deployment's Redis down (its port and password kept)");
    cmd->add_option("--redis-start-cmd", opts->redis_start_command, "Module 9: a shell command that brings it back");
    cmd->add_option("--metric-budget", opts->metric_budget_s, "Max seconds spent sampling one metric")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--netra-binary", opts->netra_binary, "netra executable for --spawn (default: this one)");
    cmd->add_flag("-v,--verbose", opts->verbose, "Print each test as it runs");
    cmd->callback([opts, force_register, &exit_code] {
        if (opts->url.empty() && !opts->spawn) throw CLI::RequiredError("URL (or --spawn)");
        if (!opts->email.empty() && opts->password.empty()) throw CLI::RequiredError("--password (with --email)");
        // Register by default, unless the operator chose an account; --register forces it back on.
        opts->register_users = *force_register || (opts->email.empty() && opts->bypass_key.empty());
        exit_code = RunStage(*opts);
    });
}

}  // namespace netra::stage

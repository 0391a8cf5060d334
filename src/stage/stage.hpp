#pragma once
// `netra stage URL`: the staging validation suite (SPEC §13). Runs the selected modules against a live
// deployment (or one it spawns), prints a table per module, the latency metrics and, as the last line,
// "N passed, N failed, N skipped".
#include <string>
#include <vector>

namespace netra::stage {

struct StageOptions {
    std::string url;                   // "http://127.0.0.1:8080"; ignored with spawn (the spawned server's URL)
    std::string url2;                  // a second instance of the same deployment (module 9's cross-instance tests)
    std::string ca_file;               // https: a PEM file of extra trusted CAs (verification is never skipped)
    std::vector<int> modules;          // empty = all
    std::vector<std::string> tests;    // test names to run within those modules; empty = all
    bool spawn = false;                // start `netra serve` on a free loopback port with a temp data dir
    int instances = 1;                 // with spawn: 2 starts two servers sharing DATABASE_URL and REDIS_URL (url2)
    std::string email, password;       // log in as this user
    std::string bypass_key;            // use POST /auth/e2e/test-auth with X-E2E-Bypass-Key
    bool register_users = true;        // create throw-away users with POST /auth/register
    std::string json_report_path;      // --json FILE
    std::string markdown_report_path;  // --markdown FILE
    int samples = 200;                 // samples per latency metric
    double metric_budget_s = 90;       // per-metric time cap: sampling stops early (and says so) beyond it
    int sigkills = 20;                 // module 7: SIGKILLs of a busy server at random moments
    std::string db_stop_command;       // module 7: shell commands that take the database down and bring it back
    std::string db_start_command;
    std::string redis_stop_command;  // module 9: shell commands that take the deployment's Redis down and back
    std::string redis_start_command;
    std::string netra_binary;  // for --spawn / token minting; default: this executable
    bool verbose = false;
};

// Runs the suite. Returns the process exit code: 0 only if nothing failed; 2 for unusable options.
int RunStage(const StageOptions& options);

}  // namespace netra::stage

#pragma once
// Every setting of the server, with its default. Loaded by config/loader.hpp: flags > environment > TOML.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace netra::config {

enum class Environment { kDevelopment, kTest, kStaging, kProduction };

struct Limits {
    std::size_t max_header_bytes = 16 << 10;      // HTTP request line + headers (also the WebSocket upgrade)
    std::size_t max_body_bytes = 1 << 20;         // HTTP request bodies (except uploads)
    std::size_t max_upload_bytes = 256ull << 20;  // dataset uploads
    std::size_t max_json_depth = 64;
    std::size_t max_message_bytes = 32 << 10;       // message content
    std::size_t max_ws_frame_bytes = 1 << 20;       // larger frames close with 1009
    std::size_t ws_outbound_queue_messages = 4096;  // overflow closes with 1013
    int ws_connections_per_user = 32;
    int ws_frames_per_second = 1000;     // flood: error then close 1008
    int messages_per_minute = 600;       // per user
    int runs_per_minute = 600;           // per user
    int uploads_per_minute = 60;         // per user: dataset uploads
    int run_max_attempts = 3;            // a run interrupted this many times (not counting graceful hand-backs) fails
    int login_attempts_per_minute = 30;  // per email and per IP
    int max_concurrent_runs_per_user = 4;
    // Runs one instance executes at once when runs are claimed from PostgreSQL's queue (a cluster); runs wait
    // on I/O without holding threads, so this bounds memory, not CPU.
    int runs_per_instance = 1024;
};

struct Timeouts {
    std::chrono::milliseconds agent_step{30'000};
    std::chrono::milliseconds run{300'000};
    std::chrono::milliseconds http_read{30'000};
    std::chrono::milliseconds ws_ping_interval{25'000};
    std::chrono::milliseconds ws_handshake{30'000};   // the WebSocket opening and closing handshakes
    std::chrono::milliseconds ws_close_grace{3'000};  // a peer that never completes the close loses the socket
    // A WebSocket message must arrive whole within this once its first payload bytes have (else: error, 1008).
    std::chrono::milliseconds ws_message{30'000};
    std::chrono::milliseconds shutdown_drain{20'000};
    // Run leases (§7): held for run_lease, renewed every run_lease_renew, expired leases looked for every
    // run_lease_check.
    std::chrono::milliseconds database_startup{120'000};  // how long start-up waits for an unreachable database
    std::chrono::milliseconds run_lease{30'000};
    std::chrono::milliseconds run_lease_renew{10'000};
    std::chrono::milliseconds run_lease_check{5'000};
};

struct Settings {
    Environment env = Environment::kDevelopment;
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string data_dir = "./netra-data";
    std::string database_url;  // built by BuildDatabaseUrl when not given
    std::string redis_url;     // empty = single instance
    std::string jwt_secret;    // dev: generated and stored in data_dir
    std::string jwt_issuer = "netra-auth-service";
    std::chrono::seconds access_token_ttl{15 * 60};
    std::chrono::seconds refresh_token_ttl{30 * 24 * 3600};
    // A rotated refresh token presented again within this long of its rotation gets its successor back instead of
    // counting as reuse (two tabs refreshing at once, a response lost with an unloaded page); 0 = strict. 0–60 s.
    std::chrono::seconds refresh_reuse_grace{15};
    std::string llm_provider = "builtin";
    std::string openai_base_url;
    std::string openai_api_key;
    std::string llm_model;
    int llm_breaker_failures = 5;                        // consecutive failures that open the breaker (§8)
    std::chrono::milliseconds llm_breaker_open{30'000};  // how long it stays open before one trial call
    int llm_max_retries = 2;                             // retries of a failed call: attempts = 1 + retries
    std::chrono::milliseconds llm_backoff_base{250};     // retry n waits a random [0, min(max, base·2^n)]
    std::chrono::milliseconds llm_backoff_max{4'000};
    std::string e2e_bypass_key;  // empty = /auth/e2e/test-auth disabled
    bool fault_injection = false;
    // /mcp also offers the fixture tools, prompts and resources the MCP conformance suite calls (test_simple_text,
    // test://static-text, …): for testing a deployment's MCP transport with that suite, never in production.
    bool mcp_conformance_fixtures = false;
    std::string log_format;  // "", "text", "json"
    std::string log_level = "info";
    std::vector<std::string> allowed_origins;  // empty = any Origin accepted
    int io_threads = 2;
    int worker_threads = 4;
    // Runs are coroutines on strands of their own small pool: a waiting run (LLM, storage, a timer) holds no
    // thread, so these threads only route and never starve request handlers.
    int run_threads = 2;
    // The bounded pool for the runs' CPU-heavy analysis (profiles, pricing), a thread per core by default.
    int compute_threads = 2;
    std::string catalog_path;  // empty = the bundled supply catalog (`--catalog FILE` overrides)
    std::string config_file;   // the TOML file the settings were loaded from; empty = none
    Limits limits;
    Timeouts timeouts;
};

// "development", "test", "staging", "production".
const char* EnvironmentName(Environment env);
// Case-insensitive; also accepts the short forms "dev" and "prod". kInvalidRequest for anything else.
core::Result<Environment> ParseEnvironment(std::string_view text);
// Staging and production get the strict checks (secrets required, weak DB passwords refused, TLS to the DB).
inline bool IsStrictEnvironment(Environment env) {
    return env == Environment::kStaging || env == Environment::kProduction;
}

}  // namespace netra::config

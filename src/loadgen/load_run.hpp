#pragma once
// `netra bench URL`: N users, each registered afresh, optionally uploading a usage log, then — for a number of runs
// or until a duration has passed — ping → pong, GET /api/threads, and a user_message followed to its run's end over
// the WebSocket (ack, first agent_started, every event in seq order, the terminal event); every Nth run drops the
// socket after the first agent and resumes with `subscribe {run_id, after_seq}`. Meanwhile the server's /metrics
// are sampled for its resident memory, threads and CPU. The result is LoadStats (SPEC §14's five metrics under
// load, throughput, errors, anything lost, the memory slope).
#include <boost/json/object.hpp>
#include <chrono>
#include <string>

#include "core/error.hpp"
#include "loadgen/load_stats.hpp"
#include "stage/http_client.hpp"

namespace CLI {
class App;
}

namespace netra::loadgen {

struct LoadOptions {
    stage::ServerUrl server;
    int users = 10;
    int runs_per_user = 5;                  // when duration is 0
    std::chrono::seconds duration{0};       // > 0: each user keeps going until then (a soak)
    std::chrono::seconds ramp_up{0};        // users start evenly spread over this
    int dataset_rows = 0;                   // > 0: each user uploads a usage log of this many rows and attaches it
    int reconnect_every = 0;                // > 0: every Nth run of a user drops its socket mid-run and resumes
    std::chrono::milliseconds think{0};     // pause between a user's rounds
    std::chrono::seconds sample_every{5};   // the server's /metrics
    std::chrono::seconds run_timeout{120};  // a run not ended by then counts as never ended
    int threads = 1;                        // threads running the users' io_context
    std::string message = "We spend $40k/month on GPT-4o for customer support, 2M requests per month.";
};

struct LoadResult {
    LoadStats stats;
    LoadStats::Context context;
};

// Runs the load to the end (blocking the calling thread). An error only when it could not start at all.
core::Result<LoadResult> RunLoad(const LoadOptions& options);

// A usage log in Netra's CSV columns: `rows` requests over 30 days across a few models and features (deterministic).
std::string BenchUsageCsv(int rows);

// Adds `netra bench` to the CLI; the exit code is 1 when anything was lost or errors occurred.
void AddBenchCommand(CLI::App& app, int& exit_code);

}  // namespace netra::loadgen

// `netra bench URL …`: the command line of the load tool (load_run.hpp), its console report and JSON file.
#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "core/json_write.hpp"
#include "loadgen/load_run.hpp"

namespace netra::loadgen {

void AddBenchCommand(CLI::App& app, int& exit_code) {
    struct Args {
        std::string url, json_path;
        LoadOptions options;
        int duration_s = 0, ramp_s = 0, think_ms = 0, sample_s = 5, run_timeout_s = 120;
    };
    auto args = std::make_shared<Args>();
    auto* bench = app.add_subcommand("bench", "load a running server with N users and measure it (SPEC §14 metrics)");
    bench->add_option("URL", args->url, "the server, http://host:port")->required();
    bench->add_option("--users", args->options.users, "concurrent users (default 10)");
    bench->add_option("--runs", args->options.runs_per_user, "runs per user when no --duration (default 5)");
    bench->add_option("--duration", args->duration_s, "seconds each user keeps going (a soak; overrides --runs)");
    bench->add_option("--ramp-up", args->ramp_s, "seconds over which the users start (default 0)");
    bench->add_option("--dataset-rows", args->options.dataset_rows,
                      "each user uploads a usage log of this many rows and attaches it to every message");
    bench->add_option("--reconnect-every", args->options.reconnect_every,
                      "every Nth run drops the socket after its first agent and resumes with subscribe after_seq");
    bench->add_option("--think-ms", args->think_ms, "pause between a user's rounds");
    bench->add_option("--sample-every", args->sample_s, "seconds between samples of the server's /metrics (5)");
    bench->add_option("--run-timeout", args->run_timeout_s, "seconds after which a run counts as never ended (120)");
    bench->add_option("--threads", args->options.threads, "threads driving the users (default 1)");
    bench->add_option("--message", args->options.message, "what every user asks");
    bench->add_option("--json", args->json_path, "also write the results as JSON (for plots)");
    bench->callback([args, &exit_code] {
        auto url = stage::ParseServerUrl(args->url);
        if (!url.ok()) {
            std::cerr << url.error().message << "\n";
            exit_code = 2;
            return;
        }
        auto& o = args->options;
        o.server = *url;
        o.duration = std::chrono::seconds(args->duration_s);
        o.ramp_up = std::chrono::seconds(args->ramp_s);
        o.think = std::chrono::milliseconds(args->think_ms);
        o.sample_every = std::chrono::seconds(std::max(1, args->sample_s));
        o.run_timeout = std::chrono::seconds(std::max(1, args->run_timeout_s));
        o.threads = std::max(1, o.threads);
        auto result = RunLoad(o);
        if (!result.ok()) {
            std::cerr << result.error().message << "\n";
            exit_code = 2;
            return;
        }
        std::cout << result->stats.RenderText(result->context) << std::flush;
        if (!args->json_path.empty()) {
            std::ofstream out(args->json_path);
            out << core::JsonText(result->stats.ToJson(result->context)) << "\n";
            if (!out) std::cerr << "could not write " << args->json_path << "\n";
        }
        exit_code = result->stats.Intact() && result->stats.ErrorCount() == 0 ? 0 : 1;
    });
}

}  // namespace netra::loadgen

// netra_bench_json_write: core::JsonText (plain-decimal numbers, issue 12) against boost::json::serialize on the two
// shapes the server writes most: a run event's envelope (a WebSocket/SSE frame, a few doubles) and a big
// data-profile-like object (hundreds of doubles in nested objects and arrays).
//
//   netra_bench_json_write [--iterations N] [--only envelope|profile|strings]
//
// Prints ns per document and MB/s of output for each writer (unit tests check the texts: src/core/json_write_test.cpp).
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "core/json_write.hpp"

namespace json = boost::json;

namespace {

json::object Envelope() {
    return json::object{
        {"type", "agent_completed"},
        {"run_id", "01J9ZK3V6Q8W2E4R5T6Y7U8I9O"},
        {"thread_id", "01J9ZK3V6Q8W2E4R5T6Y7U8I9P"},
        {"seq", 17},
        {"timestamp", "2025-03-14T09:26:53.589Z"},
        {"agent_name", "optimization"},
        {"payload", json::object{{"summary", "Routing 38% of gpt-4o traffic to gpt-4o-mini saves $2,310.55/month"},
                                 {"monthly_cost_usd", 6819.411046760217},
                                 {"projected_monthly_usd", 4508.861046760217},
                                 {"savings_pct", 33.88},
                                 {"confidence", 0.85},
                                 {"duration_ms", 1234},
                                 {"strategies", json::array{"model_routing", "prompt_caching", "batching"}}}}};
}

json::object Profile(std::mt19937_64& rng) {
    std::uniform_real_distribution<double> money(0.0, 20000.0);
    std::uniform_real_distribution<double> share(0.0, 1.0);
    json::object p;
    p["rows"] = 1000000;
    p["days_covered"] = 30.041666666666668;
    p["monthly_factor"] = 0.9986130374479889;
    p["monthly_cost_usd"] = 6819.411046760217;
    p["estimated"] = false;
    json::array models;
    for (int i = 0; i < 40; ++i) {
        models.push_back(json::object{{"model", "model-" + std::to_string(i) + "-2024-08-06"},
                                      {"requests", 10000 + i * 137},
                                      {"input_tokens", 12345678 + i},
                                      {"output_tokens", 2345678 + i},
                                      {"cost_usd", money(rng)},
                                      {"share", share(rng)},
                                      {"p50_latency_ms", 812.5},
                                      {"p95_latency_ms", money(rng) / 7},
                                      {"error_rate", share(rng) / 100},
                                      {"cached_share", share(rng)},
                                      {"covered", true}});
    }
    p["models"] = std::move(models);
    json::array daily;
    for (int d = 0; d < 90; ++d) {
        daily.push_back(json::object{{"date", "2025-01-" + std::to_string(d % 28 + 1)},
                                     {"cost_usd", money(rng) / 30},
                                     {"requests", 33000 + d},
                                     {"z", share(rng) * 4 - 2}});
    }
    p["daily"] = std::move(daily);
    json::array features;
    for (int i = 0; i < 25; ++i) {
        features.push_back(json::object{{"feature", "feature_" + std::to_string(i)},
                                        {"cost_usd", money(rng)},
                                        {"tokens_per_request", share(rng) * 4000},
                                        {"samples", json::array{share(rng), share(rng), share(rng), 90.0, 0.0}}});
    }
    p["features"] = std::move(features);
    p["assumptions"] = json::array{"Prices from the bundled catalog as of 2025-03-01", "A month is 30 days"};
    return p;
}

// The best of 7 rounds of `iterations` calls (the machine may be busy), in ns per call.
template <typename Fn>
double NsPerCall(int iterations, Fn&& fn) {
    std::size_t bytes = 0;
    for (int i = 0; i < iterations / 10 + 1; ++i) bytes += fn().size();  // warm-up
    double best = 1e300;
    for (int round = 0; round < 7; ++round) {
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < iterations; ++i) bytes += fn().size();
        const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
        best = std::min(best, took.count() / iterations);
    }
    if (bytes == 0) std::printf("(nothing written)\n");
    return best;
}

void Run(const char* name, const json::object& doc, int iterations) {
    const std::string ours = netra::core::JsonText(doc);
    const std::string theirs = json::serialize(doc);
    const double ours_ns = NsPerCall(iterations, [&] { return netra::core::JsonText(doc); });
    const double theirs_ns = NsPerCall(iterations, [&] { return json::serialize(doc); });
    std::printf("%-9s %7zu B  core::JsonText %9.0f ns (%6.0f MB/s)   json::serialize %9.0f ns (%6.0f MB/s)   %.2fx\n",
                name, ours.size(), ours_ns, ours.size() / ours_ns * 1e3, theirs_ns, theirs.size() / theirs_ns * 1e3,
                theirs_ns / ours_ns);
}

}  // namespace

int main(int argc, char** argv) {
    int iterations = 200000;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) {
            iterations = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        }
    }
    std::mt19937_64 rng(1);
    const json::object envelope = Envelope();
    const json::object profile = Profile(rng);
    json::object strings;  // no numbers: the string-escaping path alone
    for (int i = 0; i < 50; ++i) {
        strings["key_" + std::to_string(i)] =
            "A line of report text with \"quotes\", a tab\tand a newline\n, and UTF-8: café — 価格 " +
            std::to_string(i);
    }
    if (only.empty() || only == "envelope") Run("envelope", envelope, iterations);
    if (only.empty() || only == "profile") Run("profile", profile, iterations / 100 + 1);
    if (only.empty() || only == "strings") Run("strings", strings, iterations / 10 + 1);
    return 0;
}

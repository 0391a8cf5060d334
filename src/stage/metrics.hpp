#pragma once
// Latency statistics and the suite's report model + writers (console, JSON, Markdown). Pure code: no I/O
// except WriteTextFile, so everything here is unit-tested on synthetic data.
#include <boost/json/value.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace netra::stage {

// Nearest-rank percentile (p in [0,100]) of `samples` (any order): the smallest sample such that at least
// p% of samples are <= it. p == 0 gives the minimum. nullopt for an empty input.
std::optional<double> Percentile(std::vector<double> samples, double p);

struct LatencySummary {
    std::size_t count = 0;
    double min = 0, mean = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};
LatencySummary Summarize(const std::vector<double>& samples_ms);

enum class TestStatus { kPassed, kFailed, kSkipped };
std::string_view StatusName(TestStatus status);  // "passed" / "failed" / "skipped"

struct TestResult {
    std::string name;
    TestStatus status = TestStatus::kPassed;
    std::string reason;   // why it failed or was skipped (with the server's answer)
    std::string details;  // optional notes for passes (timings, what was checked)
    double duration_ms = 0;
};

struct ModuleResult {
    int number = 0;
    std::string name;
    std::vector<TestResult> tests;
};

struct MetricResult {
    std::string name;         // "api_response"
    std::string description;  // how it was measured
    LatencySummary summary;
    std::size_t requested_samples = 0;
    double floor_ms = 0;       // §14 floor: p99 above it fails
    double target_p99_ms = 0;  // §14 target
    std::string note;          // honest caveats (e.g. measured without a dataset)
    std::string error;         // set when sampling could not run at all

    bool Passed() const { return error.empty() && summary.count > 0 && summary.p99 <= floor_ms; }
    bool MeetsTarget() const { return Passed() && summary.p99 <= target_p99_ms; }
};

struct StageReport {
    std::string url;
    std::string started_at;  // RFC 3339
    double duration_ms = 0;
    std::string server_version;
    bool spawned = false;
    std::vector<ModuleResult> modules;
    std::vector<MetricResult> metrics;

    struct Counts {
        std::size_t passed = 0, failed = 0, skipped = 0;
    };
    Counts Tally() const;
};

// "N passed, N failed, N skipped"
std::string SummaryLine(const StageReport& report);
// Console tables, one per module, then the metrics table (no trailing summary line).
std::string RenderConsole(const StageReport& report);
std::string RenderModuleTable(const ModuleResult& module);
std::string RenderMetricsTable(const std::vector<MetricResult>& metrics);
boost::json::value ReportToJson(const StageReport& report);
std::string RenderMarkdown(const StageReport& report);

core::Status WriteTextFile(const std::string& path, const std::string& content);

}  // namespace netra::stage

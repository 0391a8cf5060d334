#pragma once
// What `netra bench` measures and how it reports it: latency samples of the five SPEC §14 metrics, run and event
// counts (every run must end and hold every event: a gap, a duplicate or a run that never ends is counted), errors
// by kind, and the server's resident memory and threads over time with a least-squares slope. Pure code (no I/O but
// the report writers' strings), unit-tested on synthetic data.
#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stage/metrics.hpp"

namespace netra::loadgen {

// The five §14 metrics, as `netra bench` measures them under load (each also has a floor and a target p99).
enum class Metric { kApiResponse, kPingPong, kAgentStartup, kMessageAck, kTotalRequest };
inline constexpr Metric kAllMetrics[] = {Metric::kApiResponse, Metric::kPingPong, Metric::kAgentStartup,
                                         Metric::kMessageAck, Metric::kTotalRequest};

struct MetricSpec {
    const char* name;
    const char* how;  // what is timed
    double floor_ms;
    double target_p99_ms;
};
const MetricSpec& SpecOf(Metric metric);

struct ServerSample {
    double at_s = 0;  // since the load began
    double resident_mib = 0;
    std::uint64_t threads = 0;
    double cpu_seconds = 0;
    double heap_in_use_mib = -1;  // malloc's account (netra_malloc_in_use_bytes); -1: the server does not say
};

// Least-squares slope of a sample field against time, in MiB per hour (0 with fewer than two samples).
double SlopeMibPerHour(const std::vector<ServerSample>& samples, double ServerSample::*field);
inline double ResidentSlopeMibPerHour(const std::vector<ServerSample>& samples) {
    return SlopeMibPerHour(samples, &ServerSample::resident_mib);
}

class LoadStats {
  public:
    void Sample(Metric metric, double ms) { samples_[static_cast<int>(metric)].push_back(ms); }
    void RunEnded(const std::string& status) { ++runs_by_status_[status]; }
    void Events(std::uint64_t n) { events_ += n; }
    void Lost(std::uint64_t missing_events) { lost_events_ += missing_events; }
    void Duplicate() { ++duplicates_; }
    void Unfinished() { ++unfinished_runs_; }
    void Reconnected() { ++reconnects_; }
    void Error(const std::string& kind) { ++errors_[kind]; }
    void Server(const ServerSample& s) { server_.push_back(s); }

    const std::vector<double>& Samples(Metric metric) const { return samples_[static_cast<int>(metric)]; }
    std::uint64_t Runs() const;
    std::uint64_t Events() const { return events_; }
    std::uint64_t ErrorCount() const;
    // Nothing lost: no gap, no duplicate, every run ended.
    bool Intact() const { return lost_events_ == 0 && duplicates_ == 0 && unfinished_runs_ == 0; }

    struct Context {
        std::string url;
        int users = 0;
        std::string shape;  // "50 users × 5 runs, 10 000-row dataset, reconnect every 3rd run"
        double duration_s = 0;
    };
    std::string RenderText(const Context& context) const;
    boost::json::object ToJson(const Context& context) const;

  private:
    std::vector<double> samples_[5];
    std::map<std::string, std::uint64_t> runs_by_status_;
    std::map<std::string, std::uint64_t> errors_;
    std::uint64_t events_ = 0, lost_events_ = 0, duplicates_ = 0, unfinished_runs_ = 0, reconnects_ = 0;
    std::vector<ServerSample> server_;
};

}  // namespace netra::loadgen

#include "loadgen/load_stats.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace netra::loadgen {
namespace json = boost::json;

const MetricSpec& SpecOf(Metric metric) {
    static const MetricSpec specs[] = {
        {"api_response", "GET /api/threads, authenticated, keep-alive round trip", 100, 2},
        {"websocket_ping_pong", "ping -> pong on the user's socket", 50, 1},
        {"agent_startup", "user_message sent -> first agent_started", 500, 5},
        {"message_ack", "user_message sent -> ack (message durable)", 200, 5},
        {"total_request", "user_message sent -> run_completed", 1000, 50},
    };
    return specs[static_cast<int>(metric)];
}

double SlopeMibPerHour(const std::vector<ServerSample>& samples, double ServerSample::*field) {
    if (samples.size() < 2) return 0;
    double n = static_cast<double>(samples.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (const auto& s : samples) {
        sx += s.at_s;
        sy += s.*field;
        sxx += s.at_s * s.at_s;
        sxy += s.at_s * s.*field;
    }
    double denominator = n * sxx - sx * sx;
    if (denominator <= 0) return 0;
    return (n * sxy - sx * sy) / denominator * 3600.0;
}

std::uint64_t LoadStats::Runs() const {
    std::uint64_t n = 0;
    for (const auto& [status, count] : runs_by_status_) n += count;
    return n;
}

std::uint64_t LoadStats::ErrorCount() const {
    std::uint64_t n = 0;
    for (const auto& [kind, count] : errors_) n += count;
    return n;
}

namespace {

std::string Verdict(const stage::LatencySummary& s, const MetricSpec& spec) {
    if (s.count == 0) return "no samples";
    if (s.p99 > spec.floor_ms) return "FAILS floor";
    return s.p99 <= spec.target_p99_ms ? "meets target" : "above target";
}

std::string Counts(const std::map<std::string, std::uint64_t>& counts) {
    std::string out;
    for (const auto& [name, n] : counts) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", n, name);
    return out.empty() ? "none" : out;
}

}  // namespace

std::string LoadStats::RenderText(const Context& c) const {
    std::string out = fmt::format("netra bench against {}: {} in {:.1f} s\n\n", c.url, c.shape, c.duration_s);
    out += fmt::format("  {:<20} {:>7} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7}  {}\n", "metric (ms)", "n", "p50", "p95",
                       "p99", "max", "floor", "target", "verdict");
    for (Metric m : kAllMetrics) {
        const auto& spec = SpecOf(m);
        auto s = stage::Summarize(Samples(m));
        out += fmt::format("  {:<20} {:>7} {:>8.2f} {:>8.2f} {:>8.2f} {:>8.2f} {:>7.0f} {:>7.0f}  {}\n", spec.name,
                           s.count, s.p50, s.p95, s.p99, s.max, spec.floor_ms, spec.target_p99_ms, Verdict(s, spec));
    }
    const double secs = std::max(c.duration_s, 1e-9);
    out += fmt::format("\n  runs: {} ({}), {:.1f} runs/s\n", Runs(), Counts(runs_by_status_),
                       static_cast<double>(Runs()) / secs);
    out += fmt::format("  events: {} received, {:.0f} events/s; missing {}, duplicated {}, runs never ended {}: {}\n",
                       events_, static_cast<double>(events_) / secs, lost_events_, duplicates_, unfinished_runs_,
                       Intact() ? "nothing lost" : "INCOMPLETE: events missing, duplicated or runs unfinished");
    out += fmt::format("  reconnects: {} (each resumed with subscribe after_seq)\n", reconnects_);
    out += fmt::format("  errors: {}\n", Counts(errors_));
    if (!server_.empty()) {
        auto [lo, hi] = std::minmax_element(server_.begin(), server_.end(), [](const auto& a, const auto& b) {
            return a.resident_mib < b.resident_mib;
        });
        // A slope fitted over less than a minute says more about start-up than about leaks.
        const double span = server_.back().at_s - server_.front().at_s;
        const std::string slope = server_.size() >= 5 && span >= 60
                                      ? fmt::format("slope {:+.2f} MiB/h", ResidentSlopeMibPerHour(server_))
                                      : std::string("too short for a slope");
        out += fmt::format(
            "  server: RSS {:.1f} MiB at start, {:.1f} at the end (min {:.1f}, max {:.1f}; {} over {} samples in "
            "{:.0f} s), threads {} -> {}, CPU {:.1f} s\n",
            server_.front().resident_mib, server_.back().resident_mib, lo->resident_mib, hi->resident_mib, slope,
            server_.size(), span, server_.front().threads, server_.back().threads,
            server_.back().cpu_seconds - server_.front().cpu_seconds);
        if (server_.front().heap_in_use_mib >= 0 && server_.back().heap_in_use_mib >= 0) {
            const std::string heap_slope =
                server_.size() >= 5 && span >= 60
                    ? fmt::format("slope {:+.2f} MiB/h", SlopeMibPerHour(server_, &ServerSample::heap_in_use_mib))
                    : std::string("too short for a slope");
            out += fmt::format("  server heap (malloc in use): {:.1f} MiB at start, {:.1f} at the end ({})\n",
                               server_.front().heap_in_use_mib, server_.back().heap_in_use_mib, heap_slope);
        }
    }
    return out;
}

json::object LoadStats::ToJson(const Context& c) const {
    json::object metrics;
    for (Metric m : kAllMetrics) {
        const auto& spec = SpecOf(m);
        auto s = stage::Summarize(Samples(m));
        metrics[spec.name] = json::object{{"how", spec.how},
                                          {"n", s.count},
                                          {"p50_ms", s.p50},
                                          {"p95_ms", s.p95},
                                          {"p99_ms", s.p99},
                                          {"max_ms", s.max},
                                          {"mean_ms", s.mean},
                                          {"floor_ms", spec.floor_ms},
                                          {"target_p99_ms", spec.target_p99_ms},
                                          {"verdict", Verdict(s, spec)}};
    }
    json::object runs, errors;
    for (const auto& [k, v] : runs_by_status_) runs[k] = v;
    for (const auto& [k, v] : errors_) errors[k] = v;
    json::array server;
    for (const auto& s : server_) {
        server.push_back(json::object{{"at_s", s.at_s},
                                      {"resident_mib", s.resident_mib},
                                      {"threads", s.threads},
                                      {"cpu_seconds", s.cpu_seconds},
                                      {"heap_in_use_mib", s.heap_in_use_mib}});
    }
    const double secs = std::max(c.duration_s, 1e-9);
    return json::object{{"url", c.url},
                        {"users", c.users},
                        {"shape", c.shape},
                        {"duration_s", c.duration_s},
                        {"metrics", std::move(metrics)},
                        {"runs", std::move(runs)},
                        {"runs_per_s", static_cast<double>(Runs()) / secs},
                        {"events", events_},
                        {"events_per_s", static_cast<double>(events_) / secs},
                        {"missing_events", lost_events_},
                        {"duplicate_events", duplicates_},
                        {"unfinished_runs", unfinished_runs_},
                        {"intact", Intact()},
                        {"reconnects", reconnects_},
                        {"errors", std::move(errors)},
                        {"server", std::move(server)},
                        {"resident_slope_mib_per_hour", ResidentSlopeMibPerHour(server_)},
                        {"heap_in_use_slope_mib_per_hour", SlopeMibPerHour(server_, &ServerSample::heap_in_use_mib)}};
}

}  // namespace netra::loadgen

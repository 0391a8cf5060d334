#include "stage/metrics.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <sstream>

namespace netra::stage {

namespace json = boost::json;

std::optional<double> Percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return std::nullopt;
    std::sort(samples.begin(), samples.end());
    p = std::clamp(p, 0.0, 100.0);
    // Nearest rank: rank = ceil(p/100 * N), 1-based; rank 0 (p == 0) maps to the minimum.
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
    if (rank == 0) rank = 1;
    return samples[std::min(rank, samples.size()) - 1];
}

LatencySummary Summarize(const std::vector<double>& samples_ms) {
    LatencySummary s;
    if (samples_ms.empty()) return s;
    std::vector<double> sorted = samples_ms;
    std::sort(sorted.begin(), sorted.end());
    s.count = sorted.size();
    s.min = sorted.front();
    s.max = sorted.back();
    s.mean = std::accumulate(sorted.begin(), sorted.end(), 0.0) / static_cast<double>(sorted.size());
    s.p50 = *Percentile(sorted, 50);
    s.p95 = *Percentile(sorted, 95);
    s.p99 = *Percentile(sorted, 99);
    return s;
}

std::string_view StatusName(TestStatus status) {
    switch (status) {
        case TestStatus::kPassed:
            return "passed";
        case TestStatus::kFailed:
            return "failed";
        case TestStatus::kSkipped:
            return "skipped";
    }
    return "unknown";
}

StageReport::Counts StageReport::Tally() const {
    Counts c;
    for (const auto& m : modules) {
        for (const auto& t : m.tests) {
            if (t.status == TestStatus::kPassed) ++c.passed;
            if (t.status == TestStatus::kFailed) ++c.failed;
            if (t.status == TestStatus::kSkipped) ++c.skipped;
        }
    }
    return c;
}

std::string SummaryLine(const StageReport& report) {
    auto c = report.Tally();
    return std::to_string(c.passed) + " passed, " + std::to_string(c.failed) + " failed, " + std::to_string(c.skipped) +
           " skipped";
}

namespace {

std::string Fixed(double v, int decimals = 2) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return buf;
}

std::string OneLine(std::string s, std::size_t max) {
    for (auto& ch : s) {
        if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    }
    if (s.size() > max) s = s.substr(0, max - 3) + "...";
    return s;
}

// Plain-text table with left-aligned columns. Width is counted in bytes; good enough for ASCII content.
std::string Table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
    for (const auto& r : rows) {
        for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    std::ostringstream out;
    auto line = [&](const std::vector<std::string>& r) {
        for (std::size_t i = 0; i < width.size(); ++i) {
            std::string cell = i < r.size() ? r[i] : "";
            out << (i ? "  " : "  ") << cell;
            if (i + 1 < width.size()) out << std::string(width[i] - cell.size(), ' ');
        }
        out << '\n';
    };
    line(header);
    std::vector<std::string> sep;
    for (auto w : width) sep.emplace_back(w, '-');
    line(sep);
    for (const auto& r : rows) line(r);
    return out.str();
}

std::string MdEscape(std::string s) {
    std::string out;
    for (char ch : OneLine(std::move(s), 2000)) {
        if (ch == '|')
            out += "\\|";
        else
            out += ch;
    }
    return out;
}

std::string MetricVerdict(const MetricResult& m) {
    if (!m.error.empty()) return "FAIL (sampling error)";
    if (m.summary.count == 0) return "FAIL (no samples)";
    if (!m.Passed()) return "FAIL (p99 > floor)";
    return m.MeetsTarget() ? "meets target" : "above target";
}

}  // namespace

std::string RenderModuleTable(const ModuleResult& module) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : module.tests) {
        std::string status(StatusName(t.status));
        for (auto& ch : status) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        rows.push_back({t.name, status, Fixed(t.duration_ms, 1), OneLine(t.reason, 160)});
    }
    return "Module " + std::to_string(module.number) + ": " + module.name + "\n" +
           Table({"test", "status", "ms", "reason"}, rows);
}

std::string RenderMetricsTable(const std::vector<MetricResult>& metrics) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& m : metrics) {
        const auto& s = m.summary;
        bool have = s.count > 0;
        rows.push_back({m.name, std::to_string(s.count) + "/" + std::to_string(m.requested_samples),
                        have ? Fixed(s.p50) : "-", have ? Fixed(s.p95) : "-", have ? Fixed(s.p99) : "-",
                        have ? Fixed(s.max) : "-", Fixed(m.floor_ms, 0), Fixed(m.target_p99_ms, 0), MetricVerdict(m),
                        OneLine(m.error.empty() ? m.note : m.error, 120)});
    }
    return "Latency metrics (ms)\n" +
           Table({"metric", "n", "p50", "p95", "p99", "max", "floor", "target", "verdict", "note"}, rows);
}

std::string RenderConsole(const StageReport& report) {
    std::string out;
    for (const auto& m : report.modules) out += RenderModuleTable(m) + "\n";
    if (!report.metrics.empty()) out += RenderMetricsTable(report.metrics) + "\n";
    return out;
}

json::value ReportToJson(const StageReport& report) {
    json::object root;
    root["url"] = report.url;
    root["started_at"] = report.started_at;
    root["duration_ms"] = report.duration_ms;
    root["server_version"] = report.server_version;
    root["spawned"] = report.spawned;
    auto c = report.Tally();
    root["summary"] = {{"passed", c.passed}, {"failed", c.failed}, {"skipped", c.skipped}};
    json::array modules;
    for (const auto& m : report.modules) {
        json::array tests;
        for (const auto& t : m.tests) {
            json::object jt{{"name", t.name},
                            {"status", std::string(StatusName(t.status))},
                            {"duration_ms", t.duration_ms},
                            {"reason", t.reason}};
            if (!t.details.empty()) jt["details"] = t.details;
            tests.push_back(std::move(jt));
        }
        modules.push_back({{"number", m.number}, {"name", m.name}, {"tests", std::move(tests)}});
    }
    root["modules"] = std::move(modules);
    json::array metrics;
    for (const auto& m : report.metrics) {
        const auto& s = m.summary;
        json::object jm{{"name", m.name},
                        {"description", m.description},
                        {"unit", "ms"},
                        {"count", s.count},
                        {"requested_samples", m.requested_samples},
                        {"floor_ms", m.floor_ms},
                        {"target_p99_ms", m.target_p99_ms},
                        {"passed", m.Passed()},
                        {"meets_target", m.MeetsTarget()},
                        {"note", m.note}};
        if (s.count > 0) {
            jm["min"] = s.min;
            jm["mean"] = s.mean;
            jm["p50"] = s.p50;
            jm["p95"] = s.p95;
            jm["p99"] = s.p99;
            jm["max"] = s.max;
        }
        if (!m.error.empty()) jm["error"] = m.error;
        metrics.push_back(std::move(jm));
    }
    root["metrics"] = std::move(metrics);
    return root;
}

std::string RenderMarkdown(const StageReport& report) {
    std::ostringstream md;
    auto c = report.Tally();
    md << "# Netra staging validation report\n\n";
    md << "- Target: `" << report.url << "`" << (report.spawned ? " (spawned locally by the suite)" : "") << "\n";
    if (!report.server_version.empty()) md << "- Server version: `" << report.server_version << "`\n";
    md << "- Started: " << report.started_at << ", took " << Fixed(report.duration_ms / 1000.0, 1) << " s\n";
    md << "- Result: **" << c.passed << " passed, " << c.failed << " failed, " << c.skipped << " skipped**\n\n";

    md << "## Modules\n\n| # | module | passed | failed | skipped |\n|---|---|---|---|---|\n";
    for (const auto& m : report.modules) {
        std::size_t p = 0, f = 0, s = 0;
        for (const auto& t : m.tests) {
            p += t.status == TestStatus::kPassed;
            f += t.status == TestStatus::kFailed;
            s += t.status == TestStatus::kSkipped;
        }
        md << "| " << m.number << " | " << m.name << " | " << p << " | " << f << " | " << s << " |\n";
    }

    md << "\n## Failures\n\n";
    bool any_failure = false;
    for (const auto& m : report.modules) {
        for (const auto& t : m.tests) {
            if (t.status != TestStatus::kFailed) continue;
            any_failure = true;
            md << "- **" << m.name << " / " << t.name << "**: " << MdEscape(t.reason) << "\n";
        }
    }
    if (!any_failure) md << "None.\n";

    if (!report.metrics.empty()) {
        md << "\n## Latency metrics (ms)\n\n"
           << "| metric | samples | p50 | p95 | p99 | max | floor | target p99 | verdict | note |\n"
           << "|---|---|---|---|---|---|---|---|---|---|\n";
        for (const auto& m : report.metrics) {
            const auto& s = m.summary;
            bool have = s.count > 0;
            md << "| " << m.name << " | " << s.count << "/" << m.requested_samples << " | "
               << (have ? Fixed(s.p50) : "-") << " | " << (have ? Fixed(s.p95) : "-") << " | "
               << (have ? Fixed(s.p99) : "-") << " | " << (have ? Fixed(s.max) : "-") << " | " << Fixed(m.floor_ms, 0)
               << " | " << Fixed(m.target_p99_ms, 0) << " | " << MetricVerdict(m) << " | "
               << MdEscape(m.error.empty() ? m.note : m.error) << " |\n";
        }
        md << "\nHow each metric is measured:\n\n";
        for (const auto& m : report.metrics) md << "- `" << m.name << "`: " << MdEscape(m.description) << "\n";
    }

    md << "\n## All tests\n";
    for (const auto& m : report.modules) {
        md << "\n### " << m.number << ". " << m.name
           << "\n\n| test | status | ms | reason / details |\n|---|---|---|---|\n";
        for (const auto& t : m.tests) {
            std::string text = t.reason;
            if (!t.details.empty()) text += (text.empty() ? "" : " — ") + t.details;
            md << "| " << t.name << " | " << StatusName(t.status) << " | " << Fixed(t.duration_ms, 1) << " | "
               << MdEscape(text) << " |\n";
        }
    }
    return md.str();
}

core::Status WriteTextFile(const std::string& path, const std::string& content) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) return core::MakeError(core::ErrorCode::kInternal, "cannot open " + path + " for writing");
    f << content;
    f.close();
    if (!f) return core::MakeError(core::ErrorCode::kInternal, "write to " + path + " failed");
    return core::Ok();
}

}  // namespace netra::stage

#include "agents/reporting.hpp"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cmath>
#include <optional>

#include "agents/data_helper.hpp"
#include "core/time.hpp"

namespace netra::agents {
namespace {

// List prices move: a catalog this much older than the data it prices is said to be stale in the report.
constexpr double kStaleCatalogDays = 90;

// The data gap for a measured profile whose last day is more than kStaleCatalogDays after the catalog's date.
std::optional<std::string> StaleCatalogGap(const ReportInputs& in) {
    if (in.profile == nullptr || in.profile->estimated || in.catalog_as_of.empty()) return std::nullopt;
    auto as_of = core::ParseTimestamp(in.catalog_as_of + "T00:00:00Z");
    if (!as_of) return std::nullopt;
    const double days = static_cast<double>(in.profile->end_ts - *as_of) / 86'400'000.0;
    if (days <= kStaleCatalogDays) return std::nullopt;
    return fmt::format(
        "The supply catalog is as of {}, {:.0f} days before the last day of the data: prices may have changed since; "
        "an operator can pass a current catalog with --catalog.",
        in.catalog_as_of, std::floor(days));
}

std::string Count(double v) {
    if (v >= 1e9) return fmt::format("{:.2f}B", v / 1e9);
    if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
    if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
    return fmt::format("{:.0f}", v);
}

std::string Percent(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

// What the usage data itself cannot show or did not price, in words.
void SpendGaps(const analysis::Profile& p, const std::string& grain, std::vector<std::string>& gaps) {
    if (grain == "aggregate") {
        gaps.push_back(
            "The data is a time-bucketed export: each row stands for many calls, so response caching by prompt hash, "
            "shared prompt prefixes and latency percentiles cannot be measured from it (a per-request log such as "
            "LiteLLM's spend logs, Helicone, Langfuse or OpenTelemetry spans can show them).");
    }
    if (!p.spend.requests) {
        gaps.push_back("The export does not count calls: per-request figures count one call per row.");
    }
    for (const auto& u : p.spend.unknown_models) {
        gaps.push_back(fmt::format(
            "Unknown model '{}' ({} rows, {} of rows, {} of tokens{}): not in the supply catalog, so it is not "
            "priced at list price and no strategy covers it.",
            u.model, u.rows, Percent(u.row_share), Percent(u.token_share),
            u.billed_share > 0 ? ", " + Percent(u.billed_share) + " of the stated spend" : std::string()));
    }
    for (const auto& r : p.spend.reconciliation) {
        if (!r.flagged) continue;
        gaps.push_back(fmt::format(
            "The file's own cost for {} ({} over {} rows) differs from the catalog's list price for the same tokens "
            "({}) by {:+.1f}%: negotiated prices, price changes or tokens the export does not break down.",
            r.model, Money(r.billed_usd), r.rows, Money(r.list_usd), r.difference_pct));
    }
}

const char* FactLabel(const std::string& fact) {
    if (fact == "monthly_spend") return "Monthly LLM spend (e.g. \"$40k/month\")";
    if (fact == "models") return "Models and providers in use (e.g. GPT-4o on OpenAI)";
    if (fact == "request_volume") return "Request volume per day or month";
    if (fact == "tokens") return "Average input/output tokens per request, or monthly token volume";
    if (fact == "quality_or_latency_constraint") return "Quality or latency constraints (e.g. p95 under 800 ms)";
    if (fact == "use_case") return "The use case (support chat, summarization, RAG, ...)";
    if (fact == "latency_target") return "Latency target (e.g. p95 under 800 ms)";
    return "Unknown fact";
}

std::string StatedFacts(const TriageResult& t) {
    const auto& f = t.facts;
    std::string md = "| fact | value |\n|---|---|\n";
    md += fmt::format("| monthly spend | {} |\n", f.monthly_spend_usd ? Money(*f.monthly_spend_usd) : "—");
    md += fmt::format("| requests per month | {} |\n", f.monthly_requests ? Count(*f.monthly_requests) : "—");
    std::string models;
    for (const auto& m : f.models) models += (models.empty() ? "" : ", ") + m;
    md += fmt::format("| models | {} |\n", models.empty() ? "—" : models);
    md += fmt::format("| tokens per request | {} |\n", f.tokens_per_request ? Count(*f.tokens_per_request) : "—");
    md += fmt::format("| latency target | {} |\n",
                      f.latency_target_ms
                          ? fmt::format("{} {:.0f} ms", f.latency_percentile.value_or(""), *f.latency_target_ms)
                          : "—");
    md += fmt::format("| use case | {} |\n\n", f.use_case.value_or("—"));
    return md;
}

// Tokens by partition, the bill against list prices, spend by whatever the data carries, and what moved.
void SpendSection(const analysis::Profile& p, std::string& md) {
    const auto& b = p.spend;
    const auto& t = b.tokens;
    md += fmt::format(
        "Tokens: {} input ({} uncached, {} cache reads, {} cache writes 5 min, {} cache writes 1 h), {} output ({} "
        "reasoning){}.\n\n",
        Count(static_cast<double>(t.input)), Count(static_cast<double>(t.uncached_input)),
        Count(static_cast<double>(t.cache_read)), Count(static_cast<double>(t.cache_write_5m)),
        Count(static_cast<double>(t.cache_write_1h)), Count(static_cast<double>(t.output)),
        Count(static_cast<double>(t.reasoning)),
        b.requests ? fmt::format(" over {} calls", Count(static_cast<double>(*b.requests))) : std::string());
    if (b.billed_rows > 0) {
        md += fmt::format(
            "The file states its own cost on {} rows; at catalog list prices all priced rows come to {}.\n\n",
            b.billed_rows, Money(b.list_cost_usd));
    }
    for (const auto& [dimension, groups] : b.attribution) {
        if (dimension == "feature") continue;  // the feature table above
        md += fmt::format("| {} | calls | spend | share |\n|---|---:|---:|---:|\n", dimension);
        for (std::size_t i = 0; i < groups.size() && i < 5; ++i) {
            md += fmt::format("| {} | {} | {} | {} |\n", groups[i].name, groups[i].requests, Money(groups[i].cost_usd),
                              Percent(groups[i].share));
        }
        md += "\n";
    }
    if (!b.movers.empty()) {
        md += "Largest week-over-week movers (the last 7 days against the 7 before):\n\n";
        for (const auto& m : b.movers) {
            md += fmt::format("- {} `{}`: {} → {} ({}{})\n", m.dimension, m.name, Money(m.previous_week_usd),
                              Money(m.last_week_usd), m.last_week_usd >= m.previous_week_usd ? "+" : "-",
                              Money(std::fabs(m.last_week_usd - m.previous_week_usd)));
        }
        md += "\n";
    }
}

void ProfileSection(const analysis::Profile& p, const std::string& dataset_name, std::string& md) {
    md += "## Usage profile\n\n";
    md += fmt::format(
        "Dataset {}: **{} requests** from {} to {} ({:.2f} days). Total cost {}; {} per day; **{} per month** "
        "(normalised to 30 days). Error rate {}.\n\n",
        dataset_name.empty() ? "" : "`" + dataset_name + "`", p.rows, core::FormatRfc3339Ms(p.start_ts),
        core::FormatRfc3339Ms(p.end_ts), p.days_covered, Money(p.total_cost_usd), Money(p.cost_per_day_usd),
        Money(p.monthly_cost_usd), Percent(p.error_rate));
    if (p.unpriced_rows > 0) {
        md += fmt::format("{} requests use models missing from the catalog and have no cost_usd: counted as $0.\n\n",
                          p.unpriced_rows);
    }
    md += "| model | provider | requests | input tokens | output tokens | cost | monthly | share |\n";
    md += "|---|---|---:|---:|---:|---:|---:|---:|\n";
    for (const auto& g : p.by_model) {
        md += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", g.name, g.provider, g.requests,
                          Count(static_cast<double>(g.input_tokens)), Count(static_cast<double>(g.output_tokens)),
                          Money(g.cost_usd), Money(g.monthly_cost_usd), Percent(g.share));
    }
    md += "\n";
    if (p.by_feature.size() > 1 || (p.by_feature.size() == 1 && p.by_feature[0].name != "unspecified")) {
        md += "| feature | requests | monthly | share |\n|---|---:|---:|---:|\n";
        for (std::size_t i = 0; i < p.by_feature.size() && i < 10; ++i) {
            const auto& g = p.by_feature[i];
            md +=
                fmt::format("| {} | {} | {} | {} |\n", g.name, g.requests, Money(g.monthly_cost_usd), Percent(g.share));
        }
        md += "\n";
    }
    SpendSection(p, md);
    if (!p.latency.empty()) {
        md += "| model | p50 ms | p95 ms | p99 ms | samples |\n|---|---:|---:|---:|---:|\n";
        for (const auto& l : p.latency) {
            md += fmt::format("| {} | {:.0f} | {:.0f} | {:.0f} | {} |\n", l.model, l.p50, l.p95, l.p99, l.samples);
        }
        md += "\n";
    }
    std::string peaks;
    for (int h : p.peak_hours) peaks += (peaks.empty() ? "" : ", ") + fmt::format("{:02d}:00", h);
    md += fmt::format("Busiest hours (UTC): {} (peak {:.1f}x the hourly average). ", peaks.empty() ? "—" : peaks,
                      p.peak_to_average);
    md += p.duplicate_rate ? fmt::format("Exact duplicate prompts: {}. ", Percent(*p.duplicate_rate))
                           : std::string("Duplicate rate: unknown (no prompt_hash). ");
    md += p.shared_prefix_rate
              ? fmt::format("Requests sharing a prompt prefix: {}.\n\n", Percent(*p.shared_prefix_rate))
              : std::string("Shared prefixes: unknown (no prefix_hash).\n\n");
    if (!p.anomalies.empty()) {
        md += "Cost anomalies (daily cost z-score of at least 2):\n\n";
        for (const auto& a : p.anomalies) md += fmt::format("- {}: {} (z = {:.1f})\n", a.date, Money(a.cost_usd), a.z);
        md += "\n";
    }
    if (!p.partial_days.empty()) {
        std::string days;
        for (const auto& d : p.partial_days) {
            days += (days.empty() ? "" : ", ") + fmt::format("{} ({}, {})", d.date, d.covered, Money(d.cost_usd));
        }
        md += "Partial days left out of anomaly detection (the data starts or ends within them): " + days + ".\n\n";
    }
}

void StrategiesSection(const analysis::OptimizationResult& o, std::string& md) {
    if (o.strategies.empty()) return;
    md += "## Savings by strategy\n\n";
    md +=
        "| strategy | affected spend | current /month | projected /month | savings /month | % of total | "
        "confidence | risk |\n|---|---:|---:|---:|---:|---:|---|---|\n";
    for (const auto& s : o.strategies) {
        md += fmt::format("| {}{} | {} | {} | {} | {} | {:.1f}% | {} | {} |\n", s.type,
                          s.counts_toward_total ? "" : " (latency)", Percent(s.affected_share),
                          Money(s.current_monthly_usd), Money(s.projected_monthly_usd), Money(s.savings_usd),
                          s.savings_pct, s.confidence, s.risk);
    }
    md += fmt::format("| **combined** (applied in sequence) | | {} | {} | {} | {:.1f}% | | |\n\n",
                      Money(o.combined.current_monthly_usd), Money(o.combined.projected_monthly_usd),
                      Money(o.combined.savings_usd), o.combined.savings_pct);
    md += "## Strategies\n\n";
    int n = 0;
    for (const auto& s : o.strategies) {
        md += fmt::format("### {}. {}\n\n{}\n\n", ++n, s.title, s.description);
        md += fmt::format("- Saves **{} per month** ({:.1f}% of total spend){}.\n", Money(s.savings_usd), s.savings_pct,
                          s.counts_toward_total ? "" : "; a latency measure, not counted in the total");
        md += fmt::format("- Quality impact: {}.\n", s.quality_impact);
        md += fmt::format("- Confidence {}, risk {}.\n", s.confidence, s.risk);
        for (const auto& a : s.assumptions) md += fmt::format("- Assumes: {}.\n", a);
        md += "\n";
    }
}

void PlanSection(const std::vector<analysis::ActionStep>& plan, std::string& md) {
    if (plan.empty()) return;
    md += "## Action plan\n\n";
    int phase = 0;
    int n = 0;
    for (const auto& step : plan) {
        if (step.phase != phase) {
            phase = step.phase;
            md += fmt::format("### Phase {}: {}\n\n", step.phase, step.phase_name);
        }
        md += fmt::format("{}. **{}** — owner: {}; effort: {}", ++n, step.title, step.owner_role, step.effort);
        if (step.expected_monthly_savings_usd > 0) {
            md += fmt::format("; expected savings {}/month", Money(step.expected_monthly_savings_usd));
        }
        md += fmt::format(".\n   - Validate: {}.\n   - Rollback: {}.\n", step.validation_metric, step.rollback);
    }
    md += "\n";
}

}  // namespace

std::string Money(double v) {
    std::string digits = fmt::format("{:.2f}", v < 0 ? -v : v);
    std::size_t dot = digits.find('.');
    std::string out;
    for (std::size_t i = 0; i < dot; ++i) {
        if (i > 0 && (dot - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    out += digits.substr(dot);
    return (v < 0 && out != "0.00" ? "-$" : "$") + out;
}

std::string ReportType(const ReportInputs& in) {
    const TriageResult& t = *in.triage;
    if (in.profile == nullptr && in.optimization == nullptr) {
        if (t.category == "general" && !t.has_dataset) return "answer";
        return in.gaps.empty() ? "guidance" : "partial";
    }
    if (in.profile != nullptr && !in.profile->estimated && in.optimization != nullptr && in.gaps.empty()) return "full";
    return "partial";
}

std::string BuiltinNarrative(const ReportInputs& in) {
    const TriageResult& t = *in.triage;
    std::string type = ReportType(in);
    if (type == "answer") {
        return "Netra analyses how your product uses LLMs and prices concrete optimizations on your own traffic: "
               "routing short requests to cheaper models, caching repeated responses, provider prompt caching for "
               "shared prefixes, the batch API for offline work, prompt compression and latency routing. Tell me "
               "your goal, or attach a usage log, and I will build a costed plan.";
    }
    if (in.optimization != nullptr && in.profile != nullptr) {
        const auto& c = in.optimization->combined;
        std::string basis =
            in.profile->estimated
                ? "These are estimates from the facts stated in this thread, not measurements"
                : fmt::format("Based on {} requests over {:.2f} days", in.profile->rows, in.profile->days_covered);
        std::string top;
        const analysis::Strategy* best = nullptr;
        for (const auto& s : in.optimization->strategies) {
            if (s.counts_toward_total && (best == nullptr || s.savings_usd > best->savings_usd)) best = &s;
        }
        if (best != nullptr) {
            top = fmt::format(" The largest single lever is {} ({} per month).", best->type, Money(best->savings_usd));
        }
        return fmt::format(
            "{}, your LLM spend is about {} per month. Applying the {} strategies below in sequence brings it to "
            "about {}, saving {} per month ({:.1f}%).{}",
            basis, Money(c.current_monthly_usd), c.order.size(), Money(c.projected_monthly_usd), Money(c.savings_usd),
            c.savings_pct, top);
    }
    if (in.profile != nullptr) {
        return fmt::format(
            "Your LLM spend is about {} per month. The optimization step did not complete, so no "
            "savings figure is given.",
            Money(in.profile->monthly_cost_usd));
    }
    return fmt::format(
        "This request is about {}. Netra needs more information to price optimizations: {} of {} key facts are "
        "known. The data request below lists exactly what is missing and how to export it.",
        t.category, t.facts_present.size(), t.facts_present.size() + t.facts_missing.size());
}

std::string RenderReport(const ReportInputs& in) {
    const TriageResult& t = *in.triage;
    std::string type = ReportType(in);
    std::string md = "# Netra optimization report\n\n";
    md += "## Executive summary\n\n";
    md += (in.narrative.empty() ? BuiltinNarrative(in) : in.narrative) + "\n\n";
    if (!in.llm_note.empty()) md += "> " + in.llm_note + "\n\n";
    md += fmt::format(
        "Request category: **{}** (priority {}, confidence {:.0f}%). Data sufficiency: **{}**. "
        "Report type: **{}**.\n\n",
        t.category, t.priority, t.confidence * 100, t.sufficiency, type);
    if (in.optimization != nullptr && in.profile != nullptr) {
        const auto& c = in.optimization->combined;
        md += fmt::format(
            "| | per month{} |\n|---|---:|\n| current spend | {} |\n| projected spend | {} |\n| savings | {} "
            "({:.1f}%) |\n\n",
            in.profile->estimated ? " (estimated)" : "", Money(c.current_monthly_usd), Money(c.projected_monthly_usd),
            Money(c.savings_usd), c.savings_pct);
    } else if (in.profile != nullptr) {
        md += fmt::format("| | per month |\n|---|---:|\n| current spend | {} |\n| projected spend | not computed |\n\n",
                          Money(in.profile->monthly_cost_usd));
    } else if (t.facts.monthly_spend_usd) {
        md += fmt::format("Current monthly spend (stated): **{}**. No projected spend without usage data.\n\n",
                          Money(*t.facts.monthly_spend_usd));
    }
    if (in.optimization != nullptr) StrategiesSection(*in.optimization, md);
    if (in.plan != nullptr) PlanSection(*in.plan, md);
    if (in.profile != nullptr && !in.profile->estimated) ProfileSection(*in.profile, in.dataset_name, md);
    if (in.profile == nullptr || in.profile->estimated) {
        md += "## What you told us\n\n" + StatedFacts(t);
    }
    // Assumptions: everything the numbers rest on.
    std::vector<std::string> assumptions;
    if (in.profile != nullptr) {
        if (in.profile->estimated) {
            for (const auto& a : in.profile->assumptions) assumptions.push_back("Estimate: " + a);
        } else {
            assumptions.push_back(
                fmt::format("Monthly figures scale the {:.2f} days of data to a 30-day month (x{:.2f}).",
                            in.profile->days_covered, in.profile->monthly_factor));
        }
    }
    if (in.optimization != nullptr) {
        assumptions.push_back(
            "Combined savings apply the strategies in sequence, each on the spend the previous ones "
            "leave (projected = current x product of (1 - savings share)), so nothing is counted "
            "twice.");
    }
    if (!in.catalog_as_of.empty() && (in.profile != nullptr || in.optimization != nullptr)) {
        assumptions.push_back("Prices are list prices from the supply catalog as of " + in.catalog_as_of +
                              "; negotiated discounts are not known to Netra.");
    }
    if (!assumptions.empty()) {
        md += "## Assumptions\n\n";
        for (const auto& a : assumptions) md += "- " + a + "\n";
        md += "\n";
    }
    // Data gaps: failures, strategies that could not be priced, facts still missing.
    std::vector<std::string> gaps = in.gaps;
    if (auto stale = StaleCatalogGap(in)) gaps.push_back(*stale);
    if (in.profile != nullptr && !in.profile->estimated) SpendGaps(*in.profile, in.dataset_grain, gaps);
    if (in.optimization != nullptr) {
        for (const auto& n : in.optimization->not_assessed) gaps.push_back("Not assessed — " + n + ".");
    }
    if (in.profile == nullptr || in.profile->estimated) {
        for (const auto& fact : t.facts_missing) gaps.push_back(std::string("Missing: ") + FactLabel(fact) + ".");
        if (!t.has_dataset) gaps.push_back("No usage log attached: figures cannot be measured on your traffic.");
    }
    if (!gaps.empty()) {
        md += "## Data gaps\n\n";
        for (const auto& g : gaps) md += "- " + g + "\n";
        md += "\n";
    }
    if (in.data_request != nullptr) {
        md += "## What to send next\n\n";
        if (const auto* cats = in.data_request->if_contains("categories"); cats != nullptr && cats->is_array()) {
            for (const auto& c : cats->as_array()) {
                const auto& co = c.as_object();
                md += fmt::format("**{}**\n\n", std::string_view(co.at("name").as_string()));
                for (const auto& item : co.at("items").as_array()) {
                    const auto& io = item.as_object();
                    md += fmt::format("- {}{} — {}\n", std::string_view(io.at("item").as_string()),
                                      io.at("required").as_bool() ? " (required)" : "",
                                      std::string_view(io.at("justification").as_string()));
                }
                md += "\n";
            }
        }
        md += "Usage log schema (CSV with a header row, or JSONL):\n\n" + UsageSchemaMarkdown() + "\n";
        md += "Example:\n\n```csv\n" + std::string(in.data_request->at("example").as_string()) + "```\n";
    } else if (type == "answer") {
        md +=
            "## What Netra can do\n\n"
            "- Profile a usage log (CSV or JSONL): spend by model and feature, latency percentiles, repetition.\n"
            "- Price each optimization on your own traffic with current list prices.\n"
            "- Turn the savings into a phased plan with owners, validation metrics and rollbacks.\n";
    }
    return md;
}

std::vector<std::string> ChunkReport(const std::string& markdown, std::size_t max_chunk_bytes) {
    std::vector<std::string> chunks;
    std::size_t start = 0;
    while (start < markdown.size()) {
        // Prefer to end a chunk after a blank line (a paragraph), else after a newline, within the limit.
        std::size_t limit = std::min(markdown.size(), start + max_chunk_bytes);
        std::size_t end = limit;
        if (limit < markdown.size()) {
            std::size_t para = markdown.rfind("\n\n", limit - 1);
            std::size_t line = markdown.rfind('\n', limit - 1);
            if (para != std::string::npos && para >= start) {
                end = para + 2;
            } else if (line != std::string::npos && line >= start) {
                end = line + 1;
            }
        } else {
            std::size_t para = markdown.find("\n\n", start);
            end = para == std::string::npos ? markdown.size() : para + 2;
        }
        if (end <= start) end = limit;
        // Never split a UTF-8 sequence: each chunk must be valid text on its own.
        while (end < markdown.size() && end > start + 1 && (static_cast<unsigned char>(markdown[end]) & 0xC0) == 0x80) {
            --end;
        }
        chunks.push_back(markdown.substr(start, end - start));
        start = end;
    }
    return chunks;
}

}  // namespace netra::agents

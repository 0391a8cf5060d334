#include "agents/reporting.hpp"

#include <fmt/format.h>

namespace netra::agents {
namespace {

// "$40,000": thousands separators written here because fmt's grouping needs a locale.
std::string Money(double v) {
    std::string digits = fmt::format("{:.0f}", v < 0 ? -v : v);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return (v < 0 ? "-$" : "$") + out;
}

std::string Count(double v) {
    if (v >= 1e9) return fmt::format("{:.2f}B", v / 1e9);
    if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
    if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
    return fmt::format("{:.0f}", v);
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

}  // namespace

std::string RenderReport(const TriageResult& t) {
    const auto& f = t.facts;
    std::string md;
    md += "# Netra optimization report\n\n";
    md += "## Executive summary\n\n";
    md += fmt::format(
        "Request category: **{}** (priority {}, confidence {:.0f}%). Data sufficiency: **{}** ({} of {} facts).\n\n",
        t.category, t.priority, t.confidence * 100, t.sufficiency, t.facts_present.size(),
        t.facts_present.size() + t.facts_missing.size());
    if (f.monthly_spend_usd) {
        md += fmt::format(
            "Current monthly spend (stated): **{}**. A projected spend needs your usage data; "
            "no savings figure is given without it.\n\n",
            Money(*f.monthly_spend_usd));
    } else {
        md += "Current monthly spend: not stated yet.\n\n";
    }
    md += "## What you told us\n\n| fact | value |\n|---|---|\n";
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
    if (!t.facts_missing.empty()) {
        md += "## Data gaps\n\n";
        for (const auto& fact : t.facts_missing) md += fmt::format("- {}\n", FactLabel(fact));
        md += "\n";
    }
    md += "## Next steps\n\n";
    md +=
        "1. Export your LLM usage log (CSV or JSONL with `timestamp, model, input_tokens, output_tokens` and, "
        "where you have them, `provider, cached_tokens, latency_ms, cost_usd, prompt_hash, prefix_hash, feature`).\n";
    md += "2. Attach it to this thread so Netra can price right-sizing, caching and batching on your own traffic.\n";
    md += "3. Tell Netra any quality or latency constraints the optimizations must respect.\n";
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
        chunks.push_back(markdown.substr(start, end - start));
        start = end;
    }
    return chunks;
}

}  // namespace netra::agents

#pragma once
// Triage (§8): entity extraction over every user message of the thread, category classification and data
// sufficiency scoring. Pure and deterministic so tests can assert exact results.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/catalog.hpp"

namespace netra::agents {

struct ExtractedFacts {
    std::optional<double> monthly_spend_usd;
    std::optional<double> monthly_requests;  // normalised to a 30-day month
    std::optional<double> tokens_per_request;
    std::optional<double> monthly_tokens;
    std::optional<double> latency_target_ms;
    std::optional<std::string> latency_percentile;  // "p95"
    std::optional<std::string> quality_constraint;
    std::optional<std::string> use_case;
    std::optional<std::string> time_range;
    std::vector<std::string> models;     // canonical names
    std::vector<std::string> providers;  // canonical provider names
};

struct TriageResult {
    std::string category;                 // cost_optimization | performance_optimization | model_selection | ...
    std::string classified_by = "rules";  // rules | llm (the LLM classified where the rules were unsure)
    std::string priority;                 // high | medium | low
    double confidence = 0;
    ExtractedFacts facts;
    std::vector<std::string> facts_present;
    std::vector<std::string> facts_missing;
    double completeness = 0;  // facts present / facts needed
    std::string sufficiency;  // sufficient | partial | insufficient
    bool has_dataset = false;
};

// With a catalog, model names and aliases it lists are recognised too (canonical catalog names).
ExtractedFacts ExtractFacts(const std::vector<std::string>& messages, const analysis::Catalog* catalog = nullptr);
// `category`: the category an LLM chose where the rules were unsure (one of TriageCategories()); the facts,
// sufficiency and priority are then scored for it.
// `facts`: the facts to score instead of the rules' own extraction (the rules' facts merged with what an LLM
// read, MergeStatedFacts).
TriageResult Triage(const std::vector<std::string>& messages, bool has_dataset,
                    const analysis::Catalog* catalog = nullptr, const std::optional<std::string>& category = {},
                    const std::optional<ExtractedFacts>& facts = {});

// Figures an LLM read from the messages (`model_facts`: monthly_spend_usd, monthly_requests, tokens_per_request,
// monthly_tokens, latency_target_ms), taken only where the rules found nothing and only when the messages state
// that number (as written, with a k/M/B multiplier, or per day where a month is meant): a model may read what the
// rules missed, never invent a figure. Returns the names of the facts taken.
std::vector<std::string> MergeStatedFacts(ExtractedFacts& facts, const boost::json::object& model_facts,
                                          const std::vector<std::string>& messages);
const std::vector<std::string>& TriageCategories();
boost::json::object FactsToJson(const ExtractedFacts& facts);
boost::json::object TriageToJson(const TriageResult& result);

}  // namespace netra::agents

#pragma once
// Reporting (§8): always last, never fails; renders the markdown report from whatever the run produced — a
// full report (dataset), a partial one (estimates, or an agent failed), a guidance report (not enough facts)
// or an answer (general question). Numbers come only from the analysis results passed in.
#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "agents/triage.hpp"
#include "analysis/profile.hpp"
#include "analysis/strategies.hpp"

namespace netra::agents {

struct ReportInputs {
    const TriageResult* triage = nullptr;
    const analysis::Profile* profile = nullptr;                  // null: the data agent did not run or failed
    const analysis::OptimizationResult* optimization = nullptr;  // null: not run or failed
    const std::vector<analysis::ActionStep>* plan = nullptr;     // null: not run or failed
    const boost::json::object* data_request = nullptr;           // the data helper's request, when it ran
    std::string catalog_as_of;
    std::string dataset_name;
    std::string dataset_grain;      // request | aggregate (a time-bucketed export)
    std::vector<std::string> gaps;  // agent failures and unusable datasets, in words
    std::string narrative;          // the executive-summary prose (builtin template or LLM)
    std::string llm_note;           // e.g. the LLM provider failed and the builtin template answered
};

// full | partial | guidance | answer
std::string ReportType(const ReportInputs& inputs);
// The deterministic executive-summary prose for these results (the builtin provider's text).
std::string BuiltinNarrative(const ReportInputs& inputs);
std::string RenderReport(const ReportInputs& inputs);
// "$40,000.00"
std::string Money(double usd);

// Splits the report into the stream_chunk texts (one section or paragraph each); their concatenation is the
// report exactly.
std::vector<std::string> ChunkReport(const std::string& markdown, std::size_t max_chunk_bytes = 512);

}  // namespace netra::agents

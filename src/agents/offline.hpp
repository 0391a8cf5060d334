#pragma once
// `netra analyze FILE`: the server's pipeline offline. The usage log is ingested with the same parser as an
// upload, held in memory behind a DataAccess, and run through the same Supervisor, so the report and the
// numbers equal what the server answers for that file (with the default request below).
#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agents/data_access.hpp"
#include "agents/run_context.hpp"
#include "analysis/catalog.hpp"
#include "analysis/ingest.hpp"
#include "core/error.hpp"
#include "llm/provider.hpp"

namespace netra::agents {

inline constexpr const char* kDefaultAnalyzeRequest =
    "Analyze this usage log and recommend cost optimizations with projected savings.";

struct RecordedEvent {
    std::string type;
    std::string agent_name;
    boost::json::object payload;
};

struct OfflineAnalysis {
    analysis::IngestSummary ingest;
    RunOutput output;
    std::vector<RecordedEvent> events;
    // The parsed records, still held here: a caller that exits once it has printed the answer need not free a
    // million records one by one first (see RunAnalyze).
    std::vector<std::shared_ptr<const DatasetView::Chunk>> records;
};

// `usage` is the whole log (a mapped file), parsed on every core (analysis::IngestWhole). Fails for a fatal ingest
// error (empty file, no recognizable header).
core::Result<OfflineAnalysis> AnalyzeUsageLog(std::string_view usage, analysis::FormatRequest format,
                                              const std::string& name, const analysis::Catalog& catalog,
                                              llm::Provider& llm, const std::string& request = kDefaultAnalyzeRequest);

// The JSON document `netra analyze --json` prints: {ingest, result, report_markdown}.
boost::json::object OfflineToJson(const OfflineAnalysis& analysis);

}  // namespace netra::agents

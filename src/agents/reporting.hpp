#pragma once
// Reporting (§8): always last, never fails; renders the markdown report from what the run produced.
#include <string>
#include <vector>

#include "agents/triage.hpp"

namespace netra::agents {

// The report for what the pipeline knows; with only triage it is a guidance report.
std::string RenderReport(const TriageResult& triage);
// Splits the report into the stream_chunk texts (one section or paragraph each); their concatenation is the
// report exactly.
std::vector<std::string> ChunkReport(const std::string& markdown, std::size_t max_chunk_bytes = 512);

}  // namespace netra::agents

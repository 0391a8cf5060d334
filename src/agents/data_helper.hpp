#pragma once
// Data helper (§8): a structured request for exactly the data this user's goal still lacks, why each item
// matters and how to export it.
#include <boost/json/object.hpp>
#include <string>

#include "agents/triage.hpp"

namespace netra::agents {

// `dataset_problem`: why an attached dataset could not be used (empty when none was attached).
boost::json::object BuildDataRequest(const TriageResult& triage, const std::string& dataset_problem = "");

// The usage-log schema the ingest accepts, as markdown (used by the data request and the reports).
std::string UsageSchemaMarkdown();

}  // namespace netra::agents

#pragma once
// Netra's own MCP resources, prompt and completions (the calls into the services are
// net/http/handlers/mcp_methods.cpp):
//  - netra://datasets/{dataset_id}: one of the user's usage datasets with its profile (application/json, what
//    profile_dataset returns); resources/list lists the user's datasets;
//  - netra://runs/{run_id}/report: a finished run's report (text/markdown), a template only (runs are many);
//  - the prompt optimize_llm_costs(dataset_id, goal?): the dataset embedded as a resource and the request to price
//    and plan its optimizations with Netra's tools;
//  - completion of dataset_id (the prompt's argument and the dataset template's variable) from the user's datasets.
// Resources never change once they exist (a dataset is immutable, a report is final), so there are no subscriptions.
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netra::net::mcp {

struct ResourceRef {
    enum class Kind { kDataset, kRunReport };
    Kind kind = Kind::kDataset;
    std::string id;
};
// nullopt for any URI that is not one of Netra's.
std::optional<ResourceRef> ParseResourceUri(std::string_view uri);
std::string DatasetUri(std::string_view dataset_id);

boost::json::array ResourceTemplates();
// A resources/list entry for a dataset as GET /api/datasets renders it.
boost::json::object DatasetResource(const boost::json::object& dataset);
// resources/read contents: the dataset (its metadata and profile) as JSON.
boost::json::array DatasetContents(const boost::json::object& dataset);
boost::json::array ReportContents(std::string_view uri, std::string markdown);

inline constexpr std::string_view kOptimizePrompt = "optimize_llm_costs";
boost::json::array Prompts();
// GetPromptResult of optimize_llm_costs for a dataset (as GET /api/datasets/{id} renders it).
boost::json::object OptimizePrompt(const boost::json::object& dataset, std::optional<std::string> goal);

// Whether completion/complete's ref and argument ask for a dataset id.
bool CompletesDatasetId(const boost::json::object& ref, std::string_view argument);
// CompleteResult: at most 100 values (the spec's cap), with the total and whether there are more.
boost::json::object CompletionResult(const std::vector<std::string>& values);

}  // namespace netra::net::mcp

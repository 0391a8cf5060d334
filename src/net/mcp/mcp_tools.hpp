#pragma once
// The tools Netra's MCP server (/mcp) exposes: their definitions (JSON Schemas of input and output), argument
// checking against those schemas, and the computations and renderings that need no service (pricing a workload
// with the catalog, pricing the strategies on a dataset's records, shaping results). The transport and the calls
// into the services (datasets, runs) are net/http/handlers/mcp_handlers.cpp.
//
// Every figure comes from the code the agents use (analysis::Catalog, ProfileUsage, PriceStrategies, PlanActions):
// the tools price nothing themselves.
#include <boost/json.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agents/data_access.hpp"
#include "analysis/catalog.hpp"
#include "core/error.hpp"

namespace netra::net::mcp {

struct ToolDef {
    std::string name;
    std::string title;
    std::string description;
    boost::json::object input_schema;
    boost::json::object output_schema;  // empty: the tool returns unstructured content only
    bool read_only = true;
    // The call may send the client messages before its answer (progress, log messages, requests of its own): its
    // POST is answered as an event stream when the client takes one.
    bool streams = false;
};

const std::vector<ToolDef>& Tools();
const ToolDef* FindTool(std::string_view name);
// tools/list entries: name, title, description, inputSchema, outputSchema (when the tool has one), annotations.
boost::json::array ToolsListJson(const std::vector<ToolDef>& tools = Tools());
std::vector<std::string> ToolNames();

// Checks `args` against the subset of JSON Schema the tools' input schemas use: object with properties of type
// string / integer / number / boolean (minimum, maximum, minLength, maxLength, enum), required, and
// additionalProperties false. The message names the argument at fault.
core::Status ValidateArguments(const boost::json::object& schema, const boost::json::object& args);

// A CallToolResult: the structured content, and as text first the `lead` blocks (a report) then the structured
// content serialized (as the spec asks of tools that return structured content).
boost::json::object ToolSuccess(boost::json::object structured, std::vector<std::string> lead = {});
// A tool execution error (isError: true) the model can read and act on.
boost::json::object ToolFailure(std::string message);

// --- Arguments (already validated against the tool's schema) ---

struct ListDatasetsArgs {
    int limit = 50;
    std::optional<std::string> cursor;
};
ListDatasetsArgs ReadListDatasets(const boost::json::object& args);

struct SavingsArgs {
    std::string dataset_id;
    std::optional<double> latency_target_ms;  // a latency goal: latency strategies are priced too
};
SavingsArgs ReadSavings(const boost::json::object& args);

struct PriceWorkloadArgs {
    std::string model;
    std::string provider;  // empty: any
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_tokens = 0;       // cache reads, part of input_tokens
    std::int64_t cache_write_tokens = 0;  // cache writes (5 min), part of input_tokens
    double requests_per_month = 1;
    bool batch = false;
    int alternatives = 5;
};
PriceWorkloadArgs ReadPriceWorkload(const boost::json::object& args);

struct RunOptimizationArgs {
    std::string question;
    std::optional<std::string> dataset_id;
    std::optional<std::string> thread_id;
    std::chrono::seconds timeout{120};
};
inline constexpr std::chrono::seconds kMaxRunWait{290};
RunOptimizationArgs ReadRunOptimization(const boost::json::object& args);

// --- Results ---

// list_datasets: each dataset as GET /api/datasets renders it, without its profile (profile_dataset has it) but with
// the profile's headline figures.
boost::json::object ListDatasetsResult(const boost::json::array& datasets, const boost::json::value& next_cursor);
// profile_dataset: the dataset as GET /api/datasets/{id} renders it, split into metadata and profile.
boost::json::object ProfileResult(boost::json::object dataset);
// estimate_savings: profiles the records and prices every dataset strategy with the catalog, as the data and
// optimization agents do, plus the phased plan the actions agent would draw from them.
boost::json::object EstimateSavings(const agents::DatasetView& dataset, const analysis::Catalog& catalog,
                                    const SavingsArgs& args);
// price_workload: kNotFound for a model the catalog does not know, kValidationFailed for inconsistent tokens.
core::Result<boost::json::object> PriceWorkload(const analysis::Catalog& catalog, const PriceWorkloadArgs& args);
// run_optimization: the report and the run_completed result's figures.
boost::json::object RunOptimizationResult(const std::string& run_id, const std::string& thread_id,
                                          const std::string& status, const std::string& report_markdown,
                                          const boost::json::object& result);

}  // namespace netra::net::mcp

#include "net/mcp/mcp_resources.hpp"

#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "net/mcp/mcp_tools.hpp"

namespace netra::net::mcp {
namespace json = boost::json;

namespace {
constexpr std::string_view kDatasetPrefix = "netra://datasets/";
constexpr std::string_view kRunPrefix = "netra://runs/";
constexpr std::string_view kReportSuffix = "/report";
constexpr std::size_t kMaxCompletionValues = 100;

// Ids are opaque but never contain '/', '?' or '#': one path segment.
bool IsSegment(std::string_view s) { return !s.empty() && s.find_first_of("/?#") == std::string_view::npos; }
}  // namespace

std::optional<ResourceRef> ParseResourceUri(std::string_view uri) {
    if (uri.starts_with(kDatasetPrefix)) {
        std::string_view id = uri.substr(kDatasetPrefix.size());
        if (IsSegment(id)) return ResourceRef{ResourceRef::Kind::kDataset, std::string(id)};
    }
    if (uri.starts_with(kRunPrefix) && uri.ends_with(kReportSuffix)) {
        std::string_view id = uri.substr(kRunPrefix.size(), uri.size() - kRunPrefix.size() - kReportSuffix.size());
        if (IsSegment(id)) return ResourceRef{ResourceRef::Kind::kRunReport, std::string(id)};
    }
    return std::nullopt;
}

std::string DatasetUri(std::string_view dataset_id) { return std::string(kDatasetPrefix) + std::string(dataset_id); }

json::array ResourceTemplates() {
    return json::array{json::object{{"uriTemplate", "netra://datasets/{dataset_id}"},
                                    {"name", "dataset"},
                                    {"title", "Usage dataset"},
                                    {"description",
                                     "One of your uploaded LLM usage datasets with its profile (spend by model, "
                                     "feature and day, latency, caching opportunities)."},
                                    {"mimeType", "application/json"}},
                       json::object{{"uriTemplate", "netra://runs/{run_id}/report"},
                                    {"name", "run-report"},
                                    {"title", "Optimization report"},
                                    {"description", "The markdown report of one of your finished optimization runs."},
                                    {"mimeType", "text/markdown"}}};
}

json::object DatasetResource(const json::object& dataset) {
    std::string id = core::GetString(dataset, "id").value_or("");
    std::string name = core::GetString(dataset, "name").value_or(id);
    std::string description = "LLM usage dataset";
    if (auto rows = dataset.if_contains("rows"); rows && rows->is_number())
        description += ", " + core::JsonText(*rows) + " rows";
    if (auto p = dataset.if_contains("profile"); p && p->is_object()) {
        if (auto m = p->as_object().if_contains("monthly_cost_usd"); m && m->is_number())
            description += ", $" + core::JsonText(*m) + " per month";
    }
    return json::object{{"uri", DatasetUri(id)},
                        {"name", name},
                        {"title", name},
                        {"description", description},
                        {"mimeType", "application/json"}};
}

json::array DatasetContents(const json::object& dataset) {
    std::string id = core::GetString(dataset, "id").value_or("");
    return json::array{json::object{
        {"uri", DatasetUri(id)}, {"mimeType", "application/json"}, {"text", core::JsonText(ProfileResult(dataset))}}};
}

json::array ReportContents(std::string_view uri, std::string markdown) {
    return json::array{json::object{{"uri", uri}, {"mimeType", "text/markdown"}, {"text", std::move(markdown)}}};
}

json::array Prompts() {
    json::array arguments{
        json::object{{"name", "dataset_id"},
                     {"description", "The usage dataset to optimize (list_datasets)"},
                     {"required", true}},
        json::object{{"name", "goal"},
                     {"description", "What matters, in words (e.g. 'cut cost 30% without raising p95 latency')"},
                     {"required", false}}};
    return json::array{json::object{{"name", kOptimizePrompt},
                                    {"title", "Optimize LLM costs"},
                                    {"description",
                                     "Find and price how to cut the LLM spend in one of your usage "
                                     "datasets, with the dataset attached."},
                                    {"arguments", std::move(arguments)}}};
}

json::object OptimizePrompt(const json::object& dataset, std::optional<std::string> goal) {
    std::string id = core::GetString(dataset, "id").value_or("");
    std::string name = core::GetString(dataset, "name").value_or(id);
    json::object resource = DatasetContents(dataset).at(0).as_object();
    json::object embedded{{"type", "resource"}, {"resource", std::move(resource)}};
    std::string ask = "The attached resource is our LLM usage dataset \"" + name + "\" (dataset_id " + id +
                      ") with its profile. " +
                      (goal && !goal->empty() ? "Our goal: " + *goal + ". "
                                              : "Our goal: spend less on LLM calls without hurting quality. ") +
                      "Use Netra's estimate_savings tool on this dataset to price every strategy, then "
                      "run_optimization with the dataset for the full report, and tell us which changes to make "
                      "first, what each saves per month and what it risks.";
    json::object text{{"type", "text"}, {"text", std::move(ask)}};
    return json::object{{"description", "Optimize the LLM costs of " + name},
                        {"messages", json::array{json::object{{"role", "user"}, {"content", std::move(embedded)}},
                                                 json::object{{"role", "user"}, {"content", std::move(text)}}}}};
}

bool CompletesDatasetId(const json::object& ref, std::string_view argument) {
    if (argument != "dataset_id") return false;
    std::string type = core::GetString(ref, "type").value_or("");
    if (type == "ref/prompt") return core::GetString(ref, "name").value_or("") == kOptimizePrompt;
    if (type == "ref/resource") return core::GetString(ref, "uri").value_or("") == "netra://datasets/{dataset_id}";
    return false;
}

json::object CompletionResult(const std::vector<std::string>& values) {
    json::array shown;
    for (std::size_t i = 0; i < values.size() && i < kMaxCompletionValues; ++i) shown.push_back(json::value(values[i]));
    json::object completion{
        {"values", std::move(shown)}, {"total", values.size()}, {"hasMore", values.size() > kMaxCompletionValues}};
    return json::object{{"completion", std::move(completion)}};
}

}  // namespace netra::net::mcp

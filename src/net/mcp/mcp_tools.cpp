#include "net/mcp/mcp_tools.hpp"

#include <algorithm>
#include <cmath>

#include "analysis/profile.hpp"
#include "analysis/strategies.hpp"
#include "core/json_util.hpp"
#include "core/json_write.hpp"

namespace netra::net::mcp {
namespace json = boost::json;

namespace {

json::object Schema(std::string_view text) { return json::parse(text).as_object(); }

// Output schemas say what is always there; the objects may carry more (analysis fields grow over time).
constexpr std::string_view kListDatasetsIn = R"({
  "type": "object",
  "properties": {
    "limit": {"type": "integer", "minimum": 1, "maximum": 200, "description": "Datasets per page (default 50)."},
    "cursor": {"type": "string", "maxLength": 200, "description": "next_cursor of the previous page."}
  },
  "additionalProperties": false
})";
constexpr std::string_view kListDatasetsOut = R"({
  "type": "object",
  "properties": {
    "datasets": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "name": {"type": "string"},
          "rows": {"type": "integer"},
          "rejected_rows": {"type": "integer"},
          "grain": {"type": "string"},
          "created_at": {"type": "string"},
          "monthly_cost_usd": {"type": ["number", "null"]},
          "days_covered": {"type": ["number", "null"]}
        },
        "required": ["id", "name", "rows", "created_at"]
      }
    },
    "next_cursor": {"type": ["string", "null"]}
  },
  "required": ["datasets", "next_cursor"]
})";

constexpr std::string_view kDatasetIdIn = R"({
  "type": "object",
  "properties": {
    "dataset_id": {"type": "string", "minLength": 1, "maxLength": 200, "description": "A dataset id from list_datasets."}
  },
  "required": ["dataset_id"],
  "additionalProperties": false
})";
constexpr std::string_view kProfileOut = R"({
  "type": "object",
  "properties": {
    "dataset": {
      "type": "object",
      "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "rows": {"type": "integer"}},
      "required": ["id", "name", "rows"]
    },
    "profile": {"type": "object", "description": "Spend, tokens, latency, repetition and anomalies (as GET /api/datasets/{id})."}
  },
  "required": ["dataset", "profile"]
})";

constexpr std::string_view kSavingsIn = R"({
  "type": "object",
  "properties": {
    "dataset_id": {"type": "string", "minLength": 1, "maxLength": 200, "description": "A dataset id from list_datasets."},
    "latency_target_ms": {"type": "number", "minimum": 1, "maximum": 600000,
                          "description": "A p95 latency goal: latency routing is priced as well."}
  },
  "required": ["dataset_id"],
  "additionalProperties": false
})";
constexpr std::string_view kSavingsOut = R"({
  "type": "object",
  "properties": {
    "dataset_id": {"type": "string"},
    "catalog_as_of": {"type": "string"},
    "monthly_cost_usd": {"type": "number"},
    "combined": {
      "type": "object",
      "properties": {
        "current_monthly_usd": {"type": "number"},
        "projected_monthly_usd": {"type": "number"},
        "savings_usd": {"type": "number"},
        "savings_pct": {"type": "number"}
      },
      "required": ["current_monthly_usd", "projected_monthly_usd", "savings_usd", "savings_pct"]
    },
    "strategies": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "type": {"type": "string"},
          "current_monthly_usd": {"type": "number"},
          "projected_monthly_usd": {"type": "number"},
          "savings_usd": {"type": "number"},
          "savings_pct": {"type": "number"}
        },
        "required": ["type", "savings_usd"]
      }
    },
    "not_assessed": {"type": "array", "items": {"type": "string"}},
    "plan": {"type": "array", "items": {"type": "object"}}
  },
  "required": ["dataset_id", "catalog_as_of", "monthly_cost_usd", "combined", "strategies", "not_assessed", "plan"]
})";

constexpr std::string_view kPriceIn = R"({
  "type": "object",
  "properties": {
    "model": {"type": "string", "minLength": 1, "maxLength": 200,
              "description": "A model name, id or alias as the catalog knows it (gpt-4o, anthropic/claude-sonnet-4-5, a dated snapshot)."},
    "provider": {"type": "string", "maxLength": 100, "description": "The provider, when the name is ambiguous (openai, bedrock, vertex_ai)."},
    "input_tokens": {"type": "integer", "minimum": 0, "maximum": 100000000,
                     "description": "Input tokens per request, cached tokens included."},
    "output_tokens": {"type": "integer", "minimum": 0, "maximum": 100000000, "description": "Output tokens per request."},
    "cached_tokens": {"type": "integer", "minimum": 0, "maximum": 100000000,
                      "description": "Of input_tokens, how many are prompt-cache reads (default 0)."},
    "cache_write_tokens": {"type": "integer", "minimum": 0, "maximum": 100000000,
                           "description": "Of input_tokens, how many are prompt-cache writes (default 0)."},
    "requests_per_month": {"type": "number", "minimum": 0, "maximum": 1000000000000,
                           "description": "Requests per 30-day month (default 1: the price of one request)."},
    "batch": {"type": "boolean", "description": "Sent through the provider's batch API (its discount applies)."},
    "alternatives": {"type": "integer", "minimum": 0, "maximum": 20,
                     "description": "How many cheaper current models of the same tier to price alongside (default 5)."}
  },
  "required": ["model", "input_tokens", "output_tokens"],
  "additionalProperties": false
})";
constexpr std::string_view kPriceOut = R"({
  "type": "object",
  "properties": {
    "model": {
      "type": "object",
      "properties": {
        "id": {"type": "string"}, "provider": {"type": "string"}, "model": {"type": "string"}, "tier": {"type": "string"}
      },
      "required": ["id", "provider", "model", "tier"]
    },
    "catalog_as_of": {"type": "string"},
    "requests_per_month": {"type": "number"},
    "per_request_usd": {"type": "number"},
    "monthly_usd": {"type": "number"},
    "prices": {"type": "object"},
    "alternatives": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "per_request_usd": {"type": "number"},
          "monthly_usd": {"type": "number"},
          "savings_usd": {"type": "number"},
          "savings_pct": {"type": "number"}
        },
        "required": ["id", "per_request_usd", "monthly_usd", "savings_usd"]
      }
    }
  },
  "required": ["model", "catalog_as_of", "requests_per_month", "per_request_usd", "monthly_usd", "prices", "alternatives"]
})";

constexpr std::string_view kRunIn = R"({
  "type": "object",
  "properties": {
    "question": {"type": "string", "minLength": 1, "maxLength": 32768,
                 "description": "What to optimize, in words (e.g. 'How can we cut our LLM costs?'); stated facts such as monthly spend or request volume are used when no dataset is given."},
    "dataset_id": {"type": "string", "minLength": 1, "maxLength": 200, "description": "A usage dataset to analyse (list_datasets)."},
    "thread_id": {"type": "string", "minLength": 1, "maxLength": 200,
                  "description": "Continue this conversation thread (its earlier messages and datasets count); a new thread otherwise."},
    "timeout_s": {"type": "integer", "minimum": 1, "maximum": 290,
                  "description": "How long to wait for the run (default 120 s); a run still going then is reported with its id."}
  },
  "required": ["question"],
  "additionalProperties": false
})";
constexpr std::string_view kRunOut = R"({
  "type": "object",
  "properties": {
    "run_id": {"type": "string"},
    "thread_id": {"type": "string"},
    "status": {"type": "string"},
    "report_markdown": {"type": "string"},
    "result": {"type": "object", "description": "The run_completed event's result."},
    "current_monthly_usd": {"type": "number"},
    "projected_monthly_usd": {"type": "number"},
    "savings_usd": {"type": "number"},
    "savings_pct": {"type": "number"},
    "strategies": {"type": "array", "items": {"type": "object"}}
  },
  "required": ["run_id", "thread_id", "status", "report_markdown", "result"]
})";

std::vector<ToolDef> MakeTools() {
    std::vector<ToolDef> tools;
    tools.push_back({"list_datasets", "List usage datasets",
                     "List your uploaded LLM usage datasets (newest first) with their size and monthly spend. Use a "
                     "dataset's id with profile_dataset, estimate_savings or run_optimization.",
                     Schema(kListDatasetsIn), Schema(kListDatasetsOut), true, false});
    tools.push_back({"profile_dataset", "Profile a usage dataset",
                     "The usage profile of one of your datasets: spend in total and per day/month, spend and tokens "
                     "by model, provider and feature, latency percentiles, hourly load, duplicate and shared-prefix "
                     "rates, error rate and daily-cost anomalies.",
                     Schema(kDatasetIdIn), Schema(kProfileOut), true, false});
    tools.push_back({"estimate_savings", "Estimate savings on a dataset",
                     "Price every optimization strategy (model right-sizing, response caching, prompt caching, batch "
                     "API, prompt compression; latency routing with a latency target) with the supply catalog on the "
                     "dataset's own traffic, their combined monthly savings without double counting, and a phased "
                     "plan.",
                     Schema(kSavingsIn), Schema(kSavingsOut), true, false});
    tools.push_back({"price_workload", "Price a workload",
                     "Price a workload (tokens per request, requests per month) on a model with the supply catalog's "
                     "list prices, with cheaper current models of the same tier priced alongside.",
                     Schema(kPriceIn), Schema(kPriceOut), true, false});
    tools.push_back({"run_optimization", "Run the optimization analysis",
                     "Run Netra's full analysis (triage, data, optimization, actions, reporting) on a question, "
                     "optionally on a dataset or in an existing thread, and return the markdown report with the "
                     "current and projected monthly spend, savings and priced strategies. The run is stored in your "
                     "threads like a chat message.",
                     Schema(kRunIn), Schema(kRunOut), false, true});
    return tools;
}

std::string TypeName(const json::value& v) {
    switch (v.kind()) {
        case json::kind::string:
            return "a string";
        case json::kind::bool_:
            return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
            return "an integer";
        case json::kind::double_:
            return "a number";
        case json::kind::array:
            return "an array";
        case json::kind::object:
            return "an object";
        case json::kind::null:
            return "null";
    }
    return "a value";
}

bool IsInteger(const json::value& v) {
    if (v.is_int64() || v.is_uint64()) return true;
    return v.is_double() && std::isfinite(v.get_double()) && v.get_double() == std::floor(v.get_double());
}

double Number(const json::value& v) {
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return v.get_double();
}

std::string Plain(double v) { return core::JsonText(json::value(v)); }

core::Status Invalid(const std::string& message) {
    return core::MakeError(core::ErrorCode::kValidationFailed, message);
}

core::Status CheckProperty(const std::string& name, const json::object& schema, const json::value& v) {
    const std::string type(schema.at("type").as_string());
    if (type == "string") {
        if (!v.is_string()) return Invalid(name + " must be a string, not " + TypeName(v));
        const std::size_t size = v.get_string().size();
        if (auto m = schema.if_contains("minLength"); m && size < static_cast<std::size_t>(m->to_number<double>()))
            return Invalid(name + " must not be empty");
        if (auto m = schema.if_contains("maxLength"); m && size > static_cast<std::size_t>(m->to_number<double>()))
            return Invalid(name + " is longer than " + Plain(m->to_number<double>()) + " characters");
        return core::Ok();
    }
    if (type == "boolean") {
        if (!v.is_bool()) return Invalid(name + " must be true or false, not " + TypeName(v));
        return core::Ok();
    }
    if (type == "integer" || type == "number") {
        if (!v.is_number())
            return Invalid(name + " must be " + (type == "integer" ? "an integer" : "a number") + ", not " +
                           TypeName(v));
        if (type == "integer" && !IsInteger(v)) return Invalid(name + " must be a whole number");
        const double x = Number(v);
        if (!std::isfinite(x)) return Invalid(name + " must be finite");
        if (auto m = schema.if_contains("minimum"); m && x < m->to_number<double>())
            return Invalid(name + " must be at least " + Plain(m->to_number<double>()));
        if (auto m = schema.if_contains("maximum"); m && x > m->to_number<double>())
            return Invalid(name + " must be at most " + Plain(m->to_number<double>()));
        return core::Ok();
    }
    return core::Ok();
}

std::string Str(const json::object& o, std::string_view key) { return core::GetString(o, key).value_or(""); }

std::optional<std::string> OptStr(const json::object& o, std::string_view key) { return core::GetString(o, key); }

std::optional<double> OptNum(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_number()) return std::nullopt;
    return Number(it->value());
}

json::value Field(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it == o.end() ? json::value(nullptr) : it->value();
}

}  // namespace

const std::vector<ToolDef>& Tools() {
    static const std::vector<ToolDef> kTools = MakeTools();
    return kTools;
}

const ToolDef* FindTool(std::string_view name) {
    for (const auto& t : Tools()) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

std::vector<std::string> ToolNames() {
    std::vector<std::string> out;
    for (const auto& t : Tools()) out.push_back(t.name);
    return out;
}

json::array ToolsListJson(const std::vector<ToolDef>& tools) {
    json::array out;
    for (const auto& t : tools) {
        json::object annotations{{"title", t.title},
                                 {"readOnlyHint", t.read_only},
                                 {"destructiveHint", false},
                                 {"idempotentHint", t.read_only},
                                 {"openWorldHint", false}};
        json::object entry{
            {"name", t.name}, {"title", t.title}, {"description", t.description}, {"inputSchema", t.input_schema}};
        if (!t.output_schema.empty()) entry["outputSchema"] = t.output_schema;
        entry["annotations"] = std::move(annotations);
        out.push_back(std::move(entry));
    }
    return out;
}

core::Status ValidateArguments(const json::object& schema, const json::object& args) {
    const json::object empty;
    const json::object* properties = schema.contains("properties") ? &schema.at("properties").as_object() : &empty;
    if (auto required = schema.if_contains("required")) {
        for (const auto& r : required->as_array()) {
            if (!args.contains(r.as_string()))
                return Invalid("missing required argument " + std::string(r.as_string()));
        }
    }
    const bool closed = schema.contains("additionalProperties") && schema.at("additionalProperties").is_bool() &&
                        !schema.at("additionalProperties").as_bool();
    for (const auto& [key, value] : args) {
        auto p = properties->find(key);
        if (p == properties->end()) {
            if (!closed) continue;
            std::string known;
            for (const auto& [name, _] : *properties) known += (known.empty() ? "" : ", ") + std::string(name);
            return Invalid("unknown argument " + std::string(key) + " (accepted: " + known + ")");
        }
        if (auto s = CheckProperty(std::string(key), p->value().as_object(), value); !s.ok()) return s;
    }
    return core::Ok();
}

json::object ToolSuccess(json::object structured, std::vector<std::string> lead) {
    json::array content;
    for (auto& text : lead) content.push_back(json::object{{"type", "text"}, {"text", std::move(text)}});
    content.push_back(json::object{{"type", "text"}, {"text", core::JsonText(structured)}});
    return json::object{{"content", std::move(content)}, {"structuredContent", std::move(structured)}};
}

json::object ToolFailure(std::string message) {
    return json::object{{"content", json::array{json::object{{"type", "text"}, {"text", std::move(message)}}}},
                        {"isError", true}};
}

ListDatasetsArgs ReadListDatasets(const json::object& args) {
    ListDatasetsArgs out;
    if (auto limit = OptNum(args, "limit")) out.limit = static_cast<int>(*limit);
    out.cursor = OptStr(args, "cursor");
    return out;
}

SavingsArgs ReadSavings(const json::object& args) {
    return SavingsArgs{Str(args, "dataset_id"), OptNum(args, "latency_target_ms")};
}

PriceWorkloadArgs ReadPriceWorkload(const json::object& args) {
    PriceWorkloadArgs out;
    out.model = Str(args, "model");
    out.provider = Str(args, "provider");
    out.input_tokens = static_cast<std::int64_t>(OptNum(args, "input_tokens").value_or(0));
    out.output_tokens = static_cast<std::int64_t>(OptNum(args, "output_tokens").value_or(0));
    out.cached_tokens = static_cast<std::int64_t>(OptNum(args, "cached_tokens").value_or(0));
    out.cache_write_tokens = static_cast<std::int64_t>(OptNum(args, "cache_write_tokens").value_or(0));
    out.requests_per_month = OptNum(args, "requests_per_month").value_or(1);
    out.batch = core::GetBool(args, "batch").value_or(false);
    out.alternatives = static_cast<int>(OptNum(args, "alternatives").value_or(5));
    return out;
}

RunOptimizationArgs ReadRunOptimization(const json::object& args) {
    RunOptimizationArgs out;
    out.question = Str(args, "question");
    out.dataset_id = OptStr(args, "dataset_id");
    out.thread_id = OptStr(args, "thread_id");
    if (auto t = OptNum(args, "timeout_s")) out.timeout = std::chrono::seconds(static_cast<std::int64_t>(*t));
    out.timeout = std::min(out.timeout, kMaxRunWait);
    return out;
}

json::object ListDatasetsResult(const json::array& datasets, const json::value& next_cursor) {
    json::array out;
    for (const auto& d : datasets) {
        json::object o = d.as_object();
        json::value monthly = nullptr, days = nullptr, total = nullptr;
        if (auto p = o.if_contains("profile"); p && p->is_object()) {
            monthly = Field(p->as_object(), "monthly_cost_usd");
            days = Field(p->as_object(), "days_covered");
            total = Field(p->as_object(), "total_cost_usd");
        }
        o.erase("profile");
        o["monthly_cost_usd"] = monthly;
        o["total_cost_usd"] = total;
        o["days_covered"] = days;
        out.push_back(std::move(o));
    }
    return json::object{{"datasets", std::move(out)}, {"next_cursor", next_cursor}};
}

json::object ProfileResult(json::object dataset) {
    json::value profile = json::object{};
    if (auto p = dataset.if_contains("profile"); p && p->is_object()) profile = *p;
    dataset.erase("profile");
    return json::object{{"dataset", std::move(dataset)}, {"profile", std::move(profile)}};
}

json::object EstimateSavings(const agents::DatasetView& dataset, const analysis::Catalog& catalog,
                             const SavingsArgs& args) {
    const analysis::RecordSpans records = dataset.Records();
    const analysis::Profile profile = analysis::ProfileUsage(records, catalog);
    analysis::StrategyOptions options;
    options.latency_goal = args.latency_target_ms.has_value();
    options.latency_target_ms = args.latency_target_ms;
    const analysis::OptimizationResult result = analysis::PriceStrategies(records, profile, catalog, options);
    json::object o = analysis::OptimizationToJson(result);
    json::array plan;
    for (const auto& step : analysis::PlanActions(result)) plan.push_back(analysis::ActionStepToJson(step));
    o["dataset_id"] = dataset.meta.id;
    o["dataset_name"] = dataset.meta.name;
    o["rows"] = profile.rows;
    o["days_covered"] = profile.days_covered;
    o["monthly_cost_usd"] = profile.monthly_cost_usd;
    o["catalog_as_of"] = catalog.AsOf();
    o["plan"] = std::move(plan);
    return o;
}

core::Result<json::object> PriceWorkload(const analysis::Catalog& catalog, const PriceWorkloadArgs& args) {
    const analysis::CatalogModel* model = catalog.Find(args.model, args.provider);
    if (!model) {
        return core::MakeError(core::ErrorCode::kNotFound,
                               "unknown model '" + args.model + "': the supply catalog (as of " + catalog.AsOf() +
                                   ") does not list it; GET /api/catalog/models lists the models it knows");
    }
    if (args.cached_tokens + args.cache_write_tokens > args.input_tokens) {
        return core::MakeError(core::ErrorCode::kValidationFailed,
                               "cached_tokens + cache_write_tokens must not exceed input_tokens (they are part of it)");
    }
    analysis::TokenUsage usage;
    usage.input = args.input_tokens;
    usage.cache_read = args.cached_tokens;
    usage.cache_write_5m = args.cache_write_tokens;
    usage.output = args.output_tokens;
    usage.requests = 1;
    usage.batch = args.batch;
    const double per_request = analysis::Catalog::CostUsd(*model, usage);
    const double monthly = per_request * args.requests_per_month;

    struct Alternative {
        const analysis::CatalogModel* model;
        double per_request;
    };
    std::vector<Alternative> cheaper;
    for (const auto& m : catalog.Models()) {
        if (&m == model || !m.current || m.deprecated || m.tier != model->tier) continue;
        if (m.context_window > 0 && args.input_tokens + args.output_tokens > m.context_window) continue;
        const double cost = analysis::Catalog::CostUsd(m, usage);
        if (cost < per_request) cheaper.push_back({&m, cost});
    }
    std::sort(cheaper.begin(), cheaper.end(), [](const Alternative& a, const Alternative& b) {
        return a.per_request != b.per_request ? a.per_request < b.per_request : a.model->id < b.model->id;
    });
    if (cheaper.size() > static_cast<std::size_t>(std::max(0, args.alternatives))) cheaper.resize(args.alternatives);
    json::array alternatives;
    for (const auto& a : cheaper) {
        const double alt_monthly = a.per_request * args.requests_per_month;
        alternatives.push_back(
            json::object{{"id", a.model->id},
                         {"provider", a.model->provider},
                         {"model", a.model->model},
                         {"tier", analysis::TierName(a.model->tier)},
                         {"per_request_usd", a.per_request},
                         {"monthly_usd", alt_monthly},
                         {"savings_usd", monthly - alt_monthly},
                         {"savings_pct", per_request > 0 ? 100.0 * (per_request - a.per_request) / per_request : 0.0}});
    }
    return json::object{{"model", json::object{{"id", model->id},
                                               {"provider", model->provider},
                                               {"model", model->model},
                                               {"tier", analysis::TierName(model->tier)},
                                               {"context_window", model->context_window}}},
                        {"catalog_as_of", catalog.AsOf()},
                        {"tokens", json::object{{"input", args.input_tokens},
                                                {"cached", args.cached_tokens},
                                                {"cache_write", args.cache_write_tokens},
                                                {"output", args.output_tokens}}},
                        {"batch", args.batch},
                        {"requests_per_month", args.requests_per_month},
                        {"per_request_usd", per_request},
                        {"monthly_usd", monthly},
                        {"prices", json::object{{"input_per_mtok", model->input_per_mtok},
                                                {"output_per_mtok", model->output_per_mtok},
                                                {"cached_input_per_mtok", model->cached_input_per_mtok},
                                                {"cache_write_per_mtok", model->cache_write_per_mtok},
                                                {"batch_discount", model->batch_discount}}},
                        {"alternatives", std::move(alternatives)}};
}

json::object RunOptimizationResult(const std::string& run_id, const std::string& thread_id, const std::string& status,
                                   const std::string& report_markdown, const json::object& result) {
    json::object o{{"run_id", run_id},
                   {"thread_id", thread_id},
                   {"status", status},
                   {"report_markdown", report_markdown},
                   {"result", result}};
    for (const char* key : {"current_monthly_usd", "projected_monthly_usd", "savings_usd", "savings_pct"}) {
        if (auto v = result.if_contains(key); v && v->is_number()) o[key] = *v;
    }
    if (auto v = result.if_contains("strategies"); v && v->is_array()) o["strategies"] = *v;
    return o;
}

}  // namespace netra::net::mcp

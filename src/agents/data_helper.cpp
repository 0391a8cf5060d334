#include "agents/data_helper.hpp"

#include <boost/json.hpp>

namespace netra::agents {
namespace json = boost::json;

namespace {

struct FactRequest {
    const char* fact;
    const char* category;
    const char* item;
    const char* justification;
    bool required;
};

const FactRequest kFacts[] = {
    {"monthly_spend", "Spend and volume", "Monthly LLM spend (e.g. \"$40k/month\")",
     "the baseline every saving is measured against", true},
    {"models", "Models and providers", "Models and providers in use (e.g. GPT-4o on OpenAI)",
     "prices come from the catalog per model; right-sizing needs to know what runs today", true},
    {"request_volume", "Spend and volume", "Request volume per day or month",
     "turns per-request savings into monthly figures", true},
    {"tokens", "Spend and volume", "Average input and output tokens per request, or monthly token volume",
     "decides which requests fit a cheaper model and how much caching saves", false},
    {"quality_or_latency_constraint", "Constraints", "Quality or latency constraints (e.g. p95 under 800 ms)",
     "rules out strategies that would break your service levels", false},
    {"latency_target", "Constraints", "Latency target (e.g. p95 under 800 ms)",
     "the goal latency strategies are measured against", true},
    {"use_case", "Workload", "The use case (support chat, summarization, RAG, ...)",
     "sets how much repetition and how much quality headroom to expect", false},
};

}  // namespace

std::string UsageSchemaMarkdown() {
    return "| column | required | meaning |\n|---|---|---|\n"
           "| `timestamp` | yes | RFC 3339 or epoch seconds/milliseconds |\n"
           "| `model` | yes | model name as the provider reports it (aliases and dated snapshots are recognised) |\n"
           "| `input_tokens` (or `prompt_tokens`) | yes | input tokens, including cached ones |\n"
           "| `output_tokens` (or `completion_tokens`) | yes | output tokens |\n"
           "| `provider` | no | openai, anthropic, google, ... (derived from the model when absent) |\n"
           "| `cached_tokens` | no | input tokens read from the provider's prompt cache |\n"
           "| `latency_ms` | no | end-to-end latency of the call |\n"
           "| `cost_usd` | no | cost of the call (computed from the catalog when absent) |\n"
           "| `prompt_hash` | no | hash of the full prompt (finds exact repeats for response caching) |\n"
           "| `prefix_hash` | no | hash of the shared prompt prefix (system prompt; for provider prompt caching) |\n"
           "| `feature` (or `endpoint`, `use_case`) | no | the product feature that made the call |\n"
           "| `batchable` | no | true when no user waits for the answer |\n"
           "| `status` | no | ok / success / 2xx = success, anything else = error |\n";
}

json::object BuildDataRequest(const TriageResult& t, const std::string& dataset_problem) {
    json::array categories;
    auto category_for = [&](const std::string& name) -> json::array& {
        for (auto& c : categories) {
            if (c.as_object().at("name").as_string() == name) return c.as_object()["items"].as_array();
        }
        categories.push_back(json::object{{"name", name}, {"items", json::array{}}});
        return categories.back().as_object()["items"].as_array();
    };
    // The usage log answers every question at once, so it comes first whenever the thread has no usable one.
    category_for("Usage data")
        .push_back(
            json::object{{"item", "A usage log export (CSV or JSONL), ideally the last 7-30 days"},
                         {"justification", dataset_problem.empty()
                                               ? "prices every strategy on your real traffic instead of estimates"
                                               : "the attached dataset could not be used: " + dataset_problem},
                         {"required", t.sufficiency == "insufficient"}});
    json::array missing;
    for (const auto& fact : t.facts_missing) {
        missing.emplace_back(fact);
        for (const auto& f : kFacts) {
            if (fact != f.fact) continue;
            category_for(f.category)
                .push_back(
                    json::object{{"item", f.item}, {"justification", f.justification}, {"required", f.required}});
        }
    }
    json::array formats{
        json::object{{"format", "csv"}, {"media_type", "text/csv"}, {"notes", "header row first; RFC 4180 quoting"}},
        json::object{
            {"format", "jsonl"}, {"media_type", "application/x-ndjson"}, {"notes", "one JSON object per line"}},
    };
    std::string instructions =
        "Export one row per LLM call with at least timestamp, model, input_tokens and output_tokens; add the optional "
        "columns you have. Where to find it: OpenAI - the Usage API (/v1/organization/usage/completions) or the "
        "dashboard's usage export; Anthropic - Console > Usage > Export; Google Vertex AI - Cloud Billing export or "
        "request logs in BigQuery; gateways (LiteLLM, Helicone, Langfuse, Portkey) - their request-log export; your "
        "own service - the request log around each LLM call. Hash prompts (e.g. SHA-256) rather than sending their "
        "text. Upload it with POST /api/datasets (text/csv or application/x-ndjson) and attach it to this thread.\n\n" +
        UsageSchemaMarkdown();
    std::string example =
        "timestamp,model,input_tokens,output_tokens,cached_tokens,latency_ms,feature,prompt_hash,prefix_hash,"
        "batchable,status\n"
        "2025-03-01T10:00:00Z,gpt-4o,1200,250,0,840,support_chat,9f2c1a,sys-v3,false,ok\n"
        "2025-03-01T10:00:02Z,gpt-4o-mini,300,40,0,310,classify_ticket,77ab04,cls-v1,true,ok\n";
    return json::object{{"categories", std::move(categories)},
                        {"missing_facts", std::move(missing)},
                        {"instructions", instructions},
                        {"accepted_formats", std::move(formats)},
                        {"example", example}};
}

}  // namespace netra::agents

#include "analysis/usage_formats.hpp"

#include <algorithm>

namespace netra::analysis {
namespace {

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '"')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '"')) {
        s.remove_suffix(1);
    }
    return s;
}

// Netra's own columns (SPEC §9) and the common spellings of them; the first alias of a column is its name.
constexpr ColumnAlias kNetra[] = {
    {"timestamp", kTimestamp},
    {"ts", kTimestamp},
    {"time", kTimestamp},
    {"created_at", kTimestamp},
    {"created", kTimestamp},
    {"datetime", kTimestamp},
    {"date", kTimestamp},
    {"model", kModel},
    {"model_name", kModel},
    {"model_id", kModel},
    {"input_tokens", kInputTokens},
    {"prompt_tokens", kInputTokens},
    {"tokens_in", kInputTokens},
    {"n_context_tokens_total", kInputTokens},
    {"output_tokens", kOutputTokens},
    {"completion_tokens", kOutputTokens},
    {"tokens_out", kOutputTokens},
    {"n_generated_tokens_total", kOutputTokens},
    {"provider", kProvider},
    {"vendor", kProvider},
    {"cached_tokens", kCachedTokens},
    {"cached_input_tokens", kCachedTokens},
    {"cache_read_input_tokens", kCachedTokens},
    {"cache_read_tokens", kCachedTokens},
    {"latency_ms", kLatencyMs},
    {"latency", kLatencyMs},
    {"duration_ms", kLatencyMs},
    {"response_time_ms", kLatencyMs},
    {"cost_usd", kCostUsd},
    {"cost", kCostUsd},
    {"prompt_hash", kPromptHash},
    {"request_hash", kPromptHash},
    {"prefix_hash", kPrefixHash},
    {"feature", kFeature},
    {"endpoint", kFeature},
    {"use_case", kFeature},
    {"batchable", kBatchable},
    {"batch", kBatchable},
    {"status", kStatus},
    {"status_code", kStatus},
    {"http_status", kStatus},
    {"uncached_input_tokens", kUncachedInput},
    {"cache_write_5m_tokens", kCacheWrite5m},
    {"cache_write_1h_tokens", kCacheWrite1h},
    {"cache_write_tokens", kCacheWrite},
    {"cache_creation_input_tokens", kCacheWrite},
    {"reasoning_tokens", kReasoningTokens},
    {"request_count", kRequestCount},
    {"requests", kRequestCount},
    {"user", kUser},
    {"user_id", kUser},
    {"end_user", kEndUser},
    {"team", kTeam},
    {"api_key", kApiKey},
    {"project", kProject},
    {"tags", kTags},
    {"batched", kBatched},
};

// OpenAI dashboard usage CSV and the Usage API's completions buckets. Input counts include cached tokens.
constexpr ColumnAlias kOpenAiUsage[] = {
    {"start_time", kTimestamp},
    {"start_time_iso", kTimestamp},
    {"end_time", kEndTime},
    {"end_time_iso", kEndTime},
    {"num_model_requests", kRequestCount},
    {"model", kModel},
    {"project_id", kProject},
    {"user_id", kUser},
    {"api_key_id", kApiKey},
    {"batch", kBatched},
    {"service_tier", kServiceTier},
    {"input_tokens", kInputTokens},
    {"output_tokens", kOutputTokens},
    {"input_cached_tokens", kCachedTokens},
};

// OpenAI cost export CSV and the Costs API buckets: bill lines, no tokens.
constexpr ColumnAlias kOpenAiCosts[] = {
    {"start_time", kTimestamp},     {"start_time_iso", kTimestamp}, {"end_time", kEndTime},
    {"end_time_iso", kEndTime},     {"amount_value", kCostUsd},     {"amount.value", kCostUsd},
    {"amount_currency", kCurrency}, {"amount.currency", kCurrency}, {"line_item", kLineItem},
    {"project_id", kProject},
};

// Anthropic console usage CSV and the Admin API usage report. Input without cache reads and writes.
constexpr ColumnAlias kAnthropicUsage[] = {
    {"usage_date_utc", kTimestamp},
    {"starting_at", kTimestamp},
    {"ending_at", kEndTime},
    {"model_version", kModel},
    {"model", kModel},
    {"api_key", kApiKey},
    {"api_key_id", kApiKey},
    {"workspace", kTeam},
    {"workspace_id", kTeam},
    {"usage_type", kServiceTier},
    {"service_tier", kServiceTier},
    {"context_window", kContextWindow},
    {"usage_input_tokens_no_cache", kUncachedInput},
    {"uncached_input_tokens", kUncachedInput},
    {"usage_input_tokens_cache_write_5m", kCacheWrite5m},
    {"cache_creation.ephemeral_5m_input_tokens", kCacheWrite5m},
    {"usage_input_tokens_cache_write_1h", kCacheWrite1h},
    {"cache_creation.ephemeral_1h_input_tokens", kCacheWrite1h},
    {"usage_input_tokens_cache_read", kCachedTokens},
    {"cache_read_input_tokens", kCachedTokens},
    {"usage_output_tokens", kOutputTokens},
    {"output_tokens", kOutputTokens},
};

// Anthropic Admin API cost report: amounts are decimal strings in cents.
constexpr ColumnAlias kAnthropicCosts[] = {
    {"starting_at", kTimestamp},
    {"ending_at", kEndTime},
    {"amount", kCostUsd},
    {"currency", kCurrency},
    {"model", kModel},
    {"description", kLineItem},
    {"workspace_id", kTeam},
    {"service_tier", kServiceTier},
    {"context_window", kContextWindow},
};

// LiteLLM's LiteLLM_SpendLogs table (CSV with JSON cells, or JSONL). Prompt counts include cached tokens.
constexpr ColumnAlias kLiteLlmSpendLogs[] = {
    {"starttime", kTimestamp},
    {"endtime", kEndTime},
    {"request_duration_ms", kLatencyMs},
    {"model", kModel},
    {"custom_llm_provider", kProvider},
    {"spend", kCostUsd},
    {"prompt_tokens", kInputTokens},
    {"completion_tokens", kOutputTokens},
    {"metadata.usage_object.prompt_tokens_details.cached_tokens", kCachedTokens},
    {"metadata.usage_object.cache_read_input_tokens", kCachedTokens},
    {"metadata.usage_object.cache_creation_input_tokens", kCacheWrite},
    {"metadata.usage_object.completion_tokens_details.reasoning_tokens", kReasoningTokens},
    {"user", kUser},
    {"end_user", kEndUser},
    {"team_id", kTeam},
    {"metadata.user_api_key_team_alias", kTeam},
    {"metadata.user_api_key_alias", kApiKey},
    {"api_key", kApiKey},
    {"request_tags", kTags},
    {"cache_hit", kCacheHit},
    {"status", kStatus},
};

// LiteLLM's StandardLoggingPayload (one JSON object per line).
constexpr ColumnAlias kLiteLlmPayload[] = {
    {"starttime", kTimestamp},
    {"endtime", kEndTime},
    {"response_time", kLatencySeconds},
    {"model", kModel},
    {"custom_llm_provider", kProvider},
    {"response_cost", kCostUsd},
    {"prompt_tokens", kInputTokens},
    {"completion_tokens", kOutputTokens},
    {"metadata.usage_object.prompt_tokens_details.cached_tokens", kCachedTokens},
    {"metadata.usage_object.cache_read_input_tokens", kCachedTokens},
    {"metadata.usage_object.cache_creation_input_tokens", kCacheWrite},
    {"metadata.usage_object.completion_tokens_details.reasoning_tokens", kReasoningTokens},
    {"metadata.user_api_key_user_id", kUser},
    {"end_user", kEndUser},
    {"metadata.user_api_key_end_user_id", kEndUser},
    {"metadata.user_api_key_team_alias", kTeam},
    {"metadata.user_api_key_team_id", kTeam},
    {"metadata.user_api_key_alias", kApiKey},
    {"metadata.user_api_key_hash", kApiKey},
    {"request_tags", kTags},
    {"cache_hit", kCacheHit},
    {"status", kStatus},
};

// OpenTelemetry GenAI spans (semantic conventions, and the older OpenLLMetry / OpenInference names). Span
// attributes are read as "attributes.<key>", resource attributes as "resource.<key>". Inputs include cached tokens.
constexpr ColumnAlias kOtel[] = {
    {"starttimeunixnano", kTimestamp},
    {"endtimeunixnano", kEndTime},
    {"attributes.gen_ai.response.model", kModel},
    {"attributes.gen_ai.request.model", kModel},
    {"attributes.llm.model_name", kModel},
    {"attributes.gen_ai.provider.name", kProvider},
    {"attributes.gen_ai.system", kProvider},
    {"attributes.llm.provider", kProvider},
    {"attributes.llm.system", kProvider},
    {"attributes.gen_ai.usage.input_tokens", kInputTokens},
    {"attributes.gen_ai.usage.prompt_tokens", kInputTokens},
    {"attributes.llm.usage.prompt_tokens", kInputTokens},
    {"attributes.llm.token_count.prompt", kInputTokens},
    {"attributes.gen_ai.usage.output_tokens", kOutputTokens},
    {"attributes.gen_ai.usage.completion_tokens", kOutputTokens},
    {"attributes.llm.usage.completion_tokens", kOutputTokens},
    {"attributes.llm.token_count.completion", kOutputTokens},
    {"attributes.gen_ai.usage.cache_read.input_tokens", kCachedTokens},
    {"attributes.gen_ai.usage.cache_read_input_tokens", kCachedTokens},
    {"attributes.llm.token_count.prompt_details.cache_read", kCachedTokens},
    {"attributes.gen_ai.usage.cache_creation.input_tokens", kCacheWrite},
    {"attributes.gen_ai.usage.cache_creation_input_tokens", kCacheWrite},
    {"attributes.llm.token_count.prompt_details.cache_write", kCacheWrite},
    {"attributes.gen_ai.usage.reasoning.output_tokens", kReasoningTokens},
    {"attributes.error.type", kErrorType},
    {"status.code", kSpanStatus},
    {"attributes.user.id", kUser},
    {"attributes.enduser.id", kEndUser},
    {"resource.attributes.service.name", kFeature},
    {"attributes.gen_ai.agent.name", kFeature},
};

// Helicone request exports. prompt_tokens include cache reads.
constexpr ColumnAlias kHelicone[] = {
    {"request_created_at", kTimestamp},
    {"created_at", kTimestamp},
    {"model", kModel},
    {"provider", kProvider},
    {"prompt_tokens", kInputTokens},
    {"completion_tokens", kOutputTokens},
    {"prompt_cache_read_tokens", kCachedTokens},
    {"prompt_cache_write_tokens", kCacheWrite},
    {"costusd", kCostUsd},
    {"cost_usd", kCostUsd},
    {"cost", kCostUsd},
    {"delay_ms", kLatencyMs},
    {"latency", kLatencyMs},
    {"response_status", kStatus},
    {"request_user_id", kUser},
    {"user_id", kUser},
    {"request_properties", kTags},
    {"properties", kTags},
};

// Langfuse observations. Usage details are additive: "input" leaves cache reads and writes out.
constexpr ColumnAlias kLangfuse[] = {
    {"starttime", kTimestamp},
    {"endtime", kEndTime},
    {"model", kModel},
    {"providedmodelname", kModel},
    {"usagedetails.input", kUncachedInput},
    {"usagedetails.output", kOutputTokens},
    {"usagedetails.input_cached_tokens", kCachedTokens},
    {"usagedetails.cache_read_input_tokens", kCachedTokens},
    {"usagedetails.input_cache_read", kCachedTokens},
    {"usagedetails.cache_creation_input_tokens", kCacheWrite},
    {"usagedetails.input_cache_creation", kCacheWrite},
    {"usagedetails.output_reasoning_tokens", kReasoningTokens},
    {"usagedetails.output_reasoning", kReasoningTokens},
    {"costdetails.total", kCostUsd},
    {"calculatedtotalcost", kCostUsd},
    {"totalcost", kCostUsd},
    {"userid", kUser},
    {"promptname", kFeature},
    {"name", kFeature},
    {"level", kStatus},
    {"tags", kTags},
};

constexpr SourceSpec kSources[] = {
    {SourceFormat::kNetra, "netra", "Netra usage log", Grain::kRequest, false, 1.0, false, false, kNetra},
    {SourceFormat::kOpenAiUsage, "openai_usage", "OpenAI usage export", Grain::kAggregate, false, 1.0, false, false,
     kOpenAiUsage},
    {SourceFormat::kOpenAiCosts, "openai_costs", "OpenAI cost export", Grain::kAggregate, false, 1.0, true, false,
     kOpenAiCosts},
    {SourceFormat::kAnthropicUsage, "anthropic_usage", "Anthropic usage report", Grain::kAggregate, true, 1.0, false,
     false, kAnthropicUsage},
    {SourceFormat::kAnthropicCosts, "anthropic_costs", "Anthropic cost report", Grain::kAggregate, false, 0.01, true,
     false, kAnthropicCosts},
    {SourceFormat::kLiteLlmSpendLogs, "litellm_spend_logs", "LiteLLM spend logs", Grain::kRequest, false, 1.0, false,
     false, kLiteLlmSpendLogs},
    {SourceFormat::kLiteLlmPayload, "litellm_payload", "LiteLLM StandardLoggingPayload log", Grain::kRequest, false,
     1.0, false, false, kLiteLlmPayload},
    {SourceFormat::kOtel, "otel", "OpenTelemetry GenAI spans (OTLP JSON)", Grain::kRequest, false, 1.0, false, true,
     kOtel},
    {SourceFormat::kHelicone, "helicone", "Helicone request export", Grain::kRequest, false, 1.0, false, false,
     kHelicone},
    {SourceFormat::kLangfuse, "langfuse", "Langfuse observations", Grain::kRequest, true, 1.0, false, true, kLangfuse},
};

bool Has(std::span<const std::string> names, std::string_view wanted) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n == wanted; });
}

bool HasPrefix(std::span<const std::string> names, std::string_view prefix) {
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.starts_with(prefix); });
}

}  // namespace

const SourceSpec& Spec(SourceFormat source) {
    for (const SourceSpec& s : kSources) {
        if (s.id == source) return s;
    }
    return kSources[0];
}

std::span<const SourceSpec> AllSources() { return kSources; }

std::string_view FormatName(Format format) {
    switch (format) {
        case Format::kCsv:
            return "csv";
        case Format::kJsonl:
            return "jsonl";
        case Format::kJson:
            return "json";
    }
    return "csv";
}

std::string_view SourceName(SourceFormat source) { return Spec(source).name; }

std::optional<Format> FormatFromString(std::string_view text) {
    std::string lower;
    for (char c : Trim(text)) lower.push_back(LowerAscii(c));
    if (auto semi = lower.find(';'); semi != std::string::npos) lower.resize(semi);
    while (!lower.empty() && lower.back() == ' ') lower.pop_back();
    if (lower == "csv" || lower == "text/csv" || lower == "application/csv") return Format::kCsv;
    if (lower == "jsonl" || lower == "ndjson" || lower == "application/x-ndjson" || lower == "application/jsonl" ||
        lower == "application/json-lines" || lower == "application/x-jsonlines" || lower == "application/ndjson") {
        return Format::kJsonl;
    }
    if (lower == "json" || lower == "application/json") return Format::kJson;
    return std::nullopt;
}

std::optional<FormatRequest> ParseFormatRequest(std::string_view text) {
    std::string lower;
    for (char c : Trim(text)) lower.push_back(c == '-' ? '_' : LowerAscii(c));
    FormatRequest out;
    std::string_view rest = lower;
    if (auto dot = rest.rfind('.'); dot != std::string_view::npos) {
        auto syntax = FormatFromString(rest.substr(dot + 1));
        if (!syntax) return std::nullopt;
        out.syntax = syntax;
        rest = rest.substr(0, dot);
    }
    if (auto syntax = FormatFromString(rest); syntax && !out.syntax) {
        out.syntax = syntax;
        return out;
    }
    for (const SourceSpec& s : kSources) {
        if (s.name == rest) {
            out.source = s.id;
            return out;
        }
    }
    return std::nullopt;
}

std::string NormalizeFieldName(std::string_view name) {
    name = Trim(name);
    std::string out(name.size(), '\0');
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = LowerAscii(name[i]);
        out[i] = c == ' ' || c == '-' ? '_' : c;
    }
    return out;
}

std::optional<SourceFormat> DetectSource(std::span<const std::string> names) {
    if (HasPrefix(names, "resourcespans")) return SourceFormat::kOtel;
    if (Has(names, "num_model_requests") || (Has(names, "input_cached_tokens") && Has(names, "start_time"))) {
        return SourceFormat::kOpenAiUsage;
    }
    if ((Has(names, "amount_value") || Has(names, "amount.value")) && Has(names, "line_item")) {
        return SourceFormat::kOpenAiCosts;
    }
    if (Has(names, "usage_input_tokens_no_cache") || Has(names, "uncached_input_tokens")) {
        return SourceFormat::kAnthropicUsage;
    }
    if (Has(names, "amount") && Has(names, "currency") && (Has(names, "cost_type") || Has(names, "token_type"))) {
        return SourceFormat::kAnthropicCosts;
    }
    if (Has(names, "response_cost") && (Has(names, "starttime") || Has(names, "completionstarttime"))) {
        return SourceFormat::kLiteLlmPayload;
    }
    if (Has(names, "spend") && (Has(names, "request_id") || Has(names, "call_type")) && Has(names, "starttime")) {
        return SourceFormat::kLiteLlmSpendLogs;
    }
    if (Has(names, "request_created_at") || Has(names, "costusd") || Has(names, "prompt_cache_read_tokens") ||
        (Has(names, "response_status") && Has(names, "delay_ms"))) {
        return SourceFormat::kHelicone;
    }
    if (HasPrefix(names, "usagedetails") || HasPrefix(names, "costdetails") ||
        (Has(names, "starttime") && Has(names, "traceid") && Has(names, "type"))) {
        return SourceFormat::kLangfuse;
    }
    return std::nullopt;
}

UsageColumn ColumnFor(SourceFormat source, std::string_view name) {
    const std::string key = NormalizeFieldName(name);
    if (key.empty() || key.size() > 128) return kIgnored;
    if (source != SourceFormat::kNetra) {
        for (const ColumnAlias& a : Spec(source).aliases) {
            if (a.name == key) return a.column;
        }
        return kIgnored;  // an export's other fields mean something else there; Netra's aliases do not apply
    }
    std::string flat = key;
    std::replace(flat.begin(), flat.end(), '.', '_');
    for (const ColumnAlias& a : kNetra) {
        if (a.name == flat) return a.column;
    }
    return kIgnored;
}

std::string_view ColumnName(UsageColumn column) {
    for (const ColumnAlias& a : kNetra) {
        if (a.column == column) return a.name;  // the first alias of each column is its canonical name
    }
    switch (column) {
        case kEndTime:
            return "end_time";
        case kLatencySeconds:
            return "latency_s";
        case kServiceTier:
            return "service_tier";
        case kContextWindow:
            return "context_window";
        case kCurrency:
            return "currency";
        case kLineItem:
            return "line_item";
        case kErrorType:
            return "error_type";
        case kSpanStatus:
            return "span_status";
        case kCacheHit:
            return "cache_hit";
        default:
            return "";
    }
}

}  // namespace netra::analysis

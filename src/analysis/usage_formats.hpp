#pragma once
// The usage exports Netra reads (§9, issue 8): a file's syntax (CSV, JSONL or one JSON document) and its source —
// Netra's own columns or a provider's or tool's export — each with the names its fields go by, the token
// convention it counts in and whether a row is one call or a time bucket of many. Detected from the header or the
// keys; forced with ?format= / --format.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace netra::analysis {

enum class Format { kCsv, kJsonl, kJson };

enum class SourceFormat {
    kNetra,             // Netra's usage-log columns (SPEC §9) and their aliases
    kOpenAiUsage,       // OpenAI dashboard usage CSV / Usage API completions buckets (JSON)
    kOpenAiCosts,       // OpenAI cost export CSV / Costs API buckets (JSON)
    kAnthropicUsage,    // Anthropic console usage CSV / Admin API usage report (JSON)
    kAnthropicCosts,    // Anthropic Admin API cost report (JSON)
    kLiteLlmSpendLogs,  // LiteLLM LiteLLM_SpendLogs rows (CSV or JSONL)
    kLiteLlmPayload,    // LiteLLM StandardLoggingPayload logs (JSONL)
    kOtel,              // OpenTelemetry GenAI spans, OTLP JSON
    kHelicone,          // Helicone request exports (JSON, JSONL or CSV)
    kLangfuse,          // Langfuse observations (JSON or JSONL)
};

enum class Grain { kRequest, kAggregate };

// The canonical fields a source's names map onto.
enum UsageColumn : int {
    kTimestamp,
    kModel,
    kInputTokens,  // all input, cache reads and writes included
    kOutputTokens,
    kProvider,
    kCachedTokens,  // cache reads
    kLatencyMs,
    kCostUsd,
    kPromptHash,
    kPrefixHash,
    kFeature,
    kBatchable,
    kStatus,
    // Beyond Netra's own columns: what the exports carry.
    kUncachedInput,  // input without cache reads or writes (Anthropic's convention)
    kCacheWrite5m,
    kCacheWrite1h,
    kCacheWrite,  // writes without a stated lifetime: counted as 5-minute writes
    kReasoningTokens,
    kRequestCount,
    kEndTime,
    kLatencySeconds,
    kUser,
    kEndUser,
    kTeam,
    kApiKey,
    kProject,
    kTags,
    kBatched,        // made through the batch API (TRUE/FALSE)
    kServiceTier,    // "batch" means batched
    kContextWindow,  // Anthropic's billed context tier ("0-200k", "200k-1M")
    kCurrency,
    kLineItem,    // a cost line ("gpt-4o-2024-08-06, input"): names the model when no model field does
    kErrorType,   // present = the call failed
    kSpanStatus,  // OTLP status code: 2 = error
    kCacheHit,    // LiteLLM: served from the proxy's own cache
    kColumnCount,
    kIgnored = -1,
};

struct ColumnAlias {
    std::string_view name;  // lower-case; '.' separates nested keys (JSON objects, or JSON held in a CSV cell)
    UsageColumn column;
};

struct SourceSpec {
    SourceFormat id;
    std::string_view name;   // "openai_usage"
    std::string_view title;  // "OpenAI usage export"
    Grain grain;
    bool input_excludes_cache;  // its input count leaves cache reads and writes out (Anthropic)
    double cost_scale;          // file cost × scale = USD (Anthropic's cost report is in cents)
    bool cost_only;             // rows are bill lines without tokens (cost exports)
    bool skips_non_llm;         // records without a model and tokens are other spans, not bad rows (traces)
    std::span<const ColumnAlias> aliases;
};

const SourceSpec& Spec(SourceFormat source);
std::span<const SourceSpec> AllSources();
std::string_view FormatName(Format format);
std::string_view SourceName(SourceFormat source);

// What a caller asked for: ?format= / --format takes a syntax ("csv", "jsonl", "json"), a source
// ("anthropic_usage"), or both as "source.syntax" ("litellm_spend_logs.csv"); media types name a syntax.
struct FormatRequest {
    std::optional<Format> syntax;
    std::optional<SourceFormat> source;
};
std::optional<FormatRequest> ParseFormatRequest(std::string_view text);
std::optional<Format> FormatFromString(std::string_view text);  // syntax names and media types only

// A field name as the alias tables spell it: lower-case, spaces and dashes as '_'.
std::string NormalizeFieldName(std::string_view name);

// The source whose distinctive fields appear among `names` (CSV header cells, or a JSON record's keys with nested
// keys dotted); nullopt when none does (then the file is read as Netra's own columns).
std::optional<SourceFormat> DetectSource(std::span<const std::string> names);

// The column `name` maps to for a source: the source's own names first, then Netra's aliases (which keep
// `name`'s dots as underscores). kIgnored when neither knows it.
UsageColumn ColumnFor(SourceFormat source, std::string_view name);
std::string_view ColumnName(UsageColumn column);

// The analyses that need one row per call; aggregate-grade exports cannot support them (named in data gaps).
inline constexpr std::string_view kPerRequestAnalyses =
    "response caching by prompt hash, shared prompt prefixes and latency percentiles need one row per call";

}  // namespace netra::analysis

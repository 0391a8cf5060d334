// The provider and tool exports of usage_formats.hpp, end to end through UsageIngest: one realistic small file per
// source, fed whole and in 7-byte chunks, against a hand-written catalog so every price is computed by hand.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "analysis/ingest.hpp"
#include "analysis/ingest_test_support.hpp"

namespace netra::analysis {
namespace {

// gpt-4o: 2.5 / 10 / cached 1.25; gpt-4o-mini: 0.15 / 0.6 / cached 0.075; claude-sonnet-4: 3 / 15 / read 0.3 /
// write 5 min 3.75 / write 1 h 6; claude-3-5-haiku: 0.8 / 4 / read 0.08 / write 1. All halve with the batch API.
const Catalog& TestCatalog() {
    static const Catalog kCatalog = LoadCatalog(R"({"as_of":"2025-01-01","models":[
        {"provider":"openai","model":"gpt-4o","input_per_mtok":2.5,"output_per_mtok":10,
         "cached_input_per_mtok":1.25,"batch_discount":0.5,"context_window":128000,"tier":"frontier"},
        {"provider":"openai","model":"gpt-4o-mini","input_per_mtok":0.15,"output_per_mtok":0.6,
         "cached_input_per_mtok":0.075,"batch_discount":0.5,"context_window":128000,"tier":"small"},
        {"provider":"anthropic","model":"claude-sonnet-4","input_per_mtok":3,"output_per_mtok":15,
         "cached_input_per_mtok":0.3,"cache_write_per_mtok":3.75,"cache_write_1h_per_mtok":6,
         "batch_discount":0.5,"context_window":200000,"tier":"frontier"},
        {"provider":"anthropic","model":"claude-3-5-haiku","input_per_mtok":0.8,"output_per_mtok":4,
         "cached_input_per_mtok":0.08,"cache_write_per_mtok":1,"batch_discount":0.5,"context_window":200000,
         "tier":"small"}]})")
                                        .value();
    return kCatalog;
}

// Version 2, for the long-context tier (version 1 has no tiered prices): above 200k prompt tokens claude-sonnet-4
// costs 6 / 22.5 / read 0.6.
const Catalog& TieredCatalog() {
    static const Catalog kCatalog = LoadCatalog(R"({"version":2,"as_of":"2025-01-01","models":[
        {"provider":"anthropic","model":"claude-sonnet-4","tier":"frontier","batch_discount":0.5,
         "prices":{"input_mtok":{"base":3,"tiers":[{"start":200000,"price":6}]},
                   "output_mtok":{"base":15,"tiers":[{"start":200000,"price":22.5}]},
                   "cache_read_mtok":{"base":0.3,"tiers":[{"start":200000,"price":0.6}]}}}]})")
                                        .value();
    return kCatalog;
}

using ingest_testing::ExpectSameRecord;
using ingest_testing::Ingested;
using ingest_testing::kLiteLlmSpendCsv;
using ingest_testing::kLiteLlmSpendJsonl;

Ingested IngestText(FormatRequest format, std::string_view text, std::size_t chunk = 0,
                    const Catalog& catalog = TestCatalog()) {
    return ingest_testing::Ingest(format, text, chunk, catalog);
}

void ExpectSameResult(const Ingested& a, const Ingested& b) {
    ASSERT_EQ(a.status.ok(), b.status.ok());
    EXPECT_EQ(a.summary.syntax, b.summary.syntax);
    EXPECT_EQ(a.summary.source, b.summary.source);
    EXPECT_EQ(a.summary.grain, b.summary.grain);
    EXPECT_EQ(a.summary.rows, b.summary.rows);
    EXPECT_EQ(a.summary.skipped_records, b.summary.skipped_records);
    EXPECT_EQ(a.summary.rejected_rows, b.summary.rejected_rows);
    EXPECT_EQ(a.summary.columns, b.summary.columns);
    EXPECT_EQ(a.summary.warnings, b.summary.warnings);
    ASSERT_EQ(a.summary.errors.size(), b.summary.errors.size());
    for (std::size_t i = 0; i < a.summary.errors.size(); ++i) {
        EXPECT_EQ(a.summary.errors[i].line, b.summary.errors[i].line);
        EXPECT_EQ(a.summary.errors[i].message, b.summary.errors[i].message);
    }
    ASSERT_EQ(a.records.size(), b.records.size());
    for (std::size_t i = 0; i < a.records.size(); ++i) ExpectSameRecord(a.records[i], b.records[i], i);
}

// The file fed whole, and again in 7-byte chunks: the results must be identical.
Ingested IngestWholeAndChunked(FormatRequest format, std::string_view text, const Catalog& catalog = TestCatalog()) {
    Ingested whole = IngestText(format, text, 0, catalog);
    Ingested chunked = IngestText(format, text, 7, catalog);
    {
        SCOPED_TRACE("7-byte chunks");
        ExpectSameResult(whole, chunked);
    }
    return whole;
}

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

constexpr core::Millis kJune1 = 1'748'736'000'000;  // 2025-06-01T00:00:00Z
constexpr core::Millis kDay = 86'400'000;

// ---- OpenAI ----

const std::string kOpenAiUsageCsv = std::string(ingest_testing::kOpenAiUsageHeader) + ingest_testing::kOpenAiUsageRows;

TEST(IngestFormats, OpenAiUsageCsv) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kOpenAiUsageCsv);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kCsv);
    EXPECT_EQ(r.summary.source, SourceFormat::kOpenAiUsage);
    EXPECT_EQ(r.summary.grain, Grain::kAggregate);
    EXPECT_EQ(r.summary.rows, 3);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 4);
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "cached_tokens exceeds input_tokens"))
        << r.summary.errors[0].message;
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "'500.0'")) << r.summary.errors[0].message;
    ASSERT_EQ(r.records.size(), 3u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1);
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.input_tokens, 120000);
    EXPECT_EQ(a.cached_tokens, 20000);
    EXPECT_EQ(a.cache_write_5m_tokens, 0);
    EXPECT_EQ(a.cache_write_1h_tokens, 0);
    EXPECT_EQ(a.output_tokens, 30000);
    EXPECT_EQ(a.request_count, 120);
    EXPECT_FALSE(a.batched);
    EXPECT_FALSE(a.long_context);
    EXPECT_FALSE(a.latency_ms.has_value());  // a day's bucket has no latency
    EXPECT_FALSE(a.cost_from_file);
    ASSERT_TRUE(a.cost_usd && a.list_cost_usd);
    EXPECT_DOUBLE_EQ(*a.list_cost_usd, (100000 * 2.5 + 20000 * 1.25 + 30000 * 10.0) / 1e6);
    EXPECT_EQ(a.cost_usd, a.list_cost_usd);
    EXPECT_EQ(a.user, "user-alice");
    EXPECT_EQ(a.api_key, "key_123");
    EXPECT_EQ(a.project, "proj_abc");
    EXPECT_TRUE(a.success);

    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "gpt-4o-mini");
    EXPECT_TRUE(b.batched);
    EXPECT_EQ(b.request_count, 40);
    EXPECT_EQ(b.user, "");
    EXPECT_EQ(b.api_key, "key_456");
    EXPECT_DOUBLE_EQ(*b.cost_usd, (50000 * 0.15 + 10000 * 0.6) / 1e6 * 0.5);

    const auto& c = r.records[2];
    EXPECT_EQ(c.ts, kJune1 + kDay);
    EXPECT_EQ(c.model, "ft:gpt-4o-mini:acme::abc123");  // unknown: kept as written, unpriced
    EXPECT_EQ(c.provider, "");
    EXPECT_FALSE(c.cost_usd.has_value());
    EXPECT_FALSE(c.list_cost_usd.has_value());
    EXPECT_EQ(c.request_count, 5);
    ASSERT_EQ(r.summary.warnings.size(), 1u);
    EXPECT_TRUE(Contains(r.summary.warnings[0], "unknown model 'ft:gpt-4o-mini:acme::abc123' (1 rows"))
        << r.summary.warnings[0];
    EXPECT_TRUE(Contains(r.summary.warnings[0], "left unpriced")) << r.summary.warnings[0];
}

// A Usage API page, pretty-printed as the API returns it: an empty bucket, then a bucket whose second result has
// more cached than input tokens (its `{` is on line 30).
const char kOpenAiUsageJson[] = R"({
  "object": "page",
  "data": [
    {
      "object": "bucket",
      "start_time": 1748736000,
      "end_time": 1748822400,
      "results": []
    },
    {
      "object": "bucket",
      "start_time": 1748822400,
      "end_time": 1748908800,
      "results": [
        {
          "object": "organization.usage.completions.result",
          "input_tokens": 5000,
          "output_tokens": 800,
          "input_cached_tokens": 4000,
          "input_audio_tokens": 0,
          "output_audio_tokens": 0,
          "num_model_requests": 12,
          "project_id": "proj_abc",
          "user_id": null,
          "api_key_id": "key_123",
          "model": "gpt-4o-2024-08-06",
          "batch": false,
          "service_tier": "default"
        },
        {
          "object": "organization.usage.completions.result",
          "input_tokens": 100,
          "output_tokens": 10,
          "input_cached_tokens": 200,
          "num_model_requests": 1,
          "project_id": "proj_abc",
          "user_id": "user-bob",
          "api_key_id": "key_123",
          "model": "gpt-4o",
          "batch": false,
          "service_tier": "default"
        },
        {
          "object": "organization.usage.completions.result",
          "input_tokens": 50000,
          "output_tokens": 10000,
          "input_cached_tokens": 0,
          "num_model_requests": 40,
          "project_id": "proj_xyz",
          "user_id": "user-alice",
          "api_key_id": "key_456",
          "model": "gpt-4o-mini-2024-07-18",
          "batch": true,
          "service_tier": "batch"
        }
      ]
    }
  ],
  "has_more": false,
  "next_page": null
}
)";

TEST(IngestFormats, OpenAiUsageApiJson) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kOpenAiUsageJson);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJson);
    EXPECT_EQ(r.summary.source, SourceFormat::kOpenAiUsage);
    EXPECT_EQ(r.summary.grain, Grain::kAggregate);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.skipped_records, 0);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 30);
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "line 30: cached_tokens exceeds input_tokens"))
        << r.summary.errors[0].message;
    ASSERT_EQ(r.records.size(), 2u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1 + kDay);  // the bucket's start_time
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.input_tokens, 5000);
    EXPECT_EQ(a.cached_tokens, 4000);
    EXPECT_EQ(a.output_tokens, 800);
    EXPECT_EQ(a.request_count, 12);
    EXPECT_FALSE(a.batched);
    EXPECT_FALSE(a.latency_ms.has_value());
    EXPECT_DOUBLE_EQ(*a.cost_usd, (1000 * 2.5 + 4000 * 1.25 + 800 * 10.0) / 1e6);
    EXPECT_FALSE(a.cost_from_file);
    EXPECT_EQ(a.user, "");  // null
    EXPECT_EQ(a.api_key, "key_123");
    EXPECT_EQ(a.project, "proj_abc");

    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "gpt-4o-mini");
    EXPECT_TRUE(b.batched);
    EXPECT_EQ(b.request_count, 40);
    EXPECT_EQ(b.user, "user-alice");
    EXPECT_DOUBLE_EQ(*b.cost_usd, (50000 * 0.15 + 10000 * 0.6) / 1e6 * 0.5);
}

const char kOpenAiCostsCsv[] =
    "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,project_name,"
    "organization_id\n"
    "1748736000,1748822400,2025-06-01T00:00:00+00:00,2025-06-02T00:00:00+00:00,0.25,usd,\"gpt-4o-2024-08-06, "
    "input\",proj_abc,Search,org_1\n"
    "1748736000,1748822400,2025-06-01T00:00:00+00:00,2025-06-02T00:00:00+00:00,0.30000000000000004,usd,"
    "\"gpt-4o-2024-08-06, output\",proj_abc,Search,org_1\n"
    "1748736000,1748822400,2025-06-01T00:00:00+00:00,2025-06-02T00:00:00+00:00,1.5,eur,\"gpt-4o, input\",proj_abc,"
    "Search,org_1\n"
    "1748822400,1748908800,2025-06-02T00:00:00+00:00,2025-06-03T00:00:00+00:00,0.01,usd,"
    "\"gpt-4o-mini-2024-07-18, cached input\",proj_xyz,Chat,org_1\n";

void ExpectOpenAiCostLine(const domain::UsageRecord& r, std::string_view model, double amount,
                          std::string_view project) {
    EXPECT_EQ(r.model, model);
    EXPECT_EQ(r.provider, "openai");
    EXPECT_TRUE(r.cost_from_file);
    ASSERT_TRUE(r.cost_usd);
    EXPECT_DOUBLE_EQ(*r.cost_usd, amount);
    EXPECT_EQ(r.input_tokens, 0);  // a bill line: no tokens
    EXPECT_EQ(r.output_tokens, 0);
    EXPECT_EQ(r.request_count, 0);  // an aggregate row that does not count its calls
    EXPECT_EQ(r.project, project);
    EXPECT_FALSE(r.latency_ms.has_value());
}

TEST(IngestFormats, OpenAiCostsCsv) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kOpenAiCostsCsv);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kCsv);
    EXPECT_EQ(r.summary.source, SourceFormat::kOpenAiCosts);
    EXPECT_EQ(r.summary.grain, Grain::kAggregate);
    EXPECT_EQ(r.summary.rows, 3);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 4);
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "costs must be in USD, got 'eur'"))
        << r.summary.errors[0].message;
    ASSERT_EQ(r.records.size(), 3u);
    ExpectOpenAiCostLine(r.records[0], "gpt-4o", 0.25, "proj_abc");
    EXPECT_EQ(r.records[0].ts, kJune1);
    ExpectOpenAiCostLine(r.records[1], "gpt-4o", 0.30000000000000004, "proj_abc");
    ExpectOpenAiCostLine(r.records[2], "gpt-4o-mini", 0.01, "proj_xyz");
    EXPECT_EQ(r.records[2].ts, kJune1 + kDay);
    EXPECT_TRUE(r.summary.warnings.empty());
}

// The Costs API page on one line, as `curl` saves it (no final newline).
const char kOpenAiCostsJson[] =
    R"({"object":"page","data":[{"object":"bucket","start_time":1748736000,"end_time":1748822400,"results":[)"
    R"({"object":"organization.costs.result","amount":{"value":0.25,"currency":"usd"},)"
    R"("line_item":"gpt-4o-2024-08-06, input","project_id":"proj_abc"},)"
    R"({"object":"organization.costs.result","amount":{"value":0.06,"currency":"usd"},)"
    R"("line_item":"gpt-4o-mini-2024-07-18, output","project_id":null}]},)"
    R"({"object":"bucket","start_time":1748822400,"end_time":1748908800,"results":[]}],)"
    R"("has_more":false,"next_page":null})";

TEST(IngestFormats, OpenAiCostsJson) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kOpenAiCostsJson);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJson);
    EXPECT_EQ(r.summary.source, SourceFormat::kOpenAiCosts);
    EXPECT_EQ(r.summary.grain, Grain::kAggregate);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.rejected_rows, 0);
    ASSERT_EQ(r.records.size(), 2u);
    ExpectOpenAiCostLine(r.records[0], "gpt-4o", 0.25, "proj_abc");
    EXPECT_EQ(r.records[0].ts, kJune1);
    ExpectOpenAiCostLine(r.records[1], "gpt-4o-mini", 0.06, "");
}

// ---- Anthropic ----

const char kAnthropicConsoleCsv[] =
    "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,"
    "usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,"
    "usage_output_tokens,web_search_count,inference_geo,speed\r\n"
    "2025-06-01,claude-sonnet-4-20250514,prod-key,Default,standard,\xE2\x89\xA4 200k,1000,2000,500,10000,3000,0,us,"
    "standard\r\n"
    "2025-06-01,claude-sonnet-4-20250514,prod-key,Default,standard,> 200k,250000,0,0,0,1000,0,us,standard\r\n"
    "2025-06-02,claude-3-5-haiku-20241022,batch-key,Research,batch,\xE2\x89\xA4 200k,4000,0,0,0,2000,0,global,"
    "standard\r\n"
    "2025-06-02,claude-sonnet-4-20250514,prod-key,Default,standard,\xE2\x89\xA4 200k,n/a,0,0,0,10,0,us,standard\r\n";

void ExpectAnthropicConsole(const Ingested& r) {
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kCsv);
    EXPECT_EQ(r.summary.source, SourceFormat::kAnthropicUsage);
    EXPECT_EQ(r.summary.grain, Grain::kAggregate);
    EXPECT_EQ(r.summary.rows, 3);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 5);
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "uncached input tokens must be a non-negative integer"))
        << r.summary.errors[0].message;
    ASSERT_EQ(r.records.size(), 3u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1);
    EXPECT_EQ(a.model, "claude-sonnet-4");
    EXPECT_EQ(a.provider, "anthropic");
    // The console counts input without the cache: input = uncached + reads + writes.
    EXPECT_EQ(a.input_tokens, 1000 + 10000 + 2000 + 500);
    EXPECT_EQ(a.cached_tokens, 10000);
    EXPECT_EQ(a.cache_write_5m_tokens, 2000);
    EXPECT_EQ(a.cache_write_1h_tokens, 500);
    EXPECT_EQ(a.output_tokens, 3000);
    EXPECT_EQ(a.request_count, 0);  // the console does not count calls
    EXPECT_FALSE(a.long_context);
    EXPECT_FALSE(a.batched);
    EXPECT_FALSE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, (1000 * 3.0 + 10000 * 0.3 + 2000 * 3.75 + 500 * 6.0 + 3000 * 15.0) / 1e6);
    EXPECT_EQ(a.api_key, "prod-key");
    EXPECT_EQ(a.team, "Default");
    EXPECT_FALSE(a.latency_ms.has_value());

    const auto& b = r.records[1];
    EXPECT_TRUE(b.long_context);  // "> 200k"
    EXPECT_EQ(b.input_tokens, 250000);
    EXPECT_DOUBLE_EQ(*b.cost_usd, (250000 * 3.0 + 1000 * 15.0) / 1e6);  // version 1: no long-context price

    const auto& c = r.records[2];
    EXPECT_EQ(c.ts, kJune1 + kDay);
    EXPECT_EQ(c.model, "claude-3-5-haiku");
    EXPECT_TRUE(c.batched);  // usage_type batch
    EXPECT_FALSE(c.long_context);
    EXPECT_EQ(c.team, "Research");
    EXPECT_DOUBLE_EQ(*c.cost_usd, (4000 * 0.8 + 2000 * 4.0) / 1e6 * 0.5);
}

TEST(IngestFormats, AnthropicConsoleCsv) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kAnthropicConsoleCsv);
    ExpectAnthropicConsole(r);
    // Forced instead of detected: the same result.
    auto forced =
        IngestWholeAndChunked(FormatRequest{std::nullopt, SourceFormat::kAnthropicUsage}, kAnthropicConsoleCsv);
    ExpectAnthropicConsole(forced);
    ExpectSameResult(r, forced);
}

// The long-context tier: "> 200k" prices the first tier; "≤ 200k" is the standard tier whatever the bucket's total.
TEST(IngestFormats, AnthropicContextWindowPricesTheStatedTier) {
    const char csv[] =
        "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,"
        "usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,"
        "usage_output_tokens,web_search_count,inference_geo,speed\n"
        "2025-06-01,claude-sonnet-4-20250514,k,Default,standard,> 200k,250000,0,0,10000,1000,0,us,standard\n"
        "2025-06-01,claude-sonnet-4-20250514,k,Default,standard,\xE2\x89\xA4 200k,900000,0,0,0,1000,0,us,standard\n";
    auto r = IngestWholeAndChunked(FormatRequest{}, csv, TieredCatalog());
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    ASSERT_EQ(r.records.size(), 2u);
    EXPECT_TRUE(r.records[0].long_context);
    EXPECT_DOUBLE_EQ(*r.records[0].cost_usd, (250000 * 6.0 + 10000 * 0.6 + 1000 * 22.5) / 1e6);
    // A day's standard-tier calls: 900k input tokens over calls of at most 200k each, at the base price.
    EXPECT_FALSE(r.records[1].long_context);
    EXPECT_DOUBLE_EQ(*r.records[1].cost_usd, (900000 * 3.0 + 1000 * 15.0) / 1e6);
}

const char kAnthropicUsageJson[] = R"({
  "data": [
    {
      "starting_at": "2025-06-01T00:00:00Z",
      "ending_at": "2025-06-02T00:00:00Z",
      "results": [
        {
          "uncached_input_tokens": 1500,
          "cache_creation": {
            "ephemeral_1h_input_tokens": 1000,
            "ephemeral_5m_input_tokens": 500
          },
          "cache_read_input_tokens": 200,
          "output_tokens": 500,
          "server_tool_use": {
            "web_search_requests": 0
          },
          "api_key_id": "apikey_01",
          "workspace_id": "wrkspc_01",
          "model": "claude-sonnet-4-20250514",
          "service_tier": "standard",
          "context_window": "0-200k"
        },
        {
          "uncached_input_tokens": 1000,
          "cache_creation": {
            "ephemeral_1h_input_tokens": 0,
            "ephemeral_5m_input_tokens": 0
          },
          "cache_read_input_tokens": 0,
          "server_tool_use": null,
          "api_key_id": null,
          "workspace_id": null,
          "model": "claude-3-5-haiku-20241022",
          "service_tier": "batch",
          "context_window": "0-200k"
        },
        {
          "uncached_input_tokens": 300000,
          "cache_creation": {
            "ephemeral_1h_input_tokens": 0,
            "ephemeral_5m_input_tokens": 0
          },
          "cache_read_input_tokens": 0,
          "output_tokens": 100,
          "api_key_id": "apikey_01",
          "workspace_id": "wrkspc_01",
          "model": "claude-3-5-haiku-20241022",
          "service_tier": "batch",
          "context_window": "200k-1M"
        }
      ]
    }
  ],
  "has_more": false,
  "next_page": null
})";

TEST(IngestFormats, AnthropicAdminUsageJson) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kAnthropicUsageJson);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJson);
    EXPECT_EQ(r.summary.source, SourceFormat::kAnthropicUsage);
    EXPECT_EQ(r.summary.grain, Grain::kAggregate);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 24);  // the second result has no output_tokens
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "without output tokens")) << r.summary.errors[0].message;
    ASSERT_EQ(r.records.size(), 2u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1);
    EXPECT_EQ(a.model, "claude-sonnet-4");
    EXPECT_EQ(a.input_tokens, 1500 + 200 + 500 + 1000);
    EXPECT_EQ(a.cached_tokens, 200);
    EXPECT_EQ(a.cache_write_5m_tokens, 500);
    EXPECT_EQ(a.cache_write_1h_tokens, 1000);
    EXPECT_EQ(a.output_tokens, 500);
    EXPECT_EQ(a.request_count, 0);
    EXPECT_FALSE(a.long_context);
    EXPECT_FALSE(a.batched);
    EXPECT_DOUBLE_EQ(*a.cost_usd, (1500 * 3.0 + 200 * 0.3 + 500 * 3.75 + 1000 * 6.0 + 500 * 15.0) / 1e6);
    EXPECT_EQ(a.api_key, "apikey_01");
    EXPECT_EQ(a.team, "wrkspc_01");

    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "claude-3-5-haiku");
    EXPECT_EQ(b.input_tokens, 300000);
    EXPECT_TRUE(b.long_context);
    EXPECT_TRUE(b.batched);
    EXPECT_DOUBLE_EQ(*b.cost_usd, (300000 * 0.8 + 100 * 4.0) / 1e6 * 0.5);
}

const char kAnthropicCostJson[] = R"({
  "data": [
    {
      "starting_at": "2025-06-01T00:00:00Z",
      "ending_at": "2025-06-02T00:00:00Z",
      "results": [
        {"currency": "USD", "amount": "123.45", "workspace_id": "wrkspc_01",
         "description": "Claude Sonnet 4 Usage - Input Tokens", "cost_type": "tokens", "context_window": "0-200k",
         "model": "claude-sonnet-4-20250514", "service_tier": "standard", "token_type": "uncached_input_tokens"},
        {"currency": "USD", "amount": "50", "workspace_id": null,
         "description": "Claude Sonnet 4 Usage - Output Tokens", "cost_type": "tokens",
         "context_window": "200k-1M", "model": "claude-sonnet-4-20250514", "service_tier": "batch",
         "token_type": "output_tokens"},
        {"currency": "EUR", "amount": "10", "workspace_id": null, "description": "x", "cost_type": "tokens",
         "context_window": "0-200k", "model": "claude-sonnet-4-20250514", "service_tier": "standard",
         "token_type": "output_tokens"}
      ]
    }
  ],
  "has_more": false,
  "next_page": null
})";

TEST(IngestFormats, AnthropicAdminCostJson) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kAnthropicCostJson);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJson);
    EXPECT_EQ(r.summary.source, SourceFormat::kAnthropicCosts);
    EXPECT_EQ(r.summary.grain, Grain::kAggregate);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 14);
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "costs must be in USD, got 'EUR'"))
        << r.summary.errors[0].message;
    ASSERT_EQ(r.records.size(), 2u);
    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1);
    EXPECT_EQ(a.model, "claude-sonnet-4");
    EXPECT_EQ(a.provider, "anthropic");
    EXPECT_TRUE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, 1.2345);  // cents
    EXPECT_EQ(a.team, "wrkspc_01");
    EXPECT_EQ(a.input_tokens, 0);
    EXPECT_FALSE(a.long_context);
    EXPECT_FALSE(a.batched);
    const auto& b = r.records[1];
    EXPECT_DOUBLE_EQ(*b.cost_usd, 0.5);
    EXPECT_TRUE(b.long_context);
    EXPECT_TRUE(b.batched);
    EXPECT_EQ(b.team, "");
}

// ---- LiteLLM ----

// The bad row (more cached tokens than prompt tokens) is the third record: line 4 of the CSV, line 3 of the JSONL.
void ExpectLiteLlmSpendLogs(const Ingested& r, Format syntax) {
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, syntax);
    EXPECT_EQ(r.summary.source, SourceFormat::kLiteLlmSpendLogs);
    EXPECT_EQ(r.summary.grain, Grain::kRequest);
    EXPECT_EQ(r.summary.rows, 3);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, syntax == Format::kCsv ? 4 : 3);
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "cached_tokens exceeds input_tokens"))
        << r.summary.errors[0].message;
    ASSERT_EQ(r.records.size(), 3u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1 + 10 * 3'600'000);
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.input_tokens, 1200);
    EXPECT_EQ(a.cached_tokens, 1000);
    EXPECT_EQ(a.cache_write_5m_tokens, 0);
    EXPECT_EQ(a.output_tokens, 300);
    EXPECT_EQ(a.reasoning_tokens, 100);
    EXPECT_EQ(a.request_count, 1);
    ASSERT_TRUE(a.latency_ms);
    EXPECT_DOUBLE_EQ(*a.latency_ms, 1250);
    EXPECT_TRUE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, 0.00475);
    ASSERT_TRUE(a.list_cost_usd);
    EXPECT_DOUBLE_EQ(*a.list_cost_usd, (200 * 2.5 + 1000 * 1.25 + 300 * 10.0) / 1e6);
    EXPECT_EQ(a.user, "customer-42");  // the end user wins over the key's user
    // Two names of one field: the alias table's order decides, not where the metadata cell or key sits.
    EXPECT_EQ(a.team, "team-1");       // team_id before the key's team alias
    EXPECT_EQ(a.api_key, "prod-key");  // the key's alias before its hash
    EXPECT_EQ(a.tags, "prod,search");
    EXPECT_TRUE(a.success);

    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "gpt-4o-mini");
    EXPECT_DOUBLE_EQ(*b.latency_ms, 20);
    EXPECT_DOUBLE_EQ(*b.cost_usd, 0.0);
    EXPECT_TRUE(b.cost_from_file);
    EXPECT_EQ(b.list_cost_usd, 0.0);  // answered from the proxy's cache: no provider was paid
    EXPECT_EQ(b.user, "bob");
    EXPECT_EQ(b.team, "");
    EXPECT_EQ(b.api_key, "77aa");  // no alias: the hash
    EXPECT_EQ(b.tags, "");

    const auto& c = r.records[2];
    EXPECT_FALSE(c.success);
    EXPECT_EQ(c.team, "team-2");
    EXPECT_DOUBLE_EQ(*c.latency_ms, 3000);
    EXPECT_DOUBLE_EQ(*c.list_cost_usd, (50 * 0.15 + 10 * 0.6) / 1e6);
}

TEST(IngestFormats, LiteLlmSpendLogsCsvWithJsonCells) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kLiteLlmSpendCsv);
    ExpectLiteLlmSpendLogs(r, Format::kCsv);
}

TEST(IngestFormats, LiteLlmSpendLogsJsonl) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kLiteLlmSpendJsonl);
    ExpectLiteLlmSpendLogs(r, Format::kJsonl);
    // The CSV and the JSONL of the same rows give the same records.
    auto csv = IngestText(FormatRequest{}, kLiteLlmSpendCsv);
    ASSERT_EQ(csv.records.size(), r.records.size());
    for (std::size_t i = 0; i < r.records.size(); ++i) ExpectSameRecord(csv.records[i], r.records[i], i);
}

const char kLiteLlmPayloadJsonl[] =
    R"({"id":"chatcmpl-a","trace_id":"t-1","call_type":"acompletion","stream":false,"response_cost":0.0021,)"
    R"("status":"success","custom_llm_provider":"anthropic","total_tokens":1100,"prompt_tokens":1000,)"
    R"("completion_tokens":100,"startTime":1748772000.5,"endTime":1748772001.75,"completionStartTime":1748772000.9,)"
    R"("model":"claude-3-5-haiku-20241022","model_id":"m1","model_group":"haiku","api_base":"https://api.anthropic.com",)"
    R"("metadata":{"user_api_key_hash":"hash-1","user_api_key_alias":"ci-key","user_api_key_team_id":"team-9",)"
    R"("user_api_key_user_id":"u-7","user_api_key_team_alias":"platform","user_api_key_end_user_id":null,)"
    R"("usage_object":{"prompt_tokens":1000,"completion_tokens":100,"cache_read_input_tokens":600,)"
    R"("cache_creation_input_tokens":200}},"cache_hit":false,"request_tags":["nightly"],"end_user":"",)"
    R"("messages":[{"role":"user","content":"hi"}],"response":{"id":"r"},"model_parameters":{},"hidden_params":{}})"
    "\n"
    R"({"id":"chatcmpl-b","call_type":"acompletion","response_cost":0.0001,"status":"failure",)"
    R"("custom_llm_provider":"openai","total_tokens":110,"prompt_tokens":100,"completion_tokens":10,)"
    R"("startTime":1748772060.25,"endTime":1748772062.0,"response_time":1.5,"model":"gpt-4o-mini",)"
    R"("metadata":{"user_api_key_hash":"hash-2","user_api_key_user_id":"u-8","user_api_key_end_user_id":"cust-1"},)"
    R"("cache_hit":null,"request_tags":[],"end_user":"cust-1","error_str":"rate limited"})"
    "\n";

TEST(IngestFormats, LiteLlmStandardLoggingPayloadJsonl) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kLiteLlmPayloadJsonl);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJsonl);
    EXPECT_EQ(r.summary.source, SourceFormat::kLiteLlmPayload);
    EXPECT_EQ(r.summary.grain, Grain::kRequest);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.rejected_rows, 0);
    ASSERT_EQ(r.records.size(), 2u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, 1'748'772'000'500);  // epoch seconds as a float
    EXPECT_EQ(a.model, "claude-3-5-haiku");
    EXPECT_EQ(a.provider, "anthropic");
    EXPECT_EQ(a.input_tokens, 1000);  // prompt_tokens include the cache
    EXPECT_EQ(a.cached_tokens, 600);
    EXPECT_EQ(a.cache_write_5m_tokens, 200);
    EXPECT_EQ(a.cache_write_1h_tokens, 0);
    EXPECT_EQ(a.output_tokens, 100);
    ASSERT_TRUE(a.latency_ms);
    EXPECT_DOUBLE_EQ(*a.latency_ms, 1250);  // endTime − startTime
    EXPECT_TRUE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, 0.0021);
    EXPECT_DOUBLE_EQ(*a.list_cost_usd, (200 * 0.8 + 600 * 0.08 + 200 * 1.0 + 100 * 4.0) / 1e6);
    EXPECT_EQ(a.user, "u-7");
    EXPECT_EQ(a.team, "platform");   // the team alias before the team id
    EXPECT_EQ(a.api_key, "ci-key");  // the key alias before its hash
    EXPECT_EQ(a.tags, "nightly");
    EXPECT_TRUE(a.success);

    const auto& b = r.records[1];
    EXPECT_EQ(b.ts, 1'748'772'060'250);
    EXPECT_DOUBLE_EQ(*b.latency_ms, 1500);  // response_time (seconds) wins over the timestamps
    EXPECT_EQ(b.user, "cust-1");
    EXPECT_EQ(b.api_key, "hash-2");
    EXPECT_FALSE(b.success);
    EXPECT_EQ(b.model, "gpt-4o-mini");
    EXPECT_EQ(b.tags, "");
}

// ---- OpenTelemetry ----

const char kOtlpJson[] =
    R"({"resourceSpans":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}},{"key":"deployment.environment","value":{"stringValue":"prod"}}]},
  "scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.openai","version":"0.40.0"},"spans":[
   {"traceId":"t1","spanId":"s1","name":"chat gpt-4o","kind":3,"startTimeUnixNano":"1748772000000000000","endTimeUnixNano":"1748772001250000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.system","value":{"stringValue":"openai"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.response.model","value":{"stringValue":"gpt-4o-2024-08-06"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"1200"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"300"}},{"key":"gen_ai.usage.cache_read.input_tokens","value":{"intValue":"1000"}},{"key":"user.id","value":{"stringValue":"alice"}},{"key":"enduser.id","value":{"stringValue":"customer-42"}}],"status":{}},
   {"traceId":"t1","spanId":"s2","parentSpanId":"s1","name":"GET /search","kind":3,"startTimeUnixNano":"1748772000100000000","endTimeUnixNano":"1748772000200000000","attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}},{"key":"http.response.status_code","value":{"intValue":"200"}}],"status":{}},
   {"traceId":"t2","spanId":"s3","name":"chat gpt-4o-mini","kind":3,"startTimeUnixNano":"1748772060000000000","endTimeUnixNano":"1748772090000000000","attributes":[{"key":"gen_ai.system","value":{"stringValue":"openai"}},{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"800"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"0"}},{"key":"error.type","value":{"stringValue":"timeout"}}],"status":{"code":2,"message":"timeout"}},
   {"traceId":"t3","spanId":"s4","name":"ChatCompletion","kind":1,"startTimeUnixNano":"1748772120000000000","endTimeUnixNano":"1748772120500000000","attributes":[{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},{"key":"llm.provider","value":{"stringValue":"anthropic"}},{"key":"llm.model_name","value":{"stringValue":"claude-3-5-haiku-20241022"}},{"key":"llm.token_count.prompt","value":{"intValue":"2000"}},{"key":"llm.token_count.completion","value":{"intValue":"150"}},{"key":"llm.token_count.prompt_details.cache_read","value":{"intValue":"1500"}}],"status":{"code":1}},
   {"traceId":"t4","spanId":"s5","name":"chat","startTimeUnixNano":"1748772180000000000","endTimeUnixNano":"1748772181000000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"5"}}]}
  ]}]}]}
)";

TEST(IngestFormats, OtlpJsonGenAiSpans) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kOtlpJson);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJson);
    EXPECT_EQ(r.summary.source, SourceFormat::kOtel);
    EXPECT_EQ(r.summary.grain, Grain::kRequest);
    EXPECT_EQ(r.summary.rows, 3);
    EXPECT_EQ(r.summary.skipped_records, 1);  // the HTTP span: not an error
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 8);
    EXPECT_TRUE(Contains(r.summary.errors[0].message, "without input tokens")) << r.summary.errors[0].message;
    ASSERT_FALSE(r.summary.warnings.empty());
    EXPECT_TRUE(Contains(r.summary.warnings[0], "1 record(s) without a model or token counts skipped"));
    ASSERT_EQ(r.records.size(), 3u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, 1'748'772'000'000);
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.input_tokens, 1200);
    EXPECT_EQ(a.cached_tokens, 1000);
    EXPECT_EQ(a.output_tokens, 300);
    ASSERT_TRUE(a.latency_ms);
    EXPECT_DOUBLE_EQ(*a.latency_ms, 1250);  // nanoseconds read as integers, exactly
    EXPECT_FALSE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, (200 * 2.5 + 1000 * 1.25 + 300 * 10.0) / 1e6);
    EXPECT_EQ(a.user, "customer-42");     // enduser.id wins over user.id
    EXPECT_EQ(a.feature, "support-bot");  // the resource's service.name
    EXPECT_TRUE(a.success);

    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "gpt-4o-mini");
    EXPECT_FALSE(b.success);  // error.type and status code 2
    EXPECT_DOUBLE_EQ(*b.latency_ms, 30000);
    EXPECT_EQ(b.output_tokens, 0);
    EXPECT_DOUBLE_EQ(*b.cost_usd, 800 * 0.15 / 1e6);
    EXPECT_EQ(b.feature, "support-bot");

    const auto& c = r.records[2];  // OpenInference names
    EXPECT_EQ(c.model, "claude-3-5-haiku");
    EXPECT_EQ(c.provider, "anthropic");
    EXPECT_EQ(c.input_tokens, 2000);
    EXPECT_EQ(c.cached_tokens, 1500);
    EXPECT_EQ(c.output_tokens, 150);
    EXPECT_DOUBLE_EQ(*c.latency_ms, 500);
    EXPECT_DOUBLE_EQ(*c.cost_usd, (500 * 0.8 + 1500 * 0.08 + 150 * 4.0) / 1e6);
    EXPECT_TRUE(c.success);
}

// The Collector's file exporter: one OTLP export per line.
TEST(IngestFormats, OtlpJsonLinesFromTheCollectorsFileExporter) {
    const std::string line1 = ingest_testing::kOtlpLine1, line2 = ingest_testing::kOtlpLine2;
    auto r = IngestWholeAndChunked(FormatRequest{}, line1 + "\n" + line2 + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJsonl);
    EXPECT_EQ(r.summary.source, SourceFormat::kOtel);
    EXPECT_EQ(r.summary.rows, 1);
    EXPECT_EQ(r.summary.skipped_records, 1);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 2);
    ASSERT_EQ(r.records.size(), 1u);
    EXPECT_EQ(r.records[0].feature, "bot");
    EXPECT_DOUBLE_EQ(*r.records[0].latency_ms, 400);
    EXPECT_DOUBLE_EQ(*r.records[0].cost_usd, (100 * 2.5 + 10 * 10.0) / 1e6);
}

// ---- Helicone ----

const char kHeliconeJson[] = R"([
  {"request_id":"r1","request_created_at":"2025-06-01T10:00:00.000Z","request_path":"/v1/chat/completions",
   "request_user_id":"alice","request_properties":{"environment":"prod","feature":"search"},
   "request_model":"gpt-4o","response_status":200,"response_model":"gpt-4o-2024-08-06","delay_ms":1200,
   "total_tokens":1500,"prompt_tokens":1200,"completion_tokens":300,"prompt_cache_write_tokens":0,
   "prompt_cache_read_tokens":1000,"provider":"OPENAI","costUSD":0.00475,"model":"gpt-4o-2024-08-06"},
  {"request_id":"r2","request_created_at":"2025-06-01T10:01:00.000Z","request_path":"/v1/chat/completions",
   "request_user_id":null,"request_properties":{},"request_model":"gpt-4o-mini","response_status":429,
   "response_model":null,"delay_ms":50,"total_tokens":100,"prompt_tokens":100,"completion_tokens":0,
   "prompt_cache_write_tokens":0,"prompt_cache_read_tokens":0,"provider":"OPENAI","costUSD":0,"model":"gpt-4o-mini"}
])";

const char kHeliconeJsonl[] =
    R"({"request_id":"r1","request_created_at":"2025-06-01T10:00:00.000Z","request_path":"/v1/chat/completions",)"
    R"("request_user_id":"alice","request_properties":{"environment":"prod","feature":"search"},)"
    R"("request_model":"gpt-4o","response_status":200,"response_model":"gpt-4o-2024-08-06","delay_ms":1200,)"
    R"("total_tokens":1500,"prompt_tokens":1200,"completion_tokens":300,"prompt_cache_write_tokens":0,)"
    R"("prompt_cache_read_tokens":1000,"provider":"OPENAI","costUSD":0.00475,"model":"gpt-4o-2024-08-06"})"
    "\n"
    R"({"request_id":"r2","request_created_at":"2025-06-01T10:01:00.000Z","request_path":"/v1/chat/completions",)"
    R"("request_user_id":null,"request_properties":{},"request_model":"gpt-4o-mini","response_status":429,)"
    R"("response_model":null,"delay_ms":50,"total_tokens":100,"prompt_tokens":100,"completion_tokens":0,)"
    R"("prompt_cache_write_tokens":0,"prompt_cache_read_tokens":0,"provider":"OPENAI","costUSD":0,)"
    R"("model":"gpt-4o-mini"})"
    "\n";

const char kHeliconeCsv[] =
    "request_id,request_created_at,request_user_id,request_properties,model,provider,prompt_tokens,"
    "completion_tokens,prompt_cache_read_tokens,prompt_cache_write_tokens,costUSD,delay_ms,response_status\n"
    "r1,2025-06-01T10:00:00.000Z,alice,\"{\"\"environment\"\":\"\"prod\"\",\"\"feature\"\":\"\"search\"\"}\","
    "gpt-4o-2024-08-06,OPENAI,1200,300,1000,0,0.00475,1200,200\n"
    "r2,2025-06-01T10:01:00.000Z,,{},gpt-4o-mini,OPENAI,100,0,0,0,0,50,429\n";

void ExpectHelicone(const Ingested& r, Format syntax) {
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, syntax);
    EXPECT_EQ(r.summary.source, SourceFormat::kHelicone);
    EXPECT_EQ(r.summary.grain, Grain::kRequest);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.rejected_rows, 0);
    ASSERT_EQ(r.records.size(), 2u);
    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1 + 10 * 3'600'000);
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.input_tokens, 1200);
    EXPECT_EQ(a.cached_tokens, 1000);
    EXPECT_EQ(a.cache_write_5m_tokens, 0);
    EXPECT_EQ(a.output_tokens, 300);
    EXPECT_DOUBLE_EQ(*a.latency_ms, 1200);
    EXPECT_TRUE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, 0.00475);
    EXPECT_DOUBLE_EQ(*a.list_cost_usd, (200 * 2.5 + 1000 * 1.25 + 300 * 10.0) / 1e6);
    EXPECT_EQ(a.user, "alice");
    EXPECT_EQ(a.tags, "environment=prod,feature=search");
    EXPECT_TRUE(a.success);
    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "gpt-4o-mini");
    EXPECT_FALSE(b.success);  // 429
    EXPECT_EQ(b.user, "");
    EXPECT_EQ(b.tags, "");
    EXPECT_DOUBLE_EQ(*b.cost_usd, 0.0);
    EXPECT_DOUBLE_EQ(*b.list_cost_usd, 100 * 0.15 / 1e6);
}

TEST(IngestFormats, HeliconeJsonArray) {
    ExpectHelicone(IngestWholeAndChunked(FormatRequest{}, kHeliconeJson), Format::kJson);
}

TEST(IngestFormats, HeliconeJsonl) {
    ExpectHelicone(IngestWholeAndChunked(FormatRequest{}, kHeliconeJsonl), Format::kJsonl);
}

TEST(IngestFormats, HeliconeCsvWithPropertiesCell) {
    ExpectHelicone(IngestWholeAndChunked(FormatRequest{}, kHeliconeCsv), Format::kCsv);
}

// ---- Langfuse ----

const char kLangfuseJson[] = R"({"data":[
  {"id":"obs-1","traceId":"trace-1","type":"GENERATION","name":"answer","startTime":"2025-06-01T10:00:00.000Z",
   "endTime":"2025-06-01T10:00:02.500Z","model":"gpt-4o-2024-08-06","modelParameters":{"temperature":0},
   "usageDetails":{"input":200,"output":300,"input_cached_tokens":1000,"output_reasoning_tokens":100,"total":1600},
   "costDetails":{"input":0.0005,"output":0.003,"input_cached_tokens":0.00125,"total":0.00475},"level":"DEFAULT",
   "promptName":"qa-prompt"},
  {"id":"obs-2","traceId":"trace-1","type":"SPAN","name":"retrieve","startTime":"2025-06-01T10:00:00.000Z",
   "endTime":"2025-06-01T10:00:00.300Z","model":null,"usageDetails":{},"costDetails":{},"level":"DEFAULT"},
  {"id":"obs-3","traceId":"trace-1","type":"GENERATION","name":"classify","startTime":"2025-06-01T10:00:03.000Z",
   "endTime":"2025-06-01T10:00:03.400Z","model":"claude-3-5-haiku-20241022",
   "usageDetails":{"input":50,"output":5,"cache_read_input_tokens":0,"cache_creation_input_tokens":1000},
   "costDetails":{"total":0.00106},"level":"ERROR","statusMessage":"overloaded"}
],"meta":{"page":1,"limit":50,"totalItems":3,"totalPages":1}})";

TEST(IngestFormats, LangfuseObservations) {
    auto r = IngestWholeAndChunked(FormatRequest{}, kLangfuseJson);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJson);
    EXPECT_EQ(r.summary.source, SourceFormat::kLangfuse);
    EXPECT_EQ(r.summary.grain, Grain::kRequest);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.skipped_records, 1);  // the SPAN
    EXPECT_EQ(r.summary.rejected_rows, 0);
    ASSERT_EQ(r.records.size(), 2u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, kJune1 + 10 * 3'600'000);
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.input_tokens, 200 + 1000);  // usageDetails.input leaves the cache out
    EXPECT_EQ(a.cached_tokens, 1000);
    EXPECT_EQ(a.output_tokens, 300);
    EXPECT_EQ(a.reasoning_tokens, 100);
    EXPECT_DOUBLE_EQ(*a.latency_ms, 2500);
    EXPECT_TRUE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, 0.00475);
    EXPECT_DOUBLE_EQ(*a.list_cost_usd, (200 * 2.5 + 1000 * 1.25 + 300 * 10.0) / 1e6);
    EXPECT_EQ(a.feature, "qa-prompt");  // the prompt's name before the observation's
    EXPECT_TRUE(a.success);

    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "claude-3-5-haiku");
    EXPECT_EQ(b.input_tokens, 50 + 1000);
    EXPECT_EQ(b.cache_write_5m_tokens, 1000);  // a write without a stated lifetime counts as 5 min
    EXPECT_EQ(b.output_tokens, 5);
    EXPECT_DOUBLE_EQ(*b.list_cost_usd, (50 * 0.8 + 1000 * 1.0 + 5 * 4.0) / 1e6);
    EXPECT_FALSE(b.success);  // level ERROR
    EXPECT_DOUBLE_EQ(*b.latency_ms, 400);
    EXPECT_EQ(b.feature, "classify");
}

// ---- Detection, forcing and sniffing ----

TEST(IngestFormats, ParseFormatRequest) {
    auto both = ParseFormatRequest("litellm_spend_logs.csv");
    ASSERT_TRUE(both);
    EXPECT_EQ(both->syntax, Format::kCsv);
    EXPECT_EQ(both->source, SourceFormat::kLiteLlmSpendLogs);
    auto syntax = ParseFormatRequest("json");
    ASSERT_TRUE(syntax);
    EXPECT_EQ(syntax->syntax, Format::kJson);
    EXPECT_FALSE(syntax->source.has_value());
    auto source = ParseFormatRequest("Anthropic-Usage");
    ASSERT_TRUE(source);
    EXPECT_FALSE(source->syntax.has_value());
    EXPECT_EQ(source->source, SourceFormat::kAnthropicUsage);
    EXPECT_FALSE(ParseFormatRequest("nonsense").has_value());
    EXPECT_FALSE(ParseFormatRequest("litellm_spend_logs.xml").has_value());
    EXPECT_FALSE(ParseFormatRequest("").has_value());
}

TEST(IngestFormats, ForcedSourceAndSyntax) {
    auto request = ParseFormatRequest("litellm_spend_logs.csv");
    ASSERT_TRUE(request);
    auto r = IngestWholeAndChunked(*request, kLiteLlmSpendCsv);
    ExpectLiteLlmSpendLogs(r, Format::kCsv);
}

const char kNetraCsv[] =
    "timestamp,model,input_tokens,output_tokens,cached_tokens,latency_ms,feature,user,team,tags,cost_usd\n"
    "2025-06-01T10:00:00Z,gpt-4o,1200,300,1000,850,search,alice,core,\"a,b\",\n"
    "2025-06-01T10:01:00Z,gpt-4o-mini-2024-07-18,100,10,0,120,chat,,,,0.5\n";

const char kNetraJsonl[] =
    R"({"timestamp":"2025-06-01T10:00:00Z","model":"gpt-4o","input_tokens":1200,"output_tokens":300,)"
    R"("cached_tokens":1000,"latency_ms":850,"feature":"search","user":"alice","team":"core","tags":"a,b"})"
    "\n"
    R"({"timestamp":"2025-06-01T10:01:00Z","model":"gpt-4o-mini-2024-07-18","input_tokens":100,"output_tokens":10,)"
    R"("cached_tokens":0,"latency_ms":120,"feature":"chat","cost_usd":0.5})"
    "\n";

void ExpectNetra(const Ingested& r, Format syntax) {
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, syntax);
    EXPECT_EQ(r.summary.source, SourceFormat::kNetra);
    EXPECT_EQ(r.summary.grain, Grain::kRequest);
    EXPECT_EQ(r.summary.rows, 2);
    EXPECT_EQ(r.summary.rejected_rows, 0);
    ASSERT_EQ(r.records.size(), 2u);
    const auto& a = r.records[0];
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.input_tokens, 1200);
    EXPECT_EQ(a.cached_tokens, 1000);
    EXPECT_EQ(a.request_count, 1);
    EXPECT_DOUBLE_EQ(*a.latency_ms, 850);
    EXPECT_FALSE(a.cost_from_file);
    EXPECT_DOUBLE_EQ(*a.cost_usd, (200 * 2.5 + 1000 * 1.25 + 300 * 10.0) / 1e6);
    EXPECT_EQ(a.cost_usd, a.list_cost_usd);
    EXPECT_EQ(a.feature, "search");
    EXPECT_EQ(a.user, "alice");
    EXPECT_EQ(a.team, "core");
    EXPECT_EQ(a.tags, "a,b");
    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "gpt-4o-mini");
    EXPECT_TRUE(b.cost_from_file);
    EXPECT_DOUBLE_EQ(*b.cost_usd, 0.5);
    EXPECT_DOUBLE_EQ(*b.list_cost_usd, (100 * 0.15 + 10 * 0.6) / 1e6);
}

TEST(IngestFormats, NetraColumnsStayNetra) {
    auto csv = IngestWholeAndChunked(FormatRequest{}, kNetraCsv);
    ExpectNetra(csv, Format::kCsv);
    ExpectSameResult(csv, IngestText(FormatRequest{Format::kCsv, SourceFormat::kNetra}, kNetraCsv));
    auto jsonl = IngestWholeAndChunked(FormatRequest{}, kNetraJsonl);
    ExpectNetra(jsonl, Format::kJsonl);
    ExpectSameResult(jsonl, IngestText(FormatRequest{Format::kJsonl, SourceFormat::kNetra}, kNetraJsonl));
    // Netra's own tags may be a JSON array.
    auto array_tags = IngestText(
        FormatRequest{},
        R"({"timestamp":"2025-06-01T10:00:00Z","model":"gpt-4o","input_tokens":1,"output_tokens":1,"tags":["a","b"]})"
        "\n");
    ASSERT_TRUE(array_tags.status.ok()) << array_tags.status.error().message;
    ASSERT_EQ(array_tags.records.size(), 1u)
        << (array_tags.summary.errors.empty() ? std::string() : array_tags.summary.errors[0].message);
    EXPECT_EQ(array_tags.records[0].tags, "a,b");
    auto object_tags = IngestText(
        FormatRequest{}, R"({"timestamp":"2025-06-01T10:00:00Z","model":"gpt-4o","input_tokens":1,"output_tokens":1,)"
                         R"("tags":{"env":"prod","team":"core"}})"
                         "\n");
    ASSERT_EQ(object_tags.records.size(), 1u);
    EXPECT_EQ(object_tags.records[0].tags, "env=prod,team=core");
}

TEST(IngestFormats, SniffingPicksTheSyntax) {
    EXPECT_EQ(IngestText(FormatRequest{}, kOpenAiUsageCsv).summary.syntax, Format::kCsv);
    EXPECT_EQ(IngestText(FormatRequest{}, kLiteLlmSpendJsonl).summary.syntax, Format::kJsonl);
    EXPECT_EQ(IngestText(FormatRequest{}, kHeliconeJson).summary.syntax, Format::kJson);
    EXPECT_EQ(IngestText(FormatRequest{}, kOpenAiUsageJson).summary.syntax, Format::kJson);
    // A one-line document {"data": […]}, with and without a final newline, and behind a BOM and blank lines.
    std::string one_line(kOpenAiCostsJson);
    for (const std::string& text :
         {one_line, one_line + "\n", one_line + "\r\n", "\xEF\xBB\xBF\n\n" + one_line + "\n"}) {
        for (std::size_t chunk : {0u, 7u}) {
            auto r = IngestText(FormatRequest{}, text, chunk);
            SCOPED_TRACE(testing::Message() << "chunk " << chunk << ", " << text.size() << " bytes");
            ASSERT_TRUE(r.status.ok()) << r.status.error().message;
            EXPECT_EQ(r.summary.syntax, Format::kJson);
            EXPECT_EQ(r.summary.source, SourceFormat::kOpenAiCosts);
            EXPECT_EQ(r.summary.rows, 2);
        }
    }
    // One JSONL record whose fields hold arrays (messages, request_tags) is a record, not a document.
    std::string payload(kLiteLlmPayloadJsonl);
    payload.resize(payload.find('\n'));
    for (const std::string& text : {payload, payload + "\n"}) {
        auto one = IngestText(FormatRequest{}, text, 7);
        ASSERT_TRUE(one.status.ok()) << one.status.error().message;
        EXPECT_EQ(one.summary.syntax, Format::kJsonl);
        EXPECT_EQ(one.summary.source, SourceFormat::kLiteLlmPayload);
        EXPECT_EQ(one.summary.rows, 1);
    }
    // A one-line Langfuse page likewise.
    std::string langfuse(kLangfuseJson);
    std::erase(langfuse, '\n');
    auto r = IngestText(FormatRequest{}, langfuse + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    EXPECT_EQ(r.summary.syntax, Format::kJson);
    EXPECT_EQ(r.summary.source, SourceFormat::kLangfuse);
    EXPECT_EQ(r.summary.rows, 2);
}

// ---- Errors ----

TEST(IngestFormats, BadJsonDocumentIsFatal) {
    auto r = IngestText(FormatRequest{}, "[\n  {\"model\": \"gpt-4o\", \"prompt_tokens\": 12,\n");
    ASSERT_FALSE(r.status.ok());
    EXPECT_TRUE(Contains(r.status.error().message, "the JSON document does not parse")) << r.status.error().message;
    auto forced = IngestText(FormatRequest{Format::kJson, SourceFormat::kHelicone}, "{\"data\": [1, 2,]}");
    ASSERT_FALSE(forced.status.ok());
    EXPECT_TRUE(Contains(forced.status.error().message, "does not parse")) << forced.status.error().message;
    // A document without a record list.
    auto no_list = IngestText(FormatRequest{Format::kJson, std::nullopt}, "{\"object\": \"page\"}");
    ASSERT_FALSE(no_list.status.ok());
    EXPECT_TRUE(Contains(no_list.status.error().message, "no usage records found")) << no_list.status.error().message;
}

TEST(IngestFormats, ExportHeaderWithoutRequiredFieldsIsFatal) {
    auto r = IngestText(FormatRequest{std::nullopt, SourceFormat::kOpenAiUsage},
                        "start_time,model,num_model_requests\n1748736000,gpt-4o,3\n");
    ASSERT_FALSE(r.status.ok());
    EXPECT_TRUE(Contains(r.status.error().message,
                         "not a usable OpenAI usage export: missing input tokens, output "
                         "tokens"))
        << r.status.error().message;
}

// Found by fuzz/fuzz_usage_json: a bucketed export (OpenAI / Anthropic usage or cost API) whose "data" is an object,
// not a list, had its "data" iterated as a default-constructed simdjson array: a read through a null pointer (a
// crash). Such a "data" is now an empty list: the file has no rows, and says so.
TEST(IngestFormats, BucketedExportWhoseDataIsNotAListHasNoRows) {
    for (SourceFormat source : {SourceFormat::kOpenAiUsage, SourceFormat::kOpenAiCosts, SourceFormat::kAnthropicUsage,
                                SourceFormat::kAnthropicCosts}) {
        Ingested r =
            ingest_testing::Ingest(FormatRequest{Format::kJson, source},
                                   R"({"data":{"page":1,"totalPages":1},"has_more":false})", 0, BundledCatalog());
        EXPECT_TRUE(r.records.empty()) << SourceName(source);
        EXPECT_EQ(r.summary.rows, 0) << SourceName(source);
    }
}

}  // namespace
}  // namespace netra::analysis

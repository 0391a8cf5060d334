#pragma once
// Shared by the ingest unit tests: feeding a text through UsageIngest in chunks of a given size, comparing
// records field by field, and sample exports.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "analysis/ingest.hpp"

namespace netra::analysis::ingest_testing {

struct Ingested {
    core::Status status;
    std::vector<domain::UsageRecord> records;
    IngestSummary summary;
};

// Feeds `text` in chunks of `chunk` bytes (0 = all at once), then finishes.
inline Ingested Ingest(FormatRequest format, std::string_view text, std::size_t chunk, const Catalog& catalog) {
    UsageIngest ingest(format, catalog);
    Ingested out;
    if (chunk == 0) chunk = text.size() + 1;
    for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
        out.status = ingest.Feed(text.substr(pos, chunk));
        if (!out.status.ok()) break;
    }
    if (out.status.ok()) out.status = ingest.Finish();
    out.records = ingest.TakeRecords();
    out.summary = ingest.Summary();
    return out;
}

// The OpenAI dashboard's usage CSV: its header, then its rows (one bad: more cached than input).
inline constexpr char kOpenAiUsageHeader[] =
    "start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,"
    "service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens,input_text_tokens,"
    "output_text_tokens,input_cached_text_tokens,input_audio_tokens,input_cached_audio_tokens,output_audio_tokens,"
    "input_image_tokens,input_cached_image_tokens,output_image_tokens\n";
inline constexpr char kOpenAiUsageRows[] =
    "1748736000,1748822400,2025-06-01T00:00:00+00:00,2025-06-02T00:00:00+00:00,proj_abc,120.0,user-alice,key_123,"
    "gpt-4o-2024-08-06,FALSE,default,120000.0,30000.0,20000.0,100000.0,120000.0,30000.0,20000.0,0.0,0.0,0.0,0.0,0.0,"
    "0.0\n"
    "1748736000,1748822400,2025-06-01T00:00:00+00:00,2025-06-02T00:00:00+00:00,proj_abc,40.0,,key_456,"
    "gpt-4o-mini-2024-07-18,TRUE,batch,50000.0,10000.0,0.0,50000.0,50000.0,10000.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
    "1748736000,1748822400,2025-06-01T00:00:00+00:00,2025-06-02T00:00:00+00:00,proj_xyz,3.0,user-bob,key_123,"
    "gpt-4o,FALSE,default,100.0,10.0,500.0,0.0,100.0,10.0,500.0,0.0,0.0,0.0,0.0,0.0,0.0\n"
    "\n"
    "1748822400,1748908800,2025-06-02T00:00:00+00:00,2025-06-03T00:00:00+00:00,proj_xyz,5.0,user-bob,key_789,"
    "ft:gpt-4o-mini:acme::abc123,FALSE,default,2000.0,500.0,0.0,2000.0,2000.0,500.0,0.0,0.0,0.0,0.0,0.0,0.0,0.0\n";

// Two OTLP exports as the Collector's file exporter writes them, one per line: an LLM span and a span that is not
// one, then an LLM span with a negative token count (a bad record).
inline constexpr char kOtlpLine1[] =
    R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"bot"}}]},"scopeSpans":[{"spans":[)"
    R"({"name":"chat","startTimeUnixNano":"1748772000000000000","endTimeUnixNano":"1748772000400000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"100"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"10"}}]},)"
    R"({"name":"db","startTimeUnixNano":"1748772000000000000","endTimeUnixNano":"1748772000100000000","attributes":[]}]}]}]})";
inline constexpr char kOtlpLine2[] =
    R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"chat","startTimeUnixNano":"1748772060000000000","endTimeUnixNano":"1748772061000000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"gpt-4o-mini"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"-1"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"5"}}]}]}]}]})";

// LiteLLM's LiteLLM_SpendLogs, as the proxy's UI exports them (CSV with JSON cells) and as JSON Lines: the same
// calls, used by the format tests and the parallel ingest's.
inline constexpr char kLiteLlmSpendCsv[] =
    "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,"
    "model_group,custom_llm_provider,user,metadata,cache_hit,request_tags,team_id,end_user,status\n"
    "chatcmpl-1,acompletion,88dc28d0f030c55ed4ab,0.00475,1500,1200,300,2025-06-01 10:00:00.000,"
    "2025-06-01 10:00:01.250,gpt-4o-2024-08-06,gpt-4o,openai,alice,"
    "\"{\"\"user_api_key_alias\"\": \"\"prod-key\"\", \"\"user_api_key_team_alias\"\": \"\"search-team\"\", "
    "\"\"usage_object\"\": {\"\"prompt_tokens\"\": 1200, \"\"completion_tokens\"\": 300, "
    "\"\"prompt_tokens_details\"\": {\"\"cached_tokens\"\": 1000}, "
    "\"\"completion_tokens_details\"\": {\"\"reasoning_tokens\"\": 100}}}\",False,"
    "\"[\"\"prod\"\", \"\"search\"\"]\",team-1,customer-42,success\n"
    "chatcmpl-2,acompletion,77aa,0.0,60,50,10,2025-06-01 10:05:00.000,2025-06-01 10:05:00.020,gpt-4o-mini,"
    "gpt-4o-mini,openai,bob,{},True,[],,,success\n"
    "chatcmpl-3,acompletion,77aa,0.001,110,100,10,2025-06-01 10:06:00.000,2025-06-01 10:06:01.000,gpt-4o,gpt-4o,"
    "openai,bob,\"{\"\"usage_object\"\": {\"\"prompt_tokens_details\"\": {\"\"cached_tokens\"\": 500}}}\",False,[],"
    ",,success\n"
    "chatcmpl-4,acompletion,77aa,0.0005,60,50,10,2025-06-01 10:07:00.000,2025-06-01 10:07:03.000,gpt-4o-mini,"
    "gpt-4o-mini,openai,bob,{},False,[],team-2,,failure\n";

inline constexpr char kLiteLlmSpendJsonl[] =
    R"({"request_id":"chatcmpl-1","call_type":"acompletion","api_key":"88dc28d0f030c55ed4ab","spend":0.00475,)"
    R"("total_tokens":1500,"prompt_tokens":1200,"completion_tokens":300,"startTime":"2025-06-01 10:00:00.000",)"
    R"("endTime":"2025-06-01 10:00:01.250","model":"gpt-4o-2024-08-06","model_group":"gpt-4o",)"
    R"("custom_llm_provider":"openai","user":"alice","metadata":{"user_api_key_alias":"prod-key",)"
    R"("user_api_key_team_alias":"search-team","usage_object":{"prompt_tokens":1200,"completion_tokens":300,)"
    R"("prompt_tokens_details":{"cached_tokens":1000},"completion_tokens_details":{"reasoning_tokens":100}}},)"
    R"("cache_hit":"False","request_tags":["prod","search"],"team_id":"team-1","end_user":"customer-42",)"
    R"("status":"success"})"
    "\n"
    R"({"request_id":"chatcmpl-2","call_type":"acompletion","api_key":"77aa","spend":0.0,"total_tokens":60,)"
    R"("prompt_tokens":50,"completion_tokens":10,"startTime":"2025-06-01 10:05:00.000",)"
    R"("endTime":"2025-06-01 10:05:00.020","model":"gpt-4o-mini","model_group":"gpt-4o-mini",)"
    R"("custom_llm_provider":"openai","user":"bob","metadata":{},"cache_hit":"True","request_tags":[],)"
    R"("team_id":null,"end_user":"","status":"success"})"
    "\n"
    R"({"request_id":"chatcmpl-3","call_type":"acompletion","api_key":"77aa","spend":0.001,"total_tokens":110,)"
    R"("prompt_tokens":100,"completion_tokens":10,"startTime":"2025-06-01 10:06:00.000",)"
    R"("endTime":"2025-06-01 10:06:01.000","model":"gpt-4o","model_group":"gpt-4o","custom_llm_provider":"openai",)"
    R"("user":"bob","metadata":{"usage_object":{"prompt_tokens_details":{"cached_tokens":500}}},)"
    R"("cache_hit":"False","request_tags":[],"team_id":null,"end_user":"","status":"success"})"
    "\n"
    R"({"request_id":"chatcmpl-4","call_type":"acompletion","api_key":"77aa","spend":0.0005,"total_tokens":60,)"
    R"("prompt_tokens":50,"completion_tokens":10,"startTime":"2025-06-01 10:07:00.000",)"
    R"("endTime":"2025-06-01 10:07:03.000","model":"gpt-4o-mini","model_group":"gpt-4o-mini",)"
    R"("custom_llm_provider":"openai","user":"bob","metadata":{},"cache_hit":"False","request_tags":[],)"
    R"("team_id":"team-2","end_user":"","status":"failure"})"
    "\n";

// Every field of two records (record `i` of a list, named in the failure).
inline void ExpectSameRecord(const domain::UsageRecord& a, const domain::UsageRecord& b, std::size_t i) {
    SCOPED_TRACE("record " + std::to_string(i));
    EXPECT_EQ(a.ts, b.ts);
    EXPECT_EQ(a.model, b.model);
    EXPECT_EQ(a.provider, b.provider);
    EXPECT_EQ(a.input_tokens, b.input_tokens);
    EXPECT_EQ(a.output_tokens, b.output_tokens);
    EXPECT_EQ(a.cached_tokens, b.cached_tokens);
    EXPECT_EQ(a.cache_write_5m_tokens, b.cache_write_5m_tokens);
    EXPECT_EQ(a.cache_write_1h_tokens, b.cache_write_1h_tokens);
    EXPECT_EQ(a.reasoning_tokens, b.reasoning_tokens);
    EXPECT_EQ(a.request_count, b.request_count);
    EXPECT_EQ(a.latency_ms, b.latency_ms);
    EXPECT_EQ(a.cost_usd, b.cost_usd);
    EXPECT_EQ(a.cost_from_file, b.cost_from_file);
    EXPECT_EQ(a.list_cost_usd, b.list_cost_usd);
    EXPECT_EQ(a.prompt_hash, b.prompt_hash);
    EXPECT_EQ(a.prefix_hash, b.prefix_hash);
    EXPECT_EQ(a.feature, b.feature);
    EXPECT_EQ(a.user, b.user);
    EXPECT_EQ(a.team, b.team);
    EXPECT_EQ(a.api_key, b.api_key);
    EXPECT_EQ(a.project, b.project);
    EXPECT_EQ(a.tags, b.tags);
    EXPECT_EQ(a.batchable, b.batchable);
    EXPECT_EQ(a.batched, b.batched);
    EXPECT_EQ(a.long_context, b.long_context);
    EXPECT_EQ(a.success, b.success);
}

}  // namespace netra::analysis::ingest_testing

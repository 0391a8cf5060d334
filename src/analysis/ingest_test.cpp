#include "analysis/ingest.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/ingest_test_support.hpp"

namespace netra::analysis {
namespace {

using ingest_testing::Ingested;

Ingested IngestText(Format format, std::string_view text, std::size_t chunk = 0) {
    return ingest_testing::Ingest(FormatRequest{format, {}}, text, chunk, BundledCatalog());
}

const char kCsv[] =
    "Timestamp,Model,prompt_tokens,completion_tokens,cached_tokens,latency_ms,endpoint,status,batchable,"
    "prompt_hash\r\n"
    "2025-03-01T10:00:00Z,gpt-4o,1000,200,0,850,support,200,false,h1\r\n"
    "1740823200,GPT-4o-mini,\"2,000\",100,0,300,\"summarize, long\",ok,true,h2\r\n"
    "\r\n"
    "2025-03-01T12:00:00Z,claude-3-5-sonnet-20241022,500,50,100,1200,\"say \"\"hi\"\"\",error,no,h1\r\n"
    "1740826800000,my-finetune,10,10,0,,support,success,,\r\n";

}  // namespace

TEST(Ingest, CsvWithAliasesQuotesCrlfAndComputedCost) {
    auto r = IngestText(Format::kCsv, kCsv);
    ASSERT_TRUE(r.status.ok()) << r.status.error().message;
    // The second row has "2,000" (a quoted thousands separator): not an integer → rejected with its line (3).
    ASSERT_EQ(r.summary.rows, 3);
    EXPECT_EQ(r.summary.rejected_rows, 1);
    ASSERT_EQ(r.summary.errors.size(), 1u);
    EXPECT_EQ(r.summary.errors[0].line, 3);
    EXPECT_NE(r.summary.errors[0].message.find("input_tokens"), std::string::npos);
    ASSERT_EQ(r.records.size(), 3u);

    const auto& a = r.records[0];
    EXPECT_EQ(a.ts, 1740823200000);
    EXPECT_EQ(a.model, "gpt-4o");
    EXPECT_EQ(a.provider, "openai");
    EXPECT_EQ(a.feature, "support");
    EXPECT_TRUE(a.success);
    ASSERT_TRUE(a.cost_usd);
    EXPECT_DOUBLE_EQ(*a.cost_usd, (1000 * 2.5 + 200 * 10.0) / 1e6);
    EXPECT_DOUBLE_EQ(*a.latency_ms, 850);

    const auto& b = r.records[1];
    EXPECT_EQ(b.model, "claude-3-5-sonnet");
    EXPECT_EQ(b.provider, "anthropic");
    EXPECT_EQ(b.feature, "say \"hi\"");
    EXPECT_FALSE(b.success);
    EXPECT_EQ(b.cached_tokens, 100);
    EXPECT_DOUBLE_EQ(*b.cost_usd, (400 * 3.0 + 100 * 0.3 + 50 * 15.0) / 1e6);

    const auto& c = r.records[2];
    EXPECT_EQ(c.ts, 1740826800000);
    EXPECT_EQ(c.model, "my-finetune");
    EXPECT_FALSE(c.cost_usd.has_value());
    EXPECT_FALSE(c.latency_ms.has_value());
    ASSERT_EQ(r.summary.warnings.size(), 1u);
    EXPECT_NE(r.summary.warnings[0].find("unknown model 'my-finetune'"), std::string::npos);

    EXPECT_EQ(r.summary.columns,
              (std::vector<std::string>{"timestamp", "model", "input_tokens", "output_tokens", "cached_tokens",
                                        "latency_ms", "prompt_hash", "feature", "batchable", "status"}));
}

TEST(Ingest, ChunkBoundariesDoNotChangeTheResult) {
    auto whole = IngestText(Format::kCsv, kCsv);
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 64u}) {
        auto split = IngestText(Format::kCsv, kCsv, chunk);
        ASSERT_TRUE(split.status.ok()) << chunk;
        EXPECT_EQ(split.summary.rows, whole.summary.rows) << chunk;
        EXPECT_EQ(split.summary.rejected_rows, whole.summary.rejected_rows) << chunk;
        ASSERT_EQ(split.records.size(), whole.records.size());
        for (std::size_t i = 0; i < split.records.size(); ++i) {
            EXPECT_EQ(split.records[i].feature, whole.records[i].feature) << chunk;
            EXPECT_EQ(split.records[i].ts, whole.records[i].ts) << chunk;
        }
        EXPECT_EQ(split.summary.errors[0].line, 3) << chunk;
    }
}

TEST(Ingest, QuotedNewlineKeepsFileLineNumbers) {
    std::string csv =
        "timestamp,model,input_tokens,output_tokens,feature\n"
        "2025-03-01T10:00:00Z,gpt-4o,1,1,\"two\nlines\"\n"
        "bad,gpt-4o,1,1,x\n"
        "2025-03-01T10:00:00Z,gpt-4o,-5,1,x\n"
        "2025-03-01T10:00:00Z,gpt-4o,1\n"
        "2025-03-01T10:00:00Z,gpt-4o,1,1,x";  // no final newline
    for (std::size_t chunk : {0u, 1u, 5u}) {
        auto r = IngestText(Format::kCsv, csv, chunk);
        ASSERT_TRUE(r.status.ok());
        EXPECT_EQ(r.summary.rows, 2);
        EXPECT_EQ(r.records[0].feature, "two\nlines");
        ASSERT_EQ(r.summary.errors.size(), 3u);
        EXPECT_EQ(r.summary.errors[0].line, 4);  // the quoted newline made the second record two lines long
        EXPECT_NE(r.summary.errors[0].message.find("timestamp"), std::string::npos);
        EXPECT_EQ(r.summary.errors[1].line, 5);
        EXPECT_EQ(r.summary.errors[2].line, 6);
        EXPECT_NE(r.summary.errors[2].message.find("expected 5 fields, found 3"), std::string::npos);
    }
}

TEST(Ingest, FatalErrorsForEmptyFileAndMissingColumns) {
    auto empty = IngestText(Format::kCsv, "");
    ASSERT_FALSE(empty.status.ok());
    EXPECT_NE(empty.status.error().message.find("empty"), std::string::npos);
    EXPECT_FALSE(IngestText(Format::kCsv, "\n\n").status.ok());
    EXPECT_FALSE(IngestText(Format::kJsonl, "").status.ok());

    auto missing = IngestText(Format::kCsv, "time,model,tokens\n2025-01-01,gpt-4o,5\n");
    ASSERT_FALSE(missing.status.ok());
    EXPECT_NE(missing.status.error().message.find("input_tokens, output_tokens"), std::string::npos);
    EXPECT_NE(missing.status.error().message.find("found: time, model, tokens"), std::string::npos);

    auto nothing = IngestText(Format::kJsonl, "{\"a\":1}\n{\"b\":2}\n");
    EXPECT_FALSE(nothing.status.ok());
}

TEST(Ingest, ManyBadRowsKeepTwentyErrors) {
    std::string csv = "timestamp,model,input_tokens,output_tokens\n";
    for (int i = 0; i < 50; ++i) csv += "2025-01-01T00:00:00Z,gpt-4o,x,1\n";
    csv += "2025-01-01T00:00:00Z,gpt-4o,1,1\n";
    auto r = IngestText(Format::kCsv, csv);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.summary.rows, 1);
    EXPECT_EQ(r.summary.rejected_rows, 50);
    ASSERT_EQ(r.summary.errors.size(), UsageIngest::kMaxErrors);
    EXPECT_EQ(r.summary.errors.front().line, 2);
    EXPECT_EQ(r.summary.errors.back().line, 21);
}

TEST(Ingest, JsonlTypesAliasesAndBadLines) {
    std::string jsonl =
        R"({"timestamp":"2025-03-01T10:00:00.5Z","model":"gpt-4o-mini","prompt_tokens":1000,"completion_tokens":100,)"
        R"("status":200,"batchable":true,"cost_usd":0.5,"use_case":"rag","extra":{"x":[1,2]}})"
        "\n"
        R"({"ts":1740823200,"model":"claude-3-haiku","input_tokens":"10","output_tokens":5,"status":"rate_limited"})"
        "\n"
        "not json\n"
        "[1,2]\n"
        R"({"model":"gpt-4o","input_tokens":1,"output_tokens":1})"
        "\n\n"
        R"({"timestamp":"2025-03-01T10:00:00Z","model":"gpt-4o","input_tokens":1.5,"output_tokens":1})";
    for (std::size_t chunk : {0u, 1u, 9u}) {
        auto r = IngestText(Format::kJsonl, jsonl, chunk);
        ASSERT_TRUE(r.status.ok()) << r.status.error().message;
        ASSERT_EQ(r.summary.rows, 2);
        EXPECT_EQ(r.summary.rejected_rows, 4);
        ASSERT_EQ(r.summary.errors.size(), 4u);
        EXPECT_EQ(r.summary.errors[0].line, 3);
        EXPECT_EQ(r.summary.errors[1].line, 4);
        EXPECT_EQ(r.summary.errors[2].line, 5);
        EXPECT_NE(r.summary.errors[2].message.find("timestamp"), std::string::npos);
        EXPECT_EQ(r.summary.errors[3].line, 7);
        const auto& a = r.records[0];
        EXPECT_EQ(a.ts, 1740823200500);
        EXPECT_TRUE(a.batchable);
        EXPECT_TRUE(a.success);
        EXPECT_DOUBLE_EQ(*a.cost_usd, 0.5);  // given cost wins over the catalog
        EXPECT_EQ(a.feature, "rag");
        const auto& b = r.records[1];
        EXPECT_EQ(b.input_tokens, 10);
        EXPECT_FALSE(b.success);
        EXPECT_DOUBLE_EQ(*b.cost_usd, (10 * 0.25 + 5 * 1.25) / 1e6);
        EXPECT_EQ(r.summary.columns, (std::vector<std::string>{"timestamp", "model", "input_tokens", "output_tokens",
                                                               "cost_usd", "feature", "batchable", "status"}));
    }
}

// ExpectBytes only sizes the record buffer, and JSON lines parsed in place (whole input) or copied into a padded
// buffer (small chunks) give the same rows.
TEST(Ingest, SizeHintAndInPlaceJsonDoNotChangeTheResult) {
    std::string jsonl;
    for (int i = 0; i < 600; ++i) {
        jsonl += R"({"timestamp":)" + std::to_string(1740823200 + i) + R"(,"model":")" +
                 (i % 3 == 0 ? "gpt-4o" : "claude-3-haiku") + R"(","input_tokens":)" + std::to_string(100 + i) +
                 R"(,"output_tokens":)" + std::to_string(i % 50) + R"(,"latency_ms":)" + std::to_string(i * 1.25) +
                 R"(,"prompt_hash":"p)" + std::to_string(i % 40) + "\"}\n";
        if (i % 97 == 0) jsonl += "{\"model\": broken\n";
    }
    auto reference = IngestText(Format::kJsonl, jsonl, 7);
    ASSERT_TRUE(reference.status.ok());
    UsageIngest hinted(Format::kJsonl, BundledCatalog());
    hinted.ExpectBytes(jsonl.size());
    ASSERT_TRUE(hinted.Feed(jsonl).ok());
    ASSERT_TRUE(hinted.Finish().ok());
    auto records = hinted.TakeRecords();
    EXPECT_EQ(hinted.Summary().rows, 600);
    EXPECT_EQ(hinted.Summary().rejected_rows, reference.summary.rejected_rows);
    ASSERT_EQ(records.size(), reference.records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
        EXPECT_EQ(records[i].ts, reference.records[i].ts);
        EXPECT_EQ(records[i].model, reference.records[i].model);
        EXPECT_EQ(records[i].input_tokens, reference.records[i].input_tokens);
        EXPECT_EQ(records[i].latency_ms, reference.records[i].latency_ms);
        EXPECT_EQ(records[i].cost_usd, reference.records[i].cost_usd);
        EXPECT_EQ(records[i].prompt_hash, reference.records[i].prompt_hash);
    }
}

// JSON numbers are taken as values, not parsed back from text: the rows and the errors must be exactly those of
// the same numbers written as JSON strings (which go through the text parsers).
TEST(Ingest, JsonNumbersMatchTheirTextForm) {
    const char* values[][4] = {
        // input_tokens, output_tokens, latency_ms, cost_usd
        {"1200", "30", "850.25", "0.0012"},
        {"-1", "3", "1", "1"},
        {"5", "-2", "1", "1"},
        {"5", "2", "-0.5", "1"},
        {"5", "2", "1", "1e+13"},
        {"5", "2", "-0.0", "0"},
        {"18446744073709551615", "2", "1", "1"},
        {"9223372036854775807", "2", "9223372036854775807", "1"},
        {"5", "2", "1e-300", "123456789012"},
    };
    std::string numbers, strings;
    for (const auto& v : values) {
        auto line = [&](bool quoted) {
            auto q = [&](const char* x) { return quoted ? "\"" + std::string(x) + "\"" : std::string(x); };
            return R"({"timestamp":"2025-03-01T10:00:00Z","model":"gpt-4o","input_tokens":)" + q(v[0]) +
                   R"(,"output_tokens":)" + q(v[1]) + R"(,"latency_ms":)" + q(v[2]) + R"(,"cost_usd":)" + q(v[3]) +
                   "}\n";
        };
        numbers += line(false);
        strings += line(true);
    }
    auto a = IngestText(Format::kJsonl, numbers);
    auto b = IngestText(Format::kJsonl, strings);
    ASSERT_TRUE(a.status.ok());
    ASSERT_TRUE(b.status.ok());
    EXPECT_EQ(a.summary.rows, b.summary.rows);
    EXPECT_GT(a.summary.rejected_rows, 0);
    ASSERT_EQ(a.summary.errors.size(), b.summary.errors.size());
    for (std::size_t i = 0; i < a.summary.errors.size(); ++i) {
        EXPECT_EQ(a.summary.errors[i].line, b.summary.errors[i].line);
        EXPECT_EQ(a.summary.errors[i].message, b.summary.errors[i].message);
    }
    ASSERT_EQ(a.records.size(), b.records.size());
    for (std::size_t i = 0; i < a.records.size(); ++i) {
        EXPECT_EQ(a.records[i].input_tokens, b.records[i].input_tokens);
        EXPECT_EQ(a.records[i].output_tokens, b.records[i].output_tokens);
        ASSERT_TRUE(a.records[i].latency_ms && b.records[i].latency_ms);
        EXPECT_EQ(std::signbit(*a.records[i].latency_ms), std::signbit(*b.records[i].latency_ms));
        EXPECT_EQ(*a.records[i].latency_ms, *b.records[i].latency_ms);
        EXPECT_EQ(a.records[i].cost_usd, b.records[i].cost_usd);
    }
}

TEST(Ingest, FormatNames) {
    EXPECT_EQ(FormatFromString("text/csv; charset=utf-8"), Format::kCsv);
    EXPECT_EQ(FormatFromString("application/x-ndjson"), Format::kJsonl);
    EXPECT_EQ(FormatFromString("JSONL"), Format::kJsonl);
    EXPECT_FALSE(FormatFromString("xml").has_value());
}

}  // namespace netra::analysis

// IngestWhole (parallel_ingest.hpp) against one UsageIngest fed the same bytes: the input is cut into parts parsed
// on threads, and the records, the summary, the errors (with their file lines) and the warnings must be exactly the
// sequential ones. Small inputs are cut with a small min_part_bytes; each test checks that a cut really happened.
#include "analysis/parallel_ingest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/ingest_test_support.hpp"
#include "analysis/profile.hpp"
#include "analysis/record_spans.hpp"

namespace netra::analysis {
namespace {

using ingest_testing::ExpectSameRecord;
using ingest_testing::Ingested;
using ingest_testing::kLiteLlmSpendCsv;
using ingest_testing::kLiteLlmSpendJsonl;
using ingest_testing::kOpenAiUsageHeader;
using ingest_testing::kOpenAiUsageRows;

// A record's text field as a view (printed as text when an expectation fails), whatever string type it is.
template <class Field>
std::string_view Text(const Field& field) {
    return std::string_view(field.data(), field.size());
}

// Field by field; stops at the first record that differs (one mismatch would otherwise repeat on every later one).
void ExpectSameRecords(const std::vector<domain::UsageRecord>& got, const std::vector<domain::UsageRecord>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const ::testing::TestResult& result = *::testing::UnitTest::GetInstance()->current_test_info()->result();
        const int failures_before = result.total_part_count();
        ExpectSameRecord(got[i], want[i], i);
        if (result.total_part_count() != failures_before) return;
    }
}

void ExpectSameSummary(const IngestSummary& got, const IngestSummary& want) {
    EXPECT_EQ(got.syntax, want.syntax);
    EXPECT_EQ(got.source, want.source);
    EXPECT_EQ(got.grain, want.grain);
    EXPECT_EQ(got.rows, want.rows);
    EXPECT_EQ(got.skipped_records, want.skipped_records);
    EXPECT_EQ(got.rejected_rows, want.rejected_rows);
    EXPECT_EQ(got.columns, want.columns);
    EXPECT_EQ(got.warnings, want.warnings);
    ASSERT_EQ(got.errors.size(), want.errors.size());
    for (std::size_t i = 0; i < got.errors.size(); ++i) {
        SCOPED_TRACE("error " + std::to_string(i));
        EXPECT_EQ(got.errors[i].line, want.errors[i].line);
        EXPECT_EQ(got.errors[i].message, want.errors[i].message);
    }
}

std::vector<domain::UsageRecord> Concatenate(const std::vector<std::vector<domain::UsageRecord>>& parts) {
    std::vector<domain::UsageRecord> all;
    for (const auto& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

Ingested Sequential(FormatRequest format, std::string_view text) {
    return ingest_testing::Ingest(format, text, 0, BundledCatalog());
}

// IngestWhole with `workers` threads against the sequential result `want` of the same text. `must_cut`: with 2 or
// more workers the input must have been cut (more than one part).
void ExpectSameAsReference(FormatRequest format, std::string_view text, unsigned workers, std::size_t min_bytes,
                           bool must_cut, const Ingested& want, std::size_t& max_parts) {
    SCOPED_TRACE("workers " + std::to_string(workers) + ", min_part_bytes " + std::to_string(min_bytes));
    auto got = IngestWhole(text, format, BundledCatalog(), workers, min_bytes);
    if (!want.status.ok()) {
        ASSERT_FALSE(got.ok()) << "the sequential ingest fails with: " << want.status.error().message;
        EXPECT_EQ(got.error().code, want.status.error().code);
        EXPECT_EQ(got.error().message, want.status.error().message);
        return;
    }
    ASSERT_TRUE(got.ok()) << got.error().message;
    for (const auto& part : got->parts) EXPECT_FALSE(part.empty());
    if (must_cut && workers > 1) {
        EXPECT_GT(got->parts.size(), 1u) << "the input was not cut";
    }
    EXPECT_LE(got->parts.size(), std::size_t{workers});
    max_parts = std::max(max_parts, got->parts.size());
    ExpectSameSummary(got->summary, want.summary);
    ExpectSameRecords(Concatenate(got->parts), want.records);
}

struct Checked {
    Ingested reference;
    std::size_t max_parts = 0;  // the most parts any run cut the input into
};

// IngestWhole with 1 to 4 workers and each min_part_bytes given against the sequential ingest of `text`.
Checked ExpectSameAsSequential(FormatRequest format, std::string_view text,
                               const std::vector<std::size_t>& min_part_bytes, bool must_cut) {
    Checked out{Sequential(format, text), 0};
    for (std::size_t min_bytes : min_part_bytes) {
        for (unsigned workers : {1u, 2u, 3u, 4u}) {
            ExpectSameAsReference(format, text, workers, min_bytes, must_cut, out.reference, out.max_parts);
        }
    }
    return out;
}

// ---- generated inputs ----

constexpr const char* kModels[] = {"gpt-4o",      "gpt-4o-mini",    "claude-3-5-sonnet",
                                   "my-finetune", "claude-3-haiku", "gpt-4o-2024-08-06"};

std::string Printf(const char* fmt, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

constexpr const char kNetraHeader[] =
    "timestamp,model,provider,input_tokens,output_tokens,cached_tokens,cache_write_5m_tokens,reasoning_tokens,"
    "latency_ms,cost_usd,prompt_hash,prefix_hash,feature,user,team,api_key,project,tags,batchable,status,notes";

// One Netra CSV row (21 fields) with every kind of value the columns take; `i` varies them.
std::string NetraRow(int i) {
    const std::string model = kModels[i % 6];
    std::string row = std::to_string(1740823200 + i * 97);  // epoch seconds
    if (i % 5 == 1) row = "2025-03-0" + std::to_string(1 + i % 7) + "T10:" + std::to_string(10 + i % 50) + ":00Z";
    row += "," + model;
    row += "," + std::string(i % 7 == 2 ? "OpenAI" : "");
    const int in = 100 + i * 13 % 5000;
    row += "," + std::to_string(in) + "," + std::to_string(10 + i * 7 % 900);
    row += "," + std::string(i % 4 == 0 ? std::to_string(in / 3) : "");
    row += "," + std::string(i % 9 == 0 ? "12" : "");
    row += "," + std::string(i % 6 == 0 ? "3" : "");
    row += "," + (i % 8 == 3 ? std::string() : Printf("%.2f", 100 + i * 3.25));
    row += "," + (i % 3 == 0 ? Printf("%.6f", 0.0001 * (i % 97 + 1)) : std::string());
    row += ",p" + std::to_string(i % 40) + ",x" + std::to_string(i % 5);
    row += ",feat-" + std::to_string(i % 4) + ",user" + std::to_string(i % 11) + ",team" + std::to_string(i % 3);
    row += ",key" + std::to_string(i % 2) + ",proj" + std::to_string(i % 5);
    row += "," + std::string(i % 10 == 0 ? "\"a,b\"" : "nightly");
    row += "," + std::string(i % 2 == 0 ? "true" : "false");
    row += "," + std::string(i % 23 == 0 ? "500" : "ok");
    row += ",note " + std::to_string(i);
    return row;
}

// A Netra CSV row (21 fields, see kNetraHeader) with only a timestamp, a model and token counts.
std::string ShortNetraRow(std::string_view ts, std::string_view model, std::string_view input) {
    return std::string(ts) + "," + std::string(model) + ",," + std::string(input) + ",1" + std::string(16, ',');
}

// `rows` rows of Netra CSV, bad ones spread through the file: a bad timestamp every 19th, a short row every 31st,
// negative tokens every 43rd.
std::string NetraCsv(int rows, std::string_view eol = "\n") {
    std::string csv = std::string(kNetraHeader) + std::string(eol);
    for (int i = 0; i < rows; ++i) {
        std::string row = NetraRow(i);
        if (i % 19 == 5) {
            row = "yesterday" + row.substr(row.find(','));
        } else if (i % 31 == 3) {
            row = row.substr(0, row.rfind(','));  // 20 fields
        } else if (i % 43 == 7) {
            row = ShortNetraRow("2025-03-01T00:00:00Z", "gpt-4o", "-5");
        }
        csv += row;
        csv += eol;
    }
    return csv;
}

TEST(ParallelIngest, NetraCsvWithBadRowsSpreadThroughTheFile) {
    const std::string csv = NetraCsv(400);
    ASSERT_GT(csv.size(), 4u * 200u);
    for (FormatRequest format : {FormatRequest{}, FormatRequest{Format::kCsv, SourceFormat::kNetra}}) {
        auto checked = ExpectSameAsSequential(format, csv, {64, 200, 1000}, true);
        EXPECT_EQ(checked.max_parts, 4u);
        const IngestSummary& s = checked.reference.summary;
        // The reference itself: bad rows past the cap, errors from several parts, the warnings the test needs.
        EXPECT_GT(s.rejected_rows, static_cast<std::int64_t>(UsageIngest::kMaxErrors) + 10);
        EXPECT_EQ(s.errors.size(), UsageIngest::kMaxErrors);
        EXPECT_GT(s.errors.back().line, 150);  // the 20th bad row lies well past the first part of 4
        EXPECT_GT(s.rows, 300);
        ASSERT_EQ(s.warnings.size(), 2u);
        EXPECT_EQ(s.warnings[0], "ignored column(s): notes");
        EXPECT_NE(s.warnings[1].find("unknown model 'my-finetune'"), std::string::npos) << s.warnings[1];
        EXPECT_NE(s.warnings[1].find("of the file's stated spend"), std::string::npos) << s.warnings[1];
    }
}

// Bad rows only from the 100th on: with 3 or 4 workers the first part has none, and the cap is reached with the later
// parts' errors.
TEST(ParallelIngest, ErrorsOnlyInLaterPartsAreCapped) {
    std::string csv = std::string(kNetraHeader) + "\n";
    for (int i = 0; i < 300; ++i) {
        csv += i >= 100 && i % 4 == 0 ? ShortNetraRow("bad", "gpt-4o", "1") : NetraRow(i);
        csv += "\n";
    }
    auto checked = ExpectSameAsSequential(FormatRequest{}, csv, {200, 1500}, true);
    EXPECT_EQ(checked.reference.summary.rejected_rows, 50);
    ASSERT_EQ(checked.reference.summary.errors.size(), UsageIngest::kMaxErrors);
    EXPECT_EQ(checked.reference.summary.errors.front().line, 102);
}

// Quoted fields with commas, doubled quotes and newlines: the first `plain_rows` records on one line each, then
// records where almost every newline lies inside quotes, so that a cut at a plain newline would split a record.
std::string QuotedCsv(int rows, int plain_rows) {
    std::string csv = "timestamp,model,input_tokens,output_tokens,feature,tags,user\n";
    for (int i = 0; i < rows; ++i) {
        const std::string ts = std::to_string(1740823200 + i * 60);
        if (i < plain_rows) {
            csv += ts + "," + kModels[i % 6] + "," + std::to_string(10 + i) + ",5,\"plain, \"\"" + std::to_string(i) +
                   "\"\"\",\"t1,t2\",u" + std::to_string(i % 3) + "\n";
            continue;
        }
        std::string feature = "\"f" + std::to_string(i % 5) + ", with comma\nand \"\"quotes\"\"\nline 3";
        for (int k = 0; k < i % 4; ++k) feature += "\nmore " + std::to_string(k);
        feature += "\"";
        const std::string tags = "\"t1,t2\n" + std::to_string(i) + "\"";
        switch (i % 19) {
            case 4:  // a bad timestamp in a record of several lines: its error is on its first line
                csv += "never," + std::string(kModels[i % 6]) + ",10,5," + feature + "," + tags + ",u\n";
                break;
            case 9:  // one field too many, quoted newline included
                csv += ts + ",gpt-4o,10,5," + feature + "," + tags + ",u,\"extra\nfield\"\n";
                break;
            case 12:  // text after a closing quote: malformed
                csv += ts + ",gpt-4o,10,5,\"abc\"def," + tags + ",u\n";
                break;
            case 15:  // stray quotes inside an unquoted field (an even number: the record still ends at its newline)
                csv += ts + ",gpt-4o,10,5,in\"ch\"es," + tags + ",u\n";
                break;
            default:
                csv += ts + "," + kModels[i % 6] + "," + std::to_string(10 + i) + ",5," + feature + "," + tags +
                       ",\"user \"\"" + std::to_string(i % 7) + "\"\"\"\n";
        }
    }
    return csv;
}

// True when the first newline at or after `pos` is inside CSV quotes (parity counted from the start).
bool NewlineAfterIsQuoted(std::string_view text, std::size_t pos) {
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '"') quoted = !quoted;
        if (text[i] == '\n' && i >= pos) return quoted;
    }
    return false;
}

TEST(ParallelIngest, QuotedNewlinesCommasAndEscapedQuotesNearCuts) {
    constexpr int kPlainRows = 30;
    const std::string csv = QuotedCsv(200, kPlainRows);
    // Past the one-line records, most positions a cut may aim at are followed by a newline inside quotes.
    std::size_t pos = 0;
    for (int line = 0; line <= kPlainRows; ++line) pos = csv.find('\n', pos) + 1;
    ASSERT_GT(pos, 1000u);  // the first part (min_part_bytes up to 1000) ends among the one-line records
    std::size_t quoted = 0, positions = 0;
    for (; pos < csv.size(); pos += 7, ++positions) quoted += NewlineAfterIsQuoted(csv, pos) ? 1 : 0;
    EXPECT_GT(quoted * 2, positions) << "most cut targets must fall where the next newline is quoted";

    auto checked = ExpectSameAsSequential(FormatRequest{}, csv, {64, 97, 200, 333, 1000}, true);
    EXPECT_EQ(checked.max_parts, 4u);
    const Ingested& r = checked.reference;
    EXPECT_GT(r.summary.rows, 150);
    EXPECT_EQ(r.summary.errors.size(), UsageIngest::kMaxErrors);
    ASSERT_GT(r.records.size(), std::size_t{kPlainRows});
    EXPECT_EQ(Text(r.records[0].feature), "plain, \"0\"");
    EXPECT_EQ(Text(r.records[0].tags), "t1,t2");
    EXPECT_EQ(Text(r.records[kPlainRows].feature), "f0, with comma\nand \"quotes\"\nline 3\nmore 0\nmore 1");
    EXPECT_EQ(Text(r.records[kPlainRows].user), "user \"2\"");
    bool malformed = false, fields = false, timestamp = false;
    for (const auto& e : r.summary.errors) {
        malformed = malformed || e.message.find("malformed quoted field") != std::string::npos;
        fields = fields || e.message.find("expected 7 fields, found 8") != std::string::npos;
        timestamp = timestamp || e.message.find("timestamp") != std::string::npos;
    }
    EXPECT_TRUE(malformed);
    EXPECT_TRUE(fields);
    EXPECT_TRUE(timestamp);

    // Quoted newlines from the first record on: where the first part would end inside quotes the input may stay
    // whole, but the result is the same.
    ExpectSameAsSequential(FormatRequest{}, QuotedCsv(160, 0), {64, 97, 200, 333, 1000}, false);
}

// A byte order mark, CRLF line endings, blank lines (empty, spaces, before the header too), and a last line without its
// newline: a good row, a bad row, or an unterminated quoted field.
TEST(ParallelIngest, CrlfBlankLinesAndNoFinalNewline) {
    std::string body = "\xEF\xBB\xBF\r\n  \r\n" + std::string(kNetraHeader) + "\r\n";
    for (int i = 0; i < 250; ++i) {
        body += NetraRow(i) + "\r\n";
        if (i % 7 == 3) body += "\r\n";
        if (i % 11 == 5) body += "   \r\n\n";
        if (i % 31 == 8) body += "bad-ts" + NetraRow(i).substr(NetraRow(i).find(',')) + "\r\n";
    }
    const std::string last_good = body + NetraRow(1000);
    const std::string last_bad = body + "2025-03-01T00:00:00Z,gpt-4o,1,2";
    const std::string last_open = body + "2025-03-01T00:00:00Z,gpt-4o,,1,1,,,,,,,,\"never\r\nclosed,,,,,,,,";
    const std::string trailing_blanks = body + "\r\n\r\n   \r\n";
    for (const std::string* text :
         std::vector<const std::string*>{&body, &last_good, &last_bad, &last_open, &trailing_blanks}) {
        SCOPED_TRACE("input ending with: " + text->substr(text->size() - 40));
        auto checked = ExpectSameAsSequential(FormatRequest{}, *text, {64, 250, 2000}, true);
        EXPECT_GT(checked.reference.summary.rows, 200);
    }
    // The reference's view of each ending: a last row without newline is a row; the open quote is an error.
    EXPECT_EQ(Sequential(FormatRequest{}, last_good).summary.rows, Sequential(FormatRequest{}, body).summary.rows + 1);
    auto open = Sequential(FormatRequest{}, last_open);
    EXPECT_EQ(open.summary.rejected_rows, Sequential(FormatRequest{}, body).summary.rejected_rows + 1);
}

// ---- JSON Lines and provider exports ----

std::string NetraJsonl(int lines, std::string_view eol = "\n") {
    std::string out;
    for (int i = 0; i < lines; ++i) {
        std::string line;
        switch (i % 23) {
            case 3:
                line = "not json";
                break;
            case 7:
                line = "[1,2]";
                break;
            case 11:
                line = R"({"model":"gpt-4o","input_tokens":1,"output_tokens":1})";  // no timestamp
                break;
            case 15:
                line = R"({"timestamp":"soon","model":"gpt-4o","input_tokens":1,"output_tokens":1})";
                break;
            case 18:
                line = R"({"model": broken)";
                break;
            case 20:
                line = "";  // blank
                break;
            default:
                line = R"({"timestamp":)" +
                       (i % 2 == 0 ? std::to_string(1740823200 + i * 30)
                                   : "\"2025-03-02T0" + std::to_string(i % 10) + ":00:00Z\"") +
                       R"(,"model":")" + kModels[i % 6] + R"(","prompt_tokens":)" + std::to_string(100 + i) +
                       R"(,"completion_tokens":")" + std::to_string(i % 50) + R"(","latency_ms":)" +
                       Printf("%.2f", i * 1.25) + (i % 3 == 0 ? R"(,"cost_usd":)" + Printf("%.5f", i * 1e-5) : "") +
                       R"(,"prompt_hash":"p)" + std::to_string(i % 40) + R"(","prefix_hash":null,"tags":["a","b)" +
                       std::to_string(i % 3) + R"("],"user":"u)" + std::to_string(i % 9) + R"(","extra":{"x":[1]}})";
        }
        out += line;
        out += eol;
    }
    return out;
}

TEST(ParallelIngest, NetraJsonlWithBadLines) {
    const std::string jsonl = NetraJsonl(400);
    for (FormatRequest format : {FormatRequest{}, FormatRequest{Format::kJsonl, std::nullopt}}) {
        auto checked = ExpectSameAsSequential(format, jsonl, {64, 300, 2500}, true);
        const IngestSummary& s = checked.reference.summary;
        EXPECT_EQ(s.syntax, Format::kJsonl);
        EXPECT_GT(s.rejected_rows, 40);
        EXPECT_EQ(s.errors.size(), UsageIngest::kMaxErrors);
        ASSERT_FALSE(s.warnings.empty());
        EXPECT_NE(s.warnings.back().find("unknown model 'my-finetune'"), std::string::npos);
    }
    // CRLF, and a last line without newline.
    std::string crlf = NetraJsonl(300, "\r\n");
    crlf.resize(crlf.size() - 2);
    ExpectSameAsSequential(FormatRequest{}, crlf, {64, 900}, true);
}

std::string ReplaceAll(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

// `copies` copies of `rows`, each with `marker` made unique (marker-<copy>).
std::string Repeated(std::string_view rows, int copies, std::string_view marker) {
    std::string out;
    for (int k = 0; k < copies; ++k) {
        out += ReplaceAll(std::string(rows), marker, std::string(marker) + "-" + std::to_string(k));
    }
    return out;
}

TEST(ParallelIngest, LiteLlmSpendLogsJsonl) {
    const std::string jsonl = Repeated(kLiteLlmSpendJsonl, 60, "77aa");
    auto checked = ExpectSameAsSequential(FormatRequest{}, jsonl, {64, 2000}, true);
    const IngestSummary& s = checked.reference.summary;
    EXPECT_EQ(s.syntax, Format::kJsonl);
    EXPECT_EQ(s.source, SourceFormat::kLiteLlmSpendLogs);
    EXPECT_EQ(s.rows, 180);
    EXPECT_EQ(s.rejected_rows, 60);
    // Forced: the continuations carry the named source.
    ExpectSameAsSequential(FormatRequest{Format::kJsonl, SourceFormat::kLiteLlmSpendLogs}, jsonl, {200}, true);
}

TEST(ParallelIngest, LiteLlmSpendLogsCsvWithJsonCells) {
    const std::string csv =
        std::string(kLiteLlmSpendCsv) +
        Repeated(std::string_view(kLiteLlmSpendCsv).substr(std::string_view(kLiteLlmSpendCsv).find('\n') + 1), 60,
                 "77aa");
    auto checked = ExpectSameAsSequential(FormatRequest{}, csv, {64, 1500}, true);
    const IngestSummary& s = checked.reference.summary;
    EXPECT_EQ(s.syntax, Format::kCsv);
    EXPECT_EQ(s.source, SourceFormat::kLiteLlmSpendLogs);
    EXPECT_EQ(s.rows, 183);
    EXPECT_EQ(s.rejected_rows, 61);
}

TEST(ParallelIngest, OpenAiUsageCsv) {
    const std::string csv = std::string(kOpenAiUsageHeader) + Repeated(kOpenAiUsageRows, 80, "user-bob");
    auto checked = ExpectSameAsSequential(FormatRequest{}, csv, {64, 3000}, true);
    const IngestSummary& s = checked.reference.summary;
    EXPECT_EQ(s.syntax, Format::kCsv);
    EXPECT_EQ(s.source, SourceFormat::kOpenAiUsage);
    EXPECT_EQ(s.grain, Grain::kAggregate);
    EXPECT_EQ(s.rows, 240);
    EXPECT_EQ(s.rejected_rows, 80);
    ASSERT_EQ(s.warnings.size(), 1u);
    EXPECT_NE(s.warnings[0].find("unknown model 'ft:gpt-4o-mini:acme::abc123' (80 rows"), std::string::npos);
}

// The unknown-model warning states the model's share of the file's own costs. Here that share is exactly 1/16 (0.1 of
// 1.6), a rounding boundary of its one decimal: the sequential ingest adds the costs row by row, and the total it
// divides by must be the same however the input is cut (summing each part apart and then the parts gives a total one
// ulp away, printed as 6.3% instead of 6.2%).
TEST(ParallelIngest, UnknownModelSpendShareOnARoundingBoundary) {
    const std::string csv =
        "timestamp,model,input_tokens,output_tokens,cost_usd\n"
        "1740823200,my-finetune,1,1,0.1\n"
        "1740823200,gpt-4o,1,1,0.6\n"
        "1740823200,gpt-4o,1,1,0.5\n"
        "1740823200,gpt-4o,1,1,0.2\n"
        "1740823200,gpt-4o,1,1,0.1\n"
        "1740823200,gpt-4o,1,1,0.1\n";
    auto checked = ExpectSameAsSequential(FormatRequest{}, csv, {64}, true);
    ASSERT_EQ(checked.reference.summary.warnings.size(), 1u);
    EXPECT_NE(checked.reference.summary.warnings[0].find("6.2% of the file's stated spend"), std::string::npos)
        << checked.reference.summary.warnings[0];
}

// OTLP exports one per line (the Collector's file exporter): their spans are the records, the spans that are not LLM
// calls are skipped (a warning counts them over the whole file), a bad span is an error on its line.
TEST(ParallelIngest, OtlpJsonLinesSkippedSpansAcrossParts) {
    const std::string line1 = ingest_testing::kOtlpLine1, line2 = ingest_testing::kOtlpLine2;
    std::string jsonl;
    for (int k = 0; k < 40; ++k)
        jsonl += ReplaceAll(line1, "\"bot\"", "\"bot-" + std::to_string(k) + "\"") + "\n" + line2 + "\n";
    // A first part of one line leaves the syntax open (one OTLP object alone could be a JSON document): not cut.
    ExpectSameAsSequential(FormatRequest{}, jsonl, {64}, false);
    auto checked = ExpectSameAsSequential(FormatRequest{}, jsonl, {2000, 5000}, true);
    const IngestSummary& s = checked.reference.summary;
    EXPECT_EQ(s.source, SourceFormat::kOtel);
    EXPECT_EQ(s.rows, 40);
    EXPECT_EQ(s.skipped_records, 40);
    EXPECT_EQ(s.rejected_rows, 40);
    ASSERT_FALSE(s.warnings.empty());
    EXPECT_NE(s.warnings[0].find("40 record(s) without a model or token counts skipped"), std::string::npos);
}

// Helicone's CSV, its properties as JSON in a quoted cell.
TEST(ParallelIngest, HeliconeCsvWithPropertiesCell) {
    const std::string header =
        "request_id,request_created_at,request_user_id,request_properties,model,provider,prompt_tokens,"
        "completion_tokens,prompt_cache_read_tokens,prompt_cache_write_tokens,costUSD,delay_ms,response_status\n";
    const std::string rows =
        "r1,2025-06-01T10:00:00.000Z,alice,\"{\"\"environment\"\":\"\"prod\"\",\"\"feature\"\":\"\"search\"\"}\","
        "gpt-4o-2024-08-06,OPENAI,1200,300,1000,0,0.00475,1200,200\n"
        "r2,2025-06-01T10:01:00.000Z,,{},gpt-4o-mini,OPENAI,100,0,0,0,0,50,429\n"
        "r3,2025-06-01T10:02:00.000Z,bob,{},my-finetune,,100,0,200,0,0.5,50,200\n";
    auto checked = ExpectSameAsSequential(FormatRequest{}, header + Repeated(rows, 70, "alice"), {64, 1000}, true);
    const IngestSummary& s = checked.reference.summary;
    EXPECT_EQ(s.source, SourceFormat::kHelicone);
    EXPECT_EQ(s.rows, 140);
    EXPECT_EQ(s.rejected_rows, 70);
}

// ---- inputs that are not cut ----

TEST(ParallelIngest, JsonDocumentIsNeverCut) {
    std::string doc = "[\n";
    for (int i = 0; i < 300; ++i) {
        if (i > 0) doc += ",\n";
        doc += i % 37 == 5 ? R"({"timestamp":"later","model":"gpt-4o","input_tokens":1,"output_tokens":1})"
                           : R"({"timestamp":)" + std::to_string(1740823200 + i) + R"(,"model":")" + kModels[i % 6] +
                                 R"(","input_tokens":)" + std::to_string(100 + i) + R"(,"output_tokens":)" +
                                 std::to_string(i % 30) + R"(,"feature":"f)" + std::to_string(i % 4) + "\"}";
    }
    doc += "\n]\n";
    auto checked = ExpectSameAsSequential(FormatRequest{}, doc, {64, 1000}, false);
    EXPECT_EQ(checked.max_parts, 1u);
    EXPECT_EQ(checked.reference.summary.syntax, Format::kJson);
    EXPECT_EQ(checked.reference.summary.rows, 292);
    EXPECT_EQ(checked.reference.summary.rejected_rows, 8);
}

TEST(ParallelIngest, InputsWithoutACut) {
    const std::string header = "timestamp,model,input_tokens,output_tokens\n";
    // A header alone (with and without its newline): no records, no parts.
    for (std::string text : {header, header.substr(0, header.size() - 1)}) {
        auto checked = ExpectSameAsSequential(FormatRequest{}, text, {1, 64}, false);
        EXPECT_TRUE(checked.reference.status.ok());
        EXPECT_EQ(checked.max_parts, 0u);
    }
    // Empty files, and blank lines only (more of them than a part): the sequential ingest's fatal error.
    for (std::string text : {std::string(), std::string("\n\n  \n"), std::string(3000, '\n')}) {
        auto checked = ExpectSameAsSequential(FormatRequest{}, text, {1, 64}, false);
        EXPECT_FALSE(checked.reference.status.ok());
        auto jsonl = ExpectSameAsSequential(FormatRequest{Format::kJsonl, std::nullopt}, text, {1, 64}, false);
        EXPECT_FALSE(jsonl.reference.status.ok());
    }
    // Smaller than min_part_bytes: one part.
    const std::string small = NetraCsv(20);
    auto one = ExpectSameAsSequential(FormatRequest{}, small, {small.size(), 1u << 20}, false);
    EXPECT_EQ(one.max_parts, 1u);
    // A header with an unterminated quoted field (an even number of quotes: the header line ends at its newline).
    const std::string bad_header =
        "timestamp,model,input_tokens,output_tokens,no\"te,\"x\n" + NetraCsv(100).substr(std::strlen(kNetraHeader) + 1);
    auto unterminated = ExpectSameAsSequential(FormatRequest{}, bad_header, {64}, false);
    ASSERT_FALSE(unterminated.reference.status.ok());
    EXPECT_NE(unterminated.reference.status.error().message.find("unterminated"), std::string::npos);
    // An odd quote in the header: the header never ends, the whole file is one open record.
    const std::string open_header = "timestamp,\"model,input_tokens,output_tokens\n" + NetraCsv(100);
    ExpectSameAsSequential(FormatRequest{}, open_header, {64}, false);
    // A header missing required columns, then many rows.
    std::string missing = "time,model,tokens\n";
    for (int i = 0; i < 200; ++i) missing += "2025-01-01,gpt-4o," + std::to_string(i) + "\n";
    auto no_header = ExpectSameAsSequential(FormatRequest{}, missing, {64}, false);
    EXPECT_FALSE(no_header.reference.status.ok());
    // JSON Lines without a single usage field: the error comes from Finish, after the parts are absorbed.
    std::string unusable;
    for (int i = 0; i < 200; ++i) unusable += R"({"a":)" + std::to_string(i) + R"(,"b":"text"})" + "\n";
    auto no_fields = ExpectSameAsSequential(FormatRequest{}, unusable, {64}, false);
    EXPECT_FALSE(no_fields.reference.status.ok());
}

// ---- OrderByTime across parts ----

// A record's text field from a std::string, whatever string type the field is.
template <class Field>
void SetText(Field& field, const std::string& text) {
    field.assign(text.data(), text.size());
}

domain::UsageRecord At(core::Millis ts, int id) {
    domain::UsageRecord r;
    r.ts = ts;
    r.model = "gpt-4o";
    SetText(r.feature, "id" + std::to_string(id));
    return r;
}

TEST(ParallelIngest, OrderByTimeLeavesOrderedPartsInPlace) {
    std::vector<std::vector<domain::UsageRecord>> parts = {
        {At(10, 0), At(20, 1), At(20, 2)}, {At(20, 3), At(30, 4)}, {At(31, 5)}};
    std::vector<const domain::UsageRecord*> data;
    for (const auto& p : parts) data.push_back(p.data());
    OrderByTime(parts);
    ASSERT_EQ(parts.size(), 3u);
    for (std::size_t k = 0; k < parts.size(); ++k) EXPECT_EQ(parts[k].data(), data[k]) << "part " << k << " moved";
    EXPECT_EQ(parts[0].size(), 3u);
    EXPECT_EQ(parts[1].size(), 2u);
    EXPECT_EQ(Text(parts[1][0].feature), "id3");

    std::vector<std::vector<domain::UsageRecord>> none;
    OrderByTime(none);
    EXPECT_TRUE(none.empty());
}

TEST(ParallelIngest, OrderByTimeJoinsPartsOutOfOrder) {
    // Each part in order but the second starts before the first ends; then a part unordered inside; equal times
    // across parts keep their input order.
    const std::vector<std::vector<std::vector<domain::UsageRecord>>> cases = {
        {{At(10, 0), At(40, 1), At(50, 2)}, {At(20, 3), At(40, 4), At(60, 5)}, {At(60, 6)}},
        {{At(10, 0), At(20, 1)}, {At(30, 2), At(25, 3), At(30, 4)}, {At(30, 5), At(5, 6)}},
        {{At(50, 0)}, {At(50, 1)}, {At(40, 2)}, {At(50, 3), At(40, 4)}},
    };
    for (std::size_t c = 0; c < cases.size(); ++c) {
        SCOPED_TRACE("case " + std::to_string(c));
        auto parts = cases[c];
        std::vector<domain::UsageRecord> want = Concatenate(parts);
        OrderByTime(want);
        OrderByTime(parts);
        ASSERT_EQ(parts.size(), 1u);
        ASSERT_EQ(parts[0].size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(parts[0][i].ts, want[i].ts) << i;
            EXPECT_EQ(Text(parts[0][i].feature), Text(want[i].feature)) << i;
        }
    }
    // By hand for the first case: (ts, input position).
    auto parts = cases[0];
    OrderByTime(parts);
    std::vector<std::string> ids;
    for (const auto& r : parts[0]) ids.emplace_back(r.feature.data(), r.feature.size());
    EXPECT_EQ(ids, (std::vector<std::string>{"id0", "id3", "id1", "id4", "id2", "id5", "id6"}));
}

// OrderByTime on parts IngestWhole built from a log whose parts overlap in time: the records of the sequential
// ingest ordered as one vector.
TEST(ParallelIngest, OrderByTimeOnIngestedParts) {
    std::string csv = "timestamp,model,input_tokens,output_tokens,feature\n";
    for (int i = 0; i < 300; ++i) {
        csv += std::to_string(1740823200 + (i * 7919) % 1000) + ",gpt-4o,1,1,r" + std::to_string(i) + "\n";
    }
    auto want = Sequential(FormatRequest{}, csv);
    ASSERT_TRUE(want.status.ok());
    OrderByTime(want.records);
    auto got = IngestWhole(csv, FormatRequest{}, BundledCatalog(), 3, 64);
    ASSERT_TRUE(got.ok());
    ASSERT_GT(got->parts.size(), 1u);
    OrderByTime(got->parts);
    ASSERT_EQ(got->parts.size(), 1u);
    ExpectSameRecords(got->parts[0], want.records);
}

// ---- the profile over parts ----

std::vector<domain::UsageRecord> ManyRecords(std::size_t n) {
    std::vector<domain::UsageRecord> out;
    out.reserve(n);
    const core::Millis t0 = 1'740'787'200'000;  // 2025-03-01T00:00:00Z
    for (std::size_t i = 0; i < n; ++i) {
        domain::UsageRecord r;
        r.ts = t0 + static_cast<core::Millis>(i) * 41'000;  // ~26 days
        r.model = kModels[i % 6];
        r.provider = i % 6 == 3 ? "" : (i % 6 == 2 || i % 6 == 4 ? "anthropic" : "openai");
        r.input_tokens = static_cast<std::int64_t>(100 + i % 3000);
        r.output_tokens = static_cast<std::int64_t>(10 + i % 500);
        r.cached_tokens = i % 4 == 0 ? r.input_tokens / 2 : 0;
        r.request_count = 1;
        if (i % 3 != 0) r.latency_ms = 100.0 + static_cast<double>(i % 997) * 1.5;
        if (i % 6 != 3) {
            r.cost_usd = 1e-6 * static_cast<double>(r.input_tokens * 3 + r.output_tokens * 15);
            r.list_cost_usd = r.cost_usd;
        }
        r.cost_from_file = i % 5 == 0;
        SetText(r.prompt_hash, i % 7 == 0 ? "" : "p" + std::to_string(i % 4000));
        SetText(r.prefix_hash, i % 2 == 0 ? "x" + std::to_string(i % 60) : "");
        SetText(r.feature, "feat" + std::to_string(i % 9));
        SetText(r.user, "user" + std::to_string(i % 13));
        SetText(r.team, "team" + std::to_string(i % 3));
        SetText(r.api_key, "key" + std::to_string(i % 4));
        SetText(r.project, "proj" + std::to_string(i % 2));
        r.batchable = i % 10 == 0;
        r.success = i % 50 != 0;
        out.push_back(std::move(r));
    }
    return out;
}

TEST(ParallelIngest, ProfileOverPartsEqualsProfileOverOneVector) {
    const std::vector<domain::UsageRecord> all = ManyRecords(60'000);
    // Unequal parts, an empty one among them (RecordSpans leaves it out).
    const std::size_t cuts[] = {0, 7'001, 7'001, 31'337, 52'000, all.size()};
    std::vector<std::vector<domain::UsageRecord>> parts;
    for (std::size_t k = 0; k + 1 < std::size(cuts); ++k) {
        parts.emplace_back(all.begin() + static_cast<std::ptrdiff_t>(cuts[k]),
                           all.begin() + static_cast<std::ptrdiff_t>(cuts[k + 1]));
    }
    std::vector<RecordSpans::Span> spans(parts.begin(), parts.end());
    const RecordSpans view(spans);
    ASSERT_EQ(view.size(), all.size());
    ASSERT_EQ(view.spans().size(), 4u);
    const std::string over_parts = boost::json::serialize(ProfileToJson(ProfileUsage(view, BundledCatalog())));
    const std::string over_one = boost::json::serialize(ProfileToJson(ProfileUsage(all, BundledCatalog())));
    EXPECT_GT(over_one.size(), 1000u);
    EXPECT_EQ(over_parts, over_one);
}

// End to end: the parts IngestWhole builds from a large log (its own head size, parts of 1 MiB and more), profiled
// where they lie, against the sequential ingest's records profiled as one vector.
TEST(ParallelIngest, ProfileOverIngestedPartsEqualsSequential) {
    std::string csv = std::string(kNetraHeader) + "\n";
    for (int i = 0; i < 55'000; ++i) csv += NetraRow(i) + "\n";
    auto want = Sequential(FormatRequest{}, csv);
    ASSERT_TRUE(want.status.ok());
    auto got = IngestWhole(csv, FormatRequest{}, BundledCatalog(), 4, 1u << 20);
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_GT(got->parts.size(), 1u);
    ExpectSameSummary(got->summary, want.summary);
    std::vector<RecordSpans::Span> spans(got->parts.begin(), got->parts.end());
    const RecordSpans view(spans);
    ASSERT_EQ(view.size(), want.records.size());
    ASSERT_GE(view.size(), 50'000u);
    EXPECT_EQ(boost::json::serialize(ProfileToJson(ProfileUsage(view, BundledCatalog()))),
              boost::json::serialize(ProfileToJson(ProfileUsage(want.records, BundledCatalog()))));
}

}  // namespace
}  // namespace netra::analysis

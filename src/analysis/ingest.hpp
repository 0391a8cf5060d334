#pragma once
// Usage log ingest (§9): a push parser for CSV (header row), JSONL and JSON documents, in Netra's own columns or
// any export of usage_formats.hpp (detected from the header or the keys unless forced). Bytes arrive in chunks of
// any size (a line may straddle chunks); rows become domain::UsageRecord with canonical model names, tokens split
// into the §9 partitions, the catalog's list price and the file's own cost as the bill. Bad rows are counted with
// their 1-based file line (a CSV header is line 1; a JSON document's record starts on it) and never stored; the
// first 20 are kept with a message.
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "analysis/catalog.hpp"
#include "analysis/usage_formats.hpp"
#include "core/error.hpp"
#include "domain/records.hpp"

namespace netra::analysis {

struct RowError {
    std::int64_t line = 0;
    std::string message;
};

struct IngestSummary {
    Format syntax = Format::kCsv;
    SourceFormat source = SourceFormat::kNetra;
    Grain grain = Grain::kRequest;
    std::int64_t rows = 0;              // valid rows produced
    std::int64_t skipped_records = 0;   // trace records that are not LLM calls (no model, no tokens): not rows
    std::int64_t rejected_rows = 0;     // bad rows (never produced)
    std::vector<std::string> columns;   // canonical column names found (CSV: header; JSONL: union of keys)
    std::vector<RowError> errors;       // the first kMaxErrors bad rows
    std::vector<std::string> warnings;  // unknown models, ignored columns, …
};

// A sum of dollar amounts in whole dollars and pico-dollars: integers add up the same in any order, so shares
// computed from it do not change when parts of an input are parsed apart and joined (IngestWhole) — double sums
// differ in the last bit, and a share on a rounding boundary then prints differently.
class ExactDollars {
  public:
    void Add(double usd);  // 0 ≤ usd ≤ 1e12 (the ingest's bound on a row's cost)
    void Add(const ExactDollars& other);
    double Value() const { return static_cast<double>(whole_) + static_cast<double>(pico_) * 1e-12; }

  private:
    void Carry();
    std::int64_t whole_ = 0;
    std::int64_t pico_ = 0;  // < 1e12 after Carry
};

class UsageIngest {
  public:
    static constexpr std::size_t kMaxErrors = 20;

    // The syntax and the source are detected from the first bytes, the header or the keys where not given.
    UsageIngest(FormatRequest format, const Catalog& catalog);
    UsageIngest(Format format, const Catalog& catalog) : UsageIngest(FormatRequest{format, std::nullopt}, catalog) {}

    // Optional: the input's total size when it is known up front (an upload's Content-Length). The record buffer
    // is then sized once, from the bytes per row of the first chunk, instead of doubling as rows arrive (every
    // doubling moves all records into freshly faulted memory: a fifth of the parse time on a million rows).
    // Capacity that turns out unused is never touched, so it costs address space, not memory.
    void ExpectBytes(std::size_t total_bytes) { expected_bytes_ = total_bytes; }

    // Consumes the next bytes. Fails only with a fatal error (no recognizable header); once failed, later
    // calls return the same error.
    core::Status Feed(std::string_view chunk);
    // Ends the input: processes a last line without a newline, then fails for an empty file, a missing header
    // or a file without a single recognizable column.
    core::Status Finish();

    // Moves out the records produced so far (callers may drain it while streaming to bound memory).
    std::vector<domain::UsageRecord> TakeRecords();
    // Valid after Finish (rows/errors are live while feeding).
    const IngestSummary& Summary() const { return summary_; }

    // Cutting one input into parts parsed apart (IngestWhole, parallel_ingest.hpp) ------------------------------
    // True when the bytes fed so far end at a record boundary past the header (CSV) or the first record (JSON
    // Lines), so that the rest of the input can be cut at newlines (outside CSV quotes) into parts.
    bool AtPartBoundary() const;
    // A parser for a later part of the same input: this one's syntax, source and header. Its rows are numbered
    // after the lines that come before the part (SetLinesBefore; 0 until told).
    std::unique_ptr<UsageIngest> Continuation() const;
    void SetLinesBefore(std::int64_t physical_lines) { line_no_ = physical_lines; }
    // Ends a part: processes its last record when the part does not end with a newline.
    core::Status FlushPart();
    // Counts the part that follows this one in the input (flushed) as read here: its row and error counts (its
    // errors after ours, up to kMaxErrors), the columns and models it saw. Its records stay with it (TakeRecords).
    void Absorb(UsageIngest& part);

    using Column = UsageColumn;

  private:
    using Fields = std::array<std::string_view, kColumnCount>;
    struct ModelStats {
        const CatalogModel* model = nullptr;
        std::int64_t rows = 0;
        std::int64_t unpriced = 0;
        std::int64_t tokens = 0;
        ExactDollars file_cost;
    };
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    struct PathColumn {
        Column column = kIgnored;
        bool json_parent = false;  // the source reads keys below it: a JSON text here is parsed (LiteLLM metadata)
        bool tag_child = false;    // a key below a tags field ({"feature": "x"} becomes the tag "feature=x")
    };

    core::Status Sniff(std::string_view chunk, bool at_end);
    void ChooseSource(std::optional<SourceFormat> detected);
    core::Status ProcessLine(std::string_view line, std::int64_t line_number, std::int64_t physical_lines);
    core::Status ProcessHeader(std::string_view line);
    void ProcessCsvRow(std::string_view line, std::int64_t line_number);
    void ProcessJsonRow(std::string_view line, std::int64_t line_number);
    void ProcessExportLine(std::string_view line, std::int64_t line_number);
    core::Status ProcessDocument();
    // One record of an export, its fields flattened (json_records::Field): mapped, checked and built.
    void ProcessExportRecord(const std::vector<std::pair<std::string, std::string>>& fields, std::int64_t line_number);
    const PathColumn& ColumnOfPath(const std::string& path);
    struct JsonState;  // simdjson's parser and a key-order cache, kept out of this header
    // Validates and converts one row's fields; records an error and returns false for a bad row. `typed`: the
    // JSON line's numbers as values (nullptr for CSV).
    bool BuildRecord(const Fields& fields, const std::array<bool, kColumnCount>& present, std::int64_t line_number,
                     const JsonState* typed = nullptr);
    void RowFailed(std::int64_t line_number, std::string message);
    bool SplitCsv(std::string_view line, std::vector<std::string_view>& out);
    ModelStats& LookupModel(std::string_view raw, std::string_view provider);
    std::size_t FindRecordEnd(std::string_view data, std::size_t from);
    void ReserveRecords(std::size_t consumed);  // consumed: bytes of the input read so far

    std::optional<Format> format_;  // unknown until sniffed
    std::optional<SourceFormat> forced_source_;
    SourceFormat source_ = SourceFormat::kNetra;
    bool source_chosen_ = false;
    const SourceSpec* spec_ = nullptr;
    const Catalog& catalog_;
    std::string sniffed_;   // the first bytes, held until the syntax is known
    std::string document_;  // a JSON document, parsed whole at Finish
    IngestSummary summary_;
    std::vector<domain::UsageRecord> records_;
    core::Status fatal_;
    bool header_done_ = false;
    bool in_quotes_ = false;            // CSV: the pending record ends inside a quoted field
    std::int64_t record_newlines_ = 0;  // CSV: newlines inside the pending record's quoted fields
    std::size_t first_quote_ = 0;       // CSV: where the chunk being fed holds its first double quote (size: none)
    bool line_has_no_quote_ = false;    // CSV: the line being processed is known to hold no double quote
    bool saw_content_ = false;
    std::int64_t line_no_ = 0;            // physical lines consumed so far
    std::string pending_;                 // an incomplete line carried between chunks
    const char* readable_end_ = nullptr;  // end of the memory the line being processed lies in (JSON padding)
    std::size_t expected_bytes_ = 0;      // ExpectBytes; 0 = unknown
    std::size_t bytes_fed_ = 0;
    bool reserved_ = false;
    std::vector<Column> header_;
    std::array<bool, kColumnCount> header_has_{};
    std::array<bool, kColumnCount> seen_columns_{};
    std::vector<std::string_view> fields_;
    std::vector<std::string> header_names_;  // CSV: normalised header cells
    bool header_has_json_cells_ = false;
    std::unordered_map<std::string, PathColumn> path_columns_;
    std::vector<std::pair<std::string, std::string>> export_fields_;  // reused per record
    std::deque<std::pair<std::string, std::string>> export_extra_;    // keys found in JSON cells
    std::string tags_;
    std::int64_t total_tokens_ = 0;
    ExactDollars total_file_cost_;
    std::string unquote_buf_;  // storage for CSV fields with escaped quotes ("a ""b""")
    std::vector<std::string> unquoted_;
    std::unique_ptr<JsonState> json_;
    std::unordered_map<std::string, ModelStats, StringHash, std::equal_to<>> models_seen_;
    std::string last_model_raw_;
    std::string last_provider_raw_;
    std::string model_key_;
    ModelStats* last_model_ = nullptr;  // logs repeat a few models: skip hashing when the name repeats

  public:
    ~UsageIngest();
    UsageIngest(const UsageIngest&) = delete;
    UsageIngest& operator=(const UsageIngest&) = delete;
};

// Puts records in the order storage returns them: by timestamp, equal timestamps in upload order. A log that is
// already in order (the common case) costs one pass; otherwise a permutation of (timestamp, position) keys is
// sorted and the records moved once — a stable sort of the records themselves moved each ~400-byte record
// log n times (a third of `netra analyze` on a million rows).
void OrderByTime(std::vector<domain::UsageRecord>& records);

}  // namespace netra::analysis

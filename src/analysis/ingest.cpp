#include "analysis/ingest.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#ifdef __linux__
#include <sys/mman.h>
#endif

namespace netra::analysis {
using core::ErrorCode;
using core::MakeError;

struct UsageIngest::JsonState {
    simdjson::dom::parser parser;
    std::string buffer;                // the line plus simdjson's padding
    char numbers[kColumnCount][32]{};  // numeric values rendered as text, so CSV and JSONL share one row path
    // … and the values themselves, so the row path need not parse that text back (see BuildRecord).
    enum class Kind : unsigned char { kText, kInt, kDouble };
    std::array<Kind, kColumnCount> kind{};
    std::array<std::int64_t, kColumnCount> integer{};
    std::array<double, kColumnCount> real{};
    // Keys seen so far with their column (at most kMaxKnownKeys), and which of them sat at each position of the
    // previous lines: JSONL lines repeat a few layouts, so a key is usually found without ColumnFor.
    static constexpr std::size_t kMaxKnownKeys = 64;
    std::vector<std::pair<std::string, Column>> known_keys;
    std::vector<int> key_at;  // by position: index into known_keys, -1 = none

    Column Lookup(std::string_view key, std::size_t position) {
        if (position < key_at.size() && key_at[position] >= 0) {
            const auto& known = known_keys[static_cast<std::size_t>(key_at[position])];
            if (known.first == key) return known.second;
        }
        int found = -1;
        for (std::size_t k = 0; k < known_keys.size(); ++k) {
            if (known_keys[k].first == key) {
                found = static_cast<int>(k);
                break;
            }
        }
        Column col;
        if (found >= 0) {
            col = known_keys[static_cast<std::size_t>(found)].second;
        } else {
            col = ColumnFor(key);
            if (known_keys.size() < kMaxKnownKeys) {
                known_keys.emplace_back(std::string(key), col);
                found = static_cast<int>(known_keys.size() - 1);
            }
        }
        if (position < kMaxKnownKeys) {
            if (key_at.size() <= position) key_at.resize(position + 1, -1);
            key_at[position] = found;
        }
        return col;
    }
};

namespace {

constexpr std::string_view kRequired[] = {"timestamp", "model", "input_tokens", "output_tokens"};

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (LowerAscii(a[i]) != b[i]) return false;
    }
    return true;
}

// A token count: a non-negative integer ("1200"; "1200.0" from spreadsheets is tolerated).
std::optional<std::int64_t> ParseCount(std::string_view s) {
    s = Trim(s);
    if (s.empty()) return std::nullopt;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc{} && p == s.data() + s.size()) {
        if (v < 0) return std::nullopt;
        return v;
    }
    double d = 0;
    auto [p2, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec2 != std::errc{} || p2 != s.data() + s.size() || d < 0 || d > 9e15 ||
        d != static_cast<double>(static_cast<std::int64_t>(d))) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(d);
}

std::optional<double> ParseNonNegative(std::string_view s) {
    s = Trim(s);
    if (!s.empty() && s.front() == '$') s.remove_prefix(1);
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || !(d >= 0) || d > 1e12) return std::nullopt;
    return d;
}

std::optional<bool> ParseBool(std::string_view s) {
    s = Trim(s);
    if (s.empty()) return false;
    for (std::string_view t : {"true", "1", "yes", "y", "t"}) {
        if (IEquals(s, t)) return true;
    }
    for (std::string_view f : {"false", "0", "no", "n", "f"}) {
        if (IEquals(s, f)) return false;
    }
    return std::nullopt;
}

// ok / success / a 2xx code (and an empty status) are successes; anything else is an error.
bool StatusIsSuccess(std::string_view s) {
    s = Trim(s);
    if (s.empty()) return true;
    for (std::string_view ok : {"ok", "success", "succeeded", "successful", "completed", "complete"}) {
        if (IEquals(s, ok)) return true;
    }
    int code = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
    return ec == std::errc{} && p == s.data() + s.size() && code >= 200 && code <= 299;
}

std::string Shorten(std::string_view s) {
    constexpr std::size_t kMax = 40;
    return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

struct Alias {
    std::string_view name;
    UsageIngest::Column column;
};

constexpr Alias kAliases[] = {
    {"timestamp", UsageIngest::kTimestamp},
    {"ts", UsageIngest::kTimestamp},
    {"time", UsageIngest::kTimestamp},
    {"created_at", UsageIngest::kTimestamp},
    {"created", UsageIngest::kTimestamp},
    {"datetime", UsageIngest::kTimestamp},
    {"date", UsageIngest::kTimestamp},
    {"model", UsageIngest::kModel},
    {"model_name", UsageIngest::kModel},
    {"model_id", UsageIngest::kModel},
    {"input_tokens", UsageIngest::kInputTokens},
    {"prompt_tokens", UsageIngest::kInputTokens},
    {"tokens_in", UsageIngest::kInputTokens},
    {"n_context_tokens_total", UsageIngest::kInputTokens},
    {"output_tokens", UsageIngest::kOutputTokens},
    {"completion_tokens", UsageIngest::kOutputTokens},
    {"tokens_out", UsageIngest::kOutputTokens},
    {"n_generated_tokens_total", UsageIngest::kOutputTokens},
    {"provider", UsageIngest::kProvider},
    {"vendor", UsageIngest::kProvider},
    {"cached_tokens", UsageIngest::kCachedTokens},
    {"cached_input_tokens", UsageIngest::kCachedTokens},
    {"cache_read_input_tokens", UsageIngest::kCachedTokens},
    {"cache_read_tokens", UsageIngest::kCachedTokens},
    {"latency_ms", UsageIngest::kLatencyMs},
    {"latency", UsageIngest::kLatencyMs},
    {"duration_ms", UsageIngest::kLatencyMs},
    {"response_time_ms", UsageIngest::kLatencyMs},
    {"cost_usd", UsageIngest::kCostUsd},
    {"cost", UsageIngest::kCostUsd},
    {"prompt_hash", UsageIngest::kPromptHash},
    {"request_hash", UsageIngest::kPromptHash},
    {"prefix_hash", UsageIngest::kPrefixHash},
    {"feature", UsageIngest::kFeature},
    {"endpoint", UsageIngest::kFeature},
    {"use_case", UsageIngest::kFeature},
    {"batchable", UsageIngest::kBatchable},
    {"batch", UsageIngest::kBatchable},
    {"status", UsageIngest::kStatus},
    {"status_code", UsageIngest::kStatus},
    {"http_status", UsageIngest::kStatus},
};

}  // namespace

std::optional<Format> FormatFromString(std::string_view text) {
    std::string lower;
    for (char c : Trim(text)) lower.push_back(LowerAscii(c));
    if (auto semi = lower.find(';'); semi != std::string::npos) lower.resize(semi);
    while (!lower.empty() && lower.back() == ' ') lower.pop_back();
    if (lower == "csv" || lower == "text/csv" || lower == "application/csv") return Format::kCsv;
    if (lower == "jsonl" || lower == "ndjson" || lower == "json" || lower == "application/x-ndjson" ||
        lower == "application/jsonl" || lower == "application/x-jsonlines" || lower == "application/json") {
        return Format::kJsonl;
    }
    return std::nullopt;
}

std::string_view FormatName(Format format) { return format == Format::kCsv ? "csv" : "jsonl"; }

UsageIngest::Column UsageIngest::ColumnFor(std::string_view name) {
    name = Trim(name);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    char buf[64];
    if (name.empty() || name.size() > sizeof buf) return kIgnored;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = LowerAscii(name[i]);
        buf[i] = c == ' ' || c == '-' || c == '.' ? '_' : c;
    }
    std::string_view key(buf, name.size());
    for (const Alias& a : kAliases) {
        if (a.name == key) return a.column;
    }
    return kIgnored;
}

std::string_view UsageIngest::ColumnName(Column column) {
    for (const Alias& a : kAliases) {
        if (a.column == column) return a.name;  // the first alias of each column is its canonical name
    }
    return "";
}

UsageIngest::UsageIngest(Format format, const Catalog& catalog)
    : format_(format), catalog_(catalog), json_(std::make_unique<JsonState>()) {}

UsageIngest::~UsageIngest() = default;

std::vector<domain::UsageRecord> UsageIngest::TakeRecords() {
    std::vector<domain::UsageRecord> out;
    out.swap(records_);
    return out;
}

void UsageIngest::RowFailed(std::int64_t line_number, std::string message) {
    ++summary_.rejected_rows;
    if (summary_.errors.size() < kMaxErrors) summary_.errors.push_back(RowError{line_number, std::move(message)});
}

// The end of the record that starts at `from`: the next newline outside CSV quotes, or npos (the record
// continues in the next chunk). Tracks quote state and quoted newlines across calls for CSV.
std::size_t UsageIngest::FindRecordEnd(std::string_view data, std::size_t from) {
    const char* base = data.data();
    std::size_t pos = from;
    while (pos < data.size()) {
        const void* hit = std::memchr(base + pos, '\n', data.size() - pos);
        std::size_t nl = hit == nullptr ? data.size() : static_cast<std::size_t>(static_cast<const char*>(hit) - base);
        if (format_ == Format::kCsv) {
            // Quote parity of this segment decides whether the newline is inside a quoted field.
            std::size_t q = pos;
            while (true) {
                const void* qh = std::memchr(base + q, '"', nl - q);
                if (qh == nullptr) break;
                in_quotes_ = !in_quotes_;
                q = static_cast<std::size_t>(static_cast<const char*>(qh) - base) + 1;
            }
        }
        if (hit == nullptr) return std::string_view::npos;
        if (!in_quotes_) return nl;
        ++record_newlines_;
        pos = nl + 1;
    }
    return std::string_view::npos;
}

core::Status UsageIngest::Feed(std::string_view chunk) {
    if (!fatal_.ok()) return fatal_;
    std::size_t start = 0;
    std::size_t scan = 0;
    // Resume scanning the pending record where the previous chunk ended.
    while (start <= chunk.size()) {
        std::size_t end = FindRecordEnd(chunk, scan);
        if (end == std::string_view::npos) {
            pending_.append(chunk.substr(start));
            break;
        }
        std::string_view line;
        if (!pending_.empty()) {
            pending_.append(chunk.substr(start, end - start));
            line = pending_;
            readable_end_ = pending_.data() + pending_.capacity();
        } else {
            line = chunk.substr(start, end - start);
            readable_end_ = chunk.data() + chunk.size();
        }
        std::int64_t physical = record_newlines_ + 1;
        record_newlines_ = 0;
        auto s = ProcessLine(line, line_no_ + 1, physical);
        line_no_ += physical;
        pending_.clear();
        if (!s.ok()) {
            fatal_ = s;
            return s;
        }
        start = scan = end + 1;
    }
    bytes_fed_ += chunk.size();
    ReserveRecords();
    return core::Ok();
}

void UsageIngest::ReserveRecords() {
    constexpr std::int64_t kSampleRows = 256;  // enough rows for a stable bytes-per-row figure
    const std::int64_t seen = summary_.rows + summary_.rejected_rows;
    if (reserved_ || expected_bytes_ == 0 || seen < kSampleRows || bytes_fed_ == 0) return;
    reserved_ = true;
    // A quarter more than the projection absorbs longer rows later in the file; unused capacity is never touched.
    const double projected =
        static_cast<double>(expected_bytes_) * static_cast<double>(seen) / static_cast<double>(bytes_fed_) * 1.25;
    const auto rows = static_cast<std::size_t>(std::min(projected, static_cast<double>(expected_bytes_ / 8 + 1)));
    if (rows > records_.size()) records_.reserve(rows);
#ifdef __linux__
    // Hundreds of MB written once: 2 MiB pages take one fault where 4 KiB pages take 512 (-0.05 to -0.1 s per
    // million JSONL rows; the kernel's default "madvise" mode uses them only where asked). Only whole huge pages
    // inside the buffer are advised; capacity never written is never backed. A hint: failure changes nothing.
    constexpr std::uintptr_t kHuge = 2u << 20;
    auto begin = reinterpret_cast<std::uintptr_t>(records_.data() + records_.size());
    auto end = reinterpret_cast<std::uintptr_t>(records_.data() + records_.capacity());
    begin = (begin + kHuge - 1) & ~(kHuge - 1);
    end &= ~(kHuge - 1);
    if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

core::Status UsageIngest::Finish() {
    if (!fatal_.ok()) return fatal_;
    if (!pending_.empty()) {
        std::string last = std::move(pending_);
        pending_.clear();
        readable_end_ = last.data() + last.capacity();
        if (in_quotes_) {
            RowFailed(line_no_ + 1, "line " + std::to_string(line_no_ + 1) + ": unterminated quoted field");
        } else if (auto s = ProcessLine(last, line_no_ + 1, record_newlines_ + 1); !s.ok()) {
            fatal_ = s;
            return s;
        }
        line_no_ += record_newlines_ + 1;
    }
    if (!saw_content_) {
        fatal_ = MakeError(ErrorCode::kValidationFailed, "the file is empty: no header and no rows");
        return fatal_;
    }
    if (format_ == Format::kJsonl) {
        bool any = std::any_of(seen_columns_.begin(), seen_columns_.end(), [](bool b) { return b; });
        if (!any) {
            fatal_ = MakeError(ErrorCode::kValidationFailed,
                               "no recognizable usage fields in any line; required: timestamp, model, input_tokens "
                               "(or prompt_tokens), output_tokens (or completion_tokens)");
            return fatal_;
        }
        summary_.columns.clear();
        for (int c = 0; c < kColumnCount; ++c) {
            if (seen_columns_[static_cast<std::size_t>(c)]) {
                summary_.columns.emplace_back(ColumnName(static_cast<Column>(c)));
            }
        }
    }
    // Unknown models: a warning each, in first-seen-independent (name) order so output is stable.
    std::vector<std::pair<std::string, ModelStats>> unknown;
    for (const auto& [name, stats] : models_seen_) {
        if (stats.model == nullptr) unknown.emplace_back(name, stats);
    }
    std::sort(unknown.begin(), unknown.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, stats] : unknown) {
        std::string w = "unknown model '" + Shorten(name) + "' (" + std::to_string(stats.rows) +
                        " rows): not in the supply catalog (as of " + catalog_.AsOf() + ")";
        if (stats.unpriced > 0) {
            w += "; " + std::to_string(stats.unpriced) + " of its rows have no cost_usd and are left unpriced";
        } else {
            w += "; its cost_usd values are used as given";
        }
        summary_.warnings.push_back(std::move(w));
    }
    return core::Ok();
}

core::Status UsageIngest::ProcessLine(std::string_view line, std::int64_t line_number, std::int64_t /*physical*/) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!saw_content_) {
        if (line.size() >= 3 && static_cast<unsigned char>(line[0]) == 0xEF &&
            static_cast<unsigned char>(line[1]) == 0xBB && static_cast<unsigned char>(line[2]) == 0xBF) {
            line.remove_prefix(3);
        }
    }
    if (Trim(line).empty()) return core::Ok();  // blank lines are neither rows nor errors
    saw_content_ = true;
    if (format_ == Format::kCsv) {
        if (!header_done_) return ProcessHeader(line);
        ProcessCsvRow(line, line_number);
    } else {
        ProcessJsonRow(line, line_number);
    }
    return core::Ok();
}

bool UsageIngest::SplitCsv(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    if (line.find('"') == std::string_view::npos) {
        std::size_t start = 0;
        while (true) {
            std::size_t comma = line.find(',', start);
            if (comma == std::string_view::npos) {
                out.push_back(line.substr(start));
                return true;
            }
            out.push_back(line.substr(start, comma - start));
            start = comma + 1;
        }
    }
    // RFC 4180: quoted fields may hold commas, newlines and doubled quotes.
    std::size_t field_index = 0;
    std::size_t i = 0;
    while (true) {
        if (unquoted_.size() <= field_index) unquoted_.emplace_back();
        std::string& buf = unquoted_[field_index];
        buf.clear();
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i < line.size() && line[i] == '"') {
            ++i;
            while (true) {
                if (i >= line.size()) return false;  // unterminated
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        buf.push_back('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                buf.push_back(line[i++]);
            }
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            if (i < line.size() && line[i] != ',') return false;  // text after the closing quote
        } else {
            std::size_t comma = line.find(',', i);
            std::size_t end = comma == std::string_view::npos ? line.size() : comma;
            buf.assign(line.substr(i, end - i));
            i = end;
        }
        ++field_index;
        if (i >= line.size()) break;
        ++i;  // the comma
        if (i == line.size()) {
            if (unquoted_.size() <= field_index) unquoted_.emplace_back();
            unquoted_[field_index].clear();
            ++field_index;
            break;
        }
    }
    // Views are taken only now: unquoted_ may have grown (moving its strings) while splitting.
    for (std::size_t f = 0; f < field_index; ++f) out.emplace_back(unquoted_[f]);
    return true;
}

core::Status UsageIngest::ProcessHeader(std::string_view line) {
    if (!SplitCsv(line, fields_)) {
        return MakeError(ErrorCode::kValidationFailed, "line 1: the header row has an unterminated quoted field");
    }
    std::vector<std::string> ignored;
    for (std::string_view name : fields_) {
        Column c = ColumnFor(name);
        if (c != kIgnored && header_has_[static_cast<std::size_t>(c)]) {
            ignored.emplace_back(Trim(name));
            c = kIgnored;  // a second alias of a column already present
        } else if (c == kIgnored) {
            ignored.emplace_back(Trim(name));
        }
        header_.push_back(c);
        if (c != kIgnored) header_has_[static_cast<std::size_t>(c)] = true;
    }
    std::string missing;
    for (Column c : {kTimestamp, kModel, kInputTokens, kOutputTokens}) {
        if (!header_has_[static_cast<std::size_t>(c)]) {
            missing += (missing.empty() ? "" : ", ") + std::string(kRequired[c]);
        }
    }
    if (!missing.empty()) {
        std::string found;
        for (std::string_view name : fields_) found += (found.empty() ? "" : ", ") + Shorten(Trim(name));
        return MakeError(ErrorCode::kValidationFailed,
                         "no recognizable header: missing required column(s) " + missing + " (found: " + found +
                             "). Aliases accepted: prompt_tokens for input_tokens, completion_tokens for "
                             "output_tokens.");
    }
    for (int c = 0; c < kColumnCount; ++c) {
        if (header_has_[static_cast<std::size_t>(c)]) summary_.columns.emplace_back(ColumnName(static_cast<Column>(c)));
    }
    if (!ignored.empty()) {
        std::string names;
        for (const auto& n : ignored) names += (names.empty() ? "" : ", ") + Shorten(n);
        summary_.warnings.push_back("ignored column(s): " + names);
    }
    header_done_ = true;
    return core::Ok();
}

void UsageIngest::ProcessCsvRow(std::string_view line, std::int64_t line_number) {
    if (!SplitCsv(line, fields_)) {
        RowFailed(line_number, "line " + std::to_string(line_number) + ": malformed quoted field");
        return;
    }
    if (fields_.size() != header_.size()) {
        RowFailed(line_number, "line " + std::to_string(line_number) + ": expected " + std::to_string(header_.size()) +
                                   " fields, found " + std::to_string(fields_.size()));
        return;
    }
    Fields fields{};
    for (std::size_t i = 0; i < header_.size(); ++i) {
        if (header_[i] != kIgnored) fields[static_cast<std::size_t>(header_[i])] = fields_[i];
    }
    BuildRecord(fields, header_has_, line_number);
}

void UsageIngest::ProcessJsonRow(std::string_view line, std::int64_t line_number) {
    auto fail = [&](std::string_view what) {
        RowFailed(line_number, "line " + std::to_string(line_number) + ": " + std::string(what));
    };
    JsonState& js = *json_;
    // The DOM API dispatches to the best SIMD kernel at run time (the On-Demand front end would be fixed at
    // compile time to the generic x86-64 fallback). simdjson reads up to SIMDJSON_PADDING bytes past the end
    // (their content does not matter): a line with that much of its chunk after it is parsed in place, only the
    // last lines of a chunk are copied into a padded buffer.
    const char* json = line.data();
    if (readable_end_ == nullptr ||
        readable_end_ - (line.data() + line.size()) < static_cast<std::ptrdiff_t>(simdjson::SIMDJSON_PADDING)) {
        js.buffer.assign(line);
        js.buffer.append(simdjson::SIMDJSON_PADDING, '\0');
        json = js.buffer.data();
    }
    simdjson::dom::element doc;
    if (js.parser.parse(json, line.size(), false).get(doc) != simdjson::SUCCESS) {
        return fail("invalid JSON");
    }
    simdjson::dom::object obj;
    if (doc.get_object().get(obj) != simdjson::SUCCESS) return fail("not a JSON object");
    Fields fields{};
    std::array<bool, kColumnCount> present{};
    js.kind.fill(JsonState::Kind::kText);
    std::size_t index = 0;
    for (simdjson::dom::key_value_pair kv : obj) {
        const Column col = js.Lookup(kv.key, index);
        ++index;
        if (col == kIgnored) continue;
        auto c = static_cast<std::size_t>(col);
        if (present[c]) continue;  // the first alias wins
        std::string_view text;
        char* num = js.numbers[c];
        switch (kv.value.type()) {
            case simdjson::dom::element_type::STRING:
                text = std::string_view(kv.value.get_string().value_unsafe());
                break;
            case simdjson::dom::element_type::INT64: {
                const std::int64_t v = kv.value.get_int64().value_unsafe();
                auto [p, ec] = std::to_chars(num, num + 32, v);
                text = std::string_view(num, static_cast<std::size_t>(p - num));
                js.kind[c] = JsonState::Kind::kInt;
                js.integer[c] = v;
                break;
            }
            case simdjson::dom::element_type::UINT64: {
                auto [p, ec] = std::to_chars(num, num + 32, kv.value.get_uint64().value_unsafe());
                text = std::string_view(num, static_cast<std::size_t>(p - num));
                break;
            }
            case simdjson::dom::element_type::DOUBLE: {
                const double v = kv.value.get_double().value_unsafe();
                auto [p, ec] = std::to_chars(num, num + 32, v);
                text = std::string_view(num, static_cast<std::size_t>(p - num));
                js.kind[c] = JsonState::Kind::kDouble;
                js.real[c] = v;
                break;
            }
            case simdjson::dom::element_type::BOOL:
                text = kv.value.get_bool().value_unsafe() ? "true" : "false";
                break;
            case simdjson::dom::element_type::NULL_VALUE:
                continue;  // null = absent
            default:
                return fail("field '" + std::string(ColumnName(col)) + "' must be a string or a number");
        }
        present[c] = true;
        seen_columns_[c] = true;
        fields[c] = text;
    }
    std::string missing;
    for (Column c : {kTimestamp, kModel, kInputTokens, kOutputTokens}) {
        if (!present[static_cast<std::size_t>(c)]) missing += (missing.empty() ? "" : ", ") + std::string(kRequired[c]);
    }
    if (!missing.empty()) return fail("missing required field(s) " + missing);
    BuildRecord(fields, present, line_number, &js);
}

UsageIngest::ModelStats& UsageIngest::LookupModel(std::string_view raw) {
    if (last_model_ != nullptr && raw == last_model_raw_) return *last_model_;
    auto it = models_seen_.find(raw);
    if (it == models_seen_.end()) {
        it = models_seen_.emplace(std::string(raw), ModelStats{catalog_.Find(raw), 0, 0}).first;
    }
    last_model_raw_.assign(raw);
    last_model_ = &it->second;
    return it->second;
}

bool UsageIngest::BuildRecord(const Fields& f, const std::array<bool, kColumnCount>& present, std::int64_t line_number,
                              const JsonState* typed) {
    auto fail = [&](std::string what, std::string_view value) {
        records_.pop_back();
        RowFailed(line_number, "line " + std::to_string(line_number) + ": " + what + " '" + Shorten(value) + "'");
        return false;
    };
    auto has = [&](Column c) { return present[static_cast<std::size_t>(c)] && !Trim(f[c]).empty(); };
    // JSON numbers arrive as values: use them where that gives exactly what parsing their shortest text would.
    // (Integers as counts; integers and doubles as non-negative reals, since to_chars text parses back to the
    // same double. A double as a count goes through the text: whether "1e+16" or "10000000000000000" reaches
    // ParseCount depends on to_chars' choice of notation.)
    using Kind = JsonState::Kind;
    auto count = [&](Column c) -> std::optional<std::int64_t> {
        if (typed != nullptr && typed->kind[c] == Kind::kInt) {
            const std::int64_t v = typed->integer[c];
            return v < 0 ? std::nullopt : std::optional<std::int64_t>(v);
        }
        return ParseCount(f[c]);
    };
    auto non_negative = [&](Column c) -> std::optional<double> {
        if (typed != nullptr && typed->kind[c] != Kind::kText) {
            const double d = typed->kind[c] == Kind::kInt ? static_cast<double>(typed->integer[c]) : typed->real[c];
            if (!(d >= 0) || d > 1e12) return std::nullopt;
            return d;
        }
        return ParseNonNegative(f[c]);
    };

    // Built in place (a failed row is popped again): moving a finished record in would cost a second write of it.
    domain::UsageRecord& r = records_.emplace_back();
    auto ts = core::ParseTimestamp(f[kTimestamp]);
    if (!ts) return fail("invalid timestamp (expected RFC 3339 or epoch seconds/milliseconds)", f[kTimestamp]);
    r.ts = *ts;
    std::string_view model = Trim(f[kModel]);
    if (model.empty()) return fail("empty model", model);
    auto input = count(kInputTokens);
    if (!input) return fail("input_tokens must be a non-negative integer, got", f[kInputTokens]);
    auto output = count(kOutputTokens);
    if (!output) return fail("output_tokens must be a non-negative integer, got", f[kOutputTokens]);
    r.input_tokens = *input;
    r.output_tokens = *output;
    if (has(kCachedTokens)) {
        auto cached = count(kCachedTokens);
        if (!cached) return fail("cached_tokens must be a non-negative integer, got", f[kCachedTokens]);
        if (*cached > r.input_tokens) {
            return fail("cached_tokens exceeds input_tokens (input_tokens must include cached tokens), got",
                        f[kCachedTokens]);
        }
        r.cached_tokens = *cached;
    }
    if (has(kLatencyMs)) {
        auto latency = non_negative(kLatencyMs);
        if (!latency) return fail("latency_ms must be a non-negative number, got", f[kLatencyMs]);
        r.latency_ms = *latency;
    }
    if (has(kCostUsd)) {
        auto cost = non_negative(kCostUsd);
        if (!cost) return fail("cost_usd must be a non-negative number, got", f[kCostUsd]);
        r.cost_usd = *cost;
    }
    if (has(kBatchable)) {
        auto batchable = ParseBool(f[kBatchable]);
        if (!batchable) return fail("batchable must be true/false, got", f[kBatchable]);
        r.batchable = *batchable;
    }
    if (has(kStatus)) r.success = StatusIsSuccess(f[kStatus]);

    ModelStats& stats = LookupModel(model);
    ++stats.rows;
    if (stats.model != nullptr) {
        r.model = stats.model->model;
        if (!r.cost_usd) r.cost_usd = Catalog::CostUsd(*stats.model, r.input_tokens, r.output_tokens, r.cached_tokens);
    } else {
        r.model.assign(model);
        if (!r.cost_usd) ++stats.unpriced;
    }
    if (has(kProvider)) {
        std::string_view p = Trim(f[kProvider]);
        r.provider.resize(p.size());
        std::transform(p.begin(), p.end(), r.provider.begin(), LowerAscii);
    } else if (stats.model != nullptr) {
        r.provider = stats.model->provider;
    }
    if (has(kPromptHash)) r.prompt_hash.assign(Trim(f[kPromptHash]));
    if (has(kPrefixHash)) r.prefix_hash.assign(Trim(f[kPrefixHash]));
    if (has(kFeature)) r.feature.assign(Trim(f[kFeature]));
    ++summary_.rows;
    return true;
}

}  // namespace netra::analysis

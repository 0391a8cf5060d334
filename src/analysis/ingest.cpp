#include "analysis/ingest.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "analysis/json_records.hpp"

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
    std::string tags_json;    // a JSONL row's tags given as a JSON array or object, as text
    // Tags given as a JSON object: parsed apart, since a JSONL row's fields point into `parser`'s strings.
    simdjson::dom::parser tags_parser;

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
            col = ColumnFor(SourceFormat::kNetra, key);
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
    for (std::string_view ok :
         {"ok", "success", "succeeded", "successful", "completed", "complete", "default", "debug", "info", "warning"}) {
        if (IEquals(s, ok)) return true;
    }
    int code = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), code);
    return ec == std::errc{} && p == s.data() + s.size() && code >= 200 && code <= 299;
}

bool ContainsNoCase(std::string_view text, std::string_view lower_word) {
    if (lower_word.size() > text.size()) return false;
    for (std::size_t i = 0; i + lower_word.size() <= text.size(); ++i) {
        if (IEquals(text.substr(i, lower_word.size()), lower_word)) return true;
    }
    return false;
}

// Anthropic's billed context tier: "0-200k" is standard, "200k-1M" (or "> 200k") is the long-context tier. The
// console writes some values with non-ASCII signs ("≤ 200k", "> 200k").
bool IsLongContext(std::string_view text) {
    text = Trim(text);
    if (text.find('<') != std::string_view::npos || text.find("\xE2\x89\xA4") != std::string_view::npos) return false;
    if (text.find('>') != std::string_view::npos || text.find("\xE2\x89\xA5") != std::string_view::npos) return true;
    std::size_t digit = text.find_first_of("0123456789");
    if (digit == std::string_view::npos) return false;
    double first = 0;
    std::from_chars(text.data() + digit, text.data() + text.size(), first);
    return first > 0;
}

// Tags as one comma-separated list: a JSON array's strings, a JSON object's `key=value` pairs (Helicone's
// properties in a CSV cell), or the text as it is.
std::string TagList(std::string_view text, simdjson::dom::parser& parser) {
    text = Trim(text);
    if (text.size() >= 2 && text.front() == '{') {
        std::string padded(text);
        padded.append(simdjson::SIMDJSON_PADDING, '\0');
        simdjson::dom::element object;
        if (parser.parse(padded.data(), text.size(), false).get(object) != simdjson::SUCCESS || !object.is_object()) {
            return std::string(text);
        }
        std::vector<json_records::Field> flat;
        json_records::Flatten(object, "", flat);
        std::string out;
        for (const auto& f : flat) {
            if (f.text.empty()) continue;
            if (!out.empty()) out.push_back(',');
            out += f.path.substr(f.path.rfind('.') + 1) + "=" + f.text;
        }
        return out;
    }
    if (text.size() < 2 || text.front() != '[') return std::string(text);
    std::string out;
    bool in_string = false;
    for (std::size_t i = 1; i + 1 < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            in_string = !in_string;
        } else if (in_string) {
            if (c == '\\' && i + 2 < text.size()) {
                out.push_back(text[++i]);
            } else {
                out.push_back(c);
            }
        } else if (c == ',') {
            out.push_back(',');
        }
    }
    return out;
}

std::string Percent(double part, double whole) {
    if (!(whole > 0)) return "0%";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * part / whole);
    return buf;
}

// Where a field's name stands in its source's alias table; names it does not list rank last.
std::size_t AliasRank(const SourceSpec& spec, std::string_view name) {
    const std::string key = NormalizeFieldName(name);
    for (std::size_t i = 0; i < spec.aliases.size(); ++i) {
        if (spec.aliases[i].name == key) return i;
    }
    return spec.aliases.size();
}

std::string Shorten(std::string_view s) {
    constexpr std::size_t kMax = 40;
    return s.size() <= kMax ? std::string(s) : std::string(s.substr(0, kMax)) + "...";
}

}  // namespace

void ExactDollars::Add(double usd) {
    const double whole = std::floor(usd);
    whole_ += static_cast<std::int64_t>(whole);
    pico_ += static_cast<std::int64_t>(std::llround((usd - whole) * 1e12));
    Carry();
}

void ExactDollars::Add(const ExactDollars& other) {
    whole_ += other.whole_;
    pico_ += other.pico_;
    Carry();
}

void ExactDollars::Carry() {
    constexpr std::int64_t kPico = 1'000'000'000'000;
    whole_ += pico_ / kPico;
    pico_ %= kPico;
}

UsageIngest::UsageIngest(FormatRequest format, const Catalog& catalog)
    : format_(format.syntax), forced_source_(format.source), catalog_(catalog), json_(std::make_unique<JsonState>()) {
    if (format_) summary_.syntax = *format_;
}

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
            // Quote parity of this segment decides whether the newline is inside a quoted field. The chunk holds
            // no quote before first_quote_ (found once per chunk): the common quote-free file is not scanned again.
            std::size_t q = std::max(pos, first_quote_);
            while (q < nl) {
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

// Until the syntax is known the first bytes are held: '[' or '{' spanning lines is a JSON document, '{' … '}' on
// the first line is JSONL, anything else is CSV.
core::Status UsageIngest::Sniff(std::string_view chunk, bool at_end) {
    sniffed_.append(chunk);
    std::string_view text = sniffed_;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    std::size_t first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos && !at_end) return core::Ok();
    Format syntax = Format::kCsv;
    if (first != std::string_view::npos && text[first] == '[') {
        syntax = Format::kJson;
    } else if (first != std::string_view::npos && text[first] == '{') {
        std::size_t nl = text.find('\n', first);
        if (nl == std::string_view::npos && !at_end) return core::Ok();  // wait for the end of the first line
        std::string line(text.substr(first, nl == std::string_view::npos ? std::string_view::npos : nl - first));
        line.append(simdjson::SIMDJSON_PADDING, '\0');
        simdjson::dom::element doc;
        const bool whole_line =
            json_->parser.parse(line.data(), line.size() - simdjson::SIMDJSON_PADDING, false).get(doc) ==
            simdjson::SUCCESS;
        syntax = whole_line && nl != std::string_view::npos ? Format::kJsonl : Format::kJson;
        // A one-line file (a final newline or not) holding one object that lists records ({"data": […]}, OTLP's
        // resourceSpans; the lists json_records::ForEachRecord reads): a document. Any other object, or a second
        // line, makes it JSONL.
        simdjson::dom::object top;
        if (whole_line && doc.get_object().get(top) == simdjson::SUCCESS) {
            bool listing = false;
            for (auto kv : top) {
                for (std::string_view key :
                     {"data", "observations", "requests", "logs", "items", "results", "resourceSpans"}) {
                    listing = listing || (kv.key == key && kv.value.is_array());
                }
            }
            const bool more_lines =
                nl != std::string_view::npos && text.find_first_not_of(" \t\r\n", nl + 1) != std::string_view::npos;
            if (listing && !more_lines && !at_end) return core::Ok();  // wait: a second line would make it JSONL
            syntax = listing && !more_lines ? Format::kJson : Format::kJsonl;
        }
    }
    format_ = syntax;
    summary_.syntax = syntax;
    std::string held = std::move(sniffed_);
    sniffed_.clear();
    return Feed(held);
}

core::Status UsageIngest::Feed(std::string_view chunk) {
    if (!fatal_.ok()) return fatal_;
    if (!format_) return Sniff(chunk, false);
    if (*format_ == Format::kJson) {
        constexpr std::size_t kMaxDocumentBytes = std::size_t{4} << 30;
        if (document_.size() + chunk.size() > kMaxDocumentBytes) {
            fatal_ = MakeError(ErrorCode::kValidationFailed, "a JSON document larger than 4 GiB: export it as JSONL");
            return fatal_;
        }
        if (document_.empty() && expected_bytes_ > 0) document_.reserve(expected_bytes_ + simdjson::SIMDJSON_PADDING);
        document_.append(chunk);
        return core::Ok();
    }
    std::size_t start = 0;
    std::size_t scan = 0;
    if (format_ == Format::kCsv) {
        const void* quote = std::memchr(chunk.data(), '"', chunk.size());
        first_quote_ =
            quote == nullptr ? chunk.size() : static_cast<std::size_t>(static_cast<const char*>(quote) - chunk.data());
    }
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
            line_has_no_quote_ = false;  // its start lay in an earlier chunk: not known
        } else {
            line = chunk.substr(start, end - start);
            readable_end_ = chunk.data() + chunk.size();
            line_has_no_quote_ = format_ == Format::kCsv && end <= first_quote_;
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
        // Sized as soon as the first rows show the bytes per row, even when one chunk holds the whole input.
        if (!reserved_ && expected_bytes_ > 0) ReserveRecords(bytes_fed_ + start);
    }
    bytes_fed_ += chunk.size();
    return core::Ok();
}

void UsageIngest::ReserveRecords(std::size_t consumed) {
    constexpr std::int64_t kSampleRows = 256;  // enough rows for a stable bytes-per-row figure
    const std::int64_t seen = summary_.rows + summary_.rejected_rows;
    if (reserved_ || expected_bytes_ == 0 || seen < kSampleRows || consumed == 0) return;
    reserved_ = true;
    // A quarter more than the projection absorbs longer rows later in the file; unused capacity is never touched.
    const double projected =
        static_cast<double>(expected_bytes_) * static_cast<double>(seen) / static_cast<double>(consumed) * 1.25;
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

core::Status UsageIngest::FlushPart() {
    if (!fatal_.ok()) return fatal_;
    if (pending_.empty()) return core::Ok();
    std::string last = std::move(pending_);
    pending_.clear();
    readable_end_ = last.data() + last.capacity();
    line_has_no_quote_ = false;
    if (in_quotes_) {
        RowFailed(line_no_ + 1, "line " + std::to_string(line_no_ + 1) + ": unterminated quoted field");
    } else if (auto s = ProcessLine(last, line_no_ + 1, record_newlines_ + 1); !s.ok()) {
        fatal_ = s;
        return s;
    }
    line_no_ += record_newlines_ + 1;
    return core::Ok();
}

bool UsageIngest::AtPartBoundary() const {
    if (!fatal_.ok() || !format_ || *format_ == Format::kJson || !pending_.empty() || in_quotes_) return false;
    return *format_ == Format::kCsv ? header_done_ : source_chosen_;
}

std::unique_ptr<UsageIngest> UsageIngest::Continuation() const {
    auto part = std::make_unique<UsageIngest>(FormatRequest{format_, forced_source_}, catalog_);
    part->source_ = source_;
    part->source_chosen_ = source_chosen_;
    part->spec_ = spec_;
    part->summary_.source = summary_.source;
    part->summary_.grain = summary_.grain;
    part->header_done_ = header_done_;
    part->header_ = header_;
    part->header_has_ = header_has_;
    part->header_names_ = header_names_;
    part->header_has_json_cells_ = header_has_json_cells_;
    part->path_columns_ = path_columns_;
    part->saw_content_ = true;  // the header (or a first record) came before: blank parts are not empty files
    return part;
}

void UsageIngest::Absorb(UsageIngest& part) {
    summary_.rows += part.summary_.rows;
    summary_.skipped_records += part.summary_.skipped_records;
    summary_.rejected_rows += part.summary_.rejected_rows;
    for (auto& e : part.summary_.errors) {
        if (summary_.errors.size() >= kMaxErrors) break;
        summary_.errors.push_back(std::move(e));
    }
    for (std::size_t c = 0; c < seen_columns_.size(); ++c) seen_columns_[c] = seen_columns_[c] || part.seen_columns_[c];
    for (const auto& [key, stats] : part.models_seen_) {
        ModelStats& m = models_seen_.try_emplace(key, ModelStats{stats.model, 0, 0, 0, {}}).first->second;
        m.rows += stats.rows;
        m.unpriced += stats.unpriced;
        m.tokens += stats.tokens;
        m.file_cost.Add(stats.file_cost);
    }
    total_tokens_ += part.total_tokens_;
    total_file_cost_.Add(part.total_file_cost_);
    line_no_ = part.line_no_;
    in_quotes_ = part.in_quotes_;
}

core::Status UsageIngest::Finish() {
    if (!fatal_.ok()) return fatal_;
    if (!format_) {
        if (auto s = Sniff({}, true); !s.ok()) return s;
    }
    if (*format_ == Format::kJson) {
        if (auto s = ProcessDocument(); !s.ok()) {
            fatal_ = s;
            return s;
        }
    }
    if (auto s = FlushPart(); !s.ok()) return s;
    if (!saw_content_) {
        fatal_ = MakeError(ErrorCode::kValidationFailed, "the file is empty: no header and no rows");
        return fatal_;
    }
    if (format_ != Format::kCsv) {
        bool any = std::any_of(seen_columns_.begin(), seen_columns_.end(), [](bool b) { return b; });
        if (!any && summary_.rows == 0) {
            fatal_ = MakeError(ErrorCode::kValidationFailed,
                               source_ == SourceFormat::kNetra
                                   ? "no recognizable usage fields in any record; required: timestamp, model, "
                                     "input_tokens (or prompt_tokens), output_tokens (or completion_tokens) — or an "
                                     "export Netra reads (?format= lists them)"
                                   : "no recognizable " + std::string(spec_->title) + " fields in any record");
            return fatal_;
        }
        summary_.columns.clear();
        for (int c = 0; c < kColumnCount; ++c) {
            if (seen_columns_[static_cast<std::size_t>(c)]) {
                summary_.columns.emplace_back(ColumnName(static_cast<Column>(c)));
            }
        }
    }
    if (summary_.skipped_records > 0) {
        summary_.warnings.push_back(std::to_string(summary_.skipped_records) +
                                    " record(s) without a model or token counts skipped: spans of the trace that are "
                                    "not LLM calls");
    }
    // Unknown models: a warning each, in first-seen-independent (name) order so output is stable.
    std::map<std::string, ModelStats> unknown;  // by name, whatever providers its rows named
    for (const auto& [key, stats] : models_seen_) {
        if (stats.model != nullptr) continue;
        ModelStats& u = unknown[key.substr(0, key.find('\x1f'))];
        u.rows += stats.rows;
        u.unpriced += stats.unpriced;
        u.tokens += stats.tokens;
        u.file_cost.Add(stats.file_cost);
    }
    for (const auto& [name, stats] : unknown) {
        std::string w = "unknown model '" + Shorten(name) + "' (" + std::to_string(stats.rows) + " rows, " +
                        Percent(stats.tokens, total_tokens_) + " of tokens";
        if (total_file_cost_.Value() > 0) {
            w += ", " + Percent(stats.file_cost.Value(), total_file_cost_.Value()) + " of the file's stated spend";
        }
        w += "): not in the supply catalog (as of " + catalog_.AsOf() + ")";
        if (stats.unpriced > 0) {
            w += "; " + std::to_string(stats.unpriced) + " of its rows have no cost of their own and are left unpriced";
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
        return core::Ok();
    }
    if (!source_chosen_) {
        std::optional<SourceFormat> detected;
        if (!forced_source_) {
            std::string padded(line);
            padded.append(simdjson::SIMDJSON_PADDING, '\0');
            simdjson::dom::element doc;
            if (json_->parser.parse(padded.data(), line.size(), false).get(doc) == simdjson::SUCCESS) {
                // The same sample as a document's: an OTLP line (the Collector's file exporter writes one
                // {"resourceSpans": […]} per line) shows its root keys, a record its flattened keys.
                detected = DetectSource(json_records::SampleKeys(doc));
                if (!detected) {
                    std::vector<json_records::Field> keys;
                    json_records::Flatten(doc, "", keys);
                    std::vector<std::string> names;
                    for (auto& k : keys) names.push_back(std::move(k.path));
                    detected = DetectSource(names);
                }
            }
        }
        ChooseSource(detected);
    }
    if (source_ == SourceFormat::kNetra) {
        ProcessJsonRow(line, line_number);
    } else {
        ProcessExportLine(line, line_number);
    }
    return core::Ok();
}

void UsageIngest::ChooseSource(std::optional<SourceFormat> detected) {
    source_ = forced_source_ ? *forced_source_ : detected.value_or(SourceFormat::kNetra);
    spec_ = &Spec(source_);
    source_chosen_ = true;
    summary_.source = source_;
    summary_.grain = spec_->grain;
}

bool UsageIngest::SplitCsv(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    if (line_has_no_quote_ || line.find('"') == std::string_view::npos) {
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
    for (std::string_view name : fields_) header_names_.push_back(NormalizeFieldName(name));
    if (!source_chosen_) ChooseSource(forced_source_ ? std::nullopt : DetectSource(header_names_));
    std::vector<std::string> ignored;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
        const PathColumn& pc = ColumnOfPath(header_names_[i]);
        Column c = pc.column;
        if (pc.json_parent) header_has_json_cells_ = true;
        if (c != kIgnored && header_has_[static_cast<std::size_t>(c)]) {
            ignored.emplace_back(Trim(fields_[i]));
            c = kIgnored;  // a second alias of a column already present
        } else if (c == kIgnored && !pc.json_parent) {
            ignored.emplace_back(Trim(fields_[i]));
        }
        header_.push_back(c);
        if (c != kIgnored) header_has_[static_cast<std::size_t>(c)] = true;
    }
    auto has = [&](Column c) { return header_has_[static_cast<std::size_t>(c)]; };
    std::string missing;
    auto require = [&](bool ok, std::string_view what) {
        if (!ok) missing += (missing.empty() ? "" : ", ") + std::string(what);
    };
    if (source_ == SourceFormat::kNetra) {
        for (Column c : {kTimestamp, kModel, kInputTokens, kOutputTokens}) require(has(c), kRequired[c]);
    } else {
        require(has(kTimestamp), "a start time");
        require(has(kModel) || has(kLineItem), "a model");
        if (spec_->cost_only) {
            require(has(kCostUsd), "an amount");
        } else {
            require(has(kInputTokens) || has(kUncachedInput) || header_has_json_cells_, "input tokens");
            require(has(kOutputTokens) || header_has_json_cells_, "output tokens");
        }
    }
    if (!missing.empty()) {
        std::string found;
        for (std::string_view name : fields_) found += (found.empty() ? "" : ", ") + Shorten(Trim(name));
        if (source_ == SourceFormat::kNetra) {
            return MakeError(ErrorCode::kValidationFailed,
                             "no recognizable header: missing required column(s) " + missing + " (found: " + found +
                                 "). Aliases accepted: prompt_tokens for input_tokens, completion_tokens for "
                                 "output_tokens. Provider exports (OpenAI, Anthropic, LiteLLM, Helicone, Langfuse, "
                                 "OTLP) are detected from their own headers, or named with ?format=.");
        }
        return MakeError(ErrorCode::kValidationFailed, "not a usable " + std::string(spec_->title) + ": missing " +
                                                           missing + " (found: " + found + ")");
    }
    for (int c = 0; c < kColumnCount; ++c) {
        if (header_has_[static_cast<std::size_t>(c)]) summary_.columns.emplace_back(ColumnName(static_cast<Column>(c)));
    }
    if (!ignored.empty() && source_ == SourceFormat::kNetra) {
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
    if (header_has_json_cells_) {  // an export with JSON in its cells (LiteLLM's metadata): the general path
        export_fields_.clear();
        for (std::size_t i = 0; i < header_.size(); ++i) export_fields_.emplace_back(header_names_[i], fields_[i]);
        ProcessExportRecord(export_fields_, line_number);
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
                if (col != kTags)
                    return fail("field '" + std::string(ColumnName(col)) + "' must be a string or a number");
                js.tags_json = simdjson::minify(kv.value);  // tags as a JSON array or object: TagList reads them
                text = js.tags_json;
                break;
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

const UsageIngest::PathColumn& UsageIngest::ColumnOfPath(const std::string& path) {
    if (auto it = path_columns_.find(path); it != path_columns_.end()) return it->second;
    PathColumn pc;
    pc.column = ColumnFor(source_, path);
    const std::string below = NormalizeFieldName(path) + ".";
    for (const ColumnAlias& a : spec_->aliases) pc.json_parent = pc.json_parent || a.name.starts_with(below);
    for (auto dot = path.rfind('.'); pc.column == kIgnored && dot != std::string::npos && dot > 0;
         dot = path.rfind('.', dot - 1)) {
        if (ColumnFor(source_, path.substr(0, dot)) == kTags) {
            pc.tag_child = true;
            break;
        }
    }
    return path_columns_.emplace(path, pc).first->second;
}

void UsageIngest::ProcessExportLine(std::string_view line, std::int64_t line_number) {
    JsonState& js = *json_;
    js.buffer.assign(line);
    js.buffer.append(simdjson::SIMDJSON_PADDING, '\0');
    simdjson::dom::element doc;
    if (js.parser.parse(js.buffer.data(), line.size(), false).get(doc) != simdjson::SUCCESS) {
        RowFailed(line_number, "line " + std::to_string(line_number) + ": invalid JSON");
        return;
    }
    if (!doc.is_object()) {
        RowFailed(line_number, "line " + std::to_string(line_number) + ": not a JSON object");
        return;
    }
    if (source_ == SourceFormat::kOtel) {  // a whole OTLP export on each line: its spans are the records
        const std::vector<std::int64_t> lines(json_records::ObjectLines(line).size(), line_number);
        auto status = json_records::ForEachRecord(source_, doc, lines, [&](const json_records::Record& r) {
            std::vector<json_records::Field> flat;
            json_records::Flatten(r.object, "", flat);
            if (r.context != nullptr) flat.insert(flat.end(), r.context->begin(), r.context->end());
            std::vector<std::pair<std::string, std::string>> fields;
            for (auto& f : flat) fields.emplace_back(std::move(f.path), std::move(f.text));
            ProcessExportRecord(fields, r.line);
        });
        if (!status.ok()) RowFailed(line_number, "line " + std::to_string(line_number) + ": " + status.error().message);
        return;
    }
    std::vector<json_records::Field> flat;
    json_records::Flatten(doc, "", flat);
    export_fields_.clear();
    for (auto& f : flat) export_fields_.emplace_back(std::move(f.path), std::move(f.text));
    ProcessExportRecord(export_fields_, line_number);
}

void UsageIngest::ProcessExportRecord(const std::vector<std::pair<std::string, std::string>>& record,
                                      std::int64_t line_number) {
    Fields fields{};
    std::array<bool, kColumnCount> present{};
    std::array<std::string_view, kColumnCount> taken_from{};  // the name each column was read from
    tags_.clear();
    export_extra_.clear();  // a deque: the views taken into it stay valid while it grows
    auto take = [&](const std::pair<std::string, std::string>& field) {
        const PathColumn& pc = ColumnOfPath(field.first);
        std::string_view text = Trim(field.second);
        // JSON held in a cell or a string (LiteLLM's metadata) is read as nested keys.
        if (pc.json_parent && !text.empty() && (text.front() == '{' || text.front() == '[')) {
            std::string padded(text);
            padded.append(simdjson::SIMDJSON_PADDING, '\0');
            simdjson::dom::element inner;
            if (json_->parser.parse(padded.data(), text.size(), false).get(inner) == simdjson::SUCCESS) {
                std::vector<json_records::Field> flat;
                json_records::Flatten(inner, field.first, flat);
                for (auto& f : flat) export_extra_.emplace_back(std::move(f.path), std::move(f.text));
            }
            if (pc.column != kTags) return;
        }
        if (pc.tag_child) {
            if (!text.empty()) {
                if (!tags_.empty()) tags_.push_back(',');
                tags_ += field.first.substr(field.first.rfind('.') + 1) + "=" + std::string(text);
            }
            return;
        }
        if (pc.column == kIgnored) return;
        auto c = static_cast<std::size_t>(pc.column);
        // Two names of one column: the non-empty one earlier in the source's alias table wins (the tables list the
        // better name first, e.g. gen_ai.response.model before gen_ai.request.model), whatever the key order —
        // keys inside a JSON cell are taken after the row's cells, and a JSONL row may list them first.
        if (present[c] && !Trim(fields[c]).empty() &&
            (text.empty() || source_ == SourceFormat::kNetra ||
             AliasRank(*spec_, taken_from[c]) <= AliasRank(*spec_, field.first))) {
            return;
        }
        present[c] = true;
        seen_columns_[c] = true;
        fields[c] = field.second;
        taken_from[c] = field.first;
    };
    for (const auto& field : record) take(field);
    for (std::size_t i = 0; i < export_extra_.size(); ++i) take(export_extra_[i]);
    if (!tags_.empty() && (!present[kTags] || Trim(fields[kTags]).empty())) {
        present[kTags] = true;
        fields[kTags] = tags_;
    }
    auto has = [&](Column c) { return present[static_cast<std::size_t>(c)] && !Trim(fields[c]).empty(); };
    if (spec_->skips_non_llm && !has(kModel) && !has(kInputTokens) && !has(kUncachedInput) && !has(kOutputTokens)) {
        ++summary_.skipped_records;  // a trace's other spans: not LLM calls
        return;
    }
    std::string missing;
    auto require = [&](bool ok, std::string_view what) {
        if (!ok) missing += (missing.empty() ? "" : ", ") + std::string(what);
    };
    require(present[kTimestamp], "a start time");
    require(has(kModel) || has(kLineItem), "a model");
    if (spec_->cost_only) {
        require(has(kCostUsd), "an amount");
    } else {
        require(has(kInputTokens) || has(kUncachedInput), "input tokens");
        require(has(kOutputTokens), "output tokens");
    }
    if (!missing.empty()) {
        RowFailed(line_number, "line " + std::to_string(line_number) + ": " + std::string(spec_->title) +
                                   " record without " + missing);
        return;
    }
    BuildRecord(fields, present, line_number);
}

core::Status UsageIngest::ProcessDocument() {
    std::string_view text = document_;
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return MakeError(ErrorCode::kValidationFailed, "the file is empty: no records");
    }
    saw_content_ = true;
    const std::size_t size = text.size();
    document_.append(simdjson::SIMDJSON_PADDING, '\0');
    text = std::string_view(document_).substr(document_.size() - simdjson::SIMDJSON_PADDING - size, size);
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (auto error = parser.parse(text.data(), size, false).get(root); error != simdjson::SUCCESS) {
        return MakeError(ErrorCode::kValidationFailed, std::string("the JSON document does not parse: ") +
                                                           simdjson::error_message(error) +
                                                           " (a file of one JSON object per line is read as JSONL)");
    }
    if (!source_chosen_) {
        ChooseSource(forced_source_ ? std::nullopt : DetectSource(json_records::SampleKeys(root)));
    }
    const auto lines = json_records::ObjectLines(text);
    auto status = json_records::ForEachRecord(source_, root, lines, [&](const json_records::Record& r) {
        std::vector<json_records::Field> flat;
        json_records::Flatten(r.object, "", flat);
        if (r.context != nullptr) flat.insert(flat.end(), r.context->begin(), r.context->end());
        export_fields_.clear();
        for (auto& f : flat) export_fields_.emplace_back(std::move(f.path), std::move(f.text));
        ProcessExportRecord(export_fields_, r.line);
    });
    std::string().swap(document_);
    return status;
}

// Keyed by the name as written and the provider the row names (a hint: "bedrock" makes the catalog try its AWS
// listings first). The key is "name" or "name\x1fprovider"; warnings show the name only.
UsageIngest::ModelStats& UsageIngest::LookupModel(std::string_view raw, std::string_view provider) {
    if (last_model_ != nullptr && raw == last_model_raw_ && provider == last_provider_raw_) return *last_model_;
    model_key_.assign(raw);
    if (!provider.empty()) {
        model_key_.push_back('\x1f');
        model_key_.append(provider);
    }
    auto it = models_seen_.find(model_key_);
    if (it == models_seen_.end()) {
        it = models_seen_.emplace(model_key_, ModelStats{catalog_.Find(raw, provider), 0, 0, 0, {}}).first;
    }
    last_model_raw_.assign(raw);
    last_provider_raw_.assign(provider);
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
    if (model.empty() && has(kLineItem)) {
        model = Trim(f[kLineItem]);  // "gpt-4o-2024-08-06, input": the model, then the kind of tokens
        if (auto comma = model.find(','); comma != std::string_view::npos) model = Trim(model.substr(0, comma));
    }
    if (model.empty()) return fail("empty model", model);
    const bool cost_only = spec_ != nullptr && spec_->cost_only;
    const bool additive = spec_ != nullptr && spec_->input_excludes_cache;
    auto tokens = [&](Column c, std::int64_t& out) {
        if (!has(c)) return true;
        auto v = count(c);
        if (!v) return false;
        out = *v;
        return true;
    };
    std::int64_t cache_write = 0, uncached = 0;
    if (!tokens(kCachedTokens, r.cached_tokens))
        return fail("cache read tokens must be a non-negative integer, got", f[kCachedTokens]);
    if (!tokens(kCacheWrite5m, r.cache_write_5m_tokens)) {
        return fail("cache write (5 min) tokens must be a non-negative integer, got", f[kCacheWrite5m]);
    }
    if (!tokens(kCacheWrite1h, r.cache_write_1h_tokens)) {
        return fail("cache write (1 h) tokens must be a non-negative integer, got", f[kCacheWrite1h]);
    }
    if (!tokens(kCacheWrite, cache_write))
        return fail("cache write tokens must be a non-negative integer, got", f[kCacheWrite]);
    r.cache_write_5m_tokens += cache_write;  // writes without a stated lifetime are the default 5-minute ones
    const std::int64_t cache_total = r.cached_tokens + r.cache_write_5m_tokens + r.cache_write_1h_tokens;
    if (has(kUncachedInput) || (additive && !has(kInputTokens))) {
        if (!tokens(kUncachedInput, uncached))
            return fail("uncached input tokens must be a non-negative integer, got", f[kUncachedInput]);
        r.input_tokens = uncached + cache_total;
    } else if (present[kInputTokens] || !cost_only) {
        auto input = count(kInputTokens);
        if (!input) return fail("input_tokens must be a non-negative integer, got", f[kInputTokens]);
        r.input_tokens = *input;
        if (cache_total > r.input_tokens) {
            return fail(r.cache_write_5m_tokens + r.cache_write_1h_tokens > 0
                            ? "cache reads and writes exceed input_tokens (input_tokens must include them), got"
                            : "cached_tokens exceeds input_tokens (input_tokens must include cached tokens), got",
                        f[has(kCachedTokens) ? kCachedTokens : kCacheWrite]);
        }
    }
    if (present[kOutputTokens] || !cost_only) {
        auto output = count(kOutputTokens);
        if (!output) return fail("output_tokens must be a non-negative integer, got", f[kOutputTokens]);
        r.output_tokens = *output;
    }
    if (!tokens(kReasoningTokens, r.reasoning_tokens))
        return fail("reasoning tokens must be a non-negative integer, got", f[kReasoningTokens]);
    if (r.reasoning_tokens > r.output_tokens)
        return fail("reasoning tokens exceed output_tokens (which include them), got", f[kReasoningTokens]);
    if (has(kRequestCount)) {
        if (!tokens(kRequestCount, r.request_count))
            return fail("the request count must be a non-negative integer, got", f[kRequestCount]);
    } else if (spec_ != nullptr && spec_->grain == Grain::kAggregate) {
        r.request_count = 0;  // a bucket that does not say how many calls it holds
    }
    if (has(kLatencyMs)) {
        auto latency = non_negative(kLatencyMs);
        if (!latency) return fail("latency_ms must be a non-negative number, got", f[kLatencyMs]);
        r.latency_ms = *latency;
    } else if (has(kLatencySeconds)) {
        auto latency = non_negative(kLatencySeconds);
        if (!latency)
            return fail("the response time must be a non-negative number of seconds, got", f[kLatencySeconds]);
        r.latency_ms = *latency * 1000.0;
    } else if (has(kEndTime) && (spec_ == nullptr || spec_->grain == Grain::kRequest)) {
        auto end = core::ParseTimestamp(f[kEndTime]);
        if (!end || *end < r.ts) return fail("invalid end time", f[kEndTime]);
        r.latency_ms = static_cast<double>(*end - r.ts);
    }
    if (has(kCostUsd)) {
        auto cost = non_negative(kCostUsd);
        if (!cost) return fail("the cost must be a non-negative number, got", f[kCostUsd]);
        if (has(kCurrency) && !IEquals(Trim(f[kCurrency]), "usd"))
            return fail("costs must be in USD, got", f[kCurrency]);
        r.cost_usd = *cost * (spec_ != nullptr ? spec_->cost_scale : 1.0);
        r.cost_from_file = true;
    }
    if (has(kBatchable)) {
        auto batchable = ParseBool(f[kBatchable]);
        if (!batchable) return fail("batchable must be true/false, got", f[kBatchable]);
        r.batchable = *batchable;
    }
    if (has(kBatched)) {
        auto batched = ParseBool(f[kBatched]);
        if (!batched) return fail("batch must be true/false, got", f[kBatched]);
        r.batched = *batched;
    }
    if (has(kServiceTier) && ContainsNoCase(f[kServiceTier], "batch")) r.batched = true;
    if (has(kContextWindow)) r.long_context = IsLongContext(f[kContextWindow]);
    bool cache_hit = false;
    if (has(kCacheHit)) cache_hit = ParseBool(f[kCacheHit]).value_or(false);
    if (has(kStatus)) r.success = StatusIsSuccess(f[kStatus]);
    if (has(kErrorType)) r.success = false;
    if (has(kSpanStatus)) {
        std::string_view code = Trim(f[kSpanStatus]);
        if (code == "2" || IEquals(code, "status_code_error") || IEquals(code, "error")) r.success = false;
    }

    ModelStats& stats = LookupModel(model, has(kProvider) ? Trim(f[kProvider]) : std::string_view());
    ++stats.rows;
    const std::int64_t row_tokens = r.input_tokens + r.output_tokens;
    stats.tokens += row_tokens;
    total_tokens_ += row_tokens;
    if (r.cost_from_file) {
        stats.file_cost.Add(*r.cost_usd);
        total_file_cost_.Add(*r.cost_usd);
    }
    if (stats.model != nullptr) {
        r.model = stats.model->model;
        // A call the proxy answered from its own cache reached no provider: its list price is nothing.
        // A stated context window (Anthropic's "0-200k" / "200k-1M") is the tier the provider billed.
        const ContextTier tier = !has(kContextWindow) ? ContextTier::kByPromptSize
                                 : r.long_context     ? ContextTier::kLong
                                                      : ContextTier::kStandard;
        r.list_cost_usd =
            cache_hit
                ? 0.0
                : Catalog::CostUsd(*stats.model, TokenUsage{r.input_tokens, r.cached_tokens, r.cache_write_5m_tokens,
                                                            r.cache_write_1h_tokens, r.output_tokens, r.request_count,
                                                            r.batched, tier, r.ts});
        if (!r.cost_usd) r.cost_usd = r.list_cost_usd;
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
    if (has(kEndUser)) {
        r.user.assign(Trim(f[kEndUser]));
    } else if (has(kUser)) {
        r.user.assign(Trim(f[kUser]));
    }
    if (has(kTeam)) r.team.assign(Trim(f[kTeam]));
    if (has(kApiKey)) r.api_key.assign(Trim(f[kApiKey]));
    if (has(kProject)) r.project.assign(Trim(f[kProject]));
    if (has(kTags)) r.tags = TagList(f[kTags], json_->tags_parser);
    ++summary_.rows;
    return true;
}

void OrderByTime(std::vector<domain::UsageRecord>& records) {
    auto by_time = [](const domain::UsageRecord& a, const domain::UsageRecord& b) { return a.ts < b.ts; };
    if (std::is_sorted(records.begin(), records.end(), by_time)) return;
    std::vector<std::pair<core::Millis, std::size_t>> keys(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) keys[i] = {records[i].ts, i};
    std::sort(keys.begin(), keys.end());  // the position breaks ties: stable
    std::vector<domain::UsageRecord> ordered;
    ordered.reserve(records.size());
    for (const auto& key : keys) ordered.push_back(std::move(records[key.second]));
    records.swap(ordered);
}

}  // namespace netra::analysis

// netra_gen_usage: writes a synthetic LLM usage log (SPEC §9 columns) as CSV or JSONL, deterministic by seed.
//
//   netra_gen_usage --rows 1000000 --format csv --seed 1 --out /tmp/usage.csv
//
// The mix imitates a real product's log: a handful of real model names with a long tail (and a few dated
// aliases and one model the catalog does not know), several features with their own token shapes, exact
// duplicate prompts (repeated prompt_hash), shared system-prompt prefixes (prefix_hash, with cached tokens),
// batchable background work, some error statuses and — about one row in 10 000 — a deliberately bad row
// (unparseable timestamp, empty model, non-numeric or negative tokens, cached > input, a truncated CSV line or
// broken JSON). cost_usd is always written, computed from the bundled catalog's list prices, so that another
// engine can total it without the catalog.
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/catalog.hpp"

namespace {

// splitmix64: tiny, fast and identical on every platform (std:: distributions are not).
struct Rng {
    std::uint64_t state;
    std::uint64_t Next() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
    std::uint64_t Below(std::uint64_t n) { return Next() % n; }
    bool Chance(double p) { return Uniform() < p; }
    // A rough log-normal-ish positive integer around `median` (product of uniforms keeps it cheap).
    std::int64_t Around(double median, double spread) {
        const double u = Uniform() * 2 - 1;  // [-1, 1)
        const double v = Uniform() * 2 - 1;
        double x = median * std::exp((u + v) * spread);
        return x < 1 ? 1 : static_cast<std::int64_t>(x);
    }
};

struct ModelMix {
    const char* name;      // as written in the log (some are dated aliases)
    const char* provider;  // "" → the log leaves provider empty (the ingest fills it from the catalog)
    double weight;
    double latency_base_ms;
};

constexpr ModelMix kModels[] = {
    {"gpt-4o-mini", "openai", 28, 450},
    {"gpt-4o", "openai", 18, 900},
    {"claude-3-5-sonnet", "anthropic", 12, 1100},
    {"claude-3-5-haiku", "anthropic", 8, 500},
    {"gpt-4.1-mini", "openai", 6, 500},
    {"gemini-1.5-flash", "google", 6, 400},
    {"gemini-1.5-pro", "google", 4, 1000},
    {"o3-mini", "openai", 3, 2500},
    {"claude-3-opus", "anthropic", 2, 2200},
    {"mistral-large", "mistral", 2, 900},
    {"llama-3-70b", "", 2, 700},
    {"gpt-3.5-turbo", "openai", 2, 350},
    {"gpt-4o-2024-08-06", "openai", 1.5, 900},
    {"claude-3-5-sonnet-20241022", "anthropic", 1.5, 1100},
    {"gpt-4.1-nano", "openai", 1.5, 300},
    {"acme-finetune-v2", "", 0.3, 600},  // not in the catalog: kept, with a warning
};

struct FeatureMix {
    const char* name;
    double weight;
    double input_median;
    double output_median;
    double batchable_p;  // share of this feature's calls that could run on a batch API
    int prefixes;        // distinct system prompts (shared prefixes)
};

constexpr FeatureMix kFeatures[] = {
    {"chat", 35, 1800, 350, 0.0, 4},  {"rag_answer", 20, 6000, 400, 0.0, 3}, {"summarize", 15, 4000, 250, 0.7, 2},
    {"classify", 12, 600, 8, 0.9, 2}, {"extract", 10, 2500, 300, 0.8, 3},    {"code_review", 8, 9000, 900, 0.3, 2},
};

template <class T, std::size_t N>
const T& Pick(Rng& rng, const T (&items)[N]) {
    double total = 0;
    for (const auto& it : items) total += it.weight;
    double x = rng.Uniform() * total;
    for (const auto& it : items) {
        if ((x -= it.weight) < 0) return it;
    }
    return items[N - 1];
}

void AppendInt(std::string& out, std::int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, r.ptr);
}

void AppendFixed(std::string& out, double v, int digits) {
    char buf[48];
    auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed, digits);
    out.append(buf, r.ptr);
}

void AppendHex(std::string& out, std::uint64_t v) {
    static constexpr char kDigits[] = "0123456789abcdef";
    for (int i = 60; i >= 0; i -= 4) out.push_back(kDigits[(v >> i) & 0xf]);
}

// RFC 3339 UTC with milliseconds, from epoch ms (H. Hinnant's civil_from_days).
void AppendRfc3339(std::string& out, std::int64_t ms) {
    std::int64_t secs = ms / 1000;
    const int millis = static_cast<int>(ms % 1000);
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    days += 719468;
    const std::int64_t era = days / 146097;
    const std::int64_t doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = yoe + era * 400;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[40];
    std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<int>(y), static_cast<int>(m),
                  static_cast<int>(d), static_cast<int>(rem / 3600), static_cast<int>(rem % 3600 / 60),
                  static_cast<int>(rem % 60), millis);
    out.append(buf);
}

enum class Format { kCsv, kJsonl };

struct Row {
    std::string timestamp;
    std::string model;
    std::string provider;
    std::string input_tokens;
    std::string output_tokens;
    std::string cached_tokens;
    std::string latency_ms;
    std::string cost_usd;
    std::string prompt_hash;
    std::string prefix_hash;
    std::string feature;
    std::string batchable;
    std::string status;
};

constexpr std::string_view kHeader =
    "timestamp,model,provider,input_tokens,output_tokens,cached_tokens,latency_ms,cost_usd,prompt_hash,"
    "prefix_hash,feature,batchable,status\n";

void AppendCsv(std::string& out, const Row& r, bool truncated) {
    // No field ever needs quoting: the generator writes no commas, quotes or newlines inside values.
    const std::string* fields[] = {&r.timestamp,     &r.model,      &r.provider, &r.input_tokens, &r.output_tokens,
                                   &r.cached_tokens, &r.latency_ms, &r.cost_usd, &r.prompt_hash,  &r.prefix_hash,
                                   &r.feature,       &r.batchable,  &r.status};
    const std::size_t n = truncated ? 7 : 13;
    for (std::size_t i = 0; i < n; ++i) {
        if (i != 0) out.push_back(',');
        out.append(*fields[i]);
    }
    out.push_back('\n');
}

void AppendJsonString(std::string& out, std::string_view key, std::string_view value, bool& first) {
    if (value.empty()) return;  // absent optional field
    out.append(first ? "{\"" : ",\"").append(key).append("\":\"").append(value).push_back('"');
    first = false;
}

void AppendJsonNumber(std::string& out, std::string_view key, std::string_view value, bool& first) {
    if (value.empty()) return;
    out.append(first ? "{\"" : ",\"").append(key).append("\":").append(value);
    first = false;
}

void AppendJsonl(std::string& out, const Row& r, bool broken, bool tokens_as_string) {
    const std::size_t start = out.size();
    bool first = true;
    AppendJsonString(out, "timestamp", r.timestamp, first);
    // Always written, even empty (the bad row "empty model").
    out.append(first ? "{\"" : ",\"").append("model\":\"").append(r.model).push_back('"');
    first = false;
    AppendJsonString(out, "provider", r.provider, first);
    if (tokens_as_string) {
        AppendJsonString(out, "input_tokens", r.input_tokens, first);
    } else {
        AppendJsonNumber(out, "input_tokens", r.input_tokens, first);
    }
    AppendJsonNumber(out, "output_tokens", r.output_tokens, first);
    AppendJsonNumber(out, "cached_tokens", r.cached_tokens, first);
    AppendJsonNumber(out, "latency_ms", r.latency_ms, first);
    AppendJsonNumber(out, "cost_usd", r.cost_usd, first);
    AppendJsonString(out, "prompt_hash", r.prompt_hash, first);
    AppendJsonString(out, "prefix_hash", r.prefix_hash, first);
    AppendJsonString(out, "feature", r.feature, first);
    AppendJsonNumber(out, "batchable", r.batchable, first);
    AppendJsonString(out, "status", r.status, first);
    if (broken) {
        out.resize(start + (out.size() - start) / 2);  // cut mid-object: invalid JSON
        out.push_back('\n');
        return;
    }
    out.append("}\n");
}

int Usage() {
    std::fprintf(stderr,
                 "usage: netra_gen_usage --rows N [--format csv|jsonl] [--seed S] [--bad-rate P] [--out FILE]\n"
                 "  writes N data rows (plus a CSV header) to FILE or stdout; P is the share of deliberately bad\n"
                 "  rows (default 0.0001)\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::int64_t rows = -1;
    Format format = Format::kCsv;
    std::uint64_t seed = 1;
    double bad_rate = 0.0001;
    const char* out_path = nullptr;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (arg == "--rows" && (v = value())) {
            rows = std::strtoll(v, nullptr, 10);
        } else if (arg == "--format" && (v = value())) {
            if (std::strcmp(v, "csv") == 0) {
                format = Format::kCsv;
            } else if (std::strcmp(v, "jsonl") == 0) {
                format = Format::kJsonl;
            } else {
                return Usage();
            }
        } else if (arg == "--seed" && (v = value())) {
            seed = std::strtoull(v, nullptr, 10);
        } else if (arg == "--bad-rate" && (v = value())) {
            bad_rate = std::strtod(v, nullptr);
        } else if (arg == "--out" && (v = value())) {
            out_path = v;
        } else {
            return Usage();
        }
    }
    if (rows < 0) return Usage();

    std::FILE* out = out_path != nullptr ? std::fopen(out_path, "wb") : stdout;
    if (out == nullptr) {
        std::perror(out_path);
        return 1;
    }
    const auto& catalog = netra::analysis::BundledCatalog();
    Rng rng{seed};
    std::string buf;
    buf.reserve(1 << 21);
    if (format == Format::kCsv) buf.append(kHeader);

    std::int64_t ts = 1'735'689'600'000;       // 2025-01-01T00:00:00Z
    std::deque<std::uint64_t> recent_prompts;  // exact repeats come from the recent past (caching opportunity)
    std::int64_t bad_rows = 0;
    Row r;
    for (std::int64_t i = 0; i < rows; ++i) {
        ts += static_cast<std::int64_t>(rng.Below(180));  // ~5.5 calls/s on average, bursts of equal timestamps
        const ModelMix& model = Pick(rng, kModels);
        const FeatureMix& feature = Pick(rng, kFeatures);

        r.timestamp.clear();
        AppendRfc3339(r.timestamp, ts);
        r.model = model.name;
        r.provider = model.provider;
        r.feature = rng.Chance(0.03) ? "" : feature.name;

        std::int64_t input = rng.Around(feature.input_median, 0.9);
        const std::int64_t output = rng.Around(feature.output_median, 0.8);
        std::int64_t cached = 0;
        r.prefix_hash.clear();
        if (rng.Chance(0.7)) {  // a shared system prompt: its tokens are cache hits after the first call
            const auto prefix = static_cast<std::uint64_t>(&feature - kFeatures) * 16 + rng.Below(feature.prefixes);
            AppendHex(r.prefix_hash, prefix * 0x9e3779b97f4a7c15ULL);
            const std::int64_t prefix_tokens = 400 + static_cast<std::int64_t>(prefix % 7) * 300;
            input += prefix_tokens;
            if (rng.Chance(0.6)) cached = prefix_tokens;
        }
        r.prompt_hash.clear();
        std::uint64_t prompt = rng.Next();
        if (!recent_prompts.empty() && rng.Chance(0.15)) {
            prompt = recent_prompts[rng.Below(recent_prompts.size())];  // an exact duplicate call
        } else {
            recent_prompts.push_back(prompt);
            if (recent_prompts.size() > 5000) recent_prompts.pop_front();
        }
        if (!rng.Chance(0.02)) AppendHex(r.prompt_hash, prompt);

        r.input_tokens.clear();
        AppendInt(r.input_tokens, input);
        r.output_tokens.clear();
        AppendInt(r.output_tokens, output);
        r.cached_tokens.clear();
        AppendInt(r.cached_tokens, cached);

        r.latency_ms.clear();
        AppendFixed(r.latency_ms, model.latency_base_ms * (0.5 + rng.Uniform()) + static_cast<double>(output) * 8.0, 1);

        r.cost_usd.clear();
        const netra::analysis::CatalogModel* priced = catalog.Find(model.name);
        const double cost = priced != nullptr
                                ? netra::analysis::Catalog::CostUsd(*priced, input, output, cached)
                                : (static_cast<double>(input) * 0.5 + static_cast<double>(output) * 1.5) / 1e6;
        AppendFixed(r.cost_usd, cost, 8);

        r.batchable = rng.Chance(feature.batchable_p) ? "true" : "false";
        const double s = rng.Uniform();
        r.status = s < 0.955 ? "ok" : s < 0.965 ? "200" : s < 0.975 ? "error" : s < 0.99 ? "429" : "500";

        bool truncated = false;
        bool broken = false;
        bool tokens_as_string = false;
        if (rng.Chance(bad_rate)) {
            ++bad_rows;
            switch (rng.Below(6)) {
                case 0:
                    r.timestamp = "not-a-date";
                    break;
                case 1:
                    r.model.clear();
                    break;
                case 2:
                    r.input_tokens = "12x";
                    tokens_as_string = true;
                    break;
                case 3:
                    r.output_tokens = "-5";
                    break;
                case 4:
                    r.cached_tokens = std::to_string(input + 1);  // more cached than sent
                    break;
                default:
                    truncated = format == Format::kCsv;
                    broken = format == Format::kJsonl;
                    break;
            }
        }
        if (format == Format::kCsv) {
            AppendCsv(buf, r, truncated);
        } else {
            AppendJsonl(buf, r, broken, tokens_as_string);
        }
        if (buf.size() >= (1 << 20)) {
            if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
                std::perror("write");
                return 1;
            }
            buf.clear();
        }
    }
    if (!buf.empty() && std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
        std::perror("write");
        return 1;
    }
    if (out != stdout && std::fclose(out) != 0) {
        std::perror("close");
        return 1;
    }
    std::fprintf(stderr, "netra_gen_usage: %lld rows (%lld deliberately bad) written\n", static_cast<long long>(rows),
                 static_cast<long long>(bad_rows));
    return 0;
}

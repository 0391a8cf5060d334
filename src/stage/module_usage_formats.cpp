// Module 3 — agent_pipeline, usage exports (issue 8): one check per export format POST /api/datasets reads. Each
// check writes a small but realistic file in that format (a week of traffic, 2025-10-06 to 2025-10-12, on models
// the published catalog lists — chosen at run time from GET /api/catalog/models by name, written as the export would
// write them: dated snapshot ids, provider prefixes), with cache reads and writes, a long-context Anthropic bucket,
// a batch row, one deliberately bad row on a known line and what each format has of its own (an empty bucket, a
// span that is no LLM call, a bill that differs from the list price). It uploads the file with no ?format= (the
// syntax named by the Content-Type, the source detected), then again as application/octet-stream with the source
// forced, and compares the answer — and GET /api/datasets/{id} — with what the test computes itself from the rows
// it wrote and the catalog JSON. Nothing here calls the server's analysis code.
//
// The expected figures, all in USD, prices per 1M tokens:
//   tokens (the server's convention for every source): input = ALL input tokens = uncached + cache_read +
//     cache_write_5m + cache_write_1h. Per source: OpenAI input_tokens include input_cached_tokens (reads);
//     Anthropic counts uncached input apart (input = no_cache + writes + reads); LiteLLM and Helicone prompt tokens
//     include reads and writes; OTel gen_ai.usage.input_tokens include reads; Langfuse usageDetails are additive
//     (input excludes cache reads).
//   model: the written name resolves against the published catalog — with a provider named by the row, that
//     provider's names then its match rules; an exact id; a provider prefix "p/rest"; names and aliases (first
//     listed provider), yielding to an earlier provider's match rule; a dated or -latest suffix stripped.
//   price period: the last whose `from` ≤ the row's time (the first when none has begun). A price is a number or
//     {base, tiers:[{start, price}]}: a request whose input tokens exceed `start` pays that tier's price for all
//     its tokens of the kind. Request size = input / requests (aggregate rows; 1 when the export does not count
//     requests); an Anthropic row stating its context window is billed at that window's tier: "0-200k" the base
//     price, above 200k the first tier. Missing prices fall back: cache read → input, cache write → input,
//     cache write 1h → cache write.
//   list cost of a row = (uncached × input + cache_read × read + cache_write_5m × write + cache_write_1h × write_1h
//     + output × output) / 1e6, × (1 − batch_discount) when batched; rows on models the catalog does not know have
//     none. list_cost_usd = Σ list cost; total_cost_usd = Σ (the file's own cost where the row has one, else the
//     list cost); billed_rows = rows with the file's own cost (Anthropic's cost report is in cents: amount / 100).
//   requests = Σ request counts (num_model_requests; 1 per row of a request-grain export); null when an aggregate
//     export does not count them.
//   reconciliation, per model over rows with the file's own cost: billed = Σ bill, list = Σ list cost,
//     difference = billed − list, difference_pct = difference / list × 100, flagged when |difference_pct| > 2. The
//     files bill one model 3–10 % off the list price (must be flagged) and another within 2 % (absent or not
//     flagged). Cost-only exports (no tokens: list 0, percentage undefined): only rows and billed_usd of the entries
//     present are compared.
//   unknown_models: the written names the catalog does not resolve, with their row counts (row_share = rows /
//     all rows).
// Counts and tokens must be exact; costs to 1e-9 relative.
#include "stage/module_usage_formats.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "stage/process.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

constexpr double kRelTolerance = 1e-9;
constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kStartMs = 1'759'708'800'000;  // 2025-10-06T00:00:00Z, a Monday
constexpr const char* kUnknownModel = "acme-support-llm-v3";

// ---------------------------------------------------------------- small helpers

std::optional<double> Num(const json::value& v) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return std::nullopt;
}

std::optional<double> Num(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    return Num(it->value());
}

const json::array* Arr(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}

std::string Fmt(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.12g", v);
    return buf;
}

// A cost as an export writes it (10 significant digits); the test uses the value parsed back from this text.
std::string CostText(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

std::string Fixed(double v, int places) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", places, v);
    return buf;
}

double ParseDouble(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

std::string CsvLine(const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + CsvField(cells[i]);
    return line + "\n";
}

std::tm Utc(std::int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    return tm;
}

// "2025-10-06T09:15:32.123Z" (millis) or "2025-10-06T09:15:32Z".
std::string Iso(std::int64_t ms, bool millis = true) {
    std::tm tm = Utc(ms);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string s = buf;
    if (millis) {
        char frac[8];
        std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(ms % 1000));
        s += frac;
    }
    return s + "Z";
}

// OpenAI's *_iso columns: "2025-10-06T00:00:00+00:00".
std::string IsoOffset(std::int64_t ms) {
    std::string s = Iso(ms, false);
    return s.substr(0, s.size() - 1) + "+00:00";
}

std::string Date(std::int64_t ms) {
    std::tm tm = Utc(ms);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

std::optional<std::int64_t> DateMs(const std::string& text) {
    int y = 0, m = 0, d = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%d", &y, &m, &d) != 3) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// Raw engine output (every standard library agrees on it), so the files are the same everywhere.
struct Rng {
    std::mt19937_64 engine;
    explicit Rng(std::uint64_t seed) : engine(seed) {}
    std::int64_t Below(std::int64_t n) { return static_cast<std::int64_t>(engine() % static_cast<std::uint64_t>(n)); }
    std::int64_t Between(std::int64_t lo, std::int64_t hi) { return lo + Below(hi - lo + 1); }
    std::string Hex(int chars) {
        static const char* digits = "0123456789abcdef";
        std::string s;
        for (int i = 0; i < chars; ++i) s += digits[Below(16)];
        return s;
    }
};

// A JSON document written one record per line, so that every record's line is known.
class Lines {
  public:
    std::int64_t Add(std::string line) {
        lines_.push_back(std::move(line));
        return static_cast<std::int64_t>(lines_.size());
    }
    // Items one per line, comma-separated (the last one without); each item's line.
    std::vector<std::int64_t> AddItems(const std::vector<std::string>& items) {
        std::vector<std::int64_t> at;
        for (std::size_t i = 0; i < items.size(); ++i) at.push_back(Add(items[i] + (i + 1 < items.size() ? "," : "")));
        return at;
    }
    std::string Text() const {
        std::string s;
        for (const auto& l : lines_) s += l + "\n";
        return s;
    }

  private:
    std::vector<std::string> lines_;
};

// ---------------------------------------------------------------- the catalog, as the server publishes it

struct Price {
    double base = 0;
    std::vector<std::pair<std::int64_t, double>> tiers;  // (start, price), ascending start
    double At(std::int64_t request_input) const {
        double p = base;
        for (const auto& [start, tier_price] : tiers) {
            if (request_input > start) p = tier_price;
        }
        return p;
    }
    double LongContext() const { return tiers.empty() ? base : tiers.front().second; }
};

struct Period {
    std::optional<std::int64_t> from_ms;  // none: from the beginning
    Price input, output;
    std::optional<Price> cache_read, cache_write, cache_write_1h;
};

struct CatModel {
    std::string id, provider, model;
    std::vector<std::string> names;  // lower-cased model and aliases
    std::optional<json::value> match;
    std::vector<Period> periods;  // null `from` first, then ascending
    double batch_discount = 0;
    int provider_rank = 0;  // order of the provider's first appearance

    const Period& At(std::int64_t ts_ms) const {
        const Period* chosen = &periods.front();
        for (const auto& p : periods) {
            if (!p.from_ms || *p.from_ms <= ts_ms) chosen = &p;
        }
        return *chosen;
    }
    bool Tiered() const {
        for (const auto& p : periods) {
            if (!p.input.tiers.empty() || !p.output.tiers.empty()) return true;
        }
        return false;
    }
};

Price ParsePrice(const json::value& v, const std::string& where) {
    if (auto n = Num(v)) return Price{*n, {}};
    Expect(v.is_object(), where + " is neither a number nor {base, tiers}: " + Quote(v));
    const auto& o = v.get_object();
    auto base = Num(o, "base");
    Expect(base.has_value(), where + " has no numeric base: " + Quote(v));
    Price p{*base, {}};
    if (const auto* tiers = Arr(o, "tiers")) {
        for (const auto& t : *tiers) {
            Expect(t.is_object(), where + ": a tier is not an object: " + Quote(v));
            auto start = Num(t.get_object(), "start");
            auto price = Num(t.get_object(), "price");
            Expect(start && price, where + ": a tier lacks start or price: " + Quote(t));
            p.tiers.emplace_back(static_cast<std::int64_t>(*start), *price);
        }
    }
    std::sort(p.tiers.begin(), p.tiers.end());
    return p;
}

class PublishedCatalog {
  public:
    std::string as_of;
    std::vector<CatModel> models;

    static PublishedCatalog Fetch(HttpClient& http) {
        auto r = Must(http.Get("/api/catalog/models"), "GET /api/catalog/models");
        const auto& o = ExpectJson(r, {200}, "GET /api/catalog/models");
        const auto* data = Arr(o, "data");
        Expect(data && !data->empty(), "GET /api/catalog/models has no data array: " + Quote(o));
        PublishedCatalog c;
        c.as_of = JStr(o, "as_of");
        if (const auto* aliases = JObj(o, "provider_aliases")) {
            for (const auto& kv : *aliases) {
                if (kv.value().is_string()) {
                    c.provider_aliases_[Lower(std::string(kv.key()))] = Lower(std::string(kv.value().get_string()));
                }
            }
        }
        for (const auto& v : *data) {
            Expect(v.is_object(), "a catalog entry is not an object: " + Quote(v));
            c.models.push_back(c.ParseModel(v.get_object()));
        }
        return c;
    }

    // The catalog model a written name (and the provider its row names, if any) stands for; nullptr = unknown.
    const CatModel* Resolve(const std::string& name, const std::string& provider_hint = {}) const {
        std::string memo_key = Lower(name) + '\x1f' + Lower(provider_hint);
        if (auto it = memo_.find(memo_key); it != memo_.end()) return it->second;
        const CatModel* m = ResolveKey(Lower(name), ProviderOf(provider_hint), 0);
        memo_.emplace(memo_key, m);
        return m;
    }

  private:
    std::map<std::string, std::string> provider_aliases_;  // "bedrock" → "aws"
    std::map<std::string, int> provider_rank_;
    mutable std::map<std::string, std::regex> regexes_;
    mutable std::map<std::string, const CatModel*> memo_;

    CatModel ParseModel(const json::object& e) {
        CatModel m;
        m.id = JStr(e, "id");
        m.provider = Lower(JStr(e, "provider"));
        m.model = JStr(e, "model");
        Expect(!m.model.empty() && !m.provider.empty(), "catalog entry without model or provider: " + Quote(e));
        if (m.id.empty()) m.id = m.provider + "/" + m.model;
        std::string where = "catalog entry " + m.id;
        m.names.push_back(Lower(m.model));
        if (const auto* aliases = Arr(e, "aliases")) {
            for (const auto& a : *aliases) {
                if (a.is_string()) m.names.push_back(Lower(std::string(a.get_string())));
            }
        }
        if (const auto* match = e.if_contains("match"); match && !match->is_null()) m.match = *match;
        m.batch_discount = Num(e, "batch_discount").value_or(0);
        m.provider_rank = provider_rank_.emplace(m.provider, static_cast<int>(provider_rank_.size())).first->second;
        if (const auto* prices = Arr(e, "prices"); prices && !prices->empty()) {
            for (const auto& pv : *prices) {
                Expect(pv.is_object(), where + ": a prices entry is not an object: " + Quote(pv));
                const auto& po = pv.get_object();
                Period p;
                if (const auto* from = po.if_contains("from"); from && from->is_string()) {
                    p.from_ms = DateMs(std::string(from->get_string()));
                    Expect(p.from_ms.has_value(), where + ": unreadable from date " + Quote(*from));
                }
                const auto* input = po.if_contains("input_mtok");
                Expect(input != nullptr, where + ": a price period has no input_mtok: " + Quote(po));
                p.input = ParsePrice(*input, where + ".input_mtok");
                if (const auto* v = po.if_contains("output_mtok")) p.output = ParsePrice(*v, where + ".output_mtok");
                if (const auto* v = po.if_contains("cache_read_mtok")) {
                    p.cache_read = ParsePrice(*v, where + ".cache_read_mtok");
                }
                if (const auto* v = po.if_contains("cache_write_mtok")) {
                    p.cache_write = ParsePrice(*v, where + ".cache_write_mtok");
                }
                if (const auto* v = po.if_contains("cache_write_1h_mtok")) {
                    p.cache_write_1h = ParsePrice(*v, where + ".cache_write_1h_mtok");
                }
                m.periods.push_back(std::move(p));
            }
        } else {
            // A catalog without price periods: its flat prices (0 = not published).
            Period p;
            p.input.base = Num(e, "input_per_mtok").value_or(0);
            p.output.base = Num(e, "output_per_mtok").value_or(0);
            if (auto v = Num(e, "cached_input_per_mtok")) p.cache_read = Price{*v, {}};
            if (auto v = Num(e, "cache_write_per_mtok"); v && *v > 0) p.cache_write = Price{*v, {}};
            if (auto v = Num(e, "cache_write_1h_per_mtok"); v && *v > 0) p.cache_write_1h = Price{*v, {}};
            m.periods.push_back(std::move(p));
        }
        std::stable_sort(m.periods.begin(), m.periods.end(), [](const Period& a, const Period& b) {
            return a.from_ms.value_or(std::numeric_limits<std::int64_t>::min()) <
                   b.from_ms.value_or(std::numeric_limits<std::int64_t>::min());
        });
        return m;
    }

    std::string ProviderOf(const std::string& name) const {
        std::string p = Lower(name);
        if (p.empty()) return {};
        if (provider_rank_.contains(p)) return p;
        if (auto it = provider_aliases_.find(p); it != provider_aliases_.end() && provider_rank_.contains(it->second)) {
            return it->second;
        }
        return {};
    }

    bool Matches(const json::value& rule, const std::string& key) const {
        if (!rule.is_object() || rule.get_object().size() != 1) return false;
        const auto& kv = *rule.get_object().begin();
        std::string_view kind = kv.key();
        if (kind == "or" || kind == "and") {
            if (!kv.value().is_array()) return false;
            for (const auto& child : kv.value().get_array()) {
                bool m = Matches(child, key);
                if (kind == "or" && m) return true;
                if (kind == "and" && !m) return false;
            }
            return kind == "and";
        }
        if (!kv.value().is_string()) return false;
        std::string text(kv.value().get_string());
        if (kind == "regex") {
            auto it = regexes_.find(text);
            if (it == regexes_.end()) {
                it = regexes_.emplace(text, std::regex(text, std::regex::ECMAScript | std::regex::icase)).first;
            }
            return std::regex_search(key, it->second);
        }
        text = Lower(text);
        if (kind == "equals") return key == text;
        if (kind == "starts_with") return key.starts_with(text);
        if (kind == "ends_with") return key.ends_with(text);
        if (kind == "contains") return key.find(text) != std::string::npos;
        return false;
    }

    bool HasName(const CatModel& m, const std::string& key) const {
        return std::find(m.names.begin(), m.names.end(), key) != m.names.end();
    }

    const CatModel* InProvider(const std::string& provider, const std::string& key) const {
        for (const auto& m : models) {
            if (m.provider == provider && HasName(m, key)) return &m;
        }
        for (const auto& m : models) {
            if (m.provider == provider && m.match && Matches(*m.match, key)) return &m;
        }
        return nullptr;
    }

    const CatModel* ResolveKey(const std::string& key, const std::string& provider, int depth) const {
        if (key.empty() || depth > 8) return nullptr;
        if (!provider.empty()) {
            if (const auto* m = InProvider(provider, key)) return m;
        }
        for (const auto& m : models) {
            if (Lower(m.id) == key) return &m;
        }
        if (auto slash = key.find('/'); slash != std::string::npos) {
            std::string head = ProviderOf(key.substr(0, slash));
            std::string rest = key.substr(slash + 1);
            if (!head.empty() && !rest.empty()) {
                if (const auto* m = InProvider(head, rest)) return m;
                if (const auto* m = ResolveKey(rest, {}, depth + 1)) return m;
            }
        }
        const CatModel* exact = nullptr;
        for (const auto& m : models) {
            if (HasName(m, key)) {
                exact = &m;
                break;
            }
        }
        int rank_limit = exact ? exact->provider_rank : std::numeric_limits<int>::max();
        for (const auto& m : models) {
            if (m.provider_rank < rank_limit && m.match && Matches(*m.match, key)) return &m;
        }
        if (exact) return exact;
        static const std::regex snapshot(R"(^(.+?)(-latest|-\d{8}|-\d{4}-\d{2}-\d{2}|@\d{8}|@latest)$)");
        std::smatch sm;
        if (std::regex_match(key, sm, snapshot)) return ResolveKey(sm[1].str(), provider, depth + 1);
        return nullptr;
    }
};

// ---------------------------------------------------------------- list prices, computed by the test

enum class TierBy { kPrompt, kStandard, kLongContext };

struct Tokens {
    std::int64_t uncached = 0, cache_read = 0, cache_write_5m = 0, cache_write_1h = 0, output = 0, reasoning = 0;
    std::int64_t Input() const { return uncached + cache_read + cache_write_5m + cache_write_1h; }
    Tokens& operator+=(const Tokens& o) {
        uncached += o.uncached, cache_read += o.cache_read, cache_write_5m += o.cache_write_5m;
        cache_write_1h += o.cache_write_1h, output += o.output, reasoning += o.reasoning;
        return *this;
    }
};

// `requests` 0 = the export does not count them (the row is priced as one request).
double ListCost(const CatModel& m, const Tokens& t, std::int64_t ts_ms, std::int64_t requests, bool batch,
                TierBy tier) {
    const Period& p = m.At(ts_ms);
    std::int64_t request_input = t.Input() / std::max<std::int64_t>(requests, 1);
    auto at = [&](const Price& price) {
        switch (tier) {
            case TierBy::kStandard:
                return price.base;
            case TierBy::kLongContext:
                return price.LongContext();
            case TierBy::kPrompt:
                break;
        }
        return price.At(request_input);
    };
    double input_price = at(p.input);
    double read_price = p.cache_read ? at(*p.cache_read) : input_price;
    double write_price = p.cache_write ? at(*p.cache_write) : input_price;
    double write_1h_price = p.cache_write_1h ? at(*p.cache_write_1h) : write_price;
    double cost =
        (static_cast<double>(t.uncached) * input_price + static_cast<double>(t.cache_read) * read_price +
         static_cast<double>(t.cache_write_5m) * write_price + static_cast<double>(t.cache_write_1h) * write_1h_price +
         static_cast<double>(t.output) * at(p.output)) /
        1e6;
    return batch ? cost * (1 - m.batch_discount) : cost;
}

// ---------------------------------------------------------------- the models the files use

struct Pick {
    const CatModel* model = nullptr;
    std::string name;      // the catalog's model name, "claude-sonnet-4-5"
    std::string dated;     // as a provider's export writes it, "claude-sonnet-4-5-20250929" (name when that
                           // snapshot id does not resolve to the same model)
    std::string provider;  // the catalog's provider, "anthropic"
};

using Candidates = std::vector<std::pair<std::string, std::string>>;  // (model name, dated snapshot id)

const Candidates kOpenAiMain = {{"gpt-5-mini", "gpt-5-mini-2025-08-07"},
                                {"gpt-4.1-mini", "gpt-4.1-mini-2025-04-14"},
                                {"gpt-4o-mini", "gpt-4o-mini-2024-07-18"}};
const Candidates kOpenAiLarge = {
    {"gpt-5", "gpt-5-2025-08-07"}, {"gpt-4.1", "gpt-4.1-2025-04-14"}, {"gpt-4o", "gpt-4o-2024-08-06"}};
const Candidates kOpenAiSmall = {{"gpt-5-nano", "gpt-5-nano-2025-08-07"},
                                 {"gpt-4.1-nano", "gpt-4.1-nano-2025-04-14"},
                                 {"gpt-3.5-turbo", "gpt-3.5-turbo-0125"}};
const Candidates kAnthropicMain = {{"claude-sonnet-4-5", "claude-sonnet-4-5-20250929"},
                                   {"claude-sonnet-4", "claude-sonnet-4-20250514"},
                                   {"claude-3-7-sonnet", "claude-3-7-sonnet-20250219"},
                                   {"claude-3-5-sonnet", "claude-3-5-sonnet-20241022"}};
const Candidates kAnthropicSmall = {{"claude-haiku-4-5", "claude-haiku-4-5-20251001"},
                                    {"claude-3-5-haiku", "claude-3-5-haiku-20241022"},
                                    {"claude-3-haiku", "claude-3-haiku-20240307"}};
const Candidates kAnthropicLarge = {{"claude-opus-4-1", "claude-opus-4-1-20250805"},
                                    {"claude-opus-4", "claude-opus-4-20250514"},
                                    {"claude-3-opus", "claude-3-opus-20240229"}};
const Candidates kGoogle = {{"gemini-2.5-flash", "gemini-2.5-flash"},
                            {"gemini-2.0-flash", "gemini-2.0-flash-001"},
                            {"gemini-1.5-flash", "gemini-1.5-flash-002"}};

Pick PickModel(const PublishedCatalog& c, const Candidates& candidates, const std::vector<const Pick*>& taken = {}) {
    std::string tried;
    for (const auto& [name, dated] : candidates) {
        tried += (tried.empty() ? "" : ", ") + name;
        const CatModel* m = c.Resolve(name);
        if (m == nullptr || Lower(m->model) != name) continue;
        bool used = false;
        for (const Pick* t : taken) used |= t->model == m;
        if (used) continue;
        Pick p{m, m->model, c.Resolve(dated) == m ? dated : m->model, m->provider};
        return p;
    }
    Fail("the published catalog (GET /api/catalog/models) lists none of " + tried + ", which the test data needs");
}

// "gemini/gemini-2.5-flash" when that spelling resolves to the same model, else the dated name.
std::string Prefixed(const PublishedCatalog& c, const Pick& p, const std::string& prefix) {
    std::string s = prefix + "/" + p.dated;
    return c.Resolve(s) == p.model ? s : p.dated;
}

// ---------------------------------------------------------------- a file under test and its expected figures

struct Row {  // one valid row, as the server must read it
    std::int64_t ts_ms = 0;
    std::string model;          // as written
    std::string provider_hint;  // the provider the row names ("" none)
    Tokens tokens;
    std::optional<std::int64_t> requests;  // nullopt: the export does not count requests
    bool batch = false;
    TierBy tier = TierBy::kPrompt;
    std::optional<double> bill;  // the file's own cost, USD
};

struct TestFile {
    std::string label;       // "OpenAI usage CSV"
    std::string name;        // dataset name
    std::string body;        // the file
    std::string media_type;  // names the syntax
    std::string syntax, source, grain;
    std::string forced;  // the ?format= of the second upload
    std::vector<Row> rows;
    std::vector<std::int64_t> bad_lines;
    bool counts_requests = true;
    bool cost_only = false;
    std::int64_t skipped_records = 0;  // trace records that are no LLM call (for the note)
    std::string note;                  // what else the file exercises (for the note)
};

TestFile MakeFile(std::string label, std::string name, std::string media_type, std::string syntax, std::string source,
                  std::string grain, std::string forced) {
    TestFile f;
    f.label = std::move(label);
    f.name = std::move(name);
    f.media_type = std::move(media_type);
    f.syntax = std::move(syntax);
    f.source = std::move(source);
    f.grain = std::move(grain);
    f.forced = std::move(forced);
    return f;
}

struct Reconciled {
    const CatModel* model = nullptr;
    std::int64_t rows = 0;
    double billed = 0, list = 0;
    double Difference() const { return billed - list; }
    double Pct() const { return list != 0 ? Difference() / list * 100 : 0; }
    bool Flagged() const { return std::abs(Pct()) > 2; }
};

struct Expected {
    std::int64_t rows = 0;
    std::optional<std::int64_t> requests;
    Tokens tokens;
    double total = 0, list = 0;
    std::int64_t billed_rows = 0;
    std::map<std::string, Reconciled> reconciliation;  // by catalog id
    std::map<std::string, std::int64_t> unknown;       // lower-cased written name → rows
};

Expected Compute(const TestFile& f, const PublishedCatalog& c) {
    Expected e;
    e.rows = static_cast<std::int64_t>(f.rows.size());
    std::int64_t requests = 0;
    for (const Row& r : f.rows) {
        e.tokens += r.tokens;
        requests += r.requests.value_or(0);
        const CatModel* m = c.Resolve(r.model, r.provider_hint);
        std::optional<double> list;
        if (m) list = ListCost(*m, r.tokens, r.ts_ms, r.requests.value_or(0), r.batch, r.tier);
        e.list += list.value_or(0);
        e.total += r.bill ? *r.bill : list.value_or(0);
        if (r.bill) {
            ++e.billed_rows;
            if (m) {
                auto& rec = e.reconciliation[m->id];
                rec.model = m;
                ++rec.rows;
                rec.billed += *r.bill;
                rec.list += *list;
            }
        }
        if (!m) ++e.unknown[Lower(r.model)];
    }
    if (f.counts_requests) e.requests = requests;
    return e;
}

// ---------------------------------------------------------------- comparing the server's answer

// Collects every difference, so one failure shows all of them.
class Diffs {
  public:
    explicit Diffs(std::string where) : where_(std::move(where)) {}
    void Add(const std::string& what) { items_.push_back(what); }
    void Int(const json::object& o, std::string_view key, std::int64_t want, const std::string& path) {
        auto got = Num(o, key);
        std::string name = path + std::string(key);
        if (!got) {
            Add(name + ": missing or not a number (" + Quote(o.contains(key) ? o.at(key) : json::value(nullptr)) +
                "), the test computes " + std::to_string(want));
        } else if (*got != static_cast<double>(want)) {
            Add(name + ": server says " + Fmt(*got) + ", the test computes " + std::to_string(want));
        }
    }
    void Usd(const json::object& o, std::string_view key, double want, const std::string& path) {
        auto got = Num(o, key);
        std::string name = path + std::string(key);
        if (!got) {
            Add(name + ": missing or not a number, the test computes " + Fmt(want));
        } else if (std::abs(*got - want) > kRelTolerance * std::max(std::abs(want), 1e-12)) {
            Add(name + ": server says " + Fmt(*got) + ", the test computes " + Fmt(want) + " (relative difference " +
                Fmt(want != 0 ? (*got - want) / want : *got) + ")");
        }
    }
    void Str(const json::object& o, std::string_view key, const std::string& want, const std::string& path) {
        std::string got = JStr(o, key);
        if (got != want) Add(path + std::string(key) + ": server says '" + got + "', expected '" + want + "'");
    }
    void Done() const {
        if (!items_.empty()) Fail(where_ + ": " + Join(items_, "; "));
    }

  private:
    std::string where_;
    std::vector<std::string> items_;
};

bool SameModel(const std::string& written, const CatModel& m) {
    std::string w = Lower(written);
    return w == Lower(m.model) || w == Lower(m.id);
}

void CheckReconciliation(const json::object& p, const Expected& e, const TestFile& f, Diffs& d) {
    const auto* arr = Arr(p, "reconciliation");
    if (arr == nullptr) {
        d.Add("profile.reconciliation: missing or not an array");
        return;
    }
    std::set<std::string> seen;
    for (const auto& v : *arr) {
        if (!v.is_object()) {
            d.Add("profile.reconciliation: an entry is not an object: " + Quote(v));
            continue;
        }
        const auto& entry = v.get_object();
        std::string model = JStr(entry, "model");
        const Reconciled* want = nullptr;
        for (const auto& [id, rec] : e.reconciliation) {
            if (SameModel(model, *rec.model)) {
                want = &rec;
                seen.insert(id);
            }
        }
        bool flagged = entry.contains("flagged") && entry.at("flagged").is_bool() && entry.at("flagged").get_bool();
        if (want == nullptr) {
            if (flagged && !e.unknown.contains(Lower(model))) {
                d.Add("profile.reconciliation flags '" + model +
                      "', which has no billed rows in the file: " + Quote(entry));
            }
            continue;
        }
        std::string path = "profile.reconciliation[" + model + "].";
        d.Int(entry, "rows", want->rows, path);
        d.Usd(entry, "billed_usd", want->billed, path);
        if (f.cost_only) continue;  // no tokens: the list price is 0 and the percentage undefined
        d.Usd(entry, "list_usd", want->list, path);
        d.Usd(entry, "difference_usd", want->Difference(), path);
        d.Usd(entry, "difference_pct", want->Pct(), path);
        if (flagged != want->Flagged()) {
            d.Add(path + "flagged: server says " + (flagged ? "true" : "false") + ", the test computes " +
                  (want->Flagged() ? "true" : "false") + " (billed " + Fmt(want->billed) + " vs list " +
                  Fmt(want->list) + ", " + Fmt(want->Pct()) + " %)");
        }
    }
    if (f.cost_only) return;
    for (const auto& [id, rec] : e.reconciliation) {
        if (rec.Flagged() && !seen.contains(id)) {
            d.Add("profile.reconciliation has no entry for " + rec.model->model + ", billed " + Fmt(rec.billed) +
                  " vs list " + Fmt(rec.list) + " (" + Fmt(rec.Pct()) +
                  " %, must be flagged): " + Quote(json::value(*arr), 600));
        }
    }
}

void CheckUnknownModels(const json::object& p, const Expected& e, Diffs& d) {
    const auto* arr = Arr(p, "unknown_models");
    if (arr == nullptr) {
        d.Add("profile.unknown_models: missing or not an array");
        return;
    }
    std::set<std::string> seen;
    for (const auto& v : *arr) {
        if (!v.is_object()) {
            d.Add("profile.unknown_models: an entry is not an object: " + Quote(v));
            continue;
        }
        const auto& entry = v.get_object();
        std::string model = Lower(JStr(entry, "model"));
        auto it = e.unknown.find(model);
        if (it == e.unknown.end()) {
            d.Add("profile.unknown_models lists '" + JStr(entry, "model") +
                  "', which the published catalog resolves (the test prices it)");
            continue;
        }
        seen.insert(model);
        std::string path = "profile.unknown_models[" + model + "].";
        d.Int(entry, "rows", it->second, path);
        d.Usd(entry, "row_share", static_cast<double>(it->second) / static_cast<double>(e.rows), path);
    }
    for (const auto& [name, rows] : e.unknown) {
        if (!seen.contains(name)) {
            d.Add("profile.unknown_models does not list '" + name + "' (" + std::to_string(rows) +
                  " rows the catalog does not know): " + Quote(json::value(*arr), 400));
        }
    }
}

void CheckProfile(const json::object& p, const TestFile& f, const Expected& e, Diffs& d) {
    d.Int(p, "rows", e.rows, "profile.");
    const json::value* requests = p.if_contains("requests");
    if (requests == nullptr) {
        d.Add("profile.requests: missing");
    } else if (e.requests) {
        d.Int(p, "requests", *e.requests, "profile.");
    } else if (!requests->is_null()) {
        d.Add("profile.requests: server says " + Quote(*requests) + ", the test expects null (" + f.label +
              " does not count requests)");
    }
    if (const auto* t = JObj(p, "tokens")) {
        d.Int(*t, "input", e.tokens.Input(), "profile.tokens.");
        d.Int(*t, "uncached_input", e.tokens.uncached, "profile.tokens.");
        d.Int(*t, "cache_read", e.tokens.cache_read, "profile.tokens.");
        d.Int(*t, "cache_write_5m", e.tokens.cache_write_5m, "profile.tokens.");
        d.Int(*t, "cache_write_1h", e.tokens.cache_write_1h, "profile.tokens.");
        d.Int(*t, "output", e.tokens.output, "profile.tokens.");
        d.Int(*t, "reasoning", e.tokens.reasoning, "profile.tokens.");
    } else {
        d.Add("profile.tokens: missing or not an object");
    }
    d.Usd(p, "total_cost_usd", e.total, "profile.");
    d.Usd(p, "list_cost_usd", e.list, "profile.");
    d.Int(p, "billed_rows", e.billed_rows, "profile.");
    CheckReconciliation(p, e, f, d);
    CheckUnknownModels(p, e, d);
}

// A dataset answer (upload or GET) against the file: syntax, source, grain, counts, bad lines, profile.
// `with_errors`: the upload answer lists the bad rows; GET /api/datasets/{id} keeps their count only.
void CheckDataset(const json::object& body, const TestFile& f, const Expected& e, const std::string& where,
                  bool with_errors = true) {
    Diffs d(where);
    d.Str(body, "format", f.syntax, "");
    d.Str(body, "source_format", f.source, "");
    d.Str(body, "grain", f.grain, "");
    d.Int(body, "rows", e.rows, "");
    d.Int(body, "rejected_rows", static_cast<std::int64_t>(f.bad_lines.size()), "");
    if (!with_errors) {
        // GET /api/datasets/{id}: the bad rows' count only
    } else if (const auto* errors = Arr(body, "errors")) {
        std::vector<std::int64_t> lines;
        for (const auto& v : *errors) {
            auto line = v.is_object() ? Num(v.get_object(), "line") : std::nullopt;
            if (!line || JStr(v.get_object(), "message").empty()) {
                d.Add("an errors entry lacks line or message: " + Quote(v));
                continue;
            }
            lines.push_back(static_cast<std::int64_t>(*line));
        }
        if (lines != f.bad_lines) {
            std::vector<std::string> got, want;
            for (auto l : lines) got.push_back(std::to_string(l));
            for (auto l : f.bad_lines) want.push_back(std::to_string(l));
            d.Add("errors are on lines [" + Join(got) + "], the bad rows are on lines [" + Join(want) +
                  "]: " + Quote(json::value(*errors), 500));
        }
    } else {
        d.Add("errors: missing or not an array");
    }
    if (const auto* profile = JObj(body, "profile")) {
        CheckProfile(*profile, f, e, d);
    } else {
        d.Add("no profile object: " + Quote(body, 400));
    }
    d.Done();
}

HttpResponse PostFile(HttpClient& http, const Credentials& user, const TestFile& f, const std::string& format,
                      const std::string& media_type) {
    Headers h = BearerAuth(user.access_token);
    h.emplace_back("Content-Type", media_type);
    std::string target = "/api/datasets?name=" + f.name + (format.empty() ? "" : "&format=" + format);
    HttpRequestOptions opts;
    opts.timeout = std::chrono::milliseconds(60000);
    return Must(http.Request("POST", target, h, f.body, opts), "POST " + target);
}

std::string Usd(double v) { return "$" + Fixed(v, 4); }

// `netra analyze FILE --json` on the same file (syntax and source detected, the extension naming the syntax): the
// same rows, bad lines, token partitions and costs as the server — against the same expectations.
void CheckAnalyze(StageContext& ctx, const TestFile& f, const Expected& e) {
    const std::string binary = ctx.options().netra_binary.empty() ? SelfExecutable() : ctx.options().netra_binary;
    TempDir dir;
    const std::string file = dir.path + "/" + f.name + "." + f.syntax;
    {
        std::ofstream out(file, std::ios::binary);
        out << f.body;
        Expect(static_cast<bool>(out), "could not write " + file);
    }
    const std::vector<std::string> argv = {binary, "analyze", file, "--json"};
    auto ran = RunCaptureStdout(argv, {});
    Expect(ran.ok(), "could not run " + Join(argv, " ") + ": " + (ran.ok() ? "" : ran.error().message));
    Expect(ran->exit_code == 0,
           Join(argv, " ") + " exited " + std::to_string(ran->exit_code) + ": " + ran->error_output.substr(0, 500));
    json::value doc;
    try {
        doc = json::parse(ran->output);
    } catch (const std::exception& ex) {
        Fail("`netra analyze --json` on the " + f.label + " printed no JSON (" + ex.what() + ")");
    }
    const auto* cli = doc.if_object();
    const auto* ingest = cli != nullptr ? JObj(*cli, "ingest") : nullptr;
    const auto* profile = cli != nullptr ? JObj(*cli, "profile") : nullptr;
    Expect(ingest != nullptr && profile != nullptr,
           "`netra analyze --json` printed no ingest and profile objects: " + Quote(doc, 300));
    json::object body = *ingest;  // the dataset answer's shape: format, source_format, grain, rows, errors
    body["profile"] = *profile;
    CheckDataset(body, f, e, f.label + ", netra analyze");
}

// Uploads `f` (detected; then with ?format=forced as application/octet-stream), checks both answers and the
// stored dataset, and notes what was compared.
void RunFile(StageContext& ctx, const PublishedCatalog& c, const TestFile& f) {
    Expected e = Compute(f, c);
    auto http = ctx.Http();
    auto user = ctx.NewUser("fmt-" + f.source);
    std::string what = f.label + " upload (" + f.media_type + ", detected)";
    auto r = PostFile(http, user, f, "", f.media_type);
    const auto& body = ExpectJson(r, {201}, what);
    CheckDataset(body, f, e, what);
    std::string id = JStr(body, "id");
    Expect(!id.empty(), what + ": the answer has no id: " + Quote(body, 300));
    auto got = Must(http.Get("/api/datasets/" + id, BearerAuth(user.access_token)), "GET /api/datasets/" + id);
    CheckDataset(ExpectJson(got, {200}, "GET /api/datasets/{id}"), f, e, f.label + ", GET /api/datasets/{id}", false);
    if (!f.forced.empty()) {
        std::string forced_what = f.label + " upload with ?format=" + f.forced + " (application/octet-stream)";
        auto forced = PostFile(http, user, f, f.forced, "application/octet-stream");
        CheckDataset(ExpectJson(forced, {201}, forced_what), f, e, forced_what);
    }
    CheckAnalyze(ctx, f, e);
    std::vector<std::string> flagged;
    for (const auto& [mid, rec] : e.reconciliation) {
        if (rec.Flagged()) flagged.push_back(rec.model->model + " " + Fixed(rec.Pct(), 1) + " %");
    }
    std::vector<std::string> bad;
    for (auto l : f.bad_lines) bad.push_back(std::to_string(l));
    ctx.Note(f.label + ": " + std::to_string(e.rows) + " rows, rejected line " + Join(bad) + ", requests " +
             (e.requests ? std::to_string(*e.requests) : "null") + ", input " + std::to_string(e.tokens.Input()) +
             " (read " + std::to_string(e.tokens.cache_read) + ", write " +
             std::to_string(e.tokens.cache_write_5m + e.tokens.cache_write_1h) + "), total " + Usd(e.total) +
             ", list " + Usd(e.list) + (flagged.empty() ? "" : ", flagged " + Join(flagged)) +
             (f.skipped_records ? ", " + std::to_string(f.skipped_records) + " non-LLM records skipped" : "") +
             (f.note.empty() ? "" : "; " + f.note) + (f.forced.empty() ? "" : "; same with ?format=" + f.forced));
}

// ---------------------------------------------------------------- OpenAI usage (aggregate buckets)

struct OpenAiBucket {
    int day = 0;
    const Pick* pick = nullptr;
    std::string project;
    std::int64_t requests = 0, input = 0, cached = 0, output = 0;
    bool batch = false, floats = false, bad = false;
};

// Six days of daily buckets (day 3 had no traffic), three models, two projects on the main model, two batch
// buckets; counts of every third row written as floats ("12.0"); one bad bucket (negative input) after the tenth.
std::vector<OpenAiBucket> OpenAiBuckets(const Pick& main, const Pick& large, const Pick& small) {
    Rng rng(20251006);
    std::vector<OpenAiBucket> rows;
    for (int day : {0, 1, 2, 4, 5, 6}) {
        std::vector<std::pair<const Pick*, std::string>> groups = {
            {&main, "proj_support"}, {&main, "proj_search"}, {&large, "proj_support"}, {&small, "proj_search"}};
        for (const auto& [pick, project] : groups) {
            OpenAiBucket b;
            b.day = day, b.pick = pick, b.project = project;
            b.requests = rng.Between(40, 600);
            b.input = b.requests * rng.Between(300, 6000);
            b.cached = b.input * rng.Below(46) / 100;
            b.output = b.requests * rng.Between(60, 900);
            b.floats = rows.size() % 3 == 1;
            rows.push_back(b);
        }
        if (day == 1 || day == 5) {
            OpenAiBucket b;
            b.day = day, b.pick = &main, b.project = "proj_offline", b.batch = true;
            b.requests = rng.Between(2000, 5000);
            b.input = b.requests * rng.Between(800, 2000);
            b.output = b.requests * rng.Between(100, 400);
            rows.push_back(b);
        }
        if (rows.size() >= 10 && std::none_of(rows.begin(), rows.end(), [](const auto& x) { return x.bad; })) {
            OpenAiBucket b = rows[9];
            b.bad = true;
            b.input = -1500;
            rows.push_back(b);
        }
    }
    return rows;
}

Row OpenAiUsageRow(const OpenAiBucket& b) {
    Row r;
    r.ts_ms = kStartMs + b.day * kDayMs;
    r.model = b.pick->dated;
    r.tokens.uncached = b.input - b.cached;
    r.tokens.cache_read = b.cached;
    r.tokens.output = b.output;
    r.requests = b.requests;
    r.batch = b.batch;
    return r;
}

TestFile OpenAiUsageCsv(const PublishedCatalog& c) {
    Pick main = PickModel(c, kOpenAiMain);
    Pick large = PickModel(c, kOpenAiLarge, {&main});
    Pick small = PickModel(c, kOpenAiSmall, {&main, &large});
    TestFile f = MakeFile("OpenAI usage CSV", "openai-usage.csv", "text/csv", "csv", "openai_usage", "aggregate",
                          "openai_usage");
    f.body = CsvLine({"start_time",
                      "end_time",
                      "start_time_iso",
                      "end_time_iso",
                      "project_id",
                      "num_model_requests",
                      "user_id",
                      "api_key_id",
                      "model",
                      "batch",
                      "service_tier",
                      "input_tokens",
                      "output_tokens",
                      "input_cached_tokens",
                      "input_uncached_tokens",
                      "input_text_tokens",
                      "output_text_tokens",
                      "input_cached_text_tokens",
                      "input_audio_tokens",
                      "input_cached_audio_tokens",
                      "output_audio_tokens",
                      "input_image_tokens",
                      "input_cached_image_tokens",
                      "output_image_tokens"});
    std::int64_t line = 1;
    for (const auto& b : OpenAiBuckets(main, large, small)) {
        ++line;
        std::int64_t start = kStartMs + b.day * kDayMs;
        auto n = [&](std::int64_t v) { return std::to_string(v) + (b.floats ? ".0" : ""); };
        f.body += CsvLine({std::to_string(start / 1000),
                           std::to_string((start + kDayMs) / 1000),
                           IsoOffset(start),
                           IsoOffset(start + kDayMs),
                           b.project,
                           n(b.requests),
                           "",
                           "key_" + b.project.substr(5) + "_01",
                           b.pick->dated,
                           b.batch ? "TRUE" : "FALSE",
                           b.batch ? "" : "default",
                           n(b.input),
                           n(b.output),
                           n(b.cached),
                           n(b.input - b.cached),
                           n(b.input),
                           n(b.output),
                           n(b.cached),
                           "0",
                           "0",
                           "0",
                           "0",
                           "0",
                           "0"});
        if (b.bad) {
            f.bad_lines.push_back(line);
        } else {
            f.rows.push_back(OpenAiUsageRow(b));
        }
    }
    f.note = "2 batch buckets, counts written as floats on every third row";
    return f;
}

TestFile OpenAiUsageJson(const PublishedCatalog& c) {
    Pick main = PickModel(c, kOpenAiMain);
    Pick large = PickModel(c, kOpenAiLarge, {&main});
    Pick small = PickModel(c, kOpenAiSmall, {&main, &large});
    TestFile f = MakeFile("OpenAI Usage API JSON", "openai-usage.json", "application/json", "json", "openai_usage",
                          "aggregate", "openai_usage.json");
    auto buckets = OpenAiBuckets(main, large, small);
    Lines doc;
    doc.Add(R"({"object":"page","data":[)");
    for (int day = 0; day < 7; ++day) {
        std::int64_t start = kStartMs + day * kDayMs;
        std::string head = R"({"object":"bucket","start_time":)" + std::to_string(start / 1000) + R"(,"end_time":)" +
                           std::to_string((start + kDayMs) / 1000) + R"(,"results":[)";
        std::string tail = std::string("]}") + (day < 6 ? "," : "");
        std::vector<std::string> results;
        std::vector<const OpenAiBucket*> of_day;
        for (const auto& b : buckets) {
            if (b.day != day) continue;
            json::object o{{"object", "organization.usage.completions.result"},
                           {"input_tokens", b.input},
                           {"output_tokens", b.output},
                           {"input_cached_tokens", b.cached},
                           {"input_audio_tokens", 0},
                           {"output_audio_tokens", 0},
                           {"num_model_requests", b.requests},
                           {"project_id", b.project},
                           {"user_id", nullptr},
                           {"api_key_id", nullptr},
                           {"model", b.pick->dated},
                           {"batch", b.batch},
                           {"service_tier", nullptr}};
            results.push_back(json::serialize(o));
            of_day.push_back(&b);
        }
        if (results.empty()) {  // a day without traffic: the API still returns its bucket
            doc.Add(head + tail);
            continue;
        }
        doc.Add(head);
        auto at = doc.AddItems(results);
        for (std::size_t i = 0; i < of_day.size(); ++i) {
            if (of_day[i]->bad) {
                f.bad_lines.push_back(at[i]);
            } else {
                f.rows.push_back(OpenAiUsageRow(*of_day[i]));
            }
        }
        doc.Add(tail);
    }
    doc.Add(R"(],"has_more":false,"next_page":null})");
    f.body = doc.Text();
    f.note = "an empty bucket (2025-10-09), 2 batch buckets";
    return f;
}

// ---------------------------------------------------------------- OpenAI cost export (bill lines, no tokens)

TestFile OpenAiCostsCsv(const PublishedCatalog& c) {
    Pick main = PickModel(c, kOpenAiMain);
    Pick large = PickModel(c, kOpenAiLarge, {&main});
    TestFile f = MakeFile("OpenAI costs CSV", "openai-costs.csv", "text/csv", "csv", "openai_costs", "aggregate",
                          "openai_costs.csv");
    f.counts_requests = false;
    f.cost_only = true;
    f.body = CsvLine({"start_time", "end_time", "start_time_iso", "end_time_iso", "amount_value", "amount_currency",
                      "line_item", "project_id", "organization_id"});
    Rng rng(20251007);
    std::int64_t line = 1;
    int written = 0;
    for (int day = 0; day < 7; ++day) {
        std::int64_t start = kStartMs + day * kDayMs;
        for (const Pick* p : {&main, &large}) {
            for (const char* item : {"input", "output", "cached input"}) {
                std::string amount = Fixed(static_cast<double>(rng.Between(1000, 9'000'000)) / 100000.0, 6);
                auto cells = std::vector<std::string>{std::to_string(start / 1000),
                                                      std::to_string((start + kDayMs) / 1000),
                                                      IsoOffset(start),
                                                      IsoOffset(start + kDayMs),
                                                      amount,
                                                      "usd",
                                                      p->dated + ", " + item,
                                                      "proj_support",
                                                      "org-netrastage"};
                f.body += CsvLine(cells);
                ++line;
                Row r;
                r.ts_ms = start;
                r.model = p->dated;
                r.bill = ParseDouble(amount);
                f.rows.push_back(r);
                if (++written == 15) {  // an unreadable amount
                    cells[4] = "n/a";
                    f.body += CsvLine(cells);
                    f.bad_lines.push_back(++line);
                }
            }
        }
    }
    f.note = "cost lines only (tokens 0, list 0)";
    return f;
}

// ---------------------------------------------------------------- Anthropic usage (console CSV, Admin API JSON)

struct AnthropicBucket {
    int day = 0;
    const Pick* pick = nullptr;
    std::string api_key, workspace, context_window = "0-200k", service_tier = "standard";
    std::int64_t no_cache = 0, write_5m = 0, write_1h = 0, read = 0, output = 0, web_search = 0;
    bool bad = false;
};

// A week of daily buckets on three models; a long-context bucket (200k-1M) on the main model; with `batch`, one
// batch bucket; one bad bucket (negative output) after the ninth.
std::vector<AnthropicBucket> AnthropicBuckets(const Pick& main, const Pick& small, const Pick& large, bool batch) {
    Rng rng(20251008);
    std::vector<AnthropicBucket> rows;
    for (int day = 0; day < 7; ++day) {
        for (const Pick* p : {&main, &small, &large}) {
            AnthropicBucket b;
            b.day = day, b.pick = p;
            b.api_key = p == &main ? "support-prod" : p == &small ? "claude-code" : "research";
            b.workspace = p == &main ? "Support" : p == &small ? "Default" : "Research";
            b.no_cache = rng.Between(200'000, 3'000'000);
            b.write_5m = rng.Between(50'000, 600'000);
            b.write_1h = p == &main ? rng.Between(10'000, 200'000) : 0;
            b.read = rng.Between(500'000, 8'000'000);
            b.output = rng.Between(50'000, 900'000);
            b.web_search = p == &main ? rng.Below(40) : 0;
            rows.push_back(b);
        }
        if (day == 2) {  // prompts beyond 200k tokens, billed at the long-context tier
            AnthropicBucket b;
            b.day = day, b.pick = &main, b.api_key = "support-prod", b.workspace = "Support";
            b.context_window = "200k-1M";
            b.no_cache = rng.Between(2'000'000, 2'600'000);
            b.read = rng.Between(300'000, 900'000);
            b.output = rng.Between(20'000, 60'000);
            rows.push_back(b);
        }
        if (day == 4 && batch) {
            AnthropicBucket b;
            b.day = day, b.pick = &small, b.api_key = "claude-code", b.workspace = "Default";
            b.service_tier = "batch";
            b.no_cache = rng.Between(1'000'000, 4'000'000);
            b.output = rng.Between(100'000, 500'000);
            rows.push_back(b);
        }
        if (rows.size() >= 9 && std::none_of(rows.begin(), rows.end(), [](const auto& x) { return x.bad; })) {
            AnthropicBucket b = rows[8];
            b.bad = true;
            b.output = -20;
            rows.push_back(b);
        }
    }
    return rows;
}

Row AnthropicUsageRow(const AnthropicBucket& b) {
    Row r;
    r.ts_ms = kStartMs + b.day * kDayMs;
    r.model = b.pick->dated;
    r.tokens.uncached = b.no_cache;
    r.tokens.cache_write_5m = b.write_5m;
    r.tokens.cache_write_1h = b.write_1h;
    r.tokens.cache_read = b.read;
    r.tokens.output = b.output;
    r.batch = b.service_tier == "batch";
    r.tier = b.context_window == "0-200k" ? TierBy::kStandard : TierBy::kLongContext;
    return r;
}

struct AnthropicPicks {
    Pick main, small, large;
};

AnthropicPicks PickAnthropic(const PublishedCatalog& c) {
    AnthropicPicks p;
    p.main = PickModel(c, kAnthropicMain);
    p.small = PickModel(c, kAnthropicSmall, {&p.main});
    p.large = PickModel(c, kAnthropicLarge, {&p.main, &p.small});
    return p;
}

std::string LongContextNote(const Pick& main) {
    return main.model->Tiered() ? "a long-context bucket (" + main.name + " tiered)"
                                : "a long-context bucket (" + main.name + " has no tiers in the catalog: base price)";
}

// `newer`: with the inference_geo and speed columns of newer exports.
TestFile AnthropicConsoleCsv(const AnthropicPicks& p, bool newer) {
    TestFile f = MakeFile("Anthropic console CSV", "anthropic-usage.csv", "text/csv", "csv", "anthropic_usage",
                          "aggregate", "anthropic_usage.csv");
    f.counts_requests = false;
    std::vector<std::string> header = {"usage_date_utc",
                                       "model_version",
                                       "api_key",
                                       "workspace",
                                       "usage_type",
                                       "context_window",
                                       "usage_input_tokens_no_cache",
                                       "usage_input_tokens_cache_write_5m",
                                       "usage_input_tokens_cache_write_1h",
                                       "usage_input_tokens_cache_read",
                                       "usage_output_tokens",
                                       "web_search_count"};
    if (newer) header.insert(header.end(), {"inference_geo", "speed"});
    f.body = CsvLine(header);
    std::int64_t line = 1;
    for (const auto& b : AnthropicBuckets(p.main, p.small, p.large, false)) {
        std::vector<std::string> cells = {Date(kStartMs + b.day * kDayMs),
                                          b.pick->dated,
                                          b.api_key,
                                          b.workspace,
                                          "standard",
                                          b.context_window,
                                          std::to_string(b.no_cache),
                                          std::to_string(b.write_5m),
                                          std::to_string(b.write_1h),
                                          std::to_string(b.read),
                                          std::to_string(b.output),
                                          std::to_string(b.web_search)};
        if (newer) cells.insert(cells.end(), {"global", "standard"});
        f.body += CsvLine(cells);
        ++line;
        if (b.bad) {
            f.bad_lines.push_back(line);
        } else {
            f.rows.push_back(AnthropicUsageRow(b));
        }
    }
    f.note = LongContextNote(p.main) + (newer ? ", newer columns inference_geo and speed" : "");
    return f;
}

TestFile AnthropicUsageJson(const AnthropicPicks& p) {
    TestFile f = MakeFile("Anthropic Admin API usage JSON", "anthropic-usage.json", "application/json", "json",
                          "anthropic_usage", "aggregate", "anthropic_usage");
    f.counts_requests = false;
    auto buckets = AnthropicBuckets(p.main, p.small, p.large, true);
    Lines doc;
    doc.Add(R"({"data":[)");
    for (int day = 0; day < 7; ++day) {
        std::int64_t start = kStartMs + day * kDayMs;
        doc.Add(R"({"starting_at":")" + Iso(start, false) + R"(","ending_at":")" + Iso(start + kDayMs, false) +
                R"(","results":[)");
        std::vector<std::string> results;
        std::vector<const AnthropicBucket*> of_day;
        for (const auto& b : buckets) {
            if (b.day != day) continue;
            json::object o{{"uncached_input_tokens", b.no_cache},
                           {"cache_creation", json::object{{"ephemeral_1h_input_tokens", b.write_1h},
                                                           {"ephemeral_5m_input_tokens", b.write_5m}}},
                           {"cache_read_input_tokens", b.read},
                           {"output_tokens", b.output},
                           {"server_tool_use", json::object{{"web_search_requests", b.web_search}}},
                           {"api_key_id", nullptr},
                           {"workspace_id", nullptr},
                           {"model", b.pick->dated},
                           {"service_tier", b.service_tier},
                           {"context_window", b.context_window}};
            results.push_back(json::serialize(o));
            of_day.push_back(&b);
        }
        auto at = doc.AddItems(results);
        for (std::size_t i = 0; i < of_day.size(); ++i) {
            if (of_day[i]->bad) {
                f.bad_lines.push_back(at[i]);
            } else {
                f.rows.push_back(AnthropicUsageRow(*of_day[i]));
            }
        }
        doc.Add(std::string("]}") + (day < 6 ? "," : ""));
    }
    doc.Add(R"(],"has_more":false,"next_page":null})");
    f.body = doc.Text();
    f.note = LongContextNote(p.main) + ", a batch bucket (service_tier batch)";
    return f;
}

TestFile AnthropicCostsJson(const AnthropicPicks& p) {
    TestFile f = MakeFile("Anthropic Admin API cost JSON", "anthropic-costs.json", "application/json", "json",
                          "anthropic_costs", "aggregate", "anthropic_costs");
    f.counts_requests = false;
    f.cost_only = true;
    Rng rng(20251009);
    struct Kind {
        const char* token_type;
        const char* label;
    };
    const Kind kinds[] = {{"uncached_input_tokens", "Input Tokens"},
                          {"output_tokens", "Output Tokens"},
                          {"cache_read_input_tokens", "Input Tokens, Cache Read"},
                          {"cache_creation.ephemeral_5m_input_tokens", "Input Tokens, Cache Write (5m)"}};
    Lines doc;
    doc.Add(R"({"data":[)");
    int written = 0;
    for (int day = 0; day < 7; ++day) {
        std::int64_t start = kStartMs + day * kDayMs;
        doc.Add(R"({"starting_at":")" + Iso(start, false) + R"(","ending_at":")" + Iso(start + kDayMs, false) +
                R"(","results":[)");
        std::vector<std::string> results;
        std::vector<std::optional<Row>> of_day;  // nullopt: the bad record
        for (const Pick* pick : {&p.main, &p.small}) {
            std::size_t n = pick == &p.main ? 4 : 2;
            for (std::size_t k = 0; k < n; ++k) {
                std::string cents = Fixed(static_cast<double>(rng.Between(5'000, 250'000'000)) / 10000.0, 4);
                json::object o{{"currency", "USD"},
                               {"amount", cents},
                               {"workspace_id", nullptr},
                               {"description", pick->name + " Usage - " + kinds[k].label},
                               {"cost_type", "tokens"},
                               {"context_window", "0-200k"},
                               {"model", pick->dated},
                               {"service_tier", "standard"},
                               {"token_type", kinds[k].token_type}};
                results.push_back(json::serialize(o));
                Row r;
                r.ts_ms = start;
                r.model = pick->dated;
                r.bill = ParseDouble(cents) / 100.0;
                of_day.emplace_back(r);
                if (++written == 13) {  // an amount that is no number
                    o["amount"] = "n/a";
                    results.push_back(json::serialize(o));
                    of_day.emplace_back(std::nullopt);
                }
            }
        }
        auto at = doc.AddItems(results);
        for (std::size_t i = 0; i < of_day.size(); ++i) {
            if (of_day[i]) {
                f.rows.push_back(*of_day[i]);
            } else {
                f.bad_lines.push_back(at[i]);
            }
        }
        doc.Add(std::string("]}") + (day < 6 ? "," : ""));
    }
    doc.Add(R"(],"has_more":false,"next_page":null})");
    f.body = doc.Text();
    f.note = "amounts in cents (decimal strings), cost lines only";
    return f;
}

// ---------------------------------------------------------------- request-grain traffic (gateways, traces)

struct Plan {
    const Pick* pick = nullptr;         // nullptr: the deliberately unknown model
    std::optional<double> bill;         // the bill as a factor of the list price; nullopt: the row has no cost
    bool reads = true, writes = false;  // cache reads / 5-minute cache writes occur
};

struct Call {
    std::int64_t ts_ms = 0;
    const Plan* plan = nullptr;
    Tokens tokens;
    std::optional<double> bill;
    std::string bill_text;  // as written ("" none)
    std::string id, trace_id, user, team, feature, key_alias;
    std::int64_t latency_ms = 0;
    bool bad = false;
    std::int64_t Input() const { return tokens.Input(); }
};

// `n` calls over the week, the plans in rotation; the first call of the second plan has a prompt beyond 200k
// tokens (a tiered price applies); a bad copy follows the twelfth call (each format spoils it its own way).
std::vector<Call> GenerateCalls(const std::vector<Plan>& plans, int n, std::uint64_t seed) {
    Rng rng(seed);
    const char* users[] = {"u-1001", "u-1002", "u-1003", "u-1004", "u-1005"};
    const char* teams[] = {"team-support", "team-search"};
    const char* features[] = {"support_chat", "summarize", "classify_ticket"};
    std::vector<Call> calls;
    for (int i = 0; i < n; ++i) {
        Call call;
        call.plan = &plans[static_cast<std::size_t>(i) % plans.size()];
        call.ts_ms = kStartMs + static_cast<std::int64_t>(i) * (7 * kDayMs / n) + rng.Below(3'600'000);
        std::int64_t input = rng.Between(300, 12'000);
        if (i == 1) input = rng.Between(215'000, 260'000);
        std::int64_t read = call.plan->reads && rng.Below(3) != 0 && i != 1 ? input * rng.Between(10, 70) / 100 : 0;
        std::int64_t write =
            call.plan->writes && rng.Below(2) == 0 && i != 1 ? std::min(rng.Between(200, 3000), input - read) : 0;
        call.tokens.cache_read = read;
        call.tokens.cache_write_5m = write;
        call.tokens.uncached = input - read - write;
        call.tokens.output = rng.Between(20, 1500);
        call.id = rng.Hex(8) + "-" + rng.Hex(4) + "-" + rng.Hex(4) + "-" + rng.Hex(4) + "-" + rng.Hex(12);
        call.trace_id = rng.Hex(32);
        call.user = users[rng.Below(5)];
        call.team = teams[rng.Below(2)];
        call.feature = features[rng.Below(3)];
        call.key_alias = call.team == std::string("team-support") ? "support-prod" : "search-prod";
        call.latency_ms = rng.Between(250, 9000);
        if (call.plan->pick == nullptr) {
            call.bill_text = CostText(static_cast<double>(rng.Between(100, 5000)) / 100000.0);
        } else if (call.plan->bill) {
            double list = ListCost(*call.plan->pick->model, call.tokens, call.ts_ms, 1, false, TierBy::kPrompt);
            call.bill_text = CostText(list * *call.plan->bill);
        }
        if (!call.bill_text.empty()) call.bill = ParseDouble(call.bill_text);
        calls.push_back(call);
        if (i == 11) {
            Call bad = call;
            bad.bad = true;
            bad.id = rng.Hex(8) + "-" + rng.Hex(4) + "-" + rng.Hex(4) + "-" + rng.Hex(4) + "-" + rng.Hex(12);
            calls.push_back(bad);
        }
    }
    return calls;
}

Row CallRow(const Call& call, const std::string& model, const std::string& provider_hint) {
    Row r;
    r.ts_ms = call.ts_ms;
    r.model = model;
    r.provider_hint = provider_hint;
    r.tokens = call.tokens;
    r.requests = 1;
    r.bill = call.bill;
    return r;
}

struct MixedPicks {
    Pick openai, anthropic, google;
};

MixedPicks PickMixed(const PublishedCatalog& c) {
    MixedPicks p;
    p.openai = PickModel(c, kOpenAiMain);
    p.anthropic = PickModel(c, kAnthropicMain);
    p.google = PickModel(c, kGoogle);
    return p;
}

std::string BillNote(const std::vector<Plan>& plans) {
    std::vector<std::string> parts;
    for (const auto& p : plans) {
        if (p.pick == nullptr) {
            parts.push_back(std::string(kUnknownModel) + " billed, not in the catalog");
        } else if (p.bill) {
            parts.push_back(p.pick->name + " billed at list x " + Fmt(*p.bill));
        } else {
            parts.push_back(p.pick->name + " without a cost");
        }
    }
    return Join(parts);
}

// ---------------------------------------------------------------- LiteLLM

struct LiteLlmNames {
    std::string model, group, provider;
};

LiteLlmNames LiteLlmNaming(const PublishedCatalog& c, const Call& call, bool prefix_google) {
    const Pick* p = call.plan->pick;
    if (p == nullptr) return {kUnknownModel, kUnknownModel, "hosted_vllm"};
    if (p->provider == "google") {
        return {prefix_google ? Prefixed(c, *p, "gemini") : p->dated, p->name, prefix_google ? "gemini" : "vertex_ai"};
    }
    return {p->dated, p->name, p->provider};
}

// LiteLLM's usage_object: OpenAI-style prompt_tokens_details.cached_tokens, plus Anthropic's own cache fields.
json::object UsageObject(const Call& call) {
    json::object u{{"completion_tokens", call.tokens.output},
                   {"prompt_tokens", call.Input()},
                   {"total_tokens", call.Input() + call.tokens.output},
                   {"prompt_tokens_details", json::object{{"cached_tokens", call.tokens.cache_read}}}};
    if (call.plan->pick && call.plan->pick->provider == "anthropic") {
        u["cache_read_input_tokens"] = call.tokens.cache_read;
        u["cache_creation_input_tokens"] = call.tokens.cache_write_5m;
    }
    return u;
}

std::vector<Plan> LiteLlmSpendPlans(const MixedPicks& p) {
    return {{&p.openai, 0.99, true, false},
            {&p.anthropic, 1.10, true, true},
            {&p.google, 1.0, true, false},
            {nullptr, std::nullopt, false, false}};
}

// LiteLLM stores the SHA-256 of the virtual key; any fixed 64 hex digits per key do here.
std::string KeyHash(const std::string& alias) {
    return alias == "support-prod" ? "88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b"
                                   : "5b1e0f8ac1d2e3f40516273849aabbccddeeff00112233445566778899aabbcc";
}

json::object SpendLogRecord(const PublishedCatalog& c, const Call& call, bool jsonl) {
    auto names = LiteLlmNaming(c, call, true);
    json::object metadata{{"user_api_key_alias", call.key_alias},
                          {"user_api_key_team_id", call.team},
                          {"user_api_key_user_id", call.user},
                          {"usage_object", UsageObject(call)}};
    json::array tags{"prod", json::string(call.feature)};
    json::object o{{"request_id", call.id},
                   {"call_type", "acompletion"},
                   {"api_key", KeyHash(call.key_alias)},
                   {"spend", call.bill_text.empty() ? 0.0 : *call.bill},
                   {"total_tokens", call.Input() + call.tokens.output},
                   {"prompt_tokens", call.Input()},
                   {"completion_tokens", call.tokens.output},
                   {"startTime", Iso(call.ts_ms)},
                   {"endTime", Iso(call.ts_ms + call.latency_ms)},
                   {"request_duration_ms", call.latency_ms},
                   {"model", names.model},
                   {"model_group", names.group},
                   {"custom_llm_provider", names.provider},
                   {"user", call.user},
                   {"end_user", "customer-" + call.user.substr(2)},
                   {"team_id", call.team},
                   {"request_tags", jsonl ? json::value(tags) : json::value(json::serialize(tags))},
                   {"metadata", jsonl ? json::value(metadata) : json::value(json::serialize(metadata))},
                   {"cache_hit", jsonl ? json::value(false) : json::value("False")},
                   {"status", "success"},
                   {"session_id", call.trace_id.substr(0, 8) + "-" + call.trace_id.substr(8, 4)}};
    return o;
}

TestFile LiteLlmSpendLogsCsv(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    auto plans = LiteLlmSpendPlans(p);
    auto calls = GenerateCalls(plans, 40, 20251010);
    TestFile f = MakeFile("LiteLLM spend logs CSV", "litellm-spend-logs.csv", "text/csv", "csv", "litellm_spend_logs",
                          "request", "litellm_spend_logs.csv");
    std::vector<std::string> header = {"request_id",
                                       "call_type",
                                       "api_key",
                                       "spend",
                                       "total_tokens",
                                       "prompt_tokens",
                                       "completion_tokens",
                                       "startTime",
                                       "endTime",
                                       "request_duration_ms",
                                       "model",
                                       "model_group",
                                       "custom_llm_provider",
                                       "user",
                                       "end_user",
                                       "team_id",
                                       "request_tags",
                                       "metadata",
                                       "cache_hit",
                                       "status",
                                       "session_id"};
    f.body = CsvLine(header);
    std::int64_t line = 1;
    for (const auto& call : calls) {
        json::object o = SpendLogRecord(c, call, false);
        std::vector<std::string> cells;
        for (const auto& h : header) {
            const json::value& v = o.at(h);
            cells.push_back(v.is_string() ? std::string(v.get_string()) : json::serialize(v));
        }
        cells[3] = call.bill_text.empty() ? "0.0" : call.bill_text;
        if (call.bad) cells[5] = "-3";  // prompt_tokens
        f.body += CsvLine(cells);
        ++line;
        if (call.bad) {
            f.bad_lines.push_back(line);
        } else {
            auto names = LiteLlmNaming(c, call, true);
            f.rows.push_back(CallRow(call, names.model, names.provider));
        }
    }
    f.note = BillNote(plans) + "; metadata and request_tags as JSON in cells";
    return f;
}

TestFile LiteLlmSpendLogsJsonl(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    auto plans = LiteLlmSpendPlans(p);
    auto calls = GenerateCalls(plans, 36, 20251011);
    TestFile f = MakeFile("LiteLLM spend logs JSONL", "litellm-spend-logs.jsonl", "application/x-ndjson", "jsonl",
                          "litellm_spend_logs", "request", "litellm_spend_logs");
    std::int64_t line = 0;
    for (const auto& call : calls) {
        ++line;
        if (call.bad) {  // a record cut off mid-way (an export interrupted and resumed)
            f.body +=
                R"({"request_id": ")" + call.id + R"(", "call_type": "acompletion", "spend": 0.0012, "prom)" + "\n";
            f.bad_lines.push_back(line);
            continue;
        }
        f.body += json::serialize(SpendLogRecord(c, call, true)) + "\n";
        auto names = LiteLlmNaming(c, call, true);
        f.rows.push_back(CallRow(call, names.model, names.provider));
    }
    f.note = BillNote(plans) + "; a truncated line";
    return f;
}

TestFile LiteLlmPayloadJsonl(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    std::vector<Plan> plans = {
        {&p.anthropic, 0.97, true, true}, {&p.openai, 1.015, true, false}, {&p.google, 1.0, false, false}};
    auto calls = GenerateCalls(plans, 30, 20251012);
    TestFile f = MakeFile("LiteLLM logging payload JSONL", "litellm-payload.jsonl", "application/x-ndjson", "jsonl",
                          "litellm_payload", "request", "litellm_payload");
    std::int64_t line = 0;
    for (const auto& call : calls) {
        ++line;
        auto names = LiteLlmNaming(c, call, false);
        double start = static_cast<double>(call.ts_ms) / 1000.0;
        json::object o{{"id", "chatcmpl-" + call.id},
                       {"trace_id", call.trace_id},
                       {"call_type", "acompletion"},
                       {"response_cost", *call.bill},
                       {"prompt_tokens", call.bad ? -10 : call.Input()},
                       {"completion_tokens", call.tokens.output},
                       {"total_tokens", call.Input() + call.tokens.output},
                       {"startTime", start},
                       {"endTime", start + static_cast<double>(call.latency_ms) / 1000.0},
                       {"completionStartTime", start + 0.35},
                       {"model", names.model},
                       {"model_group", names.group},
                       {"model_id", call.trace_id.substr(0, 16)},
                       {"custom_llm_provider", names.provider},
                       {"api_base", "https://llm-gateway.internal"},
                       {"cache_hit", false},
                       {"status", "success"},
                       {"saved_cache_cost", 0.0},
                       {"metadata", json::object{{"user_api_key_hash", call.trace_id},
                                                 {"user_api_key_alias", call.key_alias},
                                                 {"user_api_key_team_id", call.team},
                                                 {"user_api_key_user_id", call.user},
                                                 {"usage_object", UsageObject(call)}}},
                       {"request_tags", json::array{"prod", json::string(call.feature)}},
                       {"end_user", "customer-" + call.user.substr(2)}};
        f.body += json::serialize(o) + "\n";
        if (call.bad) {
            f.bad_lines.push_back(line);
        } else {
            f.rows.push_back(CallRow(call, names.model, names.provider));
        }
    }
    f.note = BillNote(plans);
    return f;
}

// ---------------------------------------------------------------- OpenTelemetry (OTLP JSON)

json::object StrAttr(const std::string& key, const std::string& value) {
    return json::object{{"key", key}, {"value", json::object{{"stringValue", value}}}};
}

// OTLP JSON writes 64-bit integers as strings; some exporters write numbers.
json::object IntAttr(const std::string& key, std::int64_t value, bool as_number = false) {
    return json::object{
        {"key", key},
        {"value", json::object{{"intValue", as_number ? json::value(value) : json::value(std::to_string(value))}}}};
}

std::string Nanos(std::int64_t ms) { return std::to_string(ms) + "000000"; }

json::object Span(const Call& call, const std::string& span_id, const std::string& name, json::array attributes,
                  std::int64_t kind) {
    return json::object{{"traceId", call.trace_id},
                        {"spanId", span_id},
                        {"parentSpanId", ""},
                        {"name", name},
                        {"kind", kind},
                        {"startTimeUnixNano", Nanos(call.ts_ms)},
                        {"endTimeUnixNano", Nanos(call.ts_ms + call.latency_ms)},
                        {"attributes", std::move(attributes)},
                        {"status", json::object{}}};
}

TestFile OtelJson(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    std::vector<Plan> plans = {{&p.openai, std::nullopt, true, false},
                               {&p.anthropic, std::nullopt, true, false},
                               {&p.google, std::nullopt, false, false}};
    auto calls = GenerateCalls(plans, 36, 20251013);
    TestFile f =
        MakeFile("OpenTelemetry OTLP JSON", "otel-spans.json", "application/json", "json", "otel", "request", "otel");
    Rng rng(7);
    std::vector<std::string> support_spans, research_spans;
    std::vector<std::pair<std::size_t, std::size_t>> bad_at;  // (resource, index) of the bad span
    std::vector<std::pair<Row, std::pair<std::size_t, std::size_t>>> llm_rows;
    int semconv_anthropic = 0;
    for (auto call : calls) {
        const Pick& pick = *call.plan->pick;
        if (pick.provider == "google") {  // OpenInference (Arize/Phoenix) spans, no cache counts
            json::array attrs{StrAttr("openinference.span.kind", "LLM"),
                              StrAttr("llm.model_name", pick.name),
                              StrAttr("llm.provider", "google"),
                              StrAttr("llm.system", "vertexai"),
                              IntAttr("llm.token_count.prompt", call.Input(), true),
                              IntAttr("llm.token_count.completion", call.bad ? -40 : call.tokens.output, true),
                              IntAttr("llm.token_count.total", call.Input() + call.tokens.output, true)};
            research_spans.push_back(json::serialize(Span(call, rng.Hex(16), "GenerateContent", std::move(attrs), 1)));
            if (call.bad) {
                bad_at.emplace_back(1, research_spans.size() - 1);
            } else {
                llm_rows.push_back({CallRow(call, pick.name, "google"), {1, research_spans.size() - 1}});
            }
            if (research_spans.size() % 3 == 1) {  // a retrieval step of the same trace: no LLM call
                json::array other{StrAttr("openinference.span.kind", "RETRIEVER"),
                                  StrAttr("input.value", "refund policy for annual plans"),
                                  IntAttr("retrieval.documents.count", 4, true)};
                research_spans.push_back(json::serialize(Span(call, rng.Hex(16), "retrieve", std::move(other), 1)));
                ++f.skipped_records;
            }
            continue;
        }
        bool openllmetry = pick.provider == "anthropic" && ++semconv_anthropic % 4 == 0;
        if (openllmetry) {  // the older OpenLLMetry attribute names, without cache counts
            call.tokens.uncached += call.tokens.cache_read;
            call.tokens.cache_read = 0;
        }
        json::array attrs;
        if (openllmetry) {
            attrs = json::array{StrAttr("gen_ai.system", "Anthropic"),
                                StrAttr("llm.request.type", "chat"),
                                StrAttr("gen_ai.request.model", pick.dated),
                                StrAttr("gen_ai.response.model", pick.dated),
                                IntAttr("gen_ai.usage.prompt_tokens", call.Input()),
                                IntAttr("gen_ai.usage.completion_tokens", call.bad ? -40 : call.tokens.output),
                                IntAttr("llm.usage.total_tokens", call.Input() + call.tokens.output)};
        } else {
            attrs = json::array{
                StrAttr("gen_ai.operation.name", "chat"),
                StrAttr("gen_ai.provider.name", pick.provider),
                StrAttr("gen_ai.request.model", pick.name),
                StrAttr("gen_ai.response.model", pick.dated),
                StrAttr("gen_ai.response.id", "resp_" + call.id.substr(0, 8)),
                IntAttr("gen_ai.usage.input_tokens", call.Input()),
                IntAttr("gen_ai.usage.output_tokens", call.bad ? -40 : call.tokens.output),
                IntAttr("gen_ai.usage.cache_read.input_tokens", call.tokens.cache_read),
                StrAttr("server.address", pick.provider == "openai" ? "api.openai.com" : "api.anthropic.com")};
        }
        std::string name = openllmetry ? "anthropic.chat" : "chat " + pick.name;
        if (support_spans.size() % 4 == 0) {  // the HTTP request that led to the call: no LLM span
            json::array http{StrAttr("http.request.method", "POST"), StrAttr("url.path", "/api/chat"),
                             IntAttr("http.response.status_code", 200, true)};
            support_spans.push_back(json::serialize(Span(call, rng.Hex(16), "POST /api/chat", std::move(http), 2)));
            ++f.skipped_records;
        }
        support_spans.push_back(json::serialize(Span(call, rng.Hex(16), name, std::move(attrs), 3)));
        if (call.bad) {
            bad_at.emplace_back(0, support_spans.size() - 1);
        } else {
            llm_rows.push_back({CallRow(call, pick.dated, pick.provider), {0, support_spans.size() - 1}});
        }
    }
    Lines doc;
    doc.Add(R"({"resourceSpans":[)");
    doc.Add(R"({"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"support-bot"}},)"
            R"({"key":"deployment.environment","value":{"stringValue":"prod"}}]},"scopeSpans":[{"scope":)"
            R"({"name":"opentelemetry.instrumentation.openai_v2","version":"2.1b0"},"spans":[)");
    auto support_lines = doc.AddItems(support_spans);
    doc.Add("]}]},");
    doc.Add(R"({"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"research-agent"}}]},)"
            R"("scopeSpans":[{"scope":{"name":"openinference.instrumentation.google_genai"},"spans":[)");
    auto research_lines = doc.AddItems(research_spans);
    doc.Add("]}]}");
    doc.Add("]}");
    f.body = doc.Text();
    for (const auto& [resource, index] : bad_at) {
        f.bad_lines.push_back(resource == 0 ? support_lines[index] : research_lines[index]);
    }
    std::sort(f.bad_lines.begin(), f.bad_lines.end());
    // Rows in file order (the server's order does not matter for the sums; kept for readability).
    std::sort(llm_rows.begin(), llm_rows.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (auto& [row, at] : llm_rows) f.rows.push_back(std::move(row));
    f.note = "GenAI semconv, OpenLLMetry and OpenInference spans";
    return f;
}

// ---------------------------------------------------------------- Helicone

std::string HeliconeProvider(const Pick& p) {
    return p.provider == "google" ? "GOOGLE" : Lower(p.provider) == "openai" ? "OPENAI" : "ANTHROPIC";
}

std::vector<Plan> HeliconePlans(const MixedPicks& p) {
    return {{&p.openai, 1.04, true, false}, {&p.anthropic, 1.005, true, true}, {&p.google, std::nullopt, true, false}};
}

TestFile HeliconeJson(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    auto plans = HeliconePlans(p);
    auto calls = GenerateCalls(plans, 36, 20251014);
    TestFile f =
        MakeFile("Helicone JSON", "helicone.json", "application/json", "json", "helicone", "request", "helicone");
    std::vector<std::string> records;
    for (const auto& call : calls) {
        const Pick& pick = *call.plan->pick;
        json::object o{{"request_id", call.id},
                       {"request_created_at", Iso(call.ts_ms)},
                       {"model", pick.dated},
                       {"provider", HeliconeProvider(pick)},
                       {"prompt_tokens", call.bad ? -1 : call.Input()},
                       {"completion_tokens", call.tokens.output},
                       {"total_tokens", call.Input() + call.tokens.output},
                       {"prompt_cache_read_tokens", call.tokens.cache_read},
                       {"prompt_cache_write_tokens", call.tokens.cache_write_5m}};
        if (call.bill) o["costUSD"] = *call.bill;
        o["delay_ms"] = call.latency_ms;
        o["response_status"] = 200;
        o["request_user_id"] = call.user;
        o["request_properties"] =
            json::object{{"Helicone-Property-Feature", call.feature}, {"Helicone-Property-Environment", "prod"}};
        records.push_back(json::serialize(o));
    }
    Lines doc;
    doc.Add("[");
    auto at = doc.AddItems(records);
    doc.Add("]");
    f.body = doc.Text();
    for (std::size_t i = 0; i < calls.size(); ++i) {
        if (calls[i].bad) {
            f.bad_lines.push_back(at[i]);
        } else {
            f.rows.push_back(CallRow(calls[i], calls[i].plan->pick->dated, HeliconeProvider(*calls[i].plan->pick)));
        }
    }
    f.note = BillNote(plans);
    return f;
}

TestFile HeliconeCsv(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    auto plans = HeliconePlans(p);
    auto calls = GenerateCalls(plans, 36, 20251015);
    TestFile f = MakeFile("Helicone CSV", "helicone.csv", "text/csv", "csv", "helicone", "request", "helicone.csv");
    f.body = CsvLine({"request_id", "request_created_at", "model", "provider", "prompt_tokens", "completion_tokens",
                      "prompt_cache_read_tokens", "prompt_cache_write_tokens", "costUSD", "delay_ms", "response_status",
                      "request_user_id", "request_properties"});
    std::int64_t line = 1;
    for (const auto& call : calls) {
        const Pick& pick = *call.plan->pick;
        json::object props{{"Helicone-Property-Feature", call.feature}, {"Helicone-Property-Environment", "prod"}};
        f.body += CsvLine({call.id, Iso(call.ts_ms), pick.dated, HeliconeProvider(pick),
                           call.bad ? "-1" : std::to_string(call.Input()), std::to_string(call.tokens.output),
                           std::to_string(call.tokens.cache_read), std::to_string(call.tokens.cache_write_5m),
                           call.bill_text, std::to_string(call.latency_ms), "200", call.user, json::serialize(props)});
        ++line;
        if (call.bad) {
            f.bad_lines.push_back(line);
        } else {
            f.rows.push_back(CallRow(call, pick.dated, HeliconeProvider(pick)));
        }
    }
    f.note = BillNote(plans);
    return f;
}

// ---------------------------------------------------------------- Langfuse

std::vector<Plan> LangfusePlans(const MixedPicks& p) {
    return {{&p.openai, 1.05, true, false}, {&p.anthropic, 0.99, true, false}, {&p.google, std::nullopt, true, false}};
}

// Observations of `calls`: a GENERATION per call (usageDetails additive: input without cache reads) and now and
// then a SPAN of the same trace without model or usage (skipped by the server; counted in f.skipped_records).
// Returns the records, one line each; `call_of_record` gets each record's call (nullopt for a SPAN).
std::vector<std::string> LangfuseObservations(const std::vector<Call>& calls, TestFile& f,
                                              std::vector<std::optional<std::size_t>>& call_of_record) {
    Rng rng(11);
    std::vector<std::string> records;
    for (std::size_t i = 0; i < calls.size(); ++i) {
        const Call& call = calls[i];
        const Pick& pick = *call.plan->pick;
        if (i % 5 == 2) {
            json::object span{
                {"id", rng.Hex(16)},       {"traceId", call.trace_id},           {"type", "SPAN"},
                {"name", "retrieve-docs"}, {"startTime", Iso(call.ts_ms - 400)}, {"endTime", Iso(call.ts_ms - 20)},
                {"model", nullptr},        {"usageDetails", json::object{}},     {"costDetails", json::object{}},
                {"level", "DEFAULT"}};
            records.push_back(json::serialize(span));
            call_of_record.emplace_back(std::nullopt);
            ++f.skipped_records;
        }
        json::object usage{{"input", call.bad ? -5 : call.tokens.uncached},
                           {"output", call.tokens.output},
                           {"cache_read_input_tokens", call.tokens.cache_read},
                           {"total", call.Input() + call.tokens.output}};
        json::object cost;
        if (call.bill) {
            double input_part = ParseDouble(CostText(*call.bill * 0.4));
            cost = json::object{{"input", input_part}, {"output", *call.bill - input_part}, {"total", *call.bill}};
        }
        json::object o{{"id", rng.Hex(16)},
                       {"traceId", call.trace_id},
                       {"type", "GENERATION"},
                       {"name", "answer"},
                       {"startTime", Iso(call.ts_ms)},
                       {"endTime", Iso(call.ts_ms + call.latency_ms)},
                       {"completionStartTime", Iso(call.ts_ms + 350)},
                       {"model", pick.dated},
                       {"modelParameters", json::object{{"temperature", "0.2"}}},
                       {"usageDetails", std::move(usage)},
                       {"costDetails", std::move(cost)},
                       {"level", "DEFAULT"},
                       {"userId", call.user},
                       {"metadata", json::object{{"feature", call.feature}}}};
        records.push_back(json::serialize(o));
        call_of_record.emplace_back(i);
    }
    return records;
}

TestFile LangfuseJson(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    auto plans = LangfusePlans(p);
    auto calls = GenerateCalls(plans, 36, 20251016);
    TestFile f = MakeFile("Langfuse observations JSON", "langfuse.json", "application/json", "json", "langfuse",
                          "request", "langfuse.json");
    std::vector<std::optional<std::size_t>> call_of_record;
    auto records = LangfuseObservations(calls, f, call_of_record);
    Lines doc;
    doc.Add(R"({"data":[)");
    auto at = doc.AddItems(records);
    doc.Add(R"(],"meta":{"page":1,"limit":100,"totalItems":)" + std::to_string(records.size()) +
            R"(,"totalPages":1}})");
    f.body = doc.Text();
    for (std::size_t k = 0; k < records.size(); ++k) {
        if (!call_of_record[k]) continue;
        const Call& call = calls[*call_of_record[k]];
        if (call.bad) {
            f.bad_lines.push_back(at[k]);
        } else {
            f.rows.push_back(CallRow(call, call.plan->pick->dated, ""));
        }
    }
    f.note = BillNote(plans) + ", SPAN observations skipped";
    return f;
}

TestFile LangfuseJsonl(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    auto plans = LangfusePlans(p);
    auto calls = GenerateCalls(plans, 24, 20251017);
    TestFile f = MakeFile("Langfuse observations JSONL (sent as application/octet-stream)", "langfuse.jsonl",
                          "application/octet-stream", "jsonl", "langfuse", "request", "");
    std::vector<std::optional<std::size_t>> call_of_record;
    auto records = LangfuseObservations(calls, f, call_of_record);
    for (std::size_t k = 0; k < records.size(); ++k) {
        f.body += records[k] + "\n";
        if (!call_of_record[k]) continue;
        const Call& call = calls[*call_of_record[k]];
        if (call.bad) {
            f.bad_lines.push_back(static_cast<std::int64_t>(k) + 1);
        } else {
            f.rows.push_back(CallRow(call, call.plan->pick->dated, ""));
        }
    }
    f.note = "syntax and source both detected from the bytes";
    return f;
}

// ---------------------------------------------------------------- Netra's own columns

TestFile NetraCsv(const PublishedCatalog& c) {
    MixedPicks p = PickMixed(c);
    std::vector<Plan> plans = {
        {&p.openai, 1.08, true, false}, {&p.anthropic, std::nullopt, true, false}, {&p.google, 0.995, true, false}};
    auto calls = GenerateCalls(plans, 30, 20251018);
    TestFile f = MakeFile("Netra usage CSV", "netra-usage.csv", "text/csv", "csv", "netra", "request", "");
    f.body = CsvLine({"timestamp", "model", "provider", "input_tokens", "output_tokens", "cached_tokens", "latency_ms",
                      "cost_usd", "feature"});
    std::int64_t line = 1;
    for (const auto& call : calls) {
        const Pick& pick = *call.plan->pick;
        f.body += CsvLine({Iso(call.ts_ms), pick.name, pick.provider, call.bad ? "-12" : std::to_string(call.Input()),
                           std::to_string(call.tokens.output), std::to_string(call.tokens.cache_read),
                           std::to_string(call.latency_ms), call.bill_text, call.feature});
        ++line;
        if (call.bad) {
            f.bad_lines.push_back(line);
        } else {
            f.rows.push_back(CallRow(call, pick.name, pick.provider));
        }
    }
    f.note = BillNote(plans);
    return f;
}

// ---------------------------------------------------------------- the checks

void FormatOpenAiUsageCsv(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, OpenAiUsageCsv(c));
}

void FormatOpenAiUsageJson(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, OpenAiUsageJson(c));
}

void FormatOpenAiCostsCsv(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, OpenAiCostsCsv(c));
}

void FormatAnthropicConsoleCsv(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, AnthropicConsoleCsv(PickAnthropic(c), true));
}

void FormatAnthropicUsageApiJson(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, AnthropicUsageJson(PickAnthropic(c)));
}

void FormatAnthropicCostsJson(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, AnthropicCostsJson(PickAnthropic(c)));
}

void FormatLiteLlmSpendLogsCsv(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, LiteLlmSpendLogsCsv(c));
}

void FormatLiteLlmSpendLogsJsonl(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, LiteLlmSpendLogsJsonl(c));
}

void FormatLiteLlmPayloadJsonl(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, LiteLlmPayloadJsonl(c));
}

void FormatOtelJson(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, OtelJson(c));
}

void FormatHeliconeJson(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, HeliconeJson(c));
}

void FormatHeliconeCsv(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, HeliconeCsv(c));
}

void FormatLangfuseJson(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    RunFile(ctx, c, LangfuseJson(c));
}

// ?format=anthropic_usage on a console CSV (older columns) is read as one; ?format=nonsense is a 422 JSON error;
// a file in Netra's own columns is still detected as netra; a Langfuse JSONL sent as application/octet-stream is
// recognised from its bytes alone.
void FormatForcedAndUnknown(StageContext& ctx) {
    auto http = ctx.Http();
    auto c = PublishedCatalog::Fetch(http);
    // Four independent parts: each one's failure is reported, and the others still run.
    std::vector<std::string> failures;
    auto part = [&failures](const std::function<void()>& fn) {
        try {
            fn();
        } catch (const TestFailure& failure) {
            failures.push_back(failure.what());
        }
    };

    part([&] {
        TestFile anthropic = AnthropicConsoleCsv(PickAnthropic(c), false);
        anthropic.label = "Anthropic console CSV (older columns) with ?format=anthropic_usage";
        Expected e = Compute(anthropic, c);
        auto user = ctx.NewUser("fmt-forced");
        auto r = PostFile(http, user, anthropic, "anthropic_usage", "text/csv");
        CheckDataset(ExpectJson(r, {201}, anthropic.label), anthropic, e, anthropic.label);
        ctx.Note(anthropic.label + ": read as anthropic_usage");
    });
    part([&] {
        auto user = ctx.NewUser("fmt-nonsense");
        auto r = PostFile(http, user, NetraCsv(c), "nonsense", "text/csv");
        const auto& o = ExpectJson(r, {422}, "POST /api/datasets?format=nonsense");
        Expect(!JStr(o, "error").empty() && !JStr(o, "message").empty(),
               "the 422 answer to ?format=nonsense names no error and message: " + r.Describe());
        ctx.Note("?format=nonsense: 422 " + JStr(o, "error") + " (" + JStr(o, "message").substr(0, 120) + ")");
    });
    part([&] { RunFile(ctx, c, NetraCsv(c)); });
    part([&] { RunFile(ctx, c, LangfuseJsonl(c)); });
    if (!failures.empty()) Fail(Join(failures, " | "));
}

}  // namespace

std::vector<TestCase> UsageFormatTests() {
    return {
        {"format_openai_usage_csv", FormatOpenAiUsageCsv},
        {"format_openai_usage_json", FormatOpenAiUsageJson},
        {"format_openai_costs_csv", FormatOpenAiCostsCsv},
        {"format_anthropic_console_csv", FormatAnthropicConsoleCsv},
        {"format_anthropic_usage_api_json", FormatAnthropicUsageApiJson},
        {"format_anthropic_costs_json", FormatAnthropicCostsJson},
        {"format_litellm_spend_logs_csv", FormatLiteLlmSpendLogsCsv},
        {"format_litellm_spend_logs_jsonl", FormatLiteLlmSpendLogsJsonl},
        {"format_litellm_payload_jsonl", FormatLiteLlmPayloadJsonl},
        {"format_otel_json", FormatOtelJson},
        {"format_helicone_json", FormatHeliconeJson},
        {"format_helicone_csv", FormatHeliconeCsv},
        {"format_langfuse_json", FormatLangfuseJson},
        {"format_forced_and_unknown", FormatForcedAndUnknown},
    };
}

}  // namespace netra::stage

// Module 3 — agent_pipeline (§8, §9, §13): the adaptive pipeline as a user sees it. A vague request gets a
// structured data request and a guidance report; partial facts get flagged estimates; an uploaded usage log
// gets the full path, and the report's totals and savings must equal what this test computes itself from the
// rows it generated and the catalog prices the server publishes (GET /api/catalog/models). get_agent_status
// during and after a run; an unknown agent or an empty request is an error frame on a connection that stays up.
// With --spawn, `netra analyze FILE --json` on the uploaded file must agree with the server's run on it (same
// code, same rows: figures to 1e-9 relative, the report byte for byte). Every number on the wire (HTTP bodies,
// WebSocket frames, SSE, stored events, `netra analyze --json`) is plain decimal, never in exponent form (issue 12).
//
// The expected figures re-derive the documented formulas (src/analysis/README.md, SPEC §8/§9) independently;
// nothing here calls the server's analysis code. Formulas, all in USD:
//   cost of a row (no cost_usd given) = ((input − cached) × input_price + cached × cached_price
//                                        + output × output_price) / 1e6            (prices per 1M tokens)
//   a row with cost_usd keeps it as given.
//   days_covered = max(1, (last ts − first ts) / 86 400 000 ms); monthly_factor = 30 / days_covered;
//   monthly_cost = Σ cost × monthly_factor; per model the same with that model's rows.
//   latency p50/p95/p99 per model: nearest rank, sorted[ceil(p/100 × n) − 1].
//   duplicate_requests = Σ over prompt_hash groups of (n − 1); shared_prefix_requests = Σ n over prefix groups n ≥ 2.
//   Strategies (data-period sums S_current, S_savings; then current_monthly = S_current × factor,
//   savings_usd = S_savings × factor, projected = current − savings, affected_share = S_current / Σ cost,
//   savings_pct = savings_usd / monthly_cost × 100):
//   - response_caching: prompt_hash groups with n ≥ 2: current += group cost, savings += group cost × (n−1)/n.
//   - model_right_sizing: rows on frontier-tier models with input + output ≤ 2000 and output ≤ 500; target =
//     the cheapest mid-tier catalog model (among those marked `current`, when any is) whose blended price
//     (0.75 × input + 0.25 × output per token) is below
//     the source's, same provider first (ties by name); when the target's catalog cost of the same tokens
//     (cached at its cached price) is below the recorded cost: current += cost, savings += cost − target cost.
//   - prompt_caching: rows with input ≥ 1024 whose prefix_hash group (all rows of that hash) has n ≥ 2, on a
//     model with cached price < input price: prefix = ⌊0.5 × shortest input of the group⌋, uncached = max(0,
//     prefix − cached); saving = (uncached × (input − cached price) × (n−1) − uncached × max(0, cache-write
//     price − input price)) / n / 1e6; when uncached > 0 and saving > 0: current += cost, savings += saving.
//   - batch_api: batchable rows on models with a batch discount d > 0: current += cost, savings += cost × d.
//   - prompt_compression: rows with input > 4000: current += cost, savings += 0.2 × (input − cached) ×
//     input_price / 1e6.
//   - combined, in that order over the strategies that save something: remaining = monthly_cost ×
//     Π (1 − min(1, savings_i / monthly_cost)); savings = monthly_cost − remaining.
//   Estimates (no log; README "Without a dataset"): tokens per request = spend / requests / blended price;
//   response caching saves 10% of spend; right-sizing 40% of spend × (1 − blended(target)/blended(model));
//   prompt caching spend × input share × 30% × (1 − cached/input price) where input share = 0.75 × input price
//   / (0.75 × input + 0.25 × output price); combined in the same sequence.
#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

// Only for kDefaultAnalyzeRequest (a header constant, no link dependency): the server run must get exactly the
// request `netra analyze` uses, and a copy here would drift silently.
#include "agents/offline.hpp"
#include "core/ids.hpp"
#include "stage/event_checks.hpp"
#include "stage/module_usage_formats.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

constexpr double kRelTolerance = 1e-6;

// ---------------------------------------------------------------- JSON helpers

std::optional<double> Num(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    const auto& v = it->value();
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return std::nullopt;
}

double NeedNum(const json::object& o, std::string_view key, const std::string& where) {
    auto v = Num(o, key);
    if (!v) Fail(where + ": no numeric '" + std::string(key) + "': " + Quote(o, 500));
    return *v;
}

const json::array* Arr(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_array() ? &it->value().get_array() : nullptr;
}

bool Close(double got, double want) { return std::abs(got - want) <= kRelTolerance * std::max(std::abs(want), 1e-3); }

std::string Fmt(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

void ExpectClose(double got, double want, const std::string& what) {
    Expect(Close(got, want),
           what + ": server says " + Fmt(got) + ", the test computes " + Fmt(want) + " (relative tolerance 1e-6)");
}

void ExpectNumField(const json::object& o, std::string_view key, double want, const std::string& where) {
    ExpectClose(NeedNum(o, key, where), want, where + "." + std::string(key));
}

// The result object of `agent`'s agent_completed event, or nullptr.
const json::object* AgentResult(const std::vector<json::object>& events, const std::string& agent) {
    for (const auto& e : events) {
        if (JStr(e, "type") != "agent_completed") continue;
        const auto* p = JObj(e, "payload");
        if (p && JStr(*p, "agent") == agent) return JObj(*p, "result");
    }
    return nullptr;
}

const json::object& NeedAgentResult(const std::vector<json::object>& events, const std::string& agent) {
    const auto* r = AgentResult(events, agent);
    if (r == nullptr) Fail("no agent_completed with a result object for the " + agent + " agent");
    return *r;
}

// "$12,345.67" — the report's money format (two decimals, thousands separators).
std::string Money(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", std::abs(v));
    std::string digits = buf;
    std::size_t dot = digits.find('.');
    std::string out;
    for (std::size_t i = 0; i < dot; ++i) {
        if (i > 0 && (dot - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return (v < 0 ? "-$" : "$") + out + digits.substr(dot);
}

// The markdown shows `v` as money (either rounding when v sits on a cent boundary within the tolerance).
void ExpectMoneyIn(const std::string& markdown, double v, const std::string& what) {
    for (double x : {v, v * (1 - 1e-9), v * (1 + 1e-9)}) {
        if (markdown.find(Money(x)) != std::string::npos) return;
    }
    Fail("the report markdown does not show " + what + " " + Money(v) + " (computed by the test)");
}

// ---------------------------------------------------------------- the catalog, as the server publishes it

struct CatModel {
    std::string model, provider, tier;
    std::vector<std::string> names;  // lower-cased id, model and aliases
    double in = 0, out = 0, cached = 0, batch = 0;
    double cache_write = 0;  // 5-minute writes (equal to input where the provider does not charge more)
    bool current = false;    // right-sizing recommends current models only (when the catalog marks any)
    double Blended() const { return (0.75 * in + 0.25 * out) / 1e6; }
};

struct Catalog {
    std::vector<CatModel> models;
    const CatModel* Find(const std::string& name) const {
        std::string key = Lower(name);
        for (const auto& m : models) {
            if (std::find(m.names.begin(), m.names.end(), key) != m.names.end()) return &m;
        }
        return nullptr;
    }
    const CatModel& Need(const std::string& name) const {
        const auto* m = Find(name);
        if (m == nullptr) Fail("GET /api/catalog/models does not list " + name + " (the test data uses it)");
        return *m;
    }
};

Catalog FetchCatalog(HttpClient& http) {
    auto r = Must(http.Get("/api/catalog/models"), "GET /api/catalog/models");
    const auto& o = ExpectJson(r, {200}, "GET /api/catalog/models");
    const auto* data = Arr(o, "data");
    Expect(data && !data->empty(), "GET /api/catalog/models has no data array: " + Quote(o));
    Catalog c;
    for (const auto& v : *data) {
        Expect(v.is_object(), "a catalog entry is not an object: " + Quote(v));
        const auto& e = v.get_object();
        CatModel m;
        m.model = JStr(e, "model");
        m.provider = JStr(e, "provider");
        m.tier = JStr(e, "tier");
        std::string where = "catalog entry " + m.model;
        m.in = NeedNum(e, "input_per_mtok", where);
        m.out = NeedNum(e, "output_per_mtok", where);
        m.cached = NeedNum(e, "cached_input_per_mtok", where);
        m.batch = NeedNum(e, "batch_discount", where);
        m.cache_write = NeedNum(e, "cache_write_per_mtok", where);
        m.current = e.contains("current") && e.at("current").is_bool() && e.at("current").as_bool();
        m.names.push_back(Lower(m.model));
        if (!JStr(e, "id").empty()) m.names.push_back(Lower(JStr(e, "id")));
        if (const auto* aliases = Arr(e, "aliases")) {
            for (const auto& a : *aliases) {
                if (a.is_string()) m.names.push_back(Lower(std::string(a.get_string())));
            }
        }
        Expect(!m.model.empty() && !m.provider.empty() && !m.tier.empty(), "catalog entry incomplete: " + Quote(e));
        c.models.push_back(std::move(m));
    }
    return c;
}

double CatalogCost(const CatModel& m, std::int64_t in, std::int64_t out, std::int64_t cached) {
    return (static_cast<double>(in - cached) * m.in + static_cast<double>(cached) * m.cached +
            static_cast<double>(out) * m.out) /
           1e6;
}

// Cheapest mid-tier model with a lower blended price than `src`, the same provider first (ties by name), among
// the models marked current when the catalog marks any.
const CatModel* CheaperMidTier(const CatModel& src, const Catalog& c) {
    const CatModel* same = nullptr;
    const CatModel* any = nullptr;
    const bool marks_current =
        std::any_of(c.models.begin(), c.models.end(), [](const CatModel& m) { return m.current; });
    auto better = [](const CatModel& m, const CatModel* best) {
        return best == nullptr || m.Blended() < best->Blended() ||
               (m.Blended() == best->Blended() && m.model < best->model);
    };
    for (const auto& m : c.models) {
        if (marks_current && !m.current) continue;
        if (m.tier != "mid" || m.Blended() >= src.Blended()) continue;
        if (m.provider == src.provider && better(m, same)) same = &m;
        if (better(m, any)) any = &m;
    }
    return same != nullptr ? same : any;
}

// ---------------------------------------------------------------- the generated usage log

struct Row {
    // As written to the file.
    std::string ts_text;        // RFC 3339 (Z or an offset), or epoch seconds/ms digits
    bool ts_is_number = false;  // JSONL writes epoch values as numbers
    std::string model_text;     // as the provider would report it (aliases, case)
    std::string provider_text;  // "" = column empty
    std::string in_text, out_text, cached_text;
    std::string latency_text, cost_text, prompt_hash, prefix_hash, feature, batchable_text, status_text;
    bool bad = false;
    // As the server must understand it (valid rows only).
    std::int64_t ts_ms = 0;
    const CatModel* model = nullptr;
    std::int64_t in = 0, out = 0, cached = 0;
    std::optional<double> latency;
    bool batchable = false, success = true;
    double cost = 0;
};

struct UsageLog {
    std::vector<Row> rows;  // file order, bad rows included
    std::vector<std::int64_t> csv_bad_lines, jsonl_bad_lines;
    std::string csv, jsonl;
    std::vector<const Row*> Valid() const {
        std::vector<const Row*> v;
        for (const auto& r : rows) {
            if (!r.bad) v.push_back(&r);
        }
        return v;
    }
};

std::string Rfc3339(std::int64_t ms, int offset_minutes) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000 + offset_minutes * 60);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string s = buf;
    if (offset_minutes == 0) return s + "Z";
    char off[16];
    std::snprintf(off, sizeof off, "%c%02d:%02d", offset_minutes > 0 ? '+' : '-', std::abs(offset_minutes) / 60,
                  std::abs(offset_minutes) % 60);
    return s + off;
}

// A week of traffic, deterministic (fixed seed, raw engine output so every standard library agrees): four
// models (one written as a dated alias or in upper case), exact-duplicate prompts, shared system-prompt
// prefixes (some already partly cached), batchable rows, error statuses, some explicit cost_usd values, quoted
// CSV fields (one with a newline, which shifts later physical line numbers), and three bad rows.
UsageLog GenerateLog(const Catalog& catalog, int valid_rows) {
    std::mt19937_64 rng(20250301);
    auto pick = [&](std::uint64_t n) { return rng() % n; };
    const CatModel& gpt4o = catalog.Need("gpt-4o");
    const CatModel& mini = catalog.Need("gpt-4o-mini");
    const CatModel& sonnet = catalog.Need("claude-3-5-sonnet");
    const CatModel& flash = catalog.Need("gemini-1.5-flash");
    const std::int64_t system_prompt[8] = {800, 1200, 1600, 2400, 3000, 500, 1024, 2048};
    const std::int64_t start_ms = 1740787200000;  // 2025-03-01T00:00:00Z
    const std::set<int> bad_after = {499, 1499, 2499};

    UsageLog log;
    for (int i = 0; i < valid_rows; ++i) {
        Row r;
        r.ts_ms = start_ms + static_cast<std::int64_t>(i) * 200'000 + static_cast<std::int64_t>(pick(150)) * 1000;
        if (i % 11 == 3) {
            r.ts_text = std::to_string(r.ts_ms / 1000);
            r.ts_is_number = true;
        } else if (i % 13 == 5) {
            r.ts_text = std::to_string(r.ts_ms);
            r.ts_is_number = true;
        } else {
            r.ts_text = Rfc3339(r.ts_ms, i % 17 == 7 ? 120 : 0);
        }
        auto m = pick(100);
        if (m < 35) {
            r.model = &gpt4o;
            r.model_text = i % 10 == 0 ? "gpt-4o-2024-08-06" : (i % 25 == 1 ? "GPT-4o" : "gpt-4o");
        } else if (m < 65) {
            r.model = &mini, r.model_text = "gpt-4o-mini";
        } else if (m < 85) {
            r.model = &sonnet, r.model_text = "claude-3-5-sonnet";
        } else {
            r.model = &flash, r.model_text = "gemini-1.5-flash";
        }
        r.provider_text = i % 9 == 0 ? "" : (i % 9 == 4 ? "OpenAI" : r.model->provider);
        if (r.provider_text == "OpenAI" && r.model->provider != "openai") r.provider_text = r.model->provider;

        auto prefix_roll = pick(100);
        std::int64_t system = 0;
        if (prefix_roll < 65) {
            auto k = pick(8);
            system = system_prompt[k];
            r.prefix_hash = "sys" + std::to_string(k);
            r.in = system + 50 + static_cast<std::int64_t>(pick(1500));
            if (pick(4) == 0) r.cached = std::min<std::int64_t>(r.in, pick(2) ? system / 2 : system);
        } else {
            if (prefix_roll < 80) r.prefix_hash = "pfx-u" + std::to_string(i);
            r.in = 100 + static_cast<std::int64_t>(pick(1800));
        }
        if (pick(100) < 8) r.in += 4001;  // long prompts (compression)
        r.out = 20 + static_cast<std::int64_t>(pick(700));
        r.in_text = std::to_string(r.in);
        r.out_text = std::to_string(r.out);
        r.cached_text = r.cached > 0 || pick(2) ? std::to_string(r.cached) : "";

        if (pick(20) != 0) {
            r.latency = static_cast<double>(200 + pick(2800));
            r.latency_text = std::to_string(static_cast<long long>(*r.latency));
        }
        auto ph = pick(100);
        if (ph < 30) {
            r.prompt_hash = "dup" + std::to_string(pick(120));
        } else if (ph < 95) {
            r.prompt_hash = "u" + std::to_string(i);
        }
        auto b = pick(100);
        if (b < 15) {
            r.batchable = true;
            const char* yes[] = {"true", "1", "yes"};
            r.batchable_text = yes[pick(3)];
        } else if (b < 90) {
            r.batchable_text = pick(2) ? "false" : "0";
        }
        auto s = pick(100);
        r.status_text = s < 80   ? "ok"
                        : s < 88 ? "200"
                        : s < 93 ? "success"
                        : s < 96 ? "500"
                        : s < 98 ? "error"
                                 : "rate_limited";
        r.success = s < 93;
        const char* features[] = {"support_chat", "summarize", "classify_ticket"};
        r.feature = features[pick(3)];
        if (i == 100) r.feature = "support, tier 2";
        if (i == 200) r.feature = "the \"smart\" reply";
        if (i == 300) r.feature = "multi\nline";
        if (pick(10) == 0) {
            // A negotiated price recorded by the client: used as given.
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.10f", 0.9 * CatalogCost(*r.model, r.in, r.out, r.cached));
            r.cost_text = buf;
            r.cost = std::strtod(buf, nullptr);
        } else {
            r.cost = CatalogCost(*r.model, r.in, r.out, r.cached);
        }
        log.rows.push_back(std::move(r));

        if (bad_after.count(i)) {
            Row bad = log.rows.back();
            bad.bad = true;
            if (i == 499) {
                bad.ts_text = "yesterday at noon";
                bad.ts_is_number = false;
            }
            if (i == 1499) bad.in_text = "-12";
            if (i == 2499) bad.cached_text = std::to_string(bad.in + 100);
            log.rows.push_back(std::move(bad));
        }
    }

    // CSV (header on line 1; a quoted newline makes a record span two physical lines).
    std::ostringstream csv;
    csv << "timestamp,model,provider,input_tokens,output_tokens,cached_tokens,latency_ms,cost_usd,prompt_hash,"
           "prefix_hash,feature,batchable,status\n";
    std::int64_t line = 2;
    for (const auto& r : log.rows) {
        if (r.bad) log.csv_bad_lines.push_back(line);
        std::string record = CsvField(r.ts_text) + "," + CsvField(r.model_text) + "," + CsvField(r.provider_text) +
                             "," + r.in_text + "," + r.out_text + "," + r.cached_text + "," + r.latency_text + "," +
                             r.cost_text + "," + r.prompt_hash + "," + r.prefix_hash + "," + CsvField(r.feature) + "," +
                             r.batchable_text + "," + r.status_text + "\n";
        line += static_cast<std::int64_t>(std::count(record.begin(), record.end(), '\n'));
        csv << record;
    }
    log.csv = csv.str();

    // JSONL: the same rows with the column aliases (prompt_tokens, completion_tokens, use_case), numbers as
    // JSON numbers, absent values omitted, plus one line that is not JSON at all.
    std::ostringstream jl;
    std::int64_t jline = 1;
    for (std::size_t k = 0; k < log.rows.size(); ++k) {
        const Row& r = log.rows[k];
        json::object o;
        if (r.ts_is_number) {
            o["timestamp"] = std::stoll(r.ts_text);
        } else {
            o["timestamp"] = r.ts_text;
        }
        o["model"] = r.model_text;
        if (!r.provider_text.empty()) o["provider"] = r.provider_text;
        o["prompt_tokens"] = std::stoll(r.in_text);
        o["completion_tokens"] = std::stoll(r.out_text);
        if (!r.cached_text.empty()) o["cached_tokens"] = std::stoll(r.cached_text);
        if (r.latency) o["latency_ms"] = *r.latency;
        if (!r.cost_text.empty()) o["cost_usd"] = std::strtod(r.cost_text.c_str(), nullptr);
        if (!r.prompt_hash.empty()) o["prompt_hash"] = r.prompt_hash;
        if (!r.prefix_hash.empty()) o["prefix_hash"] = r.prefix_hash;
        o["use_case"] = r.feature;
        if (!r.batchable_text.empty()) o["batchable"] = r.batchable;
        if (r.status_text == "200" || r.status_text == "500") {
            o["status"] = std::stoll(r.status_text);
        } else {
            o["status"] = r.status_text;
        }
        if (r.bad) log.jsonl_bad_lines.push_back(jline);
        jl << json::serialize(o) << "\n";
        ++jline;
        if (k == 1000) {
            log.jsonl_bad_lines.push_back(jline);
            jl << "{\"timestamp\": \"2025-03-02T00:00:00Z\", \"model\": \"gpt-4o\", oops\n";
            ++jline;
        }
    }
    log.jsonl = jl.str();
    return log;
}

// ---------------------------------------------------------------- expected figures, computed by the test

struct ModelTotals {
    std::int64_t requests = 0, in = 0, out = 0, cached = 0;
    double cost = 0;
    std::vector<double> latencies;
};

struct ExpectedStrategy {
    std::string type;
    double current = 0, savings = 0;  // over the data period
    std::int64_t affected = 0;
    double current_monthly = 0, savings_monthly = 0, projected_monthly = 0, affected_share = 0, savings_pct = 0;
};

struct Expected {
    std::int64_t rows = 0, errors = 0, hashed = 0, duplicates = 0, prefixed = 0, shared_prefix = 0, batchable = 0;
    double total = 0, days = 0, factor = 0, monthly = 0;
    std::map<std::string, ModelTotals> by_model;
    std::vector<ExpectedStrategy> strategies;  // in the combining order; only those that apply
    double combined_projected = 0, combined_savings = 0, combined_pct = 0;
};

double NearestRank(const std::vector<double>& sorted, double p) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

Expected Compute(const UsageLog& log, const Catalog& catalog) {
    Expected e;
    auto rows = log.Valid();
    e.rows = static_cast<std::int64_t>(rows.size());
    std::int64_t first = rows.front()->ts_ms, last = rows.front()->ts_ms;
    std::map<std::string, std::int64_t> prompt_n, prefix_n, prefix_min;
    for (const Row* r : rows) {
        e.total += r->cost;
        first = std::min(first, r->ts_ms);
        last = std::max(last, r->ts_ms);
        if (!r->success) ++e.errors;
        if (r->batchable) ++e.batchable;
        auto& m = e.by_model[r->model->model];
        ++m.requests, m.in += r->in, m.out += r->out, m.cached += r->cached, m.cost += r->cost;
        if (r->latency) m.latencies.push_back(*r->latency);
        if (!r->prompt_hash.empty()) ++e.hashed, ++prompt_n[r->prompt_hash];
        if (!r->prefix_hash.empty()) {
            ++e.prefixed;
            auto [it, inserted] = prefix_min.emplace(r->prefix_hash, r->in);
            if (!inserted) it->second = std::min(it->second, r->in);
            ++prefix_n[r->prefix_hash];
        }
    }
    for (auto& [name, m] : e.by_model) std::sort(m.latencies.begin(), m.latencies.end());
    for (const auto& [h, n] : prompt_n) e.duplicates += n - 1;
    for (const auto& [h, n] : prefix_n) {
        if (n >= 2) e.shared_prefix += n;
    }
    e.days = std::max(1.0, static_cast<double>(last - first) / 86'400'000.0);
    e.factor = 30.0 / e.days;
    e.monthly = e.total * e.factor;

    ExpectedStrategy caching{"response_caching"};
    std::map<std::string, double> group_cost;
    for (const Row* r : rows) {
        if (!r->prompt_hash.empty()) group_cost[r->prompt_hash] += r->cost;
    }
    for (const auto& [h, n] : prompt_n) {
        if (n < 2) continue;
        caching.current += group_cost[h];
        caching.savings += group_cost[h] * static_cast<double>(n - 1) / static_cast<double>(n);
        caching.affected += n - 1;
    }

    ExpectedStrategy sizing{"model_right_sizing"};
    for (const Row* r : rows) {
        if (r->model->tier != "frontier" || r->in + r->out > 2000 || r->out > 500) continue;
        const CatModel* target = CheaperMidTier(*r->model, catalog);
        if (target == nullptr) continue;
        double projected = CatalogCost(*target, r->in, r->out, r->cached);
        if (projected >= r->cost) continue;
        sizing.current += r->cost;
        sizing.savings += r->cost - projected;
        ++sizing.affected;
    }

    ExpectedStrategy prompt{"prompt_caching"};
    for (const Row* r : rows) {
        if (r->prefix_hash.empty() || r->in < 1024) continue;
        std::int64_t n = prefix_n[r->prefix_hash];
        if (n < 2 || r->model->cached >= r->model->in) continue;
        auto prefix = static_cast<std::int64_t>(std::floor(0.5 * static_cast<double>(prefix_min[r->prefix_hash])));
        std::int64_t uncached = std::max<std::int64_t>(0, prefix - r->cached);
        if (uncached == 0) continue;
        const double read = static_cast<double>(uncached) * (r->model->in - r->model->cached) / 1e6;
        const double write = static_cast<double>(uncached) * std::max(0.0, r->model->cache_write - r->model->in) / 1e6;
        const double saving = (read * static_cast<double>(n - 1) - write) / static_cast<double>(n);
        if (saving <= 0) continue;
        prompt.current += r->cost;
        prompt.savings += saving;
        ++prompt.affected;
    }

    ExpectedStrategy batch{"batch_api"};
    for (const Row* r : rows) {
        if (!r->batchable || r->model->batch <= 0) continue;
        batch.current += r->cost;
        batch.savings += r->cost * r->model->batch;
        ++batch.affected;
    }

    ExpectedStrategy compression{"prompt_compression"};
    for (const Row* r : rows) {
        if (r->in <= 4000) continue;
        double saving = 0.2 * static_cast<double>(r->in - r->cached) * r->model->in / 1e6;
        if (saving <= 0) continue;
        compression.current += r->cost;
        compression.savings += saving;
        ++compression.affected;
    }

    double remaining = e.monthly;
    for (ExpectedStrategy* s : {&caching, &sizing, &prompt, &batch, &compression}) {
        if (s->affected == 0) continue;
        s->current_monthly = s->current * e.factor;
        s->savings_monthly = s->savings * e.factor;
        s->projected_monthly = s->current_monthly - s->savings_monthly;
        s->affected_share = s->current / e.total;
        s->savings_pct = s->savings_monthly / e.monthly * 100;
        if (s->savings_monthly > 0) remaining *= 1 - std::min(1.0, s->savings_monthly / e.monthly);
        e.strategies.push_back(*s);
    }
    e.combined_projected = remaining;
    e.combined_savings = e.monthly - remaining;
    e.combined_pct = e.combined_savings / e.monthly * 100;
    return e;
}

// ---------------------------------------------------------------- checks against the server's answers

struct Upload {
    std::string id;
    json::object body;
    std::string text;  // the answer's raw body
};

std::string NewThread(HttpClient& http, const Credentials& user, const std::string& title) {
    auto r = Must(http.PostJson("/api/threads", json::object{{"title", title}}, BearerAuth(user.access_token)),
                  "POST /api/threads");
    std::string id = JStr(ExpectJson(r, {200, 201}, "POST /api/threads"), "id");
    Expect(!id.empty(), "POST /api/threads answered no id: " + r.Describe());
    return id;
}

// Issue 12: every number in `text` (a JSON document as sent) is plain decimal; returns how many had a fraction.
int ExpectPlainNumbers(const std::string& text, const std::string& what) {
    const NumberForms forms = ScanNumberForms(text);
    Expect(forms.exponent == 0, what + " has " + std::to_string(forms.exponent) +
                                    " number(s) in exponent form, the first in: ..." + forms.first_exponent + "...");
    return forms.fractional;
}

Upload UploadLog(HttpClient& http, const Credentials& user, const std::string& body, const std::string& media_type,
                 const std::string& name, const std::string& thread_id) {
    Headers h = BearerAuth(user.access_token);
    h.emplace_back("Content-Type", media_type);
    std::string target = "/api/datasets?name=" + name + (thread_id.empty() ? "" : "&thread_id=" + thread_id);
    HttpRequestOptions opts;
    opts.timeout = std::chrono::milliseconds(60000);
    auto r = Must(http.Request("POST", target, h, body, opts), "POST " + target);
    Upload u;
    u.body = ExpectJson(r, {201}, "POST /api/datasets (" + media_type + ", " + std::to_string(body.size()) + " bytes)");
    u.id = JStr(u.body, "id");
    u.text = r.body;
    Expect(!u.id.empty(), "dataset answer has no id: " + Quote(u.body));
    return u;
}

// rows / rejected_rows / errors[].line of an upload answer against what the test wrote.
void CheckUploadCounts(const json::object& d, std::int64_t rows, const std::vector<std::int64_t>& bad_lines,
                       const std::string& what) {
    ExpectClose(NeedNum(d, "rows", what), static_cast<double>(rows), what + " rows (valid rows written)");
    ExpectClose(NeedNum(d, "rejected_rows", what), static_cast<double>(bad_lines.size()),
                what + " rejected_rows (bad rows written)");
    const auto* errors = Arr(d, "errors");
    Expect(errors != nullptr, what + ": no errors array: " + Quote(d, 600));
    std::vector<std::int64_t> lines;
    for (const auto& v : *errors) {
        Expect(v.is_object(), what + ": an errors entry is not an object: " + Quote(v));
        auto line = Num(v.get_object(), "line");
        Expect(line.has_value(), what + ": an errors entry has no line: " + Quote(v));
        Expect(!JStr(v.get_object(), "message").empty(), what + ": an errors entry has no message: " + Quote(v));
        lines.push_back(static_cast<std::int64_t>(*line));
    }
    std::string want, got;
    for (auto l : bad_lines) want += (want.empty() ? "" : ",") + std::to_string(l);
    for (auto l : lines) got += (got.empty() ? "" : ",") + std::to_string(l);
    Expect(lines == bad_lines, what + ": error lines are [" + got + "], the bad rows are on lines [" + want +
                                   "]: " + Quote(json::value(*errors), 800));
}

// A profile object (upload answer or data agent) against the computed totals.
void CheckProfile(const json::object& p, const Expected& e, const std::string& where, bool details) {
    Expect(p.contains("estimated") && p.at("estimated").is_bool() && !p.at("estimated").get_bool(),
           where + ": a profile of a usage log must say estimated:false: " + Quote(p, 300));
    ExpectNumField(p, "rows", static_cast<double>(e.rows), where);
    ExpectNumField(p, "total_cost_usd", e.total, where);
    ExpectNumField(p, "days_covered", e.days, where);
    ExpectNumField(p, "monthly_cost_usd", e.monthly, where);
    ExpectNumField(p, "errors", static_cast<double>(e.errors), where);
    ExpectNumField(p, "hashed_rows", static_cast<double>(e.hashed), where);
    ExpectNumField(p, "duplicate_requests", static_cast<double>(e.duplicates), where);
    ExpectNumField(p, "prefix_rows", static_cast<double>(e.prefixed), where);
    ExpectNumField(p, "shared_prefix_requests", static_cast<double>(e.shared_prefix), where);
    ExpectNumField(p, "batchable_requests", static_cast<double>(e.batchable), where);
    const auto* by_model = Arr(p, "by_model");
    Expect(by_model != nullptr, where + ": no by_model array: " + Quote(p, 400));
    std::set<std::string> seen;
    for (const auto& v : *by_model) {
        Expect(v.is_object(), where + ": a by_model entry is not an object");
        const auto& g = v.get_object();
        std::string name = JStr(g, "name");
        auto it = e.by_model.find(name);
        Expect(it != e.by_model.end(),
               where + ": by_model lists '" + name + "', which the log does not use under its canonical catalog name");
        seen.insert(name);
        const auto& m = it->second;
        std::string w = where + ".by_model[" + name + "]";
        ExpectNumField(g, "requests", static_cast<double>(m.requests), w);
        ExpectNumField(g, "input_tokens", static_cast<double>(m.in), w);
        ExpectNumField(g, "output_tokens", static_cast<double>(m.out), w);
        ExpectNumField(g, "cached_tokens", static_cast<double>(m.cached), w);
        ExpectNumField(g, "cost_usd", m.cost, w);
        ExpectNumField(g, "monthly_cost_usd", m.cost * e.factor, w);
        ExpectNumField(g, "share", m.cost / e.total, w);
    }
    Expect(seen.size() == e.by_model.size(), where + ": by_model has " + std::to_string(seen.size()) +
                                                 " models, the log has " + std::to_string(e.by_model.size()));
    if (!details) return;
    const auto* latency = Arr(p, "latency");
    Expect(latency != nullptr, where + ": no latency array: " + Quote(p, 400));
    std::size_t checked = 0;
    for (const auto& v : *latency) {
        const auto& l = v.as_object();
        auto it = e.by_model.find(JStr(l, "model"));
        Expect(it != e.by_model.end(), where + ": latency for an unknown model: " + Quote(v));
        const auto& s = it->second.latencies;
        std::string w = where + ".latency[" + it->first + "]";
        ExpectNumField(l, "samples", static_cast<double>(s.size()), w);
        ExpectNumField(l, "p50", NearestRank(s, 50), w);
        ExpectNumField(l, "p95", NearestRank(s, 95), w);
        ExpectNumField(l, "p99", NearestRank(s, 99), w);
        ++checked;
    }
    Expect(checked == e.by_model.size(), where + ": latency covers " + std::to_string(checked) + " models, expected " +
                                             std::to_string(e.by_model.size()));
}

// The strategies array (§8 fields exactly) against the computed ones, in order.
void CheckStrategies(const json::array* got, const std::vector<ExpectedStrategy>& want, const std::string& where) {
    Expect(got != nullptr, where + ": no strategies array");
    std::vector<std::string> got_types, want_types;
    for (const auto& v : *got) got_types.push_back(v.is_object() ? JStr(v.get_object(), "type") : "?");
    for (const auto& s : want) want_types.push_back(s.type);
    Expect(got_types == want_types, where + ": strategies [" + Join(got_types) + "], the test expects [" +
                                        Join(want_types) + "] (the ones the log supports, in combining order)");
    static const std::set<std::string> kFields = {"type",
                                                  "description",
                                                  "affected_share",
                                                  "current_monthly_usd",
                                                  "projected_monthly_usd",
                                                  "savings_usd",
                                                  "savings_pct",
                                                  "confidence",
                                                  "risk",
                                                  "quality_impact",
                                                  "assumptions"};
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto& o = (*got)[i].get_object();
        const auto& s = want[i];
        std::string w = where + "." + s.type;
        std::set<std::string> keys;
        for (const auto& kv : o) keys.insert(std::string(kv.key()));
        Expect(keys == kFields, w +
                                    ": fields are not exactly §8's {type, description, affected_share, "
                                    "current_monthly_usd, projected_monthly_usd, savings_usd, savings_pct, confidence, "
                                    "risk, quality_impact, assumptions}: " +
                                    Quote(o, 400));
        ExpectNumField(o, "current_monthly_usd", s.current_monthly, w);
        ExpectNumField(o, "savings_usd", s.savings_monthly, w);
        ExpectNumField(o, "projected_monthly_usd", s.projected_monthly, w);
        ExpectNumField(o, "affected_share", s.affected_share, w);
        ExpectNumField(o, "savings_pct", s.savings_pct, w);
        Expect(!JStr(o, "description").empty() && !JStr(o, "confidence").empty() && !JStr(o, "risk").empty() &&
                   !JStr(o, "quality_impact").empty(),
               w + ": empty description/confidence/risk/quality_impact: " + Quote(o, 400));
        const auto* assumptions = Arr(o, "assumptions");
        Expect(assumptions && !assumptions->empty(), w + ": no assumptions stated: " + Quote(o, 400));
    }
}

// Reporting's structured numbers against the computed totals and strategies.
void CheckReportNumbers(const json::object& rep, const Expected& e, const std::string& dataset_id,
                        const std::string& where) {
    Expect(JStr(rep, "report_type") == "full", where + ": report_type is '" + JStr(rep, "report_type") +
                                                   "', a complete run on a usage log gives a full report");
    Expect(JStr(rep, "dataset_id") == dataset_id,
           where + ": dataset_id '" + JStr(rep, "dataset_id") + "' is not the uploaded " + dataset_id);
    ExpectNumField(rep, "rows", static_cast<double>(e.rows), where);
    ExpectNumField(rep, "total_cost_usd", e.total, where);
    ExpectNumField(rep, "monthly_cost_usd", e.monthly, where);
    ExpectNumField(rep, "current_monthly_usd", e.monthly, where);
    ExpectNumField(rep, "projected_monthly_usd", e.combined_projected, where);
    ExpectNumField(rep, "savings_usd", e.combined_savings, where);
    ExpectNumField(rep, "savings_pct", e.combined_pct, where);
    CheckStrategies(Arr(rep, "strategies"), e.strategies, where + ".strategies");
    double plain_sum = 0;
    for (const auto& s : e.strategies) plain_sum += s.savings_monthly;
    // The combination must not be the plain sum (it would double count); only meaningful when they differ.
    if (e.strategies.size() > 1) {
        Expect(!Close(NeedNum(rep, "savings_usd", where), plain_sum) || Close(plain_sum, e.combined_savings),
               where + ": combined savings equal the plain sum of the strategies (double counting)");
    }
}

std::vector<json::object> SortedBySeq(std::vector<json::object> events) {
    std::stable_sort(events.begin(), events.end(),
                     [](const json::object& a, const json::object& b) { return Seq(a) < Seq(b); });
    return events;
}

// stream_chunk texts in seq order, with indexes 0..n-1, concatenated.
std::string Chunks(const std::vector<json::object>& events, const std::string& where) {
    std::string text;
    std::int64_t next = 0;
    for (const auto& e : SortedBySeq(events)) {
        if (JStr(e, "type") != "stream_chunk") continue;
        const auto* p = JObj(e, "payload");
        Expect(p != nullptr, where + ": stream_chunk without payload");
        auto index = Num(*p, "index");
        Expect(index && static_cast<std::int64_t>(*index) == next, where + ": stream_chunk index " +
                                                                       (index ? Fmt(*index) : std::string("missing")) +
                                                                       ", expected " + std::to_string(next));
        ++next;
        text += JStr(*p, "text");
    }
    Expect(next > 0, where + ": no stream_chunk events");
    return text;
}

std::string LastAssistantMessage(HttpClient& http, const Credentials& user, const std::string& thread_id) {
    auto r = Must(http.Get("/api/threads/" + thread_id + "/messages?limit=100", BearerAuth(user.access_token)),
                  "GET /api/threads/{id}/messages");
    const auto& o = ExpectJson(r, {200}, "GET /api/threads/{id}/messages");
    const auto* data = Arr(o, "data");
    Expect(data != nullptr, "thread messages without a data array: " + Quote(o));
    std::string last;
    for (const auto& v : *data) {
        if (v.is_object() && JStr(v.get_object(), "role") == "assistant") last = JStr(v.get_object(), "content");
    }
    return last;
}

void ExpectAgents(const RunTrace& t, const std::vector<std::string>& expected, const std::string& label) {
    ExpectValidSequence(t);
    Expect(t.terminal == "run_completed",
           label + ": run ended with '" + t.terminal + "'" + (t.events.empty() ? "" : ": " + Quote(t.events.back())));
    auto order = AgentOrder(t.events);
    Expect(order == expected,
           label + " (§8): expected agents " + Join(expected, " → ") + ", got " + Join(order, " → "));
}

// ---------------------------------------------------------------- tests

void VagueRequestGuidance(StageContext& ctx) {
    auto user = ctx.NewUser("pipe-vague");
    auto ws = ctx.Connect(user);
    auto t = SendAndFollowRun(*ws, UserMessage("help me reduce my AI costs"));
    ExpectAgents(t, {"triage", "data_helper", "reporting"}, "vague request");

    const auto& tri = NeedAgentResult(t.events, "triage");
    Expect(JStr(tri, "data_sufficiency") == "insufficient", "triage's data_sufficiency is '" +
                                                                JStr(tri, "data_sufficiency") +
                                                                "', expected insufficient: " + Quote(tri, 500));
    double completeness = NeedNum(tri, "completeness", "triage result");
    Expect(completeness < 0.4, "triage completeness " + Fmt(completeness) + " is not below 0.4 for a bare request");
    const auto* missing = Arr(tri, "facts_missing");
    Expect(missing && !missing->empty(), "triage lists no missing facts: " + Quote(tri, 500));

    const auto& helper = NeedAgentResult(t.events, "data_helper");
    const auto* req = JObj(helper, "data_request");
    Expect(req != nullptr, "data_helper's result has no data_request object: " + Quote(helper, 500));
    const auto* cats = Arr(*req, "categories");
    Expect(cats && !cats->empty(), "data_request has no categories: " + Quote(*req, 500));
    std::vector<std::string> item_texts;
    bool any_required = false;
    for (const auto& c : *cats) {
        Expect(c.is_object() && !JStr(c.get_object(), "name").empty(), "a category without a name: " + Quote(c));
        const auto* items = Arr(c.get_object(), "items");
        Expect(items && !items->empty(), "category without items: " + Quote(c));
        for (const auto& it : *items) {
            Expect(it.is_object(), "an item is not an object: " + Quote(it));
            const auto& io = it.get_object();
            Expect(!JStr(io, "item").empty() && !JStr(io, "justification").empty(),
                   "an item lacks item/justification text: " + Quote(it));
            Expect(io.contains("required") && io.at("required").is_bool(),
                   "an item lacks a boolean required: " + Quote(it));
            any_required = any_required || io.at("required").get_bool();
            item_texts.push_back(JStr(io, "item"));
        }
    }
    Expect(any_required, "nothing in the data request is required for an insufficient request: " + Quote(*req, 600));
    const auto* asked = Arr(*req, "missing_facts");
    Expect(asked && *asked == *missing, "data_request.missing_facts " +
                                            (asked ? Quote(json::value(*asked)) : "absent") +
                                            " differ from triage's facts_missing " + Quote(json::value(*missing)));
    Expect(!JStr(*req, "instructions").empty(), "data_request has no instructions");
    const auto* formats = Arr(*req, "accepted_formats");
    Expect(formats && !formats->empty(), "data_request has no accepted_formats");
    std::string formats_text = Lower(json::serialize(*formats));
    Expect(formats_text.find("csv") != std::string::npos && formats_text.find("jsonl") != std::string::npos,
           "accepted_formats do not name CSV and JSONL: " + formats_text);
    std::string example = JStr(*req, "example");
    Expect(!example.empty(), "data_request has no example");

    // The example must be a file the server itself accepts: upload it as the user would.
    auto http = ctx.Http();
    auto up = UploadLog(http, user, example, "text/csv", "example-from-data-request", "");
    auto rows = Num(up.body, "rows");
    auto rejected = Num(up.body, "rejected_rows");
    Expect(rows && *rows >= 1 && rejected && *rejected == 0,
           "the data request's own example does not ingest cleanly: " + Quote(up.body, 500));

    const auto& rep = NeedAgentResult(t.events, "reporting");
    Expect(JStr(rep, "report_type") == "guidance",
           "report_type is '" + JStr(rep, "report_type") + "', expected guidance");
    for (const char* k : {"current_monthly_usd", "projected_monthly_usd", "savings_usd", "savings_pct", "strategies"}) {
        Expect(!rep.contains(k),
               std::string("a guidance report must carry no savings figures, yet has '") + k + "': " + Quote(rep, 400));
    }
    std::string md = JStr(rep, "report_markdown");
    Expect(!md.empty(), "reporting's result has no report_markdown");
    Expect(md.find("Savings by strategy") == std::string::npos && Lower(md).find("projected") == std::string::npos,
           "the guidance report shows savings or projections");
    for (const auto& item : item_texts) {
        Expect(md.find(item) != std::string::npos, "the guidance report does not ask for '" + item + "'");
    }
    Expect(Chunks(t.events, "vague request") == md, "stream_chunk texts do not concatenate to the report markdown");
    ctx.Note(std::to_string(item_texts.size()) + " items requested; example ingests " + Fmt(*rows) + " rows");
}

void PartialFactsEstimates(StageContext& ctx) {
    auto http = ctx.Http();
    Catalog catalog = FetchCatalog(http);
    auto user = ctx.NewUser("pipe-partial");
    auto ws = ctx.Connect(user);
    auto t =
        SendAndFollowRun(*ws, UserMessage("We spend $40k/month on GPT-4o for customer support, 2M requests per month"));
    ExpectAgents(t, {"triage", "data_helper", "data", "optimization", "reporting"}, "partial facts");

    const auto& tri = NeedAgentResult(t.events, "triage");
    Expect(JStr(tri, "data_sufficiency") == "partial",
           "triage's data_sufficiency is '" + JStr(tri, "data_sufficiency") + "', §8's example is partial");
    ExpectNumField(tri, "completeness", 4.0 / 6.0, "triage (§8: 4 of 6 facts)");
    const auto* missing = Arr(tri, "facts_missing");
    Expect(missing && missing->size() == 2, "triage should miss exactly 2 of the 6 cost facts: " + Quote(tri, 600));

    const auto& helper = NeedAgentResult(t.events, "data_helper");
    const auto* req = JObj(helper, "data_request");
    Expect(req != nullptr, "data_helper has no data_request: " + Quote(helper, 400));
    const auto* asked = Arr(*req, "missing_facts");
    Expect(asked && *asked == *missing, "the data request asks for " +
                                            (asked ? Quote(json::value(*asked)) : "nothing") +
                                            ", not only what is missing " + Quote(json::value(*missing)));

    // The estimate, re-derived from the stated facts and the published gpt-4o price.
    const CatModel& model = catalog.Need("gpt-4o");
    const double spend = 40000, requests = 2e6;
    const auto& data = NeedAgentResult(t.events, "data");
    const auto* profile = JObj(data, "profile");
    Expect(profile != nullptr, "data agent result has no profile: " + Quote(data, 400));
    Expect(profile->contains("estimated") && profile->at("estimated") == json::value(true),
           "a profile from stated facts must be flagged estimated:true: " + Quote(*profile, 400));
    ExpectNumField(*profile, "monthly_cost_usd", spend, "estimate profile");
    ExpectNumField(*profile, "monthly_requests", requests, "estimate profile");
    ExpectNumField(*profile, "tokens_per_request", spend / requests / model.Blended(), "estimate profile");

    const CatModel* target = CheaperMidTier(model, catalog);
    Expect(target != nullptr, "the catalog has no cheaper mid-tier model than gpt-4o");
    double input_share = 0.75 * model.in / (0.75 * model.in + 0.25 * model.out);
    std::vector<std::pair<std::string, double>> want = {
        {"response_caching", spend * 0.10},
        {"model_right_sizing", spend * 0.40 * (1 - target->Blended() / model.Blended())},
        {"prompt_caching", spend * input_share * 0.30 * (1 - model.cached / model.in)}};
    const auto& opt = NeedAgentResult(t.events, "optimization");
    Expect(opt.contains("estimated") && opt.at("estimated") == json::value(true),
           "optimization on stated facts must say estimated:true");
    const auto* strategies = Arr(opt, "strategies");
    Expect(strategies && strategies->size() == want.size(),
           "estimated strategies: " + (strategies ? Quote(json::value(*strategies), 600) : std::string("none")));
    double remaining = spend;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto& s = (*strategies)[i].as_object();
        Expect(JStr(s, "type") == want[i].first,
               "estimated strategy " + std::to_string(i) + " is '" + JStr(s, "type") + "', expected " + want[i].first);
        Expect(JStr(s, "confidence") == "low",
               want[i].first + ": an estimate's confidence is '" + JStr(s, "confidence") + "', expected low");
        ExpectNumField(s, "savings_usd", want[i].second, "estimated " + want[i].first);
        remaining *= 1 - want[i].second / spend;
    }
    const auto& rep = NeedAgentResult(t.events, "reporting");
    Expect(JStr(rep, "report_type") == "partial", "report_type '" + JStr(rep, "report_type") + "', expected partial");
    Expect(rep.contains("estimated") && rep.at("estimated") == json::value(true),
           "the report is not flagged estimated");
    ExpectNumField(rep, "current_monthly_usd", spend, "report");
    ExpectNumField(rep, "projected_monthly_usd", remaining, "report (estimates combined in sequence)");
    ExpectNumField(rep, "savings_usd", spend - remaining, "report");
    std::string md = JStr(rep, "report_markdown");
    // The spend table and the assumptions are rendered from the numbers (not by the LLM), so they carry the flag.
    Expect(md.find("(estimated)") != std::string::npos, "the report's spend table is not marked (estimated)");
    Expect(md.find("Estimate: ") != std::string::npos, "the report's assumptions do not mark the estimates");
    ExpectMoneyIn(md, spend - remaining, "the estimated savings");
    Expect(Chunks(t.events, "partial facts") == md, "stream_chunk texts do not concatenate to the report markdown");
    ctx.Note("estimated savings " + Money(spend - remaining) + " of " + Money(spend));
}

void DatasetFullPath(StageContext& ctx) {
    auto http = ctx.Http();
    Catalog catalog = FetchCatalog(http);
    UsageLog log = GenerateLog(catalog, 3000);
    Expected e = Compute(log, catalog);
    Expect(e.strategies.size() == 5, "test data bug: the generated log should support all five cost strategies");

    auto user = ctx.NewUser("pipe-dataset");
    std::string thread_id = NewThread(http, user, "usage log analysis");
    auto up = UploadLog(http, user, log.csv, "text/csv", "week-usage.csv", thread_id);
    CheckUploadCounts(up.body, e.rows, log.csv_bad_lines, "CSV upload");
    const auto* up_profile = JObj(up.body, "profile");
    Expect(up_profile != nullptr, "the upload answer has no profile: " + Quote(up.body, 400));
    CheckProfile(*up_profile, e, "upload profile", false);
    auto got = Must(http.Get("/api/datasets/" + up.id, BearerAuth(user.access_token)), "GET /api/datasets/{id}");
    const auto& stored = ExpectJson(got, {200}, "GET /api/datasets/{id}");
    ExpectNumField(stored, "rows", static_cast<double>(e.rows), "GET /api/datasets/{id}");
    ExpectNumField(stored, "rejected_rows", static_cast<double>(log.csv_bad_lines.size()), "GET /api/datasets/{id}");

    auto ws = ctx.Connect(user);
    auto frame = UserMessage("Here is our usage export for last week. How can we cut our LLM costs?", thread_id);
    frame["dataset_id"] = up.id;
    auto t = SendAndFollowRun(*ws, frame);
    ExpectAgents(t, {"triage", "data", "optimization", "actions", "reporting"}, "uploaded dataset");

    const auto& tri = NeedAgentResult(t.events, "triage");
    Expect(JStr(tri, "data_sufficiency") == "sufficient",
           "with a usage log triage says '" + JStr(tri, "data_sufficiency") + "', expected sufficient");
    Expect(JStr(tri, "dataset_id") == up.id, "triage picked dataset '" + JStr(tri, "dataset_id") + "', not " + up.id);

    const auto& data = NeedAgentResult(t.events, "data");
    const auto* profile = JObj(data, "profile");
    Expect(profile != nullptr, "data agent result has no profile: " + Quote(data, 400));
    CheckProfile(*profile, e, "data agent profile", true);

    const auto& opt = NeedAgentResult(t.events, "optimization");
    CheckStrategies(Arr(opt, "strategies"), e.strategies, "optimization");
    const auto* combined = JObj(opt, "combined");
    Expect(combined != nullptr, "optimization has no combined object: " + Quote(opt, 400));
    ExpectNumField(*combined, "current_monthly_usd", e.monthly, "optimization.combined");
    ExpectNumField(*combined, "projected_monthly_usd", e.combined_projected, "optimization.combined");
    ExpectNumField(*combined, "savings_usd", e.combined_savings, "optimization.combined");

    const auto& act = NeedAgentResult(t.events, "actions");
    const auto* plan = Arr(act, "plan");
    Expect(plan && plan->size() > e.strategies.size(),
           "the action plan does not cover the " + std::to_string(e.strategies.size()) + " strategies");
    std::int64_t last_phase = 0;
    std::set<std::string> planned;
    for (const auto& v : *plan) {
        const auto& s = v.as_object();
        for (const char* k : {"title", "owner_role", "effort", "validation_metric", "rollback"}) {
            Expect(!JStr(s, k).empty(), std::string("a plan step has no ") + k + ": " + Quote(s, 400));
        }
        auto phase = static_cast<std::int64_t>(NeedNum(s, "phase", "plan step"));
        Expect(phase >= last_phase, "plan steps are not in phase order (quick wins first)");
        last_phase = phase;
        for (const auto& want : e.strategies) {
            if (JStr(s, "strategy") != want.type) continue;
            planned.insert(want.type);
            ExpectNumField(s, "expected_monthly_savings_usd", want.savings_monthly, "plan step " + want.type);
        }
    }
    Expect(planned.size() == e.strategies.size(), "the plan has steps for " + std::to_string(planned.size()) + " of " +
                                                      std::to_string(e.strategies.size()) + " strategies");

    const auto& rep = NeedAgentResult(t.events, "reporting");
    CheckReportNumbers(rep, e, up.id, "report");
    std::string md = JStr(rep, "report_markdown");
    Expect(Chunks(t.events, "uploaded dataset") == md, "stream_chunk texts do not concatenate to the report markdown");
    ExpectMoneyIn(md, e.monthly, "current monthly spend");
    ExpectMoneyIn(md, e.combined_projected, "projected monthly spend");
    ExpectMoneyIn(md, e.combined_savings, "combined savings");
    for (const auto& [name, m] : e.by_model) ExpectMoneyIn(md, m.cost * e.factor, name + "'s monthly spend");
    for (const auto& s : e.strategies) ExpectMoneyIn(md, s.savings_monthly, s.type + " savings");
    Expect(LastAssistantMessage(http, user, t.thread_id) == md,
           "the assistant message saved in the thread is not the streamed report");
    ctx.Note(std::to_string(e.rows) + " rows, " + Money(e.monthly) + "/month, combined savings " +
             Money(e.combined_savings) + " over " + std::to_string(e.strategies.size()) + " strategies");
}

void JsonlSameTotals(StageContext& ctx) {
    auto http = ctx.Http();
    Catalog catalog = FetchCatalog(http);
    UsageLog log = GenerateLog(catalog, 3000);
    Expected e = Compute(log, catalog);
    auto user = ctx.NewUser("pipe-jsonl");

    auto csv = UploadLog(http, user, log.csv, "text/csv", "usage.csv", "");
    auto jl = UploadLog(http, user, log.jsonl, "application/x-ndjson", "usage.jsonl", "");
    CheckUploadCounts(jl.body, e.rows, log.jsonl_bad_lines, "JSONL upload");
    const auto* pc = JObj(csv.body, "profile");
    const auto* pj = JObj(jl.body, "profile");
    Expect(pc && pj, "an upload answer has no profile");
    CheckProfile(*pj, e, "JSONL upload profile", true);
    for (const char* k : {"total_cost_usd", "monthly_cost_usd", "rows", "errors", "duplicate_requests"}) {
        ExpectClose(NeedNum(*pj, k, "JSONL profile"), NeedNum(*pc, k, "CSV profile"),
                    std::string("JSONL vs CSV upload profile ") + k);
    }

    // The full pipeline over HTTP this time: POST /api/agents/execute with dataset_id, then the stored events.
    auto r = Must(http.PostJson("/api/agents/execute",
                                json::object{{"user_request", "Analyze this usage log and cut our LLM costs."},
                                             {"dataset_id", jl.id}},
                                BearerAuth(user.access_token)),
                  "POST /api/agents/execute");
    const auto& o = ExpectJson(r, {202}, "POST /api/agents/execute");
    std::string run_id = JStr(o, "run_id");
    Expect(!run_id.empty(), "execute answered no run_id: " + Quote(o));
    auto run = WaitRunTerminal(http, user, run_id);
    Expect(JStr(run, "status") == "completed", "the run ended " + JStr(run, "status") + ": " + Quote(run, 400));
    auto events = StoredEvents(http, user, run_id, "type=agent_completed");
    const auto& rep = NeedAgentResult(events, "reporting");
    CheckReportNumbers(rep, e, jl.id, "report on the JSONL dataset");
    ctx.Note("CSV and JSONL: " + Money(e.monthly) + "/month, savings " + Money(e.combined_savings));
}

// The agent_status entry for `run_id` (waits for the answer frame). Run events that arrive first are appended
// to `frames` so the caller still sees every event of the run.
json::object AgentStatus(WsClient& ws, const std::string& run_id, std::vector<WsMessage>& frames) {
    Expect(ws.Send(json::object{{"type", "get_agent_status"}, {"run_id", run_id}}), "could not send get_agent_status");
    bool matched = false;
    auto got = ws.CollectUntil([](const WsMessage& x) { return x.Type() == "agent_status" || x.Type() == "error"; },
                               kFrameTimeout, &matched);
    Expect(matched, "no agent_status within 5 s");
    WsMessage m = got.back();
    got.pop_back();
    frames.insert(frames.end(), got.begin(), got.end());
    Expect(m.Type() == "agent_status", "get_agent_status answered: " + m.text);
    const auto* runs = Arr(Payload(m), "runs");
    if (runs == nullptr && m.Object()) runs = Arr(*m.Object(), "runs");
    Expect(runs != nullptr, "agent_status has no runs array: " + m.text);
    for (const auto& v : *runs) {
        if (v.is_object() && JStr(v.get_object(), "run_id") == run_id) return v.get_object();
    }
    Fail("agent_status does not list run " + run_id + ": " + m.text);
}

long long MaxSeq(const std::vector<WsMessage>& frames, const std::string& run_id) {
    long long max = 0;
    for (const auto& e : EventsOf(frames, run_id)) max = std::max(max, Seq(e));
    return max;
}

void AgentStatusDuringAndAfter(StageContext& ctx) {
    auto user = ctx.NewUser("pipe-status");
    // Holds triage's first tool for 3 s so the run is observably in flight (needs fault injection), however slowly
    // the server reaches triage.
    auto slow = MaybeFault(ctx, SlowTriageFault(3000, 60));
    auto ws = ctx.Connect(user);
    std::vector<WsMessage> frames;
    auto [run_id, thread_id] =
        SendAcked(*ws, UserMessage("We spend $40k/month on GPT-4o. How can we cut costs?"), &frames);
    // Between run_started and agent_started a running run has no current agent yet: ask again (while triage is
    // held) until it names one.
    json::object during;
    std::string status;
    long long seen_before_status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(2500);
    for (;;) {
        during = AgentStatus(*ws, run_id, frames);
        seen_before_status = MaxSeq(frames, run_id);
        status = JStr(during, "status");
        if (!slow || (status == "running" && !JStr(during, "current_agent").empty()) ||
            std::chrono::steady_clock::now() > deadline) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    double during_seq = NeedNum(during, "seq", "agent_status");
    // Events are numbered before they are sent, so the status (answered after them) knows at least their seq.
    Expect(during_seq >= static_cast<double>(seen_before_status),
           "agent_status seq " + Fmt(during_seq) + " is below the seq " + std::to_string(seen_before_status) +
               " of an event already received");
    if (slow) {
        Expect(status == "running", "while triage is held for 3 s, get_agent_status says '" + status +
                                        "' (expected running with current_agent triage): " + Quote(during));
        Expect(JStr(during, "current_agent") == "triage",
               "current_agent while triage is held is '" + JStr(during, "current_agent") + "': " + Quote(during));
        Expect(during_seq >= 2, "seq of a run inside its first agent is below 2: " + Quote(during));
    } else {
        Expect(status == "queued" || status == "running" || status == "completed",
               "get_agent_status right after the ack says '" + status + "'");
    }
    frames = CollectRuns(*ws, {run_id}, frames);
    auto events = EventsOf(frames, run_id);
    long long last_seq = 0;
    std::string terminal;
    for (const auto& ev : events) {
        last_seq = std::max(last_seq, Seq(ev));
        if (IsTerminalRunEvent(JStr(ev, "type"))) terminal = JStr(ev, "type");
    }
    Expect(terminal == "run_completed", "the run ended with '" + terminal + "'");
    Expect(static_cast<long long>(events.size()) == last_seq, "received " + std::to_string(events.size()) +
                                                                  " events of the run, its last seq is " +
                                                                  std::to_string(last_seq));
    Expect(during_seq < static_cast<double>(last_seq) || !slow, "seq during the run is not below the run's last seq");
    // The terminal event is committed before it is sent (§7), so the status must already be final.
    std::vector<WsMessage> later;
    auto after = AgentStatus(*ws, run_id, later);
    Expect(JStr(after, "status") == "completed",
           "after run_completed, get_agent_status says '" + JStr(after, "status") + "': " + Quote(after));
    ExpectNumField(after, "seq", static_cast<double>(last_seq), "agent_status after the run (its last event seq)");
    Expect(JStr(after, "thread_id") == thread_id, "agent_status thread_id is not the run's thread");
    PingPong(*ws, "after-status");
    ctx.Note(std::string(slow ? "in flight: " : "no fault injection, right after ack: ") + status + " / " +
             JStr(during, "current_agent") + " at seq " + Fmt(during_seq) + "; after: completed at seq " +
             std::to_string(last_seq));
}

std::size_t ThreadCount(HttpClient& http, const Credentials& user) {
    auto r = Must(http.Get("/api/threads?limit=100", BearerAuth(user.access_token)), "GET /api/threads");
    const auto* data = Arr(ExpectJson(r, {200}, "GET /api/threads"), "data");
    Expect(data != nullptr, "GET /api/threads has no data array: " + r.Describe());
    return data->size();
}

void BadRequestsKeepConnection(StageContext& ctx) {
    auto user = ctx.NewUser("pipe-errors");
    auto http = ctx.Http();
    auto threads_before = ThreadCount(http, user);
    auto ws = ctx.Connect(user);
    struct Case {
        const char* what;
        json::object frame;
    };
    std::vector<Case> cases = {
        {"start_agent with an unknown agent",
         json::object{{"type", "start_agent"},
                      {"agent", "no_such_agent"},
                      {"payload", json::object{{"user_request", "Analyze our LLM costs"}}}}},
        {"start_agent with an empty user_request",
         json::object{{"type", "start_agent"}, {"payload", json::object{{"user_request", ""}}}}},
        {"start_agent with a blank user_request",
         json::object{{"type", "start_agent"}, {"payload", json::object{{"user_request", "   \n "}}}}},
        {"start_agent without any request", json::object{{"type", "start_agent"}, {"payload", json::object{}}}},
        {"user_message with empty content", json::object{{"type", "user_message"}, {"content", ""}}},
    };
    int n = 0;
    for (auto& c : cases) {
        Expect(ws->Send(c.frame), std::string(c.what) + ": could not send");
        auto m = ws->Receive(kFrameTimeout);
        Expect(m.has_value(), std::string(c.what) + ": no answer within 5 s");
        Expect(m->Type() == "error", std::string(c.what) + ": answered " + m->text + " instead of an error frame");
        const auto& o = *m->Object();
        Expect(!JStr(o, "code").empty(), std::string(c.what) + ": error without a code: " + m->text);
        Expect(o.contains("message") && o.at("message").is_string() && !JStr(o, "message").empty(),
               std::string(c.what) + ": error message is not a non-empty string: " + m->text);
        PingPong(*ws, "after-error-" + std::to_string(++n));
    }
    // Nothing was started by any of them: no new thread (counted before and after, in case the suite runs as
    // one shared --email user with history).
    auto threads_after = ThreadCount(http, user);
    if (threads_before < 100) {
        Expect(threads_after == threads_before, "refused requests created threads: " + std::to_string(threads_before) +
                                                    " before, " + std::to_string(threads_after) + " after");
    }
    // And the connection still carries a real run.
    auto t = SendAndFollowRun(*ws, UserMessage("help me reduce my AI costs"));
    Expect(t.terminal == "run_completed", "a run after the errors ended with '" + t.terminal + "'");
}

// ---------------------------------------------------------------- `netra analyze` against the server

// The CLI and the server run the same ingest and pipeline code on the same rows (agents/offline.hpp), so any
// difference beyond floating-point noise is a bug, not a tolerance question.
constexpr double kSameCodeTolerance = 1e-9;

bool SameNumber(double a, double b) {
    return a == b || std::abs(a - b) <= kSameCodeTolerance * std::max(std::abs(a), std::abs(b));
}

std::optional<double> AsNumber(const json::value& v) {
    if (v.is_double()) return v.get_double();
    if (v.is_int64()) return static_cast<double>(v.get_int64());
    if (v.is_uint64()) return static_cast<double>(v.get_uint64());
    return std::nullopt;
}

// Every difference between the server's and the CLI's JSON at `path` (numbers within kSameCodeTolerance,
// integers and doubles alike), as "path: server X, analyze Y". Paths in `ignore` are not compared.
void JsonDiff(const json::value& server, const json::value& cli, const std::string& path,
              const std::set<std::string>& ignore, std::vector<std::string>& diffs) {
    if (ignore.count(path) != 0) return;
    auto a = AsNumber(server);
    auto b = AsNumber(cli);
    if (a && b) {
        if (!SameNumber(*a, *b)) diffs.push_back(path + ": server " + Fmt(*a) + ", analyze " + Fmt(*b));
        return;
    }
    if (server.kind() != cli.kind()) {
        diffs.push_back(path + ": server " + Quote(server, 120) + ", analyze " + Quote(cli, 120));
        return;
    }
    if (server.is_object()) {
        const auto& so = server.get_object();
        const auto& co = cli.get_object();
        for (const auto& kv : so) {
            std::string sub = path + "." + std::string(kv.key());
            auto it = co.find(kv.key());
            if (it == co.end()) {
                if (ignore.count(sub) == 0) diffs.push_back(sub + ": only the server has it");
                continue;
            }
            JsonDiff(kv.value(), it->value(), sub, ignore, diffs);
        }
        for (const auto& kv : co) {
            std::string sub = path + "." + std::string(kv.key());
            if (!so.contains(kv.key()) && ignore.count(sub) == 0) diffs.push_back(sub + ": only analyze has it");
        }
    } else if (server.is_array()) {
        const auto& sa = server.get_array();
        const auto& ca = cli.get_array();
        if (sa.size() != ca.size()) {
            diffs.push_back(path + ": server has " + std::to_string(sa.size()) + " entries, analyze " +
                            std::to_string(ca.size()));
        }
        for (std::size_t i = 0; i < std::min(sa.size(), ca.size()); ++i) {
            JsonDiff(sa[i], ca[i], path + "[" + std::to_string(i) + "]", ignore, diffs);
        }
    } else if (server != cli) {
        diffs.push_back(path + ": server " + Quote(server, 120) + ", analyze " + Quote(cli, 120));
    }
}

void ExpectSameJson(const json::value& server, const json::value& cli, const std::string& what,
                    const std::set<std::string>& ignore = {}) {
    std::vector<std::string> diffs;
    JsonDiff(server, cli, what, ignore, diffs);
    if (diffs.empty()) return;
    if (diffs.size() > 12) {
        auto more = diffs.size() - 12;
        diffs.resize(12);
        diffs.push_back("… " + std::to_string(more) + " more");
    }
    Fail("`netra analyze` and the server disagree on " + what + ": " + Join(diffs, "; "));
}

void ExpectSameNumber(double server, double cli, const std::string& what) {
    Expect(SameNumber(server, cli), what + ": server " + Fmt(server) + ", `netra analyze` " + Fmt(cli) +
                                        " (relative tolerance 1e-9: same code on the same rows)");
}

// The first line where two texts differ, both sides quoted.
std::string FirstDifference(const std::string& server, const std::string& cli) {
    std::istringstream a(server), b(cli);
    std::string la, lb;
    for (int line = 1;; ++line) {
        bool ga = static_cast<bool>(std::getline(a, la));
        bool gb = static_cast<bool>(std::getline(b, lb));
        if (!ga && !gb) return "they differ only in the final newline";
        if (!ga || !gb || la != lb) {
            return "line " + std::to_string(line) + ": server " + (ga ? "'" + la + "'" : "(ended)") + ", analyze " +
                   (gb ? "'" + lb + "'" : "(ended)");
        }
    }
}

// A temp dir that is removed with everything in it.

// What one comparison of a server's run with `netra analyze` saw: the server's run result, the catalog the
// server listed and the figures expected from it.
struct AnalyzeComparison {
    json::object server_result;
    Expected expected;
};

// Uploads a generated log to the server behind `ctx`, runs it, runs `netra analyze` (with `catalog_file` as
// --catalog when given) on the same file, and requires the same numbers and, on the builtin provider, the same
// report byte for byte.
AnalyzeComparison CompareWithAnalyze(StageContext& ctx, const std::string& catalog_file) {
    std::string binary = ctx.options().netra_binary.empty() ? SelfExecutable() : ctx.options().netra_binary;
    auto http = ctx.Http();
    Catalog catalog = FetchCatalog(http);
    UsageLog log = GenerateLog(catalog, 3000);
    Expected e = Compute(log, catalog);
    TempDir dir;
    const std::string file = dir.path + "/usage.csv";
    {
        std::ofstream out(file, std::ios::binary);
        out << log.csv;
        Expect(static_cast<bool>(out), "could not write " + file);
    }

    // The dataset is named with the path analyze is given: the report names its file, so both reports can be
    // compared byte for byte.
    auto user = ctx.NewUser("pipe-analyze");
    auto up = UploadLog(http, user, log.csv, "text/csv", file, "");
    CheckUploadCounts(up.body, e.rows, log.csv_bad_lines, "CSV upload");
    auto r = Must(http.PostJson("/api/agents/execute",
                                json::object{{"user_request", agents::kDefaultAnalyzeRequest}, {"dataset_id", up.id}},
                                BearerAuth(user.access_token)),
                  "POST /api/agents/execute");
    const auto& o = ExpectJson(r, {202}, "POST /api/agents/execute");
    std::string run_id = JStr(o, "run_id");
    Expect(!run_id.empty(), "execute answered no run_id: " + Quote(o));
    auto run = WaitRunTerminal(http, user, run_id);
    Expect(JStr(run, "status") == "completed", "the run ended " + JStr(run, "status") + ": " + Quote(run, 400));
    auto events = StoredEvents(http, user, run_id);
    const json::object* server_result = nullptr;
    for (const auto& ev : events) {
        if (JStr(ev, "type") != "run_completed") continue;
        if (const auto* p = JObj(ev, "payload")) server_result = JObj(*p, "result");
    }
    Expect(server_result != nullptr, "the stored run_completed event has no result object");
    const auto& server_report = NeedAgentResult(events, "reporting");
    const auto& server_data = NeedAgentResult(events, "data");
    const auto& server_actions = NeedAgentResult(events, "actions");

    std::vector<std::string> argv = {binary, "analyze", file, "--json"};
    if (!catalog_file.empty()) argv.insert(argv.end(), {"--catalog", catalog_file});
    auto t0 = std::chrono::steady_clock::now();
    auto ran = RunCaptureStdout(argv, {});
    double cli_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    Expect(ran.ok(), "could not run " + Join(argv, " ") + ": " + (ran.ok() ? "" : ran.error().message));
    Expect(ran->exit_code == 0, Join(argv, " ") + " exited " + std::to_string(ran->exit_code) + ": " +
                                    ran->error_output.substr(0, 500) + ran->output.substr(0, 300));
    json::value doc;
    try {
        doc = json::parse(ran->output);
    } catch (const std::exception& ex) {
        Fail("`netra analyze --json` printed no JSON document (" + std::string(ex.what()) +
             "): " + ran->output.substr(0, 300));
    }
    Expect(doc.is_object(), "`netra analyze --json` printed " + Quote(doc) + ", not an object");
    ExpectPlainNumbers(ran->output, "`netra analyze --json`");
    const auto& cli = doc.get_object();
    const auto* ingest = JObj(cli, "ingest");
    const auto* cli_result = JObj(cli, "result");
    const auto* cli_profile = JObj(cli, "profile");
    Expect(ingest && cli_result && cli_profile,
           "`netra analyze --json` lacks ingest, result or profile: " + Quote(cli, 400));

    // Row counts: the CLI's ingest, the upload answer and the generator agree, and both runs used every row.
    ExpectSameNumber(NeedNum(up.body, "rows", "upload"), NeedNum(*ingest, "rows", "analyze ingest"), "ingested rows");
    ExpectSameNumber(NeedNum(up.body, "rejected_rows", "upload"), NeedNum(*ingest, "rejected_rows", "analyze ingest"),
                     "rejected rows");
    ExpectClose(NeedNum(*ingest, "rows", "analyze ingest"), static_cast<double>(e.rows),
                "analyze ingest rows (valid rows the test wrote)");
    ExpectSameNumber(NeedNum(*server_result, "rows", "server result"), NeedNum(*cli_result, "rows", "analyze result"),
                     "rows analyzed");
    const auto* up_errors = Arr(up.body, "errors");
    const auto* cli_errors = Arr(*ingest, "errors");
    Expect(up_errors && cli_errors, "no errors array in the upload answer or analyze's ingest");
    ExpectSameJson(*up_errors, *cli_errors, "rejected rows (line and message)");

    // The headline figures, one by one for a readable failure; then every field of the result.
    for (const char* k : {"current_monthly_usd", "projected_monthly_usd", "savings_usd", "savings_pct",
                          "monthly_cost_usd", "total_cost_usd", "days_covered"}) {
        ExpectSameNumber(NeedNum(*server_result, k, "server result"), NeedNum(*cli_result, k, "analyze result"),
                         std::string("result.") + k);
    }
    const auto* ss = Arr(*server_result, "strategies");
    const auto* cs = Arr(*cli_result, "strategies");
    Expect(ss && cs, "a result has no strategies array");
    std::vector<std::string> st, ct;
    for (const auto& v : *ss) st.push_back(JStr(v.as_object(), "type"));
    for (const auto& v : *cs) ct.push_back(JStr(v.as_object(), "type"));
    Expect(st == ct, "strategies: server [" + Join(st) + "], analyze [" + Join(ct) + "]");
    Expect(!st.empty(), "neither run found a strategy on a log built to have several");
    for (std::size_t i = 0; i < st.size(); ++i) {
        ExpectSameNumber(NeedNum((*ss)[i].as_object(), "savings_usd", st[i]),
                         NeedNum((*cs)[i].as_object(), "savings_usd", ct[i]), "strategy " + st[i] + " savings_usd");
    }
    // dataset_id is the server's id vs the CLI's "offline"; everything else must be identical.
    ExpectSameJson(*server_result, *cli_result, "result", {"result.dataset_id"});
    const auto* server_profile = JObj(server_data, "profile");
    Expect(server_profile != nullptr, "the server's data agent result has no profile");
    ExpectSameJson(*server_profile, *cli_profile, "profile");
    if (const auto* plan = Arr(server_actions, "plan")) {
        Expect(cli.contains("plan"),
               "the server planned " + std::to_string(plan->size()) + " steps, `netra analyze --json` printed no plan");
        ExpectSameJson(*plan, cli.at("plan"), "plan");
    }

    // The report: the same renderer on the same numbers and the same file name. With an LLM provider configured
    // on the server its narrative is the model's prose while analyze uses the built-in one, so then only the
    // numbers above are compared.
    const auto* llm = JObj(*server_result, "llm");
    bool builtin = llm == nullptr || JStr(*llm, "provider") == "builtin";
    std::string server_md = JStr(server_report, "report_markdown");
    std::string cli_md = JStr(cli, "report_markdown");
    Expect(!cli_md.empty(), "`netra analyze --json` printed an empty report_markdown");
    if (builtin) {
        Expect(server_md == cli_md, "the report markdown differs (" + std::to_string(server_md.size()) + " vs " +
                                        std::to_string(cli_md.size()) + " bytes), " +
                                        FirstDifference(server_md, cli_md));
    }
    ctx.Note(std::to_string(e.rows) + " rows: " + Money(NeedNum(*cli_result, "current_monthly_usd", "")) +
             "/month, savings " + Money(NeedNum(*cli_result, "savings_usd", "")) + " over " +
             std::to_string(st.size()) + " strategies, equal on both; report " +
             (builtin ? "identical (" + std::to_string(cli_md.size()) + " bytes)" : "not compared (LLM narrative)") +
             "; analyze took " + Fmt(std::round(cli_ms)) + " ms" +
             (catalog_file.empty() ? "" : ", --catalog " + catalog_file));
    return AnalyzeComparison{*server_result, e};
}

// Issue 12: every number on the wire is plain decimal (`6819.41`, `23.15`, `90`, never `6.81941E3` or `9E1`): the
// raw text of an upload's answer, of GET /api/datasets/{id} (the stored profile), of every WebSocket frame of a run
// on that dataset, of GET /api/runs/{id}/events (the stored payloads) and of the run's SSE replay. (`netra analyze
// --json` is checked by analyze_cli_agrees_with_server.)
void NumbersPlainDecimal(StageContext& ctx) {
    auto http = ctx.Http();
    Catalog catalog = FetchCatalog(http);
    UsageLog log = GenerateLog(catalog, 600);
    auto user = ctx.NewUser("pipe-plain-numbers");
    const Headers auth = BearerAuth(user.access_token);
    std::string thread_id = NewThread(http, user, "plain numbers");
    auto up = UploadLog(http, user, log.csv, "text/csv", "plain-numbers.csv", thread_id);
    int fractional = ExpectPlainNumbers(up.text, "POST /api/datasets's answer");
    auto got = Must(http.Get("/api/datasets/" + up.id, auth), "GET /api/datasets/{id}");
    ExpectJson(got, {200}, "GET /api/datasets/{id}");
    fractional += ExpectPlainNumbers(got.body, "GET /api/datasets/{id}");

    auto ws = ctx.Connect(user);
    auto frame = UserMessage("Here is our usage log. Where does the money go, and how do we spend less?", thread_id);
    frame["dataset_id"] = up.id;
    Expect(ws->Send(frame), "could not send user_message: " + ws->ReadError());
    std::string run_id;
    bool ended = false;
    auto frames = ws->CollectUntil(
        [](const WsMessage& m) {
            const auto* o = m.Object();
            return o != nullptr && o->contains("seq") && IsTerminalRunEvent(m.Type());
        },
        kRunTimeout, &ended);
    Expect(ended, "the run did not end within " + std::to_string(kRunTimeout.count()) + " ms (" +
                      std::to_string(frames.size()) + " frames)");
    int ws_fractional = 0;
    for (const auto& m : frames) {
        if (const auto* o = m.Object(); o != nullptr && run_id.empty() && o->contains("seq"))
            run_id = JStr(*o, "run_id");
        ws_fractional += ExpectPlainNumbers(m.text, "the WebSocket frame '" + m.Type() + "'");
    }
    Expect(!run_id.empty(), "no run event among the " + std::to_string(frames.size()) + " frames");
    Expect(frames.back().Type() == "run_completed",
           "the run ended " + frames.back().Type() + ": " + frames.back().text.substr(0, 400));

    auto events = Must(http.Get("/api/runs/" + run_id + "/events", auth), "GET /api/runs/{id}/events");
    ExpectJson(events, {200}, "GET /api/runs/{id}/events");
    const int stored_fractional = ExpectPlainNumbers(events.body, "GET /api/runs/{id}/events");

    SseStream sse;
    auto head = sse.Open(ctx.server(), "/api/runs/" + run_id + "/stream", auth);
    if (!head.ok()) Fail("GET /api/runs/{id}/stream: " + head.error().message);
    Expect(head->status == 200, "GET /api/runs/{id}/stream: " + head->Describe());
    int sse_events = 0;
    for (;;) {
        auto e = sse.Next(kFrameTimeout);
        if (!e) break;
        ++sse_events;
        ExpectPlainNumbers(e->data, "the SSE event " + e->id + " '" + e->event + "'");
        if (IsTerminalRunEvent(e->event)) break;
    }
    Expect(sse_events > 0, "the SSE replay of the finished run sent no event (" + sse.EndReason() + ")");

    // Not vacuous: the profile, the agents' results and the report carry figures with fractions.
    Expect(fractional > 0 && ws_fractional > 0 && stored_fractional > 0,
           "too few fractional numbers to judge: " + std::to_string(fractional) + " in the dataset answers, " +
               std::to_string(ws_fractional) + " in the frames, " + std::to_string(stored_fractional) +
               " in the stored events");
    ctx.Note(std::to_string(frames.size()) + " frames, " + std::to_string(sse_events) + " SSE events; " +
             std::to_string(fractional + ws_fractional + stored_fractional) + " fractional numbers, all plain decimal");
}

void AnalyzeCliAgreesWithServer(StageContext& ctx) {
    if (!ctx.spawned()) {
        Skip(
            "runs `netra analyze` next to the server, so it needs the netra binary and a server whose catalog is "
            "known: only with --spawn");
    }
    // The spawned server inherits this environment, so a NETRA_CATALOG here is its catalog too; analyze reads no
    // environment and gets it as --catalog. (The result's catalog_as_of is compared, so a catalog given to the
    // server some other way, e.g. a config file, shows up as a difference rather than passing silently.)
    std::string catalog_file;
    if (const char* c = std::getenv("NETRA_CATALOG"); c != nullptr && *c != '\0') {
        catalog_file = std::filesystem::absolute(c).string();
    }
    CompareWithAnalyze(ctx, catalog_file);
}

// An operator's --catalog prices the agents' runs, not only the catalog listing: a server started with every
// price tripled reports the figures of the tripled list, and `netra analyze --catalog` with the same file agrees.
void OperatorCatalogPricesRuns(StageContext& ctx) {
    auto http = ctx.Http();
    auto listed = Must(http.Get("/api/catalog/models"), "GET /api/catalog/models");
    const auto& body = ExpectJson(listed, {200}, "GET /api/catalog/models");
    const auto* entries = Arr(body, "data");
    Expect(entries && !entries->empty(), "GET /api/catalog/models has no data array: " + Quote(body));
    json::array models;
    for (const auto& v : *entries) {
        json::object m = v.as_object();
        for (const char* price : {"input_per_mtok", "output_per_mtok", "cached_input_per_mtok"}) {
            if (auto* p = m.if_contains(price); p && p->is_number()) *p = p->to_number<double>() * 3;
        }
        models.push_back(std::move(m));
    }
    const std::string as_of = "2099-01-01";
    json::object doc{{"version", 1},
                     {"as_of", as_of},
                     {"currency", "USD"},
                     {"unit", "per 1M tokens"},
                     {"source", "netra stage: every list price of the server's catalog, tripled"},
                     {"models", std::move(models)}};
    TempDir dir;
    const std::string file = dir.path + "/tripled-catalog.json";
    {
        std::ofstream out(file, std::ios::binary);
        out << json::serialize(doc);
        Expect(static_cast<bool>(out), "could not write " + file);
    }
    Catalog standard = FetchCatalog(http);
    auto server = ctx.SpawnDedicated({"NETRA_CATALOG=" + file}, "starts a server with its own --catalog");
    auto dedicated = ctx.ForServer(*server);
    auto tripled = CompareWithAnalyze(*dedicated, file);
    Expect(JStr(tripled.server_result, "catalog_as_of") == as_of, "the run was priced with catalog_as_of '" +
                                                                      JStr(tripled.server_result, "catalog_as_of") +
                                                                      "', not the " + as_of + " of --catalog");
    // Rows without cost_usd are priced from the catalog: the monthly figure follows the tripled list, and it is
    // not the one the standard list gives for the same rows.
    ExpectClose(NeedNum(tripled.server_result, "monthly_cost_usd", "server result"), tripled.expected.monthly,
                "monthly cost with the tripled catalog");
    UsageLog log = GenerateLog(standard, 3000);
    Expected at_standard = Compute(log, standard);
    Expect(std::abs(tripled.expected.monthly - at_standard.monthly) > 0.5 * at_standard.monthly,
           "tripling every price moved the monthly cost only from " + Money(at_standard.monthly) + " to " +
               Money(tripled.expected.monthly));
    ctx.Note("monthly cost " + Money(at_standard.monthly) + " at list prices, " + Money(tripled.expected.monthly) +
             " with --catalog (every price x3); server and analyze agree");
}

// A usage log whose export ends at 03:33 on its last day: that day's low spend is where the data stops, so it is
// reported as partial and never as a cost anomaly (with it in the statistics it would be z = -3).
void PartialLastDayIsNoAnomaly(StageContext& ctx) {
    std::ostringstream csv;
    csv << "timestamp,model,input_tokens,output_tokens\n";
    for (int day = 1; day <= 9; ++day) {
        for (int hour = 0; hour < 24; ++hour) {
            csv << "2025-03-" << (day < 10 ? "0" : "") << day << "T" << (hour < 10 ? "0" : "") << hour
                << ":00:00Z,gpt-4o,1000,100\n";
        }
    }
    csv << "2025-03-10T03:33:00Z,gpt-4o,1000,100\n";
    auto http = ctx.Http();
    auto user = ctx.NewUser("pipe-partial-day");
    auto up = UploadLog(http, user, csv.str(), "text/csv", "ends-at-0333.csv", "");
    auto r = Must(http.PostJson("/api/agents/execute",
                                json::object{{"user_request", "How can we cut our LLM costs?"}, {"dataset_id", up.id}},
                                BearerAuth(user.access_token)),
                  "POST /api/agents/execute");
    std::string run_id = JStr(ExpectJson(r, {202}, "POST /api/agents/execute"), "run_id");
    auto run = WaitRunTerminal(http, user, run_id);
    Expect(JStr(run, "status") == "completed", "the run ended " + JStr(run, "status"));
    auto events = StoredEvents(http, user, run_id);
    const auto* profile = JObj(NeedAgentResult(events, "data"), "profile");
    Expect(profile != nullptr, "the data agent's result has no profile");
    const auto* partial = Arr(*profile, "partial_days");
    Expect(partial && partial->size() == 1 && JStr((*partial)[0].as_object(), "date") == "2025-03-10" &&
               JStr((*partial)[0].as_object(), "covered") == "until 03:33 UTC",
           "the profile does not report 2025-03-10 as partial until 03:33: " + Quote(*profile, 500));
    const auto* anomalies = Arr(*profile, "anomalies");
    Expect(anomalies && anomalies->empty(), "a partial day was reported as a cost anomaly: " + Quote(*profile, 500));
    std::string md = JStr(NeedAgentResult(events, "reporting"), "report_markdown");
    Expect(md.find("Partial days left out of anomaly detection") != std::string::npos &&
               md.find("2025-03-10 (until 03:33 UTC") != std::string::npos,
           "the report does not say which day was left out: " + md.substr(0, 600));
    ctx.Note("2025-03-10 reported partial (until 03:33 UTC), no anomaly");
}
}  // namespace

std::vector<TestCase> AgentPipelineTests() {
    std::vector<TestCase> tests = {
        {"vague_request_guidance", VagueRequestGuidance},
        {"partial_facts_estimates", PartialFactsEstimates},
        {"dataset_full_path_exact_numbers", DatasetFullPath},
        {"jsonl_same_totals_as_csv", JsonlSameTotals},
        {"agent_status_during_and_after", AgentStatusDuringAndAfter},
        {"bad_requests_keep_connection", BadRequestsKeepConnection},
        {"analyze_cli_agrees_with_server", AnalyzeCliAgreesWithServer},
        {"numbers_plain_decimal", NumbersPlainDecimal},
        {"operator_catalog_prices_runs", OperatorCatalogPricesRuns},
        {"partial_last_day_is_no_anomaly", PartialLastDayIsNoAnomaly},
    };
    for (auto& t : UsageFormatTests()) tests.push_back(std::move(t));  // one per usage-export format
    return tests;
}

}  // namespace netra::stage

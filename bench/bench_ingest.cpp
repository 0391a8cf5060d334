// netra_bench_ingest: how fast a usage log goes through the dataset pipeline (SPEC §9, §14 "dataset ingest +
// analysis ≥ 1 M rows/s"). Stages, each timed from the file's bytes in memory to its result:
//
//   parse            UsageIngest Feed (1 MiB chunks) + Finish + TakeRecords: validated domain::UsageRecord rows
//   parse+aggregate  parse, draining the records as they come into the aggregates the DuckDB script computes
//                    (rows, tokens and cost in total and by model) — the like-for-like comparison
//   parse+profile    parse, then analysis::ProfileUsage over all records, serialised as the API returns it
//   parse+profile+strategies   … and analysis::PriceStrategies (the full analysis a run performs)
//   parse+store      parse, storing every 64 Ki records through Store::InsertUsageRecords (SQLite file; and
//                    PostgreSQL when --pg or NETRA_TEST_PG_URL names a server), then FinalizeDataset
//
// rows/s counts input rows (valid + rejected). Reading the file is not timed: it is loaded once up front, as an
// upload arrives in memory. The last line is `RESULT {json}` for bench/run-ingest-bench.sh.
//
//   netra_bench_ingest --file /tmp/usage.csv --format csv [--repeat 5] [--sqlite /tmp/bench.db] [--pg URL]
//                      [--no-store] [--only STAGE]
//
// The analysis stages also print where their time went (parse, profile, profile JSON, strategies), medians.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/catalog.hpp"
#include "analysis/ingest.hpp"
#include "analysis/profile.hpp"
#include "analysis/strategies.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "storage/open_store.hpp"
#include "storage/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using netra::analysis::Format;
using netra::analysis::UsageIngest;
using netra::domain::UsageRecord;

constexpr std::size_t kChunkBytes = 1 << 20;
constexpr std::size_t kStoreBatchRecords = 1 << 16;

double Seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

struct ModelTotals {
    std::int64_t rows = 0;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_tokens = 0;
    double cost_usd = 0;
};

struct Aggregates {
    std::int64_t rows = 0;
    std::int64_t rejected = 0;
    ModelTotals total;
    std::map<std::string, ModelTotals> by_model;

    void Add(const std::vector<UsageRecord>& records) {
        // Consecutive rows mostly differ in model; a small map keyed by name is the honest general approach.
        for (const auto& r : records) {
            ModelTotals& m = by_model[r.model];
            ++m.rows;
            m.input_tokens += r.input_tokens;
            m.output_tokens += r.output_tokens;
            m.cached_tokens += r.cached_tokens;
            m.cost_usd += r.cost_usd.value_or(0);
        }
    }
    void Close() {
        total = {};
        for (const auto& [name, m] : by_model) {
            total.rows += m.rows;
            total.input_tokens += m.input_tokens;
            total.output_tokens += m.output_tokens;
            total.cached_tokens += m.cached_tokens;
            total.cost_usd += m.cost_usd;
        }
    }
};

struct StageResult {
    std::string name;
    std::vector<double> seconds;
    std::int64_t input_rows = 0;
    std::vector<double> store_seconds;  // time inside InsertUsageRecords/Finalize per repeat (store stages)

    double Median() const {
        auto s = seconds;
        std::sort(s.begin(), s.end());
        return s[s.size() / 2];
    }
    double Best() const { return *std::min_element(seconds.begin(), seconds.end()); }
    double StoreMedian() const {
        if (store_seconds.empty()) return 0;
        auto s = store_seconds;
        std::sort(s.begin(), s.end());
        return s[s.size() / 2];
    }
};

[[noreturn]] void Die(const std::string& what) {
    std::fprintf(stderr, "netra_bench_ingest: %s\n", what.c_str());
    std::exit(1);
}

// Feeds the whole file; `on_records` sees every batch of records as it becomes available.
// `drain` takes the records after every chunk (streaming, bounded memory); otherwise they are taken once at the
// end, as the upload handler does.
template <class OnRecords>
std::int64_t RunIngest(const std::string& data, Format format, OnRecords&& on_records, bool drain,
                       std::string* summary_text = nullptr) {
    UsageIngest ingest(format, netra::analysis::BundledCatalog());
    // The upload handler passes Content-Length the same way; a streaming consumer has no use for it.
    if (!drain) ingest.ExpectBytes(data.size());
    for (std::size_t off = 0; off < data.size(); off += kChunkBytes) {
        auto status = ingest.Feed(std::string_view(data).substr(off, kChunkBytes));
        if (!status.ok()) Die("ingest failed: " + status.error().message);
        if (drain) {
            auto batch = ingest.TakeRecords();
            if (!batch.empty()) on_records(std::move(batch));
        }
    }
    auto status = ingest.Finish();
    if (!status.ok()) Die("ingest failed: " + status.error().message);
    on_records(ingest.TakeRecords());
    if (summary_text != nullptr) {
        for (const auto& e : ingest.Summary().errors) *summary_text += std::to_string(e.line) + ":" + e.message + "\n";
        for (const auto& w : ingest.Summary().warnings) *summary_text += w + "\n";
        for (const auto& c : ingest.Summary().columns) *summary_text += c + ",";
    }
    return ingest.Summary().rows + ingest.Summary().rejected_rows;
}

std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) Die("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void PrintStage(const StageResult& s) {
    const double med = s.Median();
    std::printf("  %-26s %9.3f s median  %9.3f s best  %12.0f rows/s (median)  %12.0f rows/s (best)\n", s.name.c_str(),
                med, s.Best(), static_cast<double>(s.input_rows) / med, static_cast<double>(s.input_rows) / s.Best());
    if (const double store = s.StoreMedian(); store > 0) {
        std::printf("  %-26s %9.3f s median in the store calls: %12.0f rows/s stored\n", "", store,
                    static_cast<double>(s.input_rows) / store);
    }
}

// FNV-1a 64 of the analysis output, hex: a short fingerprint to compare builds with.
std::string Digest(std::string_view text) {
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%016llx (%zu bytes)", static_cast<unsigned long long>(h), text.size());
    return buf;
}

int Usage() {
    std::fprintf(stderr,
                 "usage: netra_bench_ingest --file PATH --format csv|jsonl [--repeat N] [--sqlite PATH] [--pg URL]\n"
                 "                          [--no-store] [--only parse|aggregate|profile|strategies|store]\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string file;
    std::optional<Format> format;
    int repeat = 5;
    std::string sqlite_path = "/tmp/netra-bench-ingest.db";
    std::string pg_url = std::getenv("NETRA_TEST_PG_URL") != nullptr ? std::getenv("NETRA_TEST_PG_URL") : "";
    bool store = true;
    std::string only;  // run a single stage (profiling with perf/callgrind); empty = all
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) std::exit(Usage());
            return argv[++i];
        };
        if (arg == "--file") {
            file = value();
        } else if (arg == "--format") {
            format = netra::analysis::FormatFromString(value());
            if (!format) return Usage();
        } else if (arg == "--repeat") {
            repeat = std::max(1, std::atoi(value().c_str()));
        } else if (arg == "--sqlite") {
            sqlite_path = value();
        } else if (arg == "--pg") {
            pg_url = value();
        } else if (arg == "--no-store") {
            store = false;
        } else if (arg == "--only") {
            only = value();
        } else {
            return Usage();
        }
    }
    if (file.empty() || !format) return Usage();

    const std::string data = ReadFile(file);
    std::printf("netra_bench_ingest: %s (%s, %.1f MiB), %d repeats\n", file.c_str(),
                std::string(netra::analysis::FormatName(*format)).c_str(), static_cast<double>(data.size()) / (1 << 20),
                repeat);
    (void)netra::analysis::BundledCatalog();  // parse the catalog once, outside every timing

    std::vector<StageResult> stages;

    auto want = [&](std::string_view stage) { return only.empty() || only == stage; };

    // parse
    StageResult parse{"parse", {}, 0, {}};
    std::int64_t valid_rows = -1;  // unknown until a stage has parsed the file
    if (want("parse")) {
        for (int i = 0; i < repeat; ++i) {
            std::size_t kept = 0;
            const auto t0 = Clock::now();
            std::string summary;
            parse.input_rows = RunIngest(
                data, *format, [&](std::vector<UsageRecord>&& recs) { kept += recs.size(); }, false, &summary);
            if (i == 0)
                std::printf("  ingest summary digest (errors, warnings, columns): %s\n", Digest(summary).c_str());
            parse.seconds.push_back(Seconds(t0, Clock::now()));
            valid_rows = static_cast<std::int64_t>(kept);
        }
        stages.push_back(parse);
    }

    // parse + aggregate
    StageResult aggregate{"parse+aggregate", {}, 0, {}};
    Aggregates agg;
    if (want("aggregate")) {
        for (int i = 0; i < repeat; ++i) {
            Aggregates a;
            const auto t0 = Clock::now();
            aggregate.input_rows = RunIngest(
                data, *format, [&](std::vector<UsageRecord>&& recs) { a.Add(recs); }, true);
            a.Close();
            aggregate.seconds.push_back(Seconds(t0, Clock::now()));
            agg = std::move(a);
        }
        agg.rows = agg.total.rows;
        agg.rejected = aggregate.input_rows - agg.rows;
        stages.push_back(aggregate);
    }

    // parse + profile, and parse + profile + priced strategies (the analysis a run performs on the dataset).
    // Each step is timed too, and the JSON the API would return is hashed: equal digests before and after a
    // change to the analysis code mean it computes the same figures to the last bit.
    std::string analysis_digest;
    auto analysis_stage = [&](const std::string& name, bool strategies) {
        StageResult result{name, {}, 0, {}};
        std::vector<double> t_parse, t_profile, t_profile_json, t_strategies;
        for (int i = 0; i < repeat; ++i) {
            std::vector<UsageRecord> records;
            const auto t0 = Clock::now();
            result.input_rows = RunIngest(
                data, *format, [&](std::vector<UsageRecord>&& recs) { records = std::move(recs); }, false);
            const auto t1 = Clock::now();
            const auto& catalog = netra::analysis::BundledCatalog();
            auto profile = netra::analysis::ProfileUsage(records, catalog);
            const auto t2 = Clock::now();
            std::string out = boost::json::serialize(netra::analysis::ProfileToJson(profile));
            const auto t3 = Clock::now();
            if (strategies) {
                auto priced = netra::analysis::PriceStrategies(records, profile, catalog, {});
                out += boost::json::serialize(netra::analysis::OptimizationToJson(priced));
            }
            const auto t4 = Clock::now();
            result.seconds.push_back(Seconds(t0, t4));
            t_parse.push_back(Seconds(t0, t1));
            t_profile.push_back(Seconds(t1, t2));
            t_profile_json.push_back(Seconds(t2, t3));
            t_strategies.push_back(Seconds(t3, t4));
            if (valid_rows < 0) valid_rows = static_cast<std::int64_t>(records.size());
            if (profile.rows != valid_rows || out.empty()) Die(name + ": the profile does not cover the parsed rows");
            if (strategies && i == 0) {
                // Not timed: the latency strategy too (runs only with a latency goal), for the digest.
                netra::analysis::StrategyOptions latency;
                latency.latency_goal = true;
                latency.latency_target_ms = 800;
                out += boost::json::serialize(netra::analysis::OptimizationToJson(
                    netra::analysis::PriceStrategies(records, profile, catalog, latency)));
                analysis_digest = Digest(out);
            }
        }
        auto median = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
        };
        std::printf("  %-26s parse %.3f s, profile %.3f s, profile JSON %.3f s, strategies + JSON %.3f s (medians)\n",
                    name.c_str(), median(t_parse), median(t_profile), median(t_profile_json), median(t_strategies));
        stages.push_back(result);
    };
    if (want("profile")) analysis_stage("parse+profile", false);
    if (want("strategies")) analysis_stage("parse+profile+strategies", true);
    if (!analysis_digest.empty())
        std::printf("  analysis digest (profile + strategies JSON): %s\n", analysis_digest.c_str());

    // parse + store
    auto store_stage = [&](const std::string& label, const std::string& url) {
        auto opened = netra::storage::OpenStore(url, 4);
        if (!opened) Die(label + ": cannot open the store: " + opened.error().message);
        auto st = *opened;
        if (auto s = st->Migrate(); !s) Die(label + ": migrate failed: " + s.error().message);
        netra::domain::User user{
            netra::core::NewId(), "bench-" + netra::core::RandomHex(6) + "@example.com", "bench", "", {},
            netra::core::NowMs()};
        if (auto s = st->CreateUser(user); !s) Die(label + ": " + s.error().message);
        StageResult result{"parse+store (" + label + ")", {}, 0, {}};
        const int store_repeat = std::max(1, std::min(repeat, 3));
        for (int i = 0; i < store_repeat; ++i) {
            netra::domain::Dataset d;
            d.id = netra::core::NewId();
            d.user_id = user.id;
            d.name = "bench";
            d.format = std::string(netra::analysis::FormatName(*format));
            d.created_at = netra::core::NowMs();
            double in_store = 0;
            std::vector<UsageRecord> pending;
            auto flush = [&](bool all) {
                if (pending.empty() || (!all && pending.size() < kStoreBatchRecords)) return;
                const auto s0 = Clock::now();
                if (auto s = st->InsertUsageRecords(d.id, pending); !s) Die(label + ": " + s.error().message);
                in_store += Seconds(s0, Clock::now());
                pending.clear();
            };
            const auto t0 = Clock::now();
            if (auto s = st->CreateDataset(d); !s) Die(label + ": " + s.error().message);
            result.input_rows = RunIngest(
                data, *format,
                [&](std::vector<UsageRecord>&& recs) {
                    if (pending.empty()) {
                        pending = std::move(recs);
                    } else {
                        pending.insert(pending.end(), std::make_move_iterator(recs.begin()),
                                       std::make_move_iterator(recs.end()));
                    }
                    flush(false);
                },
                true);
            flush(true);
            const auto s0 = Clock::now();
            if (auto s = st->FinalizeDataset(d.id, valid_rows, 0, {}, "{}"); !s) Die(label + ": " + s.error().message);
            in_store += Seconds(s0, Clock::now());
            result.seconds.push_back(Seconds(t0, Clock::now()));
            result.store_seconds.push_back(in_store);
            // Not timed: keep the database from growing with every repeat, and check what was stored.
            auto loaded = st->LoadUsageRecords(d.id);
            if (!loaded || static_cast<std::int64_t>(loaded->size()) != valid_rows) {
                Die(label + ": stored row count does not match the parsed rows");
            }
            (void)st->DeleteDataset(user.id, d.id);
        }
        stages.push_back(result);
    };
    if (store && want("store")) {
        if (valid_rows < 0) {
            valid_rows = 0;
            RunIngest(
                data, *format, [&](std::vector<UsageRecord>&& recs) { valid_rows += std::ssize(recs); }, true);
        }
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(sqlite_path + suffix, ec);
        store_stage("sqlite", "sqlite://" + std::filesystem::absolute(sqlite_path).string());
        if (!pg_url.empty()) store_stage("postgresql", pg_url);
    }

    for (const auto& s : stages) parse.input_rows = std::max(parse.input_rows, s.input_rows);
    std::printf("stages (%lld input rows, %lld valid, %lld rejected):\n", static_cast<long long>(parse.input_rows),
                static_cast<long long>(agg.rows), static_cast<long long>(agg.rejected));
    for (const auto& s : stages) PrintStage(s);
    std::printf("aggregates: rows=%lld input_tokens=%lld output_tokens=%lld cached_tokens=%lld cost_usd=%.6f\n",
                static_cast<long long>(agg.total.rows), static_cast<long long>(agg.total.input_tokens),
                static_cast<long long>(agg.total.output_tokens), static_cast<long long>(agg.total.cached_tokens),
                agg.total.cost_usd);
    for (const auto& [name, m] : agg.by_model) {
        std::printf("  %-28s %9lld rows  %14.6f USD\n", name.c_str(), static_cast<long long>(m.rows), m.cost_usd);
    }

    std::string json = "{\"format\":\"" + std::string(netra::analysis::FormatName(*format)) +
                       "\",\"input_rows\":" + std::to_string(parse.input_rows) +
                       ",\"rows\":" + std::to_string(agg.total.rows) +
                       ",\"input_tokens\":" + std::to_string(agg.total.input_tokens) +
                       ",\"output_tokens\":" + std::to_string(agg.total.output_tokens) +
                       ",\"cached_tokens\":" + std::to_string(agg.total.cached_tokens);
    char cost[64];
    std::snprintf(cost, sizeof(cost), "%.6f", agg.total.cost_usd);
    json += ",\"cost_usd\":" + std::string(cost) + ",\"stages\":{";
    for (std::size_t i = 0; i < stages.size(); ++i) {
        char buf[320];
        std::snprintf(buf, sizeof(buf), "%s\"%s\":{\"median_s\":%.6f,\"best_s\":%.6f,\"rows_per_s\":%.0f",
                      i == 0 ? "" : ",", stages[i].name.c_str(), stages[i].Median(), stages[i].Best(),
                      static_cast<double>(stages[i].input_rows) / stages[i].Median());
        json += buf;
        if (const double in_store = stages[i].StoreMedian(); in_store > 0) {
            std::snprintf(buf, sizeof(buf), ",\"store_s\":%.6f,\"stored_rows_per_s\":%.0f", in_store,
                          static_cast<double>(stages[i].input_rows) / in_store);
            json += buf;
        }
        json += "}";
    }
    json += "}}";
    std::printf("RESULT %s\n", json.c_str());
    return 0;
}

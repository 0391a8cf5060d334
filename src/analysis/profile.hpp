#pragma once
// The data profile (§8 Data): what a usage log says about spend, volume, latency and reuse. Pure and
// order-independent up to floating-point summation (callers pass records in timestamp order, as storage
// returns them), so the server and `netra analyze` give the same numbers.
#include <array>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/catalog.hpp"
#include "analysis/record_spans.hpp"
#include "analysis/spend_breakdown.hpp"
#include "domain/records.hpp"

namespace netra::analysis {

inline constexpr double kDayMs = 86'400'000.0;
inline constexpr double kDaysPerMonth = 30.0;  // "per month" is a 30-day month everywhere

struct HashGroups;
struct RecordColumns;

struct GroupStats {
    std::string name;
    std::string provider;  // by_model only
    std::int64_t requests = 0;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_tokens = 0;
    double cost_usd = 0;
    double monthly_cost_usd = 0;
    double share = 0;  // of total cost, 0..1
};

struct LatencyStats {
    std::string model;
    std::int64_t samples = 0;
    double p50 = 0, p95 = 0, p99 = 0;  // nearest-rank percentiles, ms
};

struct DailyCost {
    std::string date;  // YYYY-MM-DD (UTC)
    double cost_usd = 0;
    double z = 0;          // 0 for a partial day (not part of the statistics)
    bool partial = false;  // a first or last day the data covers only in part
    std::string covered;   // for a partial day: "from HH:MM UTC" or "until HH:MM UTC"
};

struct Profile {
    bool estimated = false;  // built from stated facts, not from a usage log
    std::int64_t rows = 0;
    std::int64_t errors = 0;
    double error_rate = 0;
    core::Millis start_ts = 0, end_ts = 0;
    // max(1, (end − start) / 1 day): the span the totals are normalised over.
    double days_covered = 0;
    double monthly_factor = 0;  // kDaysPerMonth / days_covered
    double total_cost_usd = 0;
    double cost_per_day_usd = 0;
    double monthly_cost_usd = 0;
    std::int64_t unpriced_rows = 0;  // unknown model and no cost_usd: counted as $0
    std::int64_t input_tokens = 0, output_tokens = 0, cached_tokens = 0;
    // Calls, not rows: an aggregate export's row stands for its request count (rows where it gives none).
    double monthly_requests = 0;
    double avg_input_tokens = 0, avg_output_tokens = 0;
    std::vector<GroupStats> by_model, by_provider, by_feature;  // cost descending, then name
    std::vector<LatencyStats> latency;                          // per model with latency samples
    std::array<std::int64_t, 24> hourly{};                      // requests per UTC hour of day
    std::vector<int> peak_hours;                                // up to 3 busiest hours
    double peak_to_average = 0;                                 // busiest hour / mean hour
    std::int64_t hashed_rows = 0, duplicate_requests = 0;       // prompt_hash present; repeats beyond the first
    std::optional<double> duplicate_rate;                       // duplicate_requests / hashed_rows
    std::int64_t prefix_rows = 0, shared_prefix_requests = 0;   // prefix_hash present; in a group of ≥ 2
    std::optional<double> shared_prefix_rate;
    std::int64_t batchable_requests = 0;
    std::vector<DailyCost> daily;          // per UTC day
    std::vector<DailyCost> anomalies;      // complete days with |z| ≥ kAnomalyZ (needs ≥ 3 complete days)
    std::vector<DailyCost> partial_days;   // first/last days left out of the anomaly statistics
    std::vector<std::string> assumptions;  // estimates: how each number was derived
    SpendBreakdown spend;                  // token partitions, bill vs list price, attribution, movers
    // Groupings by prompt_hash / prefix_hash computed once here and reused by the strategies (same records).
    std::shared_ptr<const HashGroups> prompt_groups, prefix_groups;
    // … and the fields the strategies scan, packed (see hash_groups.hpp).
    std::shared_ptr<const RecordColumns> columns;
    // Estimates only: the stated model and tokens per request.
    std::string primary_model;
    double tokens_per_request = 0;
};

inline constexpr double kAnomalyZ = 2.0;
// A first or last day with more than this much of it before the first record or after the last is partial: its
// low total says where the export starts or ends, not how spend moved, so anomaly detection leaves it out.
inline constexpr core::Millis kPartialDaySlackMs = 3'600'000;

Profile ProfileUsage(const RecordSpans& records, const Catalog& catalog);

// Facts a user stated in chat (triage), all per 30-day month.
struct StatedFacts {
    std::optional<double> monthly_spend_usd;
    std::optional<double> monthly_requests;
    std::optional<double> tokens_per_request;
    std::optional<double> monthly_tokens;
    std::vector<std::string> models;
};

// Input/output split assumed for stated token volumes: 3 input tokens per output token.
inline constexpr double kAssumedInputShare = 0.75;
// USD per token for a model at the assumed split.
double BlendedPricePerToken(const CatalogModel& model);

Profile EstimateProfile(const StatedFacts& facts, const Catalog& catalog);

boost::json::object ProfileToJson(const Profile& profile);

}  // namespace netra::analysis

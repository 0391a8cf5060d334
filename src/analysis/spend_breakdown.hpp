#pragma once
// Where the money in a usage log goes, beyond the profile's per-model totals (issue 8): the token partitions, the
// bill against the catalog's list price (reconciliation), unknown models, attribution to whatever dimensions the
// export carries, and the week-over-week movers.
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "analysis/record_spans.hpp"
#include "domain/records.hpp"

namespace netra::analysis {

struct TokenTotals {
    std::int64_t input = 0;  // all input: uncached + cache reads + cache writes
    std::int64_t uncached_input = 0;
    std::int64_t cache_read = 0;
    std::int64_t cache_write_5m = 0;
    std::int64_t cache_write_1h = 0;
    std::int64_t output = 0;
    std::int64_t reasoning = 0;
};

// Per model, over the rows that carry the file's own cost: the bill against the list price of the same tokens.
struct Reconciliation {
    std::string model;
    std::int64_t rows = 0;
    double billed_usd = 0;
    double list_usd = 0;
    double difference_pct = 0;  // (billed − list) / list × 100
    bool flagged = false;       // |difference_pct| > kReconcileTolerancePct
};
inline constexpr double kReconcileTolerancePct = 2.0;

struct UnknownModel {
    std::string model;
    std::int64_t rows = 0;
    double row_share = 0, token_share = 0, billed_share = 0;  // 0..1
};

struct Attribution {
    std::string name;
    double cost_usd = 0;
    std::int64_t requests = 0;
    double share = 0;  // of total spend
};

struct Mover {
    std::string dimension;  // model, feature, user, team, api_key, project
    std::string name;
    double previous_week_usd = 0, last_week_usd = 0;
};

struct SpendBreakdown {
    TokenTotals tokens;
    std::optional<std::int64_t> requests;  // absent when an aggregate export does not count its calls
    double list_cost_usd = 0;              // Σ list price over rows whose model the catalog knows
    std::int64_t billed_rows = 0;          // rows with the file's own cost
    std::int64_t batched_rows = 0;
    std::int64_t long_context_rows = 0;
    std::vector<Reconciliation> reconciliation;  // models with billed rows, largest difference first
    std::vector<UnknownModel> unknown_models;
    // dimension → top groups by cost (dimensions the file does not carry are absent)
    std::vector<std::pair<std::string, std::vector<Attribution>>> attribution;
    std::vector<Mover> movers;  // the largest week-over-week changes (needs 14 days of data)
};

inline constexpr std::size_t kAttributionTop = 10;
inline constexpr std::size_t kMoversTop = 5;

// A model is known when the ingest priced it (its rows carry list_cost_usd). Attribution shares are of
// `total_cost_usd`; without it, of the records' own sum (added in record order, so equal to the profile's).
SpendBreakdown BreakdownSpend(const RecordSpans& records, std::optional<double> total_cost_usd = std::nullopt);

// Adds the breakdown's fields to a profile JSON object.
void BreakdownToJson(const SpendBreakdown& b, boost::json::object& out);

}  // namespace netra::analysis

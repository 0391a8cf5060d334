#pragma once
// Optimization strategies (§8), each priced with the catalog on the user's own traffic, their combined effect
// without double counting, and the phased action plan. Pure; every heuristic is a named constant and is
// stated in the strategy's assumptions.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "analysis/catalog.hpp"
#include "analysis/profile.hpp"
#include "analysis/record_spans.hpp"
#include "domain/records.hpp"

namespace netra::analysis {

// Right-sizing: a request "fits" a cheaper model when it is short.
inline constexpr std::int64_t kSmallRequestTokens = 2000;  // input + output
inline constexpr std::int64_t kSmallRequestOutput = 500;
// Provider prompt caching: providers cache prompts from 1,024 tokens; the shared prefix is estimated as half of
// the shortest prompt that carries it.
inline constexpr std::int64_t kMinCacheablePrompt = 1024;
inline constexpr double kPrefixShareOfShortestPrompt = 0.5;
// Prompt compression: prompts over 4,000 input tokens lose 20% of their uncached input.
inline constexpr std::int64_t kLongPromptTokens = 4000;
inline constexpr double kCompressionRatio = 0.20;
// Estimates without a dataset (all flagged as estimates).
inline constexpr double kEstimatedSmallShare = 0.40;
inline constexpr double kEstimatedDuplicateShare = 0.10;
inline constexpr double kEstimatedPrefixShareOfInput = 0.30;

struct Strategy {
    std::string type;  // model_right_sizing | response_caching | prompt_caching | batch_api | prompt_compression |
                       // latency_routing
    std::string title;
    std::string description;
    double affected_share = 0;           // share of total spend the strategy touches, 0..1
    std::int64_t affected_requests = 0;  // in the data (estimates: per month)
    double current_monthly_usd = 0;      // monthly spend of the affected traffic
    double projected_monthly_usd = 0;    // the same traffic after the change
    double savings_usd = 0;              // monthly: current − projected
    double savings_pct = 0;              // savings as a percentage of the total monthly spend
    std::string confidence;              // high | medium | low
    std::string risk;                    // low | medium | high
    std::string quality_impact;
    std::vector<std::string> assumptions;
    bool counts_toward_total = true;  // latency strategies are reported but not added to cost savings
    std::string target_model;         // right-sizing / latency: where traffic moves
};

struct StrategyOptions {
    bool latency_goal = false;
    std::optional<double> latency_target_ms;  // p95 target when stated
};

struct CombinedSavings {
    double current_monthly_usd = 0;
    double projected_monthly_usd = 0;
    double savings_usd = 0;
    double savings_pct = 0;
    std::vector<std::string> order;  // strategies applied, in sequence
};

struct OptimizationResult {
    bool estimated = false;
    std::vector<Strategy> strategies;       // applicable ones (affected traffic > 0)
    std::vector<std::string> not_assessed;  // why a strategy could not be priced (missing columns, …)
    CombinedSavings combined;
};

// One strategy on a dataset; nullopt when no traffic qualifies (the reason goes to `not_assessed`).
using StrategyFn = std::optional<Strategy> (*)(const RecordSpans&, const Profile&, const Catalog&,
                                               const StrategyOptions&, std::vector<std::string>&);
struct StrategyStep {
    const char* type;
    StrategyFn price;
};
// The dataset strategies in the order their savings are combined (the latency one only with a latency goal).
const std::vector<StrategyStep>& DatasetStrategies();

// Applies the strategies in sequence on the remaining spend: projected = current × Π(1 − savings_i / current).
CombinedSavings CombineSavings(const std::vector<Strategy>& strategies, double current_monthly_usd);

OptimizationResult PriceStrategies(const RecordSpans& records, const Profile& profile, const Catalog& catalog,
                                   const StrategyOptions& options);
// Strategies on an estimated profile (no dataset): shares are stated assumptions, confidence low.
OptimizationResult EstimateStrategies(const Profile& estimate, const Catalog& catalog, const StrategyOptions& options);

struct ActionStep {
    int phase = 1;
    std::string phase_name;
    std::string title;
    std::string strategy;  // the strategy type it implements, empty for baseline steps
    std::string owner_role;
    std::string effort;  // e.g. "1-2 days"
    std::string validation_metric;
    std::string rollback;
    double expected_monthly_savings_usd = 0;
};

// Phased plan, quick wins first: measurement baseline, then each priced strategy by phase and savings.
std::vector<ActionStep> PlanActions(const OptimizationResult& optimization);

boost::json::object StrategyToJson(const Strategy& strategy);
boost::json::object OptimizationToJson(const OptimizationResult& result);
boost::json::object ActionStepToJson(const ActionStep& step);

}  // namespace netra::analysis

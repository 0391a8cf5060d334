#include "analysis/strategies.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_map>

#include "analysis/hash_groups.hpp"

namespace netra::analysis {
namespace json = boost::json;
using domain::RecordText;
using domain::UsageRecord;

namespace {

// The profile's packed columns when it was computed on these records, else fresh ones kept in `holder`.
const RecordColumns& Columns(const Profile& p, const RecordSpans& records, RecordColumns& holder) {
    if (p.columns && p.columns->rows.size() == records.size()) return *p.columns;
    holder = BuildColumns(records);
    return holder;
}

// catalog.Find once per distinct model name, by model id.
std::vector<const CatalogModel*> ResolveModels(const RecordColumns& columns, const Catalog& catalog) {
    std::vector<const CatalogModel*> out;
    out.reserve(columns.model_names.size());
    for (const auto& name : columns.model_names) out.push_back(catalog.Find(name));
    return out;
}

// The profile's grouping when it was computed on these records, else a fresh one kept in `holder`.
const HashGroups& Groups(const std::shared_ptr<const HashGroups>& cached, const RecordSpans& records,
                         RecordText UsageRecord::*column, HashGroups& holder) {
    if (cached && cached->id_of.size() == records.size()) return *cached;
    holder = GroupByHash(records, column);
    return holder;
}

std::string Pct(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

// Turns data totals into the monthly figures of a strategy.
void Finish(Strategy& s, const Profile& p, double current_total, double savings_total) {
    s.current_monthly_usd = current_total * p.monthly_factor;
    s.savings_usd = savings_total * p.monthly_factor;
    s.projected_monthly_usd = s.current_monthly_usd - s.savings_usd;
    s.affected_share = p.total_cost_usd > 0 ? current_total / p.total_cost_usd : 0;
    s.savings_pct = p.monthly_cost_usd > 0 ? s.savings_usd / p.monthly_cost_usd * 100 : 0;
}

// The cheapest mid-tier model cheaper than `source` (same provider first: no new vendor to integrate), among the
// models the catalog marks current when it marks any (a catalog of every model ever priced would otherwise
// recommend retired ones).
const CatalogModel* CheaperTarget(const CatalogModel& source, const Catalog& catalog) {
    const CatalogModel* same = nullptr;
    const CatalogModel* any = nullptr;
    double source_price = BlendedPricePerToken(source);
    const bool marks_current =
        std::any_of(catalog.Models().begin(), catalog.Models().end(), [](const CatalogModel& m) { return m.current; });
    for (const auto& m : catalog.Models()) {
        if (marks_current && !m.current) continue;
        if (m.tier != Tier::kMid || BlendedPricePerToken(m) >= source_price) continue;
        auto cheaper = [&](const CatalogModel* best) {
            return best == nullptr || BlendedPricePerToken(m) < BlendedPricePerToken(*best) ||
                   (BlendedPricePerToken(m) == BlendedPricePerToken(*best) && m.model < best->model);
        };
        if (m.provider == source.provider && cheaper(same)) same = &m;
        if (cheaper(any)) any = &m;
    }
    return same != nullptr ? same : any;
}

// Per call: an aggregate row's tokens are spread over its request count.
bool IsSmall(const CompactRecord& r) {
    return r.input_tokens + r.output_tokens <= kSmallRequestTokens * r.requests &&
           r.output_tokens <= kSmallRequestOutput * r.requests;
}

std::optional<Strategy> RightSizing(const RecordSpans& records, const Profile& p, const Catalog& catalog,
                                    const StrategyOptions&, std::vector<std::string>& not_assessed) {
    RecordColumns holder;
    const RecordColumns& columns = Columns(p, records, holder);
    const std::vector<const CatalogModel*> model_of = ResolveModels(columns, catalog);
    std::unordered_map<const CatalogModel*, const CatalogModel*> targets;
    std::map<std::pair<const CatalogModel*, const CatalogModel*>, std::int64_t> moved;  // (src, target) → requests
    double current = 0, savings = 0;
    std::int64_t affected = 0;
    for (const CompactRecord& r : columns.rows) {
        if (!r.has_cost || !IsSmall(r)) continue;
        const CatalogModel* src = model_of[static_cast<std::size_t>(r.model)];
        if (src == nullptr || src->tier != Tier::kFrontier) continue;
        auto it = targets.find(src);
        if (it == targets.end()) it = targets.emplace(src, CheaperTarget(*src, catalog)).first;
        if (it->second == nullptr) continue;
        TokenUsage usage;
        usage.input = r.input_tokens;
        usage.cache_read = r.cached_tokens;
        usage.output = r.output_tokens;
        usage.requests = r.requests;
        double projected = Catalog::CostUsd(*it->second, usage);
        if (projected >= r.cost_usd) continue;
        current += r.cost_usd;
        savings += r.cost_usd - projected;
        affected += r.requests;
        moved[{src, it->second}] += r.requests;
    }
    if (affected == 0) {
        not_assessed.push_back("model right-sizing: no short requests (<= " + std::to_string(kSmallRequestTokens) +
                               " tokens) on frontier-tier models with a cheaper mid-tier alternative");
        return std::nullopt;
    }
    Strategy s;
    s.type = "model_right_sizing";
    s.title = "Route short requests to a cheaper model";
    std::unordered_map<std::string, std::int64_t> by_route;  // "src -> target" → requests
    for (const auto& [route, n] : moved) by_route[route.first->model + " -> " + route.second->model] += n;
    std::vector<std::pair<std::string, std::int64_t>> routes(by_route.begin(), by_route.end());
    std::sort(routes.begin(), routes.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::string list;
    for (const auto& [route, n] : routes) list += (list.empty() ? "" : ", ") + route + " (" + std::to_string(n) + ")";
    s.target_model = routes.front().first.substr(routes.front().first.find("-> ") + 3);
    s.affected_requests = affected;
    s.description = fmt::format(
        "{} requests ({} of spend) are short (at most {} tokens in and out, {} out) yet run on frontier-tier models. "
        "Route them to a mid-tier model: {}.",
        affected, Pct(current / std::max(p.total_cost_usd, 1e-12)), kSmallRequestTokens, kSmallRequestOutput, list);
    s.confidence = "medium";
    s.risk = "medium";
    s.quality_impact = "possible on the hardest short requests; validate on an evaluation set before switching";
    s.assumptions = {
        fmt::format("a request fits a mid-tier model when input + output <= {} tokens and output <= {}",
                    kSmallRequestTokens, kSmallRequestOutput),
        "target priced at catalog list prices with the same token counts (cached tokens at the cached price)",
        "same provider preferred; the cheapest mid-tier model otherwise"};
    Finish(s, p, current, savings);
    return s;
}

std::optional<Strategy> ResponseCaching(const RecordSpans& records, const Profile& p, const Catalog&,
                                        const StrategyOptions&, std::vector<std::string>& not_assessed) {
    if (p.hashed_rows == 0) {
        not_assessed.push_back("response caching: the data has no prompt_hash, so exact duplicates cannot be found");
        return std::nullopt;
    }
    HashGroups holder;
    const HashGroups& groups = Groups(p.prompt_groups, records, &UsageRecord::prompt_hash, holder);
    RecordColumns holder_columns;
    const RecordColumns& columns = Columns(p, records, holder_columns);
    std::vector<double> group_cost(groups.size.size(), 0.0);
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (groups.id_of[i] >= 0) group_cost[static_cast<std::size_t>(groups.id_of[i])] += columns.rows[i].cost_usd;
    }
    // Sum by group id (first occurrence order) so the total does not depend on a hash map's iteration order.
    double current = 0, savings = 0;
    std::int64_t affected = 0;
    for (std::size_t g = 0; g < groups.size.size(); ++g) {
        std::int64_t n = groups.size[g];
        if (n < 2) continue;
        current += group_cost[g];
        savings += group_cost[g] * static_cast<double>(n - 1) / static_cast<double>(n);
        affected += n - 1;
    }
    if (affected == 0) {
        not_assessed.push_back("response caching: no prompt_hash occurs twice");
        return std::nullopt;
    }
    Strategy s;
    s.type = "response_caching";
    s.title = "Cache responses to repeated prompts";
    s.description = fmt::format(
        "{} of {} hashed requests ({}) repeat a prompt already answered. Serve them from a response cache keyed by "
        "the prompt hash.",
        affected, p.hashed_rows, Pct(static_cast<double>(affected) / static_cast<double>(p.hashed_rows)));
    s.affected_requests = affected;
    s.confidence = "high";
    s.risk = "low";
    s.quality_impact = "none for deterministic prompts; set a TTL for time-sensitive answers";
    s.assumptions = {"a group of n identical prompts is paid once: saves (n-1)/n of the group's cost",
                     "the cache holds entries for the whole period of the data; cache infrastructure cost ignored"};
    Finish(s, p, current, savings);
    return s;
}

std::optional<Strategy> PromptCaching(const RecordSpans& records, const Profile& p, const Catalog& catalog,
                                      const StrategyOptions&, std::vector<std::string>& not_assessed) {
    if (p.prefix_rows == 0) {
        not_assessed.push_back("provider prompt caching: the data has no prefix_hash, so shared prefixes are unknown");
        return std::nullopt;
    }
    HashGroups holder;
    const HashGroups& groups = Groups(p.prefix_groups, records, &UsageRecord::prefix_hash, holder);
    RecordColumns holder_columns;
    const RecordColumns& columns = Columns(p, records, holder_columns);
    std::vector<std::int64_t> min_input(groups.size.size(), std::numeric_limits<std::int64_t>::max());
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (groups.id_of[i] < 0) continue;
        auto& m = min_input[static_cast<std::size_t>(groups.id_of[i])];
        m = std::min(m, columns.rows[i].input_tokens);
    }
    const std::vector<const CatalogModel*> model_of = ResolveModels(columns, catalog);
    double current = 0, savings = 0;
    std::int64_t affected = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const CompactRecord& r = columns.rows[i];
        if (groups.id_of[i] < 0 || !r.has_cost || r.input_tokens < kMinCacheablePrompt) continue;
        auto gid = static_cast<std::size_t>(groups.id_of[i]);
        std::int64_t n = groups.size[gid];
        if (n < 2) continue;
        const CatalogModel* m = model_of[static_cast<std::size_t>(r.model)];
        if (m == nullptr || m->cached_input_per_mtok >= m->input_per_mtok) continue;
        auto prefix =
            static_cast<std::int64_t>(std::floor(kPrefixShareOfShortestPrompt * static_cast<double>(min_input[gid])));
        std::int64_t uncached_prefix = std::max<std::int64_t>(0, prefix - r.cached_tokens);
        if (uncached_prefix == 0) continue;
        // The n−1 repeats read the prefix at the cached price; the first writes it, at the provider's cache-write
        // price where that costs more than input (Anthropic: 1.25×).
        const double read_saving =
            static_cast<double>(uncached_prefix) * (m->input_per_mtok - m->cached_input_per_mtok) / 1e6;
        const double write_premium =
            static_cast<double>(uncached_prefix) * std::max(0.0, m->cache_write_per_mtok - m->input_per_mtok) / 1e6;
        const double saving = (read_saving * static_cast<double>(n - 1) - write_premium) / static_cast<double>(n);
        if (saving <= 0) continue;
        current += r.cost_usd;
        savings += saving;
        ++affected;
    }
    if (affected == 0) {
        not_assessed.push_back("provider prompt caching: no shared prefix of a cacheable prompt (>= " +
                               std::to_string(kMinCacheablePrompt) + " tokens) on a model with a cached-input price");
        return std::nullopt;
    }
    Strategy s;
    s.type = "prompt_caching";
    s.title = "Use the provider's prompt caching for shared prefixes";
    s.description = fmt::format(
        "{} requests share a prompt prefix with other requests. Put the shared part (system prompt, instructions, "
        "documents) first and enable provider prompt caching so repeats are billed at the cached-input price.",
        affected);
    s.affected_requests = affected;
    s.confidence = "medium";
    s.risk = "low";
    s.quality_impact = "none: the model sees the same prompt";
    s.assumptions = {
        fmt::format("shared prefix = {:.0f}% of the shortest prompt carrying that prefix_hash",
                    kPrefixShareOfShortestPrompt * 100),
        fmt::format("only prompts of at least {} tokens are cached (provider minimum)", kMinCacheablePrompt),
        "the first request of each prefix group writes the prefix (at the cache-write price where the provider "
        "charges more for writes) and the other n-1 read it at the cached price; tokens already cached are not "
        "counted again"};
    Finish(s, p, current, savings);
    return s;
}

std::optional<Strategy> BatchApi(const RecordSpans& records, const Profile& p, const Catalog& catalog,
                                 const StrategyOptions&, std::vector<std::string>& not_assessed) {
    if (p.batchable_requests == 0) {
        not_assessed.push_back("batch API: no request is marked batchable");
        return std::nullopt;
    }
    RecordColumns holder;
    const RecordColumns& columns = Columns(p, records, holder);
    const std::vector<const CatalogModel*> model_of = ResolveModels(columns, catalog);
    double current = 0, savings = 0;
    std::int64_t affected = 0;
    for (const CompactRecord& r : columns.rows) {
        if (!r.batchable || !r.has_cost) continue;
        const CatalogModel* m = model_of[static_cast<std::size_t>(r.model)];
        if (m == nullptr || m->batch_discount <= 0) continue;
        current += r.cost_usd;
        savings += r.cost_usd * m->batch_discount;
        ++affected;
    }
    if (affected == 0) {
        not_assessed.push_back("batch API: the batchable requests run on models without a batch discount");
        return std::nullopt;
    }
    Strategy s;
    s.type = "batch_api";
    s.title = "Move batchable traffic to the batch API";
    s.description = fmt::format(
        "{} requests are marked batchable (no user waiting). Submit them through the provider's batch API at its "
        "discount.",
        affected);
    s.affected_requests = affected;
    s.confidence = "high";
    s.risk = "low";
    s.quality_impact = "none; results arrive within the provider's batch window (up to 24 h)";
    s.assumptions = {"the catalog's batch discount applies to the recorded cost of each batchable request"};
    Finish(s, p, current, savings);
    return s;
}

std::optional<Strategy> Compression(const RecordSpans& records, const Profile& p, const Catalog& catalog,
                                    const StrategyOptions&, std::vector<std::string>& not_assessed) {
    RecordColumns holder;
    const RecordColumns& columns = Columns(p, records, holder);
    const std::vector<const CatalogModel*> model_of = ResolveModels(columns, catalog);
    double current = 0, savings = 0;
    std::int64_t affected = 0;
    for (const CompactRecord& r : columns.rows) {
        if (r.input_tokens <= kLongPromptTokens || !r.has_cost) continue;
        const CatalogModel* m = model_of[static_cast<std::size_t>(r.model)];
        if (m == nullptr) continue;
        double saving =
            kCompressionRatio * static_cast<double>(r.input_tokens - r.cached_tokens) * m->input_per_mtok / 1e6;
        if (saving <= 0) continue;
        current += r.cost_usd;
        savings += saving;
        ++affected;
    }
    if (affected == 0) {
        not_assessed.push_back("prompt compression: no prompt over " + std::to_string(kLongPromptTokens) + " tokens");
        return std::nullopt;
    }
    Strategy s;
    s.type = "prompt_compression";
    s.title = "Compress long prompts";
    s.description = fmt::format(
        "{} requests send more than {} input tokens. Trim retrieved context, summarise long histories and remove "
        "redundant instructions.",
        affected, kLongPromptTokens);
    s.affected_requests = affected;
    s.confidence = "low";
    s.risk = "medium";
    s.quality_impact = "possible if relevant context is removed; compare answers on a sample first";
    s.assumptions = {
        fmt::format("compression removes {:.0f}% of the uncached input tokens of prompts over {} tokens, "
                    "priced at the model's input list price",
                    kCompressionRatio * 100, kLongPromptTokens)};
    Finish(s, p, current, savings);
    return s;
}

std::optional<Strategy> LatencyRouting(const RecordSpans& records, const Profile& p, const Catalog& catalog,
                                       const StrategyOptions& options, std::vector<std::string>& not_assessed) {
    if (!options.latency_goal) return std::nullopt;
    if (!options.latency_target_ms) {
        not_assessed.push_back("latency routing: no latency target was stated (e.g. \"p95 under 800 ms\")");
        return std::nullopt;
    }
    if (p.latency.empty()) {
        not_assessed.push_back("latency routing: the data has no latency_ms");
        return std::nullopt;
    }
    double target_ms = *options.latency_target_ms;
    std::unordered_map<std::string, const CatalogModel*> fastest;  // slow model → faster model of adequate tier
    for (const auto& l : p.latency) {
        if (l.p95 <= target_ms) continue;
        const CatalogModel* src = catalog.Find(l.model);
        if (src == nullptr) continue;
        const CatalogModel* best = nullptr;
        for (const auto& m : catalog.Models()) {
            if (&m == src || static_cast<int>(m.tier) < static_cast<int>(src->tier) - 1) continue;
            if (m.typical_latency_ms <= 0 || m.typical_latency_ms >= target_ms) continue;
            if (best == nullptr || m.typical_latency_ms < best->typical_latency_ms ||
                (m.typical_latency_ms == best->typical_latency_ms && m.model < best->model)) {
                best = &m;
            }
        }
        if (best != nullptr) fastest[l.model] = best;
    }
    double current = 0, projected = 0;
    std::int64_t affected = 0;
    std::string target_name;
    RecordColumns holder;
    const RecordColumns& columns = Columns(p, records, holder);
    std::vector<const CatalogModel*> fastest_of;  // by model id
    for (const auto& name : columns.model_names) {
        auto it = fastest.find(name);
        fastest_of.push_back(it == fastest.end() ? nullptr : it->second);
    }
    for (const CompactRecord& r : columns.rows) {
        if (!r.has_cost || !IsSmall(r)) continue;
        const CatalogModel* to = fastest_of[static_cast<std::size_t>(r.model)];
        if (to == nullptr) continue;
        current += r.cost_usd;
        projected += Catalog::CostUsd(*to, r.input_tokens, r.output_tokens, r.cached_tokens);
        ++affected;
        if (target_name.empty()) target_name = to->model;
    }
    if (affected == 0) {
        not_assessed.push_back(
            fmt::format("latency routing: no model with p95 over {:.0f} ms has short requests and a faster alternative",
                        target_ms));
        return std::nullopt;
    }
    Strategy s;
    s.type = "latency_routing";
    s.title = "Route short requests on slow models to a faster model";
    s.description = fmt::format(
        "{} short requests run on models whose p95 latency exceeds the {:.0f} ms target. Route them to a faster model "
        "of adequate tier (e.g. {}), stream responses, and cache repeats.",
        affected, target_ms, target_name);
    s.target_model = target_name;
    s.affected_requests = affected;
    s.confidence = "medium";
    s.risk = "medium";
    s.quality_impact = "possible: the faster model may be a tier lower; validate on an evaluation set";
    s.assumptions = {"faster = lower typical latency in the catalog (indicative, not measured on your traffic)",
                     "its cost effect is shown but not added to the combined cost savings"};
    s.counts_toward_total = false;
    Finish(s, p, current, current - projected);
    return s;
}

}  // namespace

const std::vector<StrategyStep>& DatasetStrategies() {
    static const std::vector<StrategyStep> kSteps = {
        {"response_caching", &ResponseCaching}, {"model_right_sizing", &RightSizing},
        {"prompt_caching", &PromptCaching},     {"batch_api", &BatchApi},
        {"prompt_compression", &Compression},   {"latency_routing", &LatencyRouting},
    };
    return kSteps;
}

CombinedSavings CombineSavings(const std::vector<Strategy>& strategies, double current_monthly_usd) {
    CombinedSavings c;
    c.current_monthly_usd = current_monthly_usd;
    double remaining = current_monthly_usd;
    if (current_monthly_usd > 0) {
        for (const auto& s : strategies) {
            if (!s.counts_toward_total || s.savings_usd <= 0) continue;
            remaining *= 1 - std::min(1.0, s.savings_usd / current_monthly_usd);
            c.order.push_back(s.type);
        }
    }
    c.projected_monthly_usd = remaining;
    c.savings_usd = current_monthly_usd - remaining;
    c.savings_pct = current_monthly_usd > 0 ? c.savings_usd / current_monthly_usd * 100 : 0;
    return c;
}

OptimizationResult PriceStrategies(const RecordSpans& records, const Profile& profile, const Catalog& catalog,
                                   const StrategyOptions& options) {
    OptimizationResult result;
    for (const auto& step : DatasetStrategies()) {
        if (auto s = step.price(records, profile, catalog, options, result.not_assessed)) {
            result.strategies.push_back(std::move(*s));
        }
    }
    result.combined = CombineSavings(result.strategies, profile.monthly_cost_usd);
    return result;
}

OptimizationResult EstimateStrategies(const Profile& e, const Catalog& catalog, const StrategyOptions& options) {
    OptimizationResult result;
    result.estimated = true;
    double spend = e.monthly_cost_usd;
    const CatalogModel* model = e.primary_model.empty() ? nullptr : catalog.Find(e.primary_model);
    if (spend <= 0) {
        result.not_assessed.push_back(
            "all strategies: the monthly spend is not known (state it or attach a usage log)");
        return result;
    }
    auto make = [&](std::string type, std::string title, double share, double savings) {
        Strategy s;
        s.type = std::move(type);
        s.title = std::move(title);
        s.affected_share = share;
        s.affected_requests = static_cast<std::int64_t>(std::llround(e.monthly_requests * share));
        s.current_monthly_usd = spend * share;
        s.savings_usd = savings;
        s.projected_monthly_usd = s.current_monthly_usd - savings;
        s.savings_pct = savings / spend * 100;
        s.confidence = "low";
        s.assumptions.push_back("ESTIMATE from stated facts, not measured on your traffic");
        return s;
    };
    {
        Strategy s = make("response_caching", "Cache responses to repeated prompts", kEstimatedDuplicateShare,
                          spend * kEstimatedDuplicateShare);
        s.description = "Serve repeated prompts from a response cache keyed by a prompt hash.";
        s.risk = "low";
        s.quality_impact = "none for deterministic prompts; set a TTL for time-sensitive answers";
        s.assumptions.push_back(
            fmt::format("{:.0f}% of requests repeat an earlier prompt exactly (typical for {}; "
                        "a usage log with prompt_hash measures it)",
                        kEstimatedDuplicateShare * 100, "support and FAQ traffic"));
        result.strategies.push_back(std::move(s));
    }
    if (model == nullptr) {
        result.not_assessed.push_back("model right-sizing and prompt caching: no model from the catalog was named");
    } else {
        const CatalogModel* target = model->tier == Tier::kFrontier ? CheaperTarget(*model, catalog) : nullptr;
        if (target != nullptr) {
            double ratio = BlendedPricePerToken(*target) / BlendedPricePerToken(*model);
            double current = spend * kEstimatedSmallShare;
            Strategy s = make("model_right_sizing", "Route short requests to a cheaper model", kEstimatedSmallShare,
                              current * (1 - ratio));
            s.target_model = target->model;
            s.description = fmt::format("Route short, simple requests from {} to {}.", model->model, target->model);
            s.risk = "medium";
            s.quality_impact = "possible on the hardest requests; validate on an evaluation set before switching";
            s.assumptions.push_back(
                fmt::format("{:.0f}% of spend is short requests a mid-tier model handles", kEstimatedSmallShare * 100));
            s.assumptions.push_back("price ratio at list prices with 3 input tokens per output token: " +
                                    fmt::format("{:.3f}", ratio));
            result.strategies.push_back(std::move(s));
        } else {
            result.not_assessed.push_back("model right-sizing: " + model->model + " is not a frontier-tier model");
        }
        if (model->cached_input_per_mtok < model->input_per_mtok) {
            double input_share =
                kAssumedInputShare * model->input_per_mtok /
                (kAssumedInputShare * model->input_per_mtok + (1 - kAssumedInputShare) * model->output_per_mtok);
            double savings = spend * input_share * kEstimatedPrefixShareOfInput *
                             (1 - model->cached_input_per_mtok / model->input_per_mtok);
            Strategy s = make("prompt_caching", "Use the provider's prompt caching for shared prefixes", 1.0, savings);
            s.description = "Put the shared system prompt first and enable provider prompt caching.";
            s.risk = "low";
            s.quality_impact = "none: the model sees the same prompt";
            s.assumptions.push_back(
                fmt::format("{:.0f}% of input tokens are a shared prefix (system prompt, "
                            "instructions); input is {:.0f}% of spend at list prices",
                            kEstimatedPrefixShareOfInput * 100, input_share * 100));
            result.strategies.push_back(std::move(s));
        }
    }
    result.not_assessed.push_back("batch API and prompt compression: need a usage log (batchable flag, prompt sizes)");
    if (options.latency_goal) result.not_assessed.push_back("latency routing: needs measured latency_ms per model");
    // Combine in the same order as with a dataset.
    std::vector<Strategy> ordered;
    for (const auto& step : DatasetStrategies()) {
        for (auto& s : result.strategies) {
            if (s.type == step.type) ordered.push_back(s);
        }
    }
    result.strategies = std::move(ordered);
    result.combined = CombineSavings(result.strategies, spend);
    return result;
}

std::vector<ActionStep> PlanActions(const OptimizationResult& o) {
    std::vector<ActionStep> steps;
    steps.push_back(ActionStep{1, "Quick wins (week 1)",
                               "Set the baseline: track cost, tokens and p95 latency per "
                               "feature and model",
                               "", "platform engineer", "1 day",
                               "a dashboard shows daily cost per feature matching the provider invoice within 2%",
                               "none needed (read-only)", 0});
    struct Template {
        const char* type;
        int phase;
        const char* owner;
        const char* effort;
        const char* metric;
        const char* rollback;
    };
    static const Template kTemplates[] = {
        {"batch_api", 1, "backend engineer", "2-3 days",
         "batch jobs complete within the window; cost per batched request falls by the discount",
         "send the traffic to the synchronous API again (a config switch)"},
        {"prompt_caching", 1, "backend engineer", "1-2 days",
         "cached_tokens / input_tokens on the affected feature rises; input cost per request falls",
         "restore the previous prompt layout"},
        {"response_caching", 2, "backend engineer", "3-5 days",
         "cache hit rate close to the measured duplicate rate; no rise in user-reported wrong answers",
         "disable the cache with a feature flag"},
        {"prompt_compression", 2, "ML engineer", "1-2 weeks",
         "input tokens per request fall by the target with unchanged eval scores",
         "revert to the uncompressed prompt template"},
        {"latency_routing", 2, "ML engineer", "1 week",
         "p95 latency of the routed traffic under the target with unchanged eval scores",
         "route the traffic back to the original model (a config switch)"},
        {"model_right_sizing", 3, "ML engineer", "1-2 weeks",
         "quality on an evaluation set of real requests within 2% of the current model; cost per request falls",
         "route the traffic back to the original model (a config switch); canary 5% first"},
    };
    static const char* kPhaseNames[] = {"", "Quick wins (week 1)", "Within a month", "After evaluation (month 2)"};
    std::vector<ActionStep> priced;
    for (const auto& s : o.strategies) {
        for (const auto& t : kTemplates) {
            if (s.type != t.type) continue;
            ActionStep step;
            step.phase = t.phase;
            step.phase_name = kPhaseNames[t.phase];
            step.title = s.title;
            step.strategy = s.type;
            step.owner_role = t.owner;
            step.effort = t.effort;
            step.validation_metric = t.metric;
            step.rollback = t.rollback;
            step.expected_monthly_savings_usd = s.counts_toward_total ? s.savings_usd : 0;
            priced.push_back(std::move(step));
        }
    }
    std::stable_sort(priced.begin(), priced.end(), [](const ActionStep& a, const ActionStep& b) {
        if (a.phase != b.phase) return a.phase < b.phase;
        return a.expected_monthly_savings_usd > b.expected_monthly_savings_usd;
    });
    steps.insert(steps.end(), priced.begin(), priced.end());
    if (o.estimated) {
        steps.insert(steps.begin() + 1,
                     ActionStep{1, "Quick wins (week 1)", "Export a usage log so the estimates can be measured", "",
                                "platform engineer", "1 day",
                                "Netra reports a profile from the log instead of estimates", "none needed", 0});
    }
    return steps;
}

json::object StrategyToJson(const Strategy& s) {
    json::array assumptions;
    for (const auto& a : s.assumptions) assumptions.emplace_back(a);
    json::object o{{"type", s.type},
                   {"description", s.description},
                   {"affected_share", s.affected_share},
                   {"current_monthly_usd", s.current_monthly_usd},
                   {"projected_monthly_usd", s.projected_monthly_usd},
                   {"savings_usd", s.savings_usd},
                   {"savings_pct", s.savings_pct},
                   {"confidence", s.confidence},
                   {"risk", s.risk},
                   {"quality_impact", s.quality_impact},
                   {"assumptions", std::move(assumptions)}};
    return o;
}

json::object OptimizationToJson(const OptimizationResult& r) {
    json::array strategies, not_assessed, order;
    for (const auto& s : r.strategies) {
        json::object o = StrategyToJson(s);
        // Extra context beside the §8 fields, kept apart so the strategy objects keep exactly that shape.
        strategies.push_back(std::move(o));
    }
    json::array details;
    for (const auto& s : r.strategies) {
        json::object d{{"type", s.type},
                       {"title", s.title},
                       {"affected_requests", s.affected_requests},
                       {"counts_toward_total", s.counts_toward_total}};
        if (!s.target_model.empty()) d["target_model"] = s.target_model;
        details.push_back(std::move(d));
    }
    for (const auto& n : r.not_assessed) not_assessed.emplace_back(n);
    for (const auto& t : r.combined.order) order.emplace_back(t);
    return json::object{{"estimated", r.estimated},
                        {"strategies", std::move(strategies)},
                        {"strategy_details", std::move(details)},
                        {"not_assessed", std::move(not_assessed)},
                        {"combined", json::object{{"current_monthly_usd", r.combined.current_monthly_usd},
                                                  {"projected_monthly_usd", r.combined.projected_monthly_usd},
                                                  {"savings_usd", r.combined.savings_usd},
                                                  {"savings_pct", r.combined.savings_pct},
                                                  {"order", std::move(order)}}}};
}

json::object ActionStepToJson(const ActionStep& a) {
    return json::object{{"phase", a.phase},
                        {"phase_name", a.phase_name},
                        {"title", a.title},
                        {"strategy", a.strategy},
                        {"owner_role", a.owner_role},
                        {"effort", a.effort},
                        {"validation_metric", a.validation_metric},
                        {"rollback", a.rollback},
                        {"expected_monthly_savings_usd", a.expected_monthly_savings_usd}};
}

}  // namespace netra::analysis

#include "analysis/spend_breakdown.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>

namespace netra::analysis {
namespace json = boost::json;

namespace {

constexpr core::Millis kDay = 86'400'000;
constexpr core::Millis kWeek = 7 * kDay;

struct Sum {
    double cost = 0;
    std::int64_t requests = 0;
};

// The attribution dimensions, in report order, with the record field each reads.
struct Dimension {
    std::string_view name;
    const std::string domain::UsageRecord::*field;
};
constexpr Dimension kDimensions[] = {
    {"feature", &domain::UsageRecord::feature}, {"user", &domain::UsageRecord::user},
    {"team", &domain::UsageRecord::team},       {"api_key", &domain::UsageRecord::api_key},
    {"project", &domain::UsageRecord::project},
};

std::vector<Attribution> Top(const std::unordered_map<std::string, Sum>& groups, double total) {
    std::vector<Attribution> out;
    for (const auto& [name, s] : groups)
        out.push_back(Attribution{name, s.cost, s.requests, total > 0 ? s.cost / total : 0});
    std::sort(out.begin(), out.end(), [](const Attribution& a, const Attribution& b) {
        return a.cost_usd != b.cost_usd ? a.cost_usd > b.cost_usd : a.name < b.name;
    });
    if (out.size() > kAttributionTop) out.resize(kAttributionTop);
    return out;
}

// Splits a comma-separated tag list.
template <class F>
void ForEachTag(std::string_view tags, F&& f) {
    while (!tags.empty()) {
        auto comma = tags.find(',');
        std::string_view tag = tags.substr(0, comma);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (!tag.empty()) f(tag);
        if (comma == std::string_view::npos) break;
        tags.remove_prefix(comma + 1);
    }
}

}  // namespace

SpendBreakdown BreakdownSpend(const RecordSpans& records, std::optional<double> total_cost_usd) {
    SpendBreakdown b;
    if (records.empty()) return b;
    std::int64_t requests = 0;
    bool counted = true;
    std::map<std::string, Reconciliation> reconcile;
    struct Unknown {
        std::int64_t rows = 0, tokens = 0;
        double billed = 0;
    };
    std::map<std::string, Unknown> unknown;
    std::int64_t all_tokens = 0;
    double all_billed = 0;
    std::vector<std::unordered_map<std::string, Sum>> dims(std::size(kDimensions));
    std::unordered_map<std::string, Sum> tags;
    core::Millis end = records.front().ts;
    for (const auto& r : records) end = std::max(end, r.ts);
    const core::Millis week_end = (end / kDay + 1) * kDay;  // the end of the last record's day
    // Movers compare the last 7 days before week_end with the 7 before them.
    core::Millis start = end;
    for (const auto& r : records) start = std::min(start, r.ts);
    const bool has_two_weeks = start <= week_end - 2 * kWeek;
    std::map<std::pair<std::string, std::string>, std::pair<double, double>> weekly;  // (dim, name) → (prev, last)

    double cost_sum = 0;
    for (const auto& r : records) {
        const double cost = r.cost_usd.value_or(0);
        cost_sum += cost;
        b.tokens.input += r.input_tokens;
        b.tokens.cache_read += r.cached_tokens;
        b.tokens.cache_write_5m += r.cache_write_5m_tokens;
        b.tokens.cache_write_1h += r.cache_write_1h_tokens;
        b.tokens.output += r.output_tokens;
        b.tokens.reasoning += r.reasoning_tokens;
        if (r.request_count == 0) counted = false;
        requests += r.request_count;
        if (r.batched) ++b.batched_rows;
        if (r.long_context) ++b.long_context_rows;
        const std::int64_t tokens = r.input_tokens + r.output_tokens;
        all_tokens += tokens;
        if (r.cost_from_file) {
            ++b.billed_rows;
            all_billed += cost;
        }
        if (r.list_cost_usd) {
            b.list_cost_usd += *r.list_cost_usd;
            // A bill line without tokens (a cost export's) has no list price to be compared with.
            if (r.cost_from_file && tokens > 0) {
                Reconciliation& rec = reconcile[r.model];
                ++rec.rows;
                rec.billed_usd += cost;
                rec.list_usd += *r.list_cost_usd;
            }
        } else {
            Unknown& u = unknown[r.model];
            ++u.rows;
            u.tokens += tokens;
            if (r.cost_from_file) u.billed += cost;
        }
        const std::int64_t calls = std::max<std::int64_t>(r.request_count, 1);
        for (std::size_t d = 0; d < std::size(kDimensions); ++d) {
            const std::string& value = r.*kDimensions[d].field;
            if (value.empty()) continue;
            Sum& s = dims[d][value];
            s.cost += cost;
            s.requests += calls;
        }
        ForEachTag(r.tags, [&](std::string_view tag) {
            Sum& s = tags[std::string(tag)];
            s.cost += cost;
            s.requests += calls;
        });
        if (has_two_weeks && r.ts >= week_end - 2 * kWeek) {
            const bool last = r.ts >= week_end - kWeek;
            auto add = [&](std::string_view dim, const std::string& name) {
                if (name.empty()) return;
                auto& w = weekly[{std::string(dim), name}];
                (last ? w.second : w.first) += cost;
            };
            add("model", r.model);
            for (const Dimension& d : kDimensions) add(d.name, r.*d.field);
        }
    }
    b.tokens.uncached_input = b.tokens.input - b.tokens.cache_read - b.tokens.cache_write_5m - b.tokens.cache_write_1h;
    if (counted) b.requests = requests;
    for (auto& [model, rec] : reconcile) {
        rec.model = model;
        rec.difference_pct = rec.list_usd > 0 ? (rec.billed_usd - rec.list_usd) / rec.list_usd * 100.0
                                              : (rec.billed_usd > 0 ? 100.0 : 0.0);
        rec.flagged = std::fabs(rec.difference_pct) > kReconcileTolerancePct;
        b.reconciliation.push_back(rec);
    }
    std::sort(b.reconciliation.begin(), b.reconciliation.end(), [](const Reconciliation& x, const Reconciliation& y) {
        return std::fabs(x.billed_usd - x.list_usd) > std::fabs(y.billed_usd - y.list_usd);
    });
    const auto rows = static_cast<double>(records.size());
    for (const auto& [model, u] : unknown) {
        b.unknown_models.push_back(UnknownModel{model, u.rows, static_cast<double>(u.rows) / rows,
                                                all_tokens > 0 ? static_cast<double>(u.tokens) / all_tokens : 0,
                                                all_billed > 0 ? u.billed / all_billed : 0});
    }
    const double total = total_cost_usd.value_or(cost_sum);
    for (std::size_t d = 0; d < std::size(kDimensions); ++d) {
        if (!dims[d].empty()) b.attribution.emplace_back(kDimensions[d].name, Top(dims[d], total));
    }
    if (!tags.empty()) b.attribution.emplace_back("tag", Top(tags, total));
    for (const auto& [key, w] : weekly) {
        if (w.first != w.second) b.movers.push_back(Mover{key.first, key.second, w.first, w.second});
    }
    std::sort(b.movers.begin(), b.movers.end(), [](const Mover& x, const Mover& y) {
        const double dx = std::fabs(x.last_week_usd - x.previous_week_usd);
        const double dy = std::fabs(y.last_week_usd - y.previous_week_usd);
        return dx != dy ? dx > dy : std::tie(x.dimension, x.name) < std::tie(y.dimension, y.name);
    });
    if (b.movers.size() > kMoversTop) b.movers.resize(kMoversTop);
    return b;
}

void BreakdownToJson(const SpendBreakdown& b, json::object& out) {
    out["requests"] = b.requests ? json::value(*b.requests) : json::value(nullptr);
    out["tokens"] = json::object{{"input", b.tokens.input},
                                 {"uncached_input", b.tokens.uncached_input},
                                 {"cache_read", b.tokens.cache_read},
                                 {"cache_write_5m", b.tokens.cache_write_5m},
                                 {"cache_write_1h", b.tokens.cache_write_1h},
                                 {"output", b.tokens.output},
                                 {"reasoning", b.tokens.reasoning}};
    out["list_cost_usd"] = b.list_cost_usd;
    out["billed_rows"] = b.billed_rows;
    out["batched_rows"] = b.batched_rows;
    out["long_context_rows"] = b.long_context_rows;
    json::array reconciliation;
    for (const auto& r : b.reconciliation) {
        reconciliation.push_back(json::object{{"model", r.model},
                                              {"rows", r.rows},
                                              {"billed_usd", r.billed_usd},
                                              {"list_usd", r.list_usd},
                                              {"difference_usd", r.billed_usd - r.list_usd},
                                              {"difference_pct", r.difference_pct},
                                              {"flagged", r.flagged}});
    }
    out["reconciliation"] = std::move(reconciliation);
    json::array unknown;
    for (const auto& u : b.unknown_models) {
        unknown.push_back(json::object{{"model", u.model},
                                       {"rows", u.rows},
                                       {"row_share", u.row_share},
                                       {"token_share", u.token_share},
                                       {"billed_share", u.billed_share}});
    }
    out["unknown_models"] = std::move(unknown);
    json::object attribution;
    for (const auto& [dim, groups] : b.attribution) {
        json::array a;
        for (const auto& g : groups) {
            a.push_back(
                json::object{{"name", g.name}, {"cost_usd", g.cost_usd}, {"requests", g.requests}, {"share", g.share}});
        }
        attribution[dim] = std::move(a);
    }
    out["attribution"] = std::move(attribution);
    json::array movers;
    for (const auto& m : b.movers) {
        movers.push_back(json::object{{"dimension", m.dimension},
                                      {"name", m.name},
                                      {"previous_week_usd", m.previous_week_usd},
                                      {"last_week_usd", m.last_week_usd},
                                      {"change_usd", m.last_week_usd - m.previous_week_usd}});
    }
    out["movers"] = std::move(movers);
}

}  // namespace netra::analysis

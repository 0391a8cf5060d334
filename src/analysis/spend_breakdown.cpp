#include "analysis/spend_breakdown.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <deque>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "analysis/hash_groups.hpp"

namespace netra::analysis {
namespace json = boost::json;

namespace {

constexpr core::Millis kDay = 86'400'000;
constexpr core::Millis kWeek = 7 * kDay;

struct Sum {
    double cost = 0;
    std::int64_t requests = 0;
    double previous_week = 0, last_week = 0;  // movers
};

// What the breakdown keeps per model name.
struct ModelSums {
    std::int64_t reconciled_rows = 0;  // billed rows with tokens and a list price
    double billed_usd = 0, list_usd = 0;
    std::int64_t unknown_rows = 0, unknown_tokens = 0;  // rows without a list price
    double unknown_billed = 0;
    double previous_week = 0, last_week = 0;
    bool reconciled = false, unknown = false;
};

// The attribution dimensions, in report order, with the record field each reads.
struct Dimension {
    std::string_view name;
    const domain::RecordText domain::UsageRecord::*field;
};
constexpr Dimension kDimensions[] = {
    {"feature", &domain::UsageRecord::feature}, {"user", &domain::UsageRecord::user},
    {"team", &domain::UsageRecord::team},       {"api_key", &domain::UsageRecord::api_key},
    {"project", &domain::UsageRecord::project},
};

std::vector<Attribution> Top(std::vector<Attribution> out, double total) {
    for (auto& a : out) a.share = total > 0 ? a.cost_usd / total : 0;
    std::sort(out.begin(), out.end(), [](const Attribution& a, const Attribution& b) {
        return a.cost_usd != b.cost_usd ? a.cost_usd > b.cost_usd : a.name < b.name;
    });
    if (out.size() > kAttributionTop) out.resize(kAttributionTop);
    return out;
}

// Sums keyed by a record's string field, in dense ids (StringIndex: the keys are views into the records, which
// outlive the breakdown). Logs repeat the same few values row after row, so the last key is checked first.
template <class T>
class KeyedSums {
  public:
    T& At(std::string_view key) {
        if (last_ != nullptr && last_key_ == key) return *last_;
        bool inserted = false;
        const auto id = static_cast<std::size_t>(index_.Id(key, inserted));
        if (inserted) sums_.emplace_back();
        last_key_ = key;
        last_ = &sums_[id];  // sums_ is a deque: references stay valid as it grows
        return *last_;
    }
    std::size_t size() const { return sums_.size(); }
    std::string_view Key(std::size_t id) const { return index_.Key(id); }
    const T& operator[](std::size_t id) const { return sums_[id]; }
    // Ids in key order (what an ordered map would iterate).
    std::vector<std::size_t> ByKey() const {
        std::vector<std::size_t> ids(sums_.size());
        for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = i;
        std::sort(ids.begin(), ids.end(), [&](std::size_t a, std::size_t b) { return Key(a) < Key(b); });
        return ids;
    }

  private:
    StringIndex index_;
    std::deque<T> sums_;
    std::string_view last_key_;
    T* last_ = nullptr;
};

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
    KeyedSums<ModelSums> models;
    std::int64_t all_tokens = 0;
    double all_billed = 0;
    std::vector<KeyedSums<Sum>> dims(std::size(kDimensions));
    std::unordered_map<std::string, Sum> tags;
    core::Millis end = records.front().ts, start = end;
    for (const RecordSpans::Span& span : records.spans()) {
        for (const domain::UsageRecord& r : span) {
            end = std::max(end, r.ts);
            start = std::min(start, r.ts);
        }
    }
    const core::Millis week_end = (end / kDay + 1) * kDay;  // the end of the last record's day
    // Movers compare the last 7 days before week_end with the 7 before them.
    const bool has_two_weeks = start <= week_end - 2 * kWeek;

    double cost_sum = 0;
    for (const RecordSpans::Span& span : records.spans()) {
        for (const domain::UsageRecord& r : span) {
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
            ModelSums& m = models.At(r.model);
            if (r.list_cost_usd) {
                b.list_cost_usd += *r.list_cost_usd;
                // A bill line without tokens (a cost export's) has no list price to be compared with.
                if (r.cost_from_file && tokens > 0) {
                    m.reconciled = true;
                    ++m.reconciled_rows;
                    m.billed_usd += cost;
                    m.list_usd += *r.list_cost_usd;
                }
            } else {
                m.unknown = true;
                ++m.unknown_rows;
                m.unknown_tokens += tokens;
                if (r.cost_from_file) m.unknown_billed += cost;
            }
            const std::int64_t calls = std::max<std::int64_t>(r.request_count, 1);
            const bool in_weeks = has_two_weeks && r.ts >= week_end - 2 * kWeek;
            const bool last = r.ts >= week_end - kWeek;
            if (in_weeks) (last ? m.last_week : m.previous_week) += cost;
            for (std::size_t d = 0; d < std::size(kDimensions); ++d) {
                const domain::RecordText& value = r.*kDimensions[d].field;
                if (value.empty()) continue;
                Sum& s = dims[d].At(value);
                s.cost += cost;
                s.requests += calls;
                if (in_weeks) (last ? s.last_week : s.previous_week) += cost;
            }
            ForEachTag(r.tags, [&](std::string_view tag) {
                Sum& s = tags[std::string(tag)];
                s.cost += cost;
                s.requests += calls;
            });
        }
    }
    b.tokens.uncached_input = b.tokens.input - b.tokens.cache_read - b.tokens.cache_write_5m - b.tokens.cache_write_1h;
    if (counted) b.requests = requests;
    for (std::size_t id : models.ByKey()) {  // in name order, as before the sort below (it keeps no ties apart)
        const ModelSums& m = models[id];
        if (!m.reconciled) continue;
        Reconciliation rec;
        rec.model = std::string(models.Key(id));
        rec.rows = m.reconciled_rows;
        rec.billed_usd = m.billed_usd;
        rec.list_usd = m.list_usd;
        rec.difference_pct = rec.list_usd > 0 ? (rec.billed_usd - rec.list_usd) / rec.list_usd * 100.0
                                              : (rec.billed_usd > 0 ? 100.0 : 0.0);
        rec.flagged = std::fabs(rec.difference_pct) > kReconcileTolerancePct;
        b.reconciliation.push_back(rec);
    }
    std::sort(b.reconciliation.begin(), b.reconciliation.end(), [](const Reconciliation& x, const Reconciliation& y) {
        return std::fabs(x.billed_usd - x.list_usd) > std::fabs(y.billed_usd - y.list_usd);
    });
    const auto rows = static_cast<double>(records.size());
    for (std::size_t id : models.ByKey()) {
        const ModelSums& u = models[id];
        if (!u.unknown) continue;
        b.unknown_models.push_back(UnknownModel{std::string(models.Key(id)), u.unknown_rows,
                                                static_cast<double>(u.unknown_rows) / rows,
                                                all_tokens > 0 ? static_cast<double>(u.unknown_tokens) / all_tokens : 0,
                                                all_billed > 0 ? u.unknown_billed / all_billed : 0});
    }
    const double total = total_cost_usd.value_or(cost_sum);
    auto groups = [](const KeyedSums<Sum>& sums) {
        std::vector<Attribution> out;
        for (std::size_t id = 0; id < sums.size(); ++id)
            out.push_back(Attribution{std::string(sums.Key(id)), sums[id].cost, sums[id].requests, 0});
        return out;
    };
    for (std::size_t d = 0; d < std::size(kDimensions); ++d) {
        if (dims[d].size() > 0) b.attribution.emplace_back(kDimensions[d].name, Top(groups(dims[d]), total));
    }
    if (!tags.empty()) {
        std::vector<Attribution> tag_groups;
        for (const auto& [name, s] : tags) tag_groups.push_back(Attribution{name, s.cost, s.requests, 0});
        b.attribution.emplace_back("tag", Top(std::move(tag_groups), total));
    }
    // Movers: every (dimension, name) whose two weeks differ; the sort below orders them completely.
    if (has_two_weeks) {
        for (std::size_t id = 0; id < models.size(); ++id) {
            const ModelSums& m = models[id];
            if (m.previous_week != m.last_week)
                b.movers.push_back(Mover{"model", std::string(models.Key(id)), m.previous_week, m.last_week});
        }
        for (std::size_t d = 0; d < std::size(kDimensions); ++d) {
            for (std::size_t id = 0; id < dims[d].size(); ++id) {
                const Sum& s = dims[d][id];
                if (s.previous_week != s.last_week) {
                    b.movers.push_back(Mover{std::string(kDimensions[d].name), std::string(dims[d].Key(id)),
                                             s.previous_week, s.last_week});
                }
            }
        }
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

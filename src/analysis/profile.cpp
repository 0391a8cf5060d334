#include "analysis/profile.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <deque>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "analysis/hash_groups.hpp"

namespace netra::analysis {
namespace json = boost::json;

namespace {

// Accumulates GroupStats keyed by a name, remembering the last key to skip hashing on runs of one key.
class Grouper {
  public:
    GroupStats& At(std::string_view key) {
        if (last_ != nullptr && last_->name == key) return *last_;
        bool inserted = false;
        // A new key is looked up by a view of its own copy, so the index never points into a record.
        std::int32_t id = index_.Id(key, inserted);
        if (inserted) {
            groups_.push_back(GroupStats{});
            groups_.back().name = key;
            id = index_.Rebind(static_cast<std::size_t>(id), groups_.back().name);
        }
        last_index_ = static_cast<std::size_t>(id);
        last_ = &groups_[last_index_];
        return *last_;
    }
    std::size_t LastIndex() const { return last_index_; }
    std::size_t Size() const { return groups_.size(); }
    const std::string& NameAt(std::size_t i) const { return groups_[i].name; }
    std::vector<GroupStats> Finish(double total_cost, double monthly_factor) {
        for (auto& g : groups_) {
            g.monthly_cost_usd = g.cost_usd * monthly_factor;
            g.share = total_cost > 0 ? g.cost_usd / total_cost : 0;
        }
        std::sort(groups_.begin(), groups_.end(), [](const GroupStats& a, const GroupStats& b) {
            if (a.cost_usd != b.cost_usd) return a.cost_usd > b.cost_usd;
            return a.name < b.name;
        });
        return std::vector<GroupStats>(std::make_move_iterator(groups_.begin()),
                                       std::make_move_iterator(groups_.end()));
    }

  private:
    std::deque<GroupStats> groups_;  // a deque keeps the string_view keys valid as groups are added
    StringIndex index_;
    GroupStats* last_ = nullptr;
    std::size_t last_index_ = 0;
};

// Calls a record stands for: its request count, or 1 where an aggregate export gives none.
std::int64_t Calls(const domain::UsageRecord& r) { return std::max<std::int64_t>(r.request_count, 1); }

void Add(GroupStats& g, const domain::UsageRecord& r, double cost) {
    g.requests += Calls(r);
    g.input_tokens += r.input_tokens;
    g.output_tokens += r.output_tokens;
    g.cached_tokens += r.cached_tokens;
    g.cost_usd += cost;
}

// Nearest-rank percentile p (0 < p <= 100): the element at 1-based rank ceil(p/100 × n) of the sorted values.
std::size_t RankIndex(std::size_t n, double p) {
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    return std::clamp<std::size_t>(rank, 1, n) - 1;
}

// p50, p95 and p99 by selection instead of a full sort: nth_element puts at each index exactly the value a sort
// would, and each later selection only needs the part below the previous one. `values` is reordered.
void Percentiles(std::vector<double>& values, LatencyStats& out) {
    const std::size_t n = values.size();
    if (n == 0) return;
    const std::size_t k99 = RankIndex(n, 99), k95 = RankIndex(n, 95), k50 = RankIndex(n, 50);
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k99), values.end());
    out.p99 = values[k99];
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k95),
                     values.begin() + static_cast<std::ptrdiff_t>(k99));
    out.p95 = values[k95];
    std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k50),
                     values.begin() + static_cast<std::ptrdiff_t>(k95));
    out.p50 = values[k50];
}

std::string DateOf(std::int64_t day) {
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    day += 719468;
    const std::int64_t era = (day >= 0 ? day : day - 146096) / 146097;
    const auto doe = static_cast<unsigned>(day - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y + (m <= 2)), m, d);
    return buf;
}

constexpr core::Millis kDayMillis = 86'400'000;
// Below this many records the profile takes a few milliseconds: a second thread would cost more than it saves.
constexpr std::size_t kSecondThreadRows = 50'000;

std::int64_t DayIndex(core::Millis ts) { return ts >= 0 ? ts / kDayMillis : (ts - (kDayMillis - 1)) / kDayMillis; }

// "HH:MM" (UTC) of a timestamp.
std::string TimeOfDay(core::Millis ts) {
    const std::int64_t minute = (ts - DayIndex(ts) * kDayMillis) / 60'000;
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(minute / 60), static_cast<int>(minute % 60));
    return buf;
}

json::array GroupsToJson(const std::vector<GroupStats>& groups, bool with_provider) {
    json::array out;
    for (const auto& g : groups) {
        json::object o{{"name", g.name},
                       {"requests", g.requests},
                       {"input_tokens", g.input_tokens},
                       {"output_tokens", g.output_tokens},
                       {"cached_tokens", g.cached_tokens},
                       {"cost_usd", g.cost_usd},
                       {"monthly_cost_usd", g.monthly_cost_usd},
                       {"share", g.share}};
        if (with_provider) o["provider"] = g.provider;
        out.push_back(std::move(o));
    }
    return out;
}

}  // namespace

double BlendedPricePerToken(const CatalogModel& m) {
    return (kAssumedInputShare * m.input_per_mtok + (1 - kAssumedInputShare) * m.output_per_mtok) / 1e6;
}

Profile ProfileUsage(const RecordSpans& records, const Catalog& /*catalog*/) {
    Profile p;
    p.rows = static_cast<std::int64_t>(records.size());
    if (records.empty()) return p;
    Grouper models, providers, features;
    std::vector<std::vector<double>> latencies;  // by model group
    std::unordered_map<std::int64_t, double> daily;
    std::int64_t cached_day = 0;
    bool daily_buckets = true;        // every timestamp at midnight UTC: a daily export whose rows cover whole days
    double* last_day_cost = nullptr;  // records come in time order: most rows add to the previous row's day
    // The prompt_hash / prefix_hash groupings (reused by the strategies), the spend breakdown and the call count
    // read the records apart from the rest: on a large set they run on a second thread (each still adds in record
    // order, so the figures do not depend on it). A thread of its own rather than a pool's: the caller is already
    // a pool's task, and this one joins before returning.
    auto prompt_groups = std::make_shared<HashGroups>();
    auto prefix_groups = std::make_shared<HashGroups>();
    std::int64_t calls = 0;
    auto side = [&] {
        GroupBuilder prompt_builder(*prompt_groups, records.size()), prefix_builder(*prefix_groups, records.size());
        std::size_t i = 0;  // the record's position in the whole set
        for (const RecordSpans::Span& span : records.spans()) {
            for (const domain::UsageRecord& r : span) {
                if (!r.prompt_hash.empty()) prompt_builder.Add(r.prompt_hash, i);
                if (!r.prefix_hash.empty()) prefix_builder.Add(r.prefix_hash, i);
                calls += Calls(r);
                ++i;
            }
        }
        prompt_builder.Finish();
        prefix_builder.Finish();
        p.spend = BreakdownSpend(records);
    };
    std::thread side_thread;
    if (records.size() >= kSecondThreadRows) {
        side_thread = std::thread(side);
    }
    auto columns = std::make_shared<RecordColumns>();
    columns->rows.reserve(records.size());
    p.start_ts = records.front().ts;
    p.end_ts = records.front().ts;
    for (const RecordSpans::Span& span : records.spans()) {
        for (const domain::UsageRecord& r : span) {
            double cost = r.cost_usd.value_or(0);
            if (!r.cost_usd) ++p.unpriced_rows;
            p.total_cost_usd += cost;
            p.start_ts = std::min(p.start_ts, r.ts);
            p.end_ts = std::max(p.end_ts, r.ts);
            if (!r.success) ++p.errors;
            p.input_tokens += r.input_tokens;
            p.output_tokens += r.output_tokens;
            p.cached_tokens += r.cached_tokens;
            GroupStats& m = models.At(r.model);
            if (m.provider.empty()) m.provider = r.provider;
            Add(m, r, cost);
            columns->rows.push_back(Compact(r, static_cast<std::int32_t>(models.LastIndex())));
            if (r.latency_ms) {
                if (latencies.size() <= models.LastIndex()) latencies.resize(models.LastIndex() + 1);
                latencies[models.LastIndex()].push_back(*r.latency_ms);
            }
            Add(providers.At(r.provider.empty() ? std::string_view("unknown") : std::string_view(r.provider)), r, cost);
            Add(features.At(r.feature.empty() ? std::string_view("unspecified") : std::string_view(r.feature)), r,
                cost);
            auto ms_of_day = ((r.ts % 86'400'000) + 86'400'000) % 86'400'000;
            p.hourly[static_cast<std::size_t>(ms_of_day / 3'600'000)] += Calls(r);
            if (!r.prompt_hash.empty()) ++p.hashed_rows;
            if (!r.prefix_hash.empty()) ++p.prefix_rows;
            if (r.batchable) ++p.batchable_requests;
            const std::int64_t day = DayIndex(r.ts);
            daily_buckets = daily_buckets && r.ts == day * kDayMillis;
            if (last_day_cost == nullptr || day != cached_day) {
                last_day_cost = &daily[day];  // unordered_map references stay valid as it grows
                cached_day = day;
            }
            *last_day_cost += cost;
        }
    }
    if (side_thread.joinable()) {
        side_thread.join();
    } else {
        side();
    }
    p.error_rate = static_cast<double>(p.errors) / static_cast<double>(p.rows);
    p.days_covered = std::max(1.0, static_cast<double>(p.end_ts - p.start_ts) / kDayMs);
    p.monthly_factor = kDaysPerMonth / p.days_covered;
    p.cost_per_day_usd = p.total_cost_usd / p.days_covered;
    p.monthly_cost_usd = p.total_cost_usd * p.monthly_factor;
    p.monthly_requests = static_cast<double>(calls) * p.monthly_factor;
    p.avg_input_tokens = static_cast<double>(p.input_tokens) / static_cast<double>(calls);
    p.avg_output_tokens = static_cast<double>(p.output_tokens) / static_cast<double>(calls);
    // Latency samples are indexed by model group before Finish sorts the groups.
    std::vector<std::pair<std::string, std::vector<double>>> model_latencies;
    for (std::size_t i = 0; i < latencies.size(); ++i) {
        if (!latencies[i].empty()) model_latencies.emplace_back(models.NameAt(i), std::move(latencies[i]));
    }
    for (std::size_t i = 0; i < models.Size(); ++i) columns->model_names.push_back(models.NameAt(i));
    p.columns = std::move(columns);
    p.by_model = models.Finish(p.total_cost_usd, p.monthly_factor);
    p.by_provider = providers.Finish(p.total_cost_usd, p.monthly_factor);
    p.by_feature = features.Finish(p.total_cost_usd, p.monthly_factor);

    for (auto& [model, values] : model_latencies) {
        LatencyStats l;
        l.model = model;
        l.samples = static_cast<std::int64_t>(values.size());
        Percentiles(values, l);
        p.latency.push_back(std::move(l));
    }
    std::sort(p.latency.begin(), p.latency.end(),
              [](const LatencyStats& a, const LatencyStats& b) { return a.model < b.model; });

    std::vector<int> hours(24);
    for (int h = 0; h < 24; ++h) hours[static_cast<std::size_t>(h)] = h;
    std::stable_sort(hours.begin(), hours.end(), [&](int a, int b) {
        return p.hourly[static_cast<std::size_t>(a)] > p.hourly[static_cast<std::size_t>(b)];
    });
    for (int i = 0; i < 3 && p.hourly[static_cast<std::size_t>(hours[static_cast<std::size_t>(i)])] > 0; ++i) {
        p.peak_hours.push_back(hours[static_cast<std::size_t>(i)]);
    }
    p.peak_to_average =
        static_cast<double>(p.hourly[static_cast<std::size_t>(hours[0])]) / (static_cast<double>(calls) / 24.0);

    p.prompt_groups = std::move(prompt_groups);
    p.prefix_groups = std::move(prefix_groups);
    for (std::int64_t n : p.prompt_groups->size) p.duplicate_requests += n - 1;
    if (p.hashed_rows > 0) {
        p.duplicate_rate = static_cast<double>(p.duplicate_requests) / static_cast<double>(p.hashed_rows);
    }
    for (std::int64_t n : p.prefix_groups->size) {
        if (n >= 2) p.shared_prefix_requests += n;
    }
    if (p.prefix_rows > 0) {
        p.shared_prefix_rate = static_cast<double>(p.shared_prefix_requests) / static_cast<double>(p.prefix_rows);
    }

    // Daily cost over every calendar day of the span (quiet days count as $0), capped to ten years of days.
    std::int64_t first_day = DayIndex(p.start_ts), last_day = DayIndex(p.end_ts);
    bool dense = last_day - first_day < 3660;
    std::vector<std::int64_t> days;
    if (dense) {
        for (std::int64_t d = first_day; d <= last_day; ++d) days.push_back(d);
    } else {
        for (const auto& [d, cost] : daily) days.push_back(d);
        std::sort(days.begin(), days.end());
    }
    // The first and last day may be cut by where the data starts and ends (daily buckets never are).
    const bool first_partial = !daily_buckets && p.start_ts - first_day * kDayMillis > kPartialDaySlackMs;
    const bool last_partial = !daily_buckets && (last_day + 1) * kDayMillis - 1 - p.end_ts > kPartialDaySlackMs;
    double sum = 0, sum_sq = 0;
    std::size_t complete = 0;
    for (std::int64_t d : days) {
        auto it = daily.find(d);
        DailyCost day{DateOf(d), it == daily.end() ? 0 : it->second, 0, false, ""};
        if (d == first_day && first_partial) {
            day.partial = true;
            day.covered = "from " + TimeOfDay(p.start_ts) + " UTC";
        }
        if (d == last_day && last_partial) {
            day.partial = true;
            day.covered = day.covered.empty() ? "until " + TimeOfDay(p.end_ts) + " UTC"
                                              : day.covered + " until " + TimeOfDay(p.end_ts) + " UTC";
        }
        if (day.partial) {
            p.partial_days.push_back(day);
        } else {
            sum += day.cost_usd;
            ++complete;
        }
        p.daily.push_back(std::move(day));
    }
    if (complete == 0) return p;
    double mean = sum / static_cast<double>(complete);
    for (const auto& d : p.daily) {
        if (!d.partial) sum_sq += (d.cost_usd - mean) * (d.cost_usd - mean);
    }
    double stddev = std::sqrt(sum_sq / static_cast<double>(complete));
    for (auto& d : p.daily) {
        if (d.partial) continue;
        d.z = stddev > 0 ? (d.cost_usd - mean) / stddev : 0;
        if (complete >= 3 && std::abs(d.z) >= kAnomalyZ) p.anomalies.push_back(d);
    }
    return p;
}

Profile EstimateProfile(const StatedFacts& f, const Catalog& catalog) {
    Profile p;
    p.estimated = true;
    p.days_covered = kDaysPerMonth;
    p.monthly_factor = 1;
    const CatalogModel* model = nullptr;
    for (const auto& name : f.models) {
        if ((model = catalog.Find(name)) != nullptr) break;
    }
    if (model != nullptr) p.primary_model = model->model;
    std::optional<double> requests = f.monthly_requests;
    std::optional<double> tokens = f.tokens_per_request;
    std::optional<double> spend = f.monthly_spend_usd;
    if (!tokens && f.monthly_tokens && requests && *requests > 0) {
        tokens = *f.monthly_tokens / *requests;
        p.assumptions.push_back("tokens per request = stated monthly tokens / stated monthly requests");
    }
    if (model != nullptr) {
        double per_token = BlendedPricePerToken(*model);
        if (!tokens && spend && requests && *requests > 0 && per_token > 0) {
            tokens = *spend / *requests / per_token;
            p.assumptions.push_back("tokens per request derived from stated spend and requests at " + model->model +
                                    " list prices, assuming 3 input tokens per output token");
        }
        if (!spend && requests && tokens) {
            spend = *requests * *tokens * per_token;
            p.assumptions.push_back("monthly spend = requests x tokens per request at " + model->model +
                                    " list prices (3 input tokens per output token)");
        }
        if (!requests && spend && tokens && *tokens > 0 && per_token > 0) {
            requests = *spend / (*tokens * per_token);
            p.assumptions.push_back("monthly requests derived from stated spend and tokens per request at " +
                                    model->model + " list prices");
        }
    }
    p.assumptions.push_back("a 30-day month; figures are estimates from what was stated, not measured");
    p.monthly_cost_usd = spend.value_or(0);
    p.total_cost_usd = p.monthly_cost_usd;
    p.cost_per_day_usd = p.monthly_cost_usd / kDaysPerMonth;
    p.monthly_requests = requests.value_or(0);
    p.tokens_per_request = tokens.value_or(0);
    p.avg_input_tokens = p.tokens_per_request * kAssumedInputShare;
    p.avg_output_tokens = p.tokens_per_request * (1 - kAssumedInputShare);
    if (model != nullptr) {
        GroupStats g;
        g.name = model->model;
        g.provider = model->provider;
        g.requests = static_cast<std::int64_t>(std::llround(p.monthly_requests));
        g.input_tokens = static_cast<std::int64_t>(std::llround(p.monthly_requests * p.avg_input_tokens));
        g.output_tokens = static_cast<std::int64_t>(std::llround(p.monthly_requests * p.avg_output_tokens));
        g.cost_usd = g.monthly_cost_usd = p.monthly_cost_usd;
        g.share = 1;
        p.by_model.push_back(g);
        GroupStats prov = g;
        prov.name = model->provider;
        prov.provider.clear();
        p.by_provider.push_back(prov);
    }
    return p;
}

json::object ProfileToJson(const Profile& p) {
    json::object o;
    o["estimated"] = p.estimated;
    o["rows"] = p.rows;
    o["monthly_cost_usd"] = p.monthly_cost_usd;
    o["monthly_requests"] = p.monthly_requests;
    o["avg_input_tokens"] = p.avg_input_tokens;
    o["avg_output_tokens"] = p.avg_output_tokens;
    o["by_model"] = GroupsToJson(p.by_model, true);
    o["by_provider"] = GroupsToJson(p.by_provider, false);
    if (p.estimated) {
        o["primary_model"] = p.primary_model;
        o["tokens_per_request"] = p.tokens_per_request;
        json::array assumptions;
        for (const auto& a : p.assumptions) assumptions.emplace_back(a);
        o["assumptions"] = std::move(assumptions);
        return o;
    }
    o["start"] = core::FormatRfc3339Ms(p.start_ts);
    o["end"] = core::FormatRfc3339Ms(p.end_ts);
    o["days_covered"] = p.days_covered;
    o["monthly_factor"] = p.monthly_factor;
    o["total_cost_usd"] = p.total_cost_usd;
    o["cost_per_day_usd"] = p.cost_per_day_usd;
    o["unpriced_rows"] = p.unpriced_rows;
    o["errors"] = p.errors;
    o["error_rate"] = p.error_rate;
    o["input_tokens"] = p.input_tokens;
    o["output_tokens"] = p.output_tokens;
    o["cached_tokens"] = p.cached_tokens;
    o["by_feature"] = GroupsToJson(p.by_feature, false);
    json::array latency;
    for (const auto& l : p.latency) {
        latency.push_back(
            json::object{{"model", l.model}, {"samples", l.samples}, {"p50", l.p50}, {"p95", l.p95}, {"p99", l.p99}});
    }
    o["latency"] = std::move(latency);
    json::array hourly, peaks;
    for (auto h : p.hourly) hourly.emplace_back(h);
    for (int h : p.peak_hours) peaks.emplace_back(h);
    o["hourly"] = std::move(hourly);
    o["peak_hours"] = std::move(peaks);
    o["peak_to_average"] = p.peak_to_average;
    o["hashed_rows"] = p.hashed_rows;
    o["duplicate_requests"] = p.duplicate_requests;
    o["duplicate_rate"] = p.duplicate_rate ? json::value(*p.duplicate_rate) : json::value(nullptr);
    o["prefix_rows"] = p.prefix_rows;
    o["shared_prefix_requests"] = p.shared_prefix_requests;
    o["shared_prefix_rate"] = p.shared_prefix_rate ? json::value(*p.shared_prefix_rate) : json::value(nullptr);
    o["batchable_requests"] = p.batchable_requests;
    json::array daily, anomalies;
    for (const auto& d : p.daily) {
        json::object day{{"date", d.date}, {"cost_usd", d.cost_usd}, {"z", d.z}};
        if (d.partial) {
            day["partial"] = true;
            day["covered"] = d.covered;
        }
        daily.push_back(std::move(day));
    }
    for (const auto& d : p.anomalies) {
        anomalies.push_back(json::object{{"date", d.date}, {"cost_usd", d.cost_usd}, {"z", d.z}});
    }
    o["daily"] = std::move(daily);
    o["anomalies"] = std::move(anomalies);
    json::array partial;
    for (const auto& d : p.partial_days) {
        partial.push_back(json::object{{"date", d.date}, {"cost_usd", d.cost_usd}, {"covered", d.covered}});
    }
    o["partial_days"] = std::move(partial);
    BreakdownToJson(p.spend, o);
    return o;
}

}  // namespace netra::analysis

#include "analysis/catalog.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <stdexcept>

#include "core/json_util.hpp"

namespace netra::analysis {
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool AllDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// "gpt-4o-2024-08-06" → "gpt-4o", "claude-3-opus-20240229" → "claude-3-opus", "x-latest" → "x".
std::string StripSnapshotSuffix(std::string name) {
    if (name.size() > 7 && name.ends_with("-latest")) return name.substr(0, name.size() - 7);
    // -YYYY-MM-DD
    if (name.size() > 11 && name[name.size() - 11] == '-' && name[name.size() - 6] == '-' &&
        name[name.size() - 3] == '-' && AllDigits(std::string_view(name).substr(name.size() - 10, 4))) {
        return name.substr(0, name.size() - 11);
    }
    // -YYYYMMDD or -MMDD (gpt-3.5-turbo-0125)
    auto dash = name.rfind('-');
    if (dash != std::string::npos && dash > 0) {
        std::string_view tail = std::string_view(name).substr(dash + 1);
        if ((tail.size() == 8 || tail.size() == 4) && AllDigits(tail)) return name.substr(0, dash);
    }
    return name;
}

core::Result<double> NumberField(const json::object& o, std::string_view key, const std::string& model, double min,
                                 double max) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_number()) {
        return MakeError(ErrorCode::kInvalidRequest,
                         "catalog model '" + model + "': '" + std::string(key) + "' must be a number");
    }
    double d = v->to_number<double>();
    if (d < min || d > max) {
        return MakeError(ErrorCode::kInvalidRequest,
                         "catalog model '" + model + "': '" + std::string(key) + "' is out of range");
    }
    return d;
}

}  // namespace

std::string_view TierName(Tier tier) {
    switch (tier) {
        case Tier::kSmall:
            return "small";
        case Tier::kMid:
            return "mid";
        case Tier::kFrontier:
            return "frontier";
    }
    return "mid";
}

const CatalogModel* Catalog::Find(std::string_view name) const {
    std::string key = Lower(name);
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.front()))) key.erase(key.begin());
    if (auto it = index_.find(key); it != index_.end()) return &models_[it->second];
    // Provider-qualified names ("openai/gpt-4o", "anthropic.claude-3-haiku") resolve by their last part.
    if (auto slash = key.find_last_of("/:"); slash != std::string::npos) {
        if (auto it = index_.find(key.substr(slash + 1)); it != index_.end()) return &models_[it->second];
    }
    std::string stripped = StripSnapshotSuffix(key);
    if (stripped != key) return Find(stripped);
    return nullptr;
}

double Catalog::CostUsd(const CatalogModel& m, std::int64_t input_tokens, std::int64_t output_tokens,
                        std::int64_t cached_tokens) {
    std::int64_t cached = std::clamp<std::int64_t>(cached_tokens, 0, std::max<std::int64_t>(input_tokens, 0));
    double uncached = static_cast<double>(std::max<std::int64_t>(input_tokens, 0) - cached);
    return (uncached * m.input_per_mtok + static_cast<double>(cached) * m.cached_input_per_mtok +
            static_cast<double>(std::max<std::int64_t>(output_tokens, 0)) * m.output_per_mtok) /
           1e6;
}

std::optional<double> Catalog::CostUsd(std::string_view model, std::int64_t input_tokens, std::int64_t output_tokens,
                                       std::int64_t cached_tokens) const {
    const CatalogModel* m = Find(model);
    if (m == nullptr) return std::nullopt;
    return CostUsd(*m, input_tokens, output_tokens, cached_tokens);
}

core::Result<Catalog> LoadCatalog(std::string_view json_text) {
    auto parsed = core::ParseJsonObject(json_text);
    if (!parsed.ok()) return MakeError(ErrorCode::kInvalidRequest, "catalog: " + parsed.error().message);
    const json::object& root = *parsed;
    Catalog c;
    auto as_of = core::GetString(root, "as_of");
    if (!as_of || as_of->empty()) return MakeError(ErrorCode::kInvalidRequest, "catalog: 'as_of' date is required");
    c.as_of_ = *as_of;
    c.source_ = core::GetString(root, "source").value_or("");
    const json::value* models = root.if_contains("models");
    if (models == nullptr || !models->is_array() || models->as_array().empty()) {
        return MakeError(ErrorCode::kInvalidRequest, "catalog: 'models' must be a non-empty array");
    }
    for (const json::value& v : models->as_array()) {
        if (!v.is_object()) return MakeError(ErrorCode::kInvalidRequest, "catalog: every model must be an object");
        const json::object& o = v.as_object();
        CatalogModel m;
        m.model = core::GetString(o, "model").value_or("");
        m.provider = core::GetString(o, "provider").value_or("");
        if (m.model.empty() || m.provider.empty()) {
            return MakeError(ErrorCode::kInvalidRequest, "catalog: every model needs 'model' and 'provider'");
        }
        m.id = core::GetString(o, "id").value_or(m.provider + "/" + m.model);
        m.hosted_by = core::GetString(o, "hosted_by").value_or("");
        if (const json::value* aliases = o.if_contains("aliases"); aliases != nullptr) {
            if (!aliases->is_array()) {
                return MakeError(ErrorCode::kInvalidRequest,
                                 "catalog model '" + m.model + "': 'aliases' must be an array");
            }
            for (const json::value& a : aliases->as_array()) {
                if (!a.is_string()) {
                    return MakeError(ErrorCode::kInvalidRequest,
                                     "catalog model '" + m.model + "': aliases must be strings");
                }
                m.aliases.emplace_back(a.as_string());
            }
        }
        auto in = NumberField(o, "input_per_mtok", m.model, 0, 1e4);
        if (!in.ok()) return in.error();
        auto out = NumberField(o, "output_per_mtok", m.model, 0, 1e4);
        if (!out.ok()) return out.error();
        m.input_per_mtok = *in;
        m.output_per_mtok = *out;
        m.cached_input_per_mtok = m.input_per_mtok;
        if (o.contains("cached_input_per_mtok")) {
            auto cached = NumberField(o, "cached_input_per_mtok", m.model, 0, 1e4);
            if (!cached.ok()) return cached.error();
            m.cached_input_per_mtok = *cached;
        }
        if (o.contains("batch_discount")) {
            auto batch = NumberField(o, "batch_discount", m.model, 0, 1);
            if (!batch.ok()) return batch.error();
            m.batch_discount = *batch;
        }
        auto context = NumberField(o, "context_window", m.model, 1, 1e9);
        if (!context.ok()) return context.error();
        m.context_window = static_cast<std::int64_t>(*context);
        if (o.contains("typical_latency_ms")) {
            auto latency = NumberField(o, "typical_latency_ms", m.model, 0, 1e6);
            if (!latency.ok()) return latency.error();
            m.typical_latency_ms = *latency;
        }
        std::string tier = core::GetString(o, "tier").value_or("");
        if (tier == "frontier") {
            m.tier = Tier::kFrontier;
        } else if (tier == "mid") {
            m.tier = Tier::kMid;
        } else if (tier == "small") {
            m.tier = Tier::kSmall;
        } else {
            return MakeError(ErrorCode::kInvalidRequest,
                             "catalog model '" + m.model + "': 'tier' must be frontier, mid or small");
        }
        std::size_t pos = c.models_.size();
        for (const std::string& name : [&] {
                 std::vector<std::string> names{m.model, m.id};
                 names.insert(names.end(), m.aliases.begin(), m.aliases.end());
                 return names;
             }()) {
            auto [it, inserted] = c.index_.emplace(Lower(name), pos);
            if (!inserted && it->second != pos) {
                return MakeError(ErrorCode::kInvalidRequest, "catalog: name '" + name + "' is used by two models");
            }
        }
        c.models_.push_back(std::move(m));
    }
    return c;
}

const Catalog& BundledCatalog() {
    static const Catalog kCatalog = [] {
        auto c = LoadCatalog(BundledCatalogJson());
        if (!c.ok()) throw std::logic_error("bundled catalog is invalid: " + c.error().message);
        return std::move(c).value();
    }();
    return kCatalog;
}

json::object CatalogToJson(const Catalog& catalog) {
    json::array data;
    for (const CatalogModel& m : catalog.Models()) {
        json::array aliases;
        for (const auto& a : m.aliases) aliases.emplace_back(a);
        json::object o{{"id", m.id},
                       {"provider", m.provider},
                       {"model", m.model},
                       {"aliases", std::move(aliases)},
                       {"input_per_mtok", m.input_per_mtok},
                       {"output_per_mtok", m.output_per_mtok},
                       {"cached_input_per_mtok", m.cached_input_per_mtok},
                       {"batch_discount", m.batch_discount},
                       {"context_window", m.context_window},
                       {"tier", TierName(m.tier)},
                       {"typical_latency_ms", m.typical_latency_ms},
                       {"as_of", catalog.AsOf()}};
        if (!m.hosted_by.empty()) o["hosted_by"] = m.hosted_by;
        data.push_back(std::move(o));
    }
    return json::object{{"as_of", catalog.AsOf()},
                        {"source", catalog.Source()},
                        {"currency", "USD"},
                        {"unit", "per 1M tokens"},
                        {"data", std::move(data)}};
}

}  // namespace netra::analysis

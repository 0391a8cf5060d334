#include "analysis/catalog.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <limits>
#include <map>
#include <regex>
#include <stdexcept>

#include "core/json_util.hpp"

namespace netra::analysis {
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

namespace {

constexpr double kMaxPrice = 1e4;            // USD per million tokens
constexpr std::size_t kMemoLimit = 1 << 16;  // distinct (name, provider) lookups kept before the memo is cleared

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

bool AllDigits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// One snapshot suffix off the end, or the name unchanged: "claude-sonnet-4@20250514" → "claude-sonnet-4",
// "…-20250514-v1:0" → "…-20250514" (Bedrock), "gpt-4o-2024-08-06" → "gpt-4o", "claude-3-opus-20240229" →
// "claude-3-opus", "gpt-3.5-turbo-0125" → "gpt-3.5-turbo", "x-latest" → "x". Find applies it repeatedly.
std::string StripSnapshotSuffix(const std::string& name) {
    if (auto at = name.rfind('@'); at != std::string::npos && at > 0) return name.substr(0, at);
    // Bedrock version: -v1:0, -v2
    if (auto v = name.rfind("-v"); v != std::string::npos && v > 0) {
        std::string_view tail = std::string_view(name).substr(v + 2);
        auto colon = tail.find(':');
        std::string_view major = tail.substr(0, colon);
        if (AllDigits(major) && (colon == std::string_view::npos || AllDigits(tail.substr(colon + 1)))) {
            return name.substr(0, v);
        }
    }
    if (name.size() > 7 && name.ends_with("-latest")) return name.substr(0, name.size() - 7);
    // -YYYY-MM-DD
    if (name.size() > 11 && name[name.size() - 11] == '-' && name[name.size() - 6] == '-' &&
        name[name.size() - 3] == '-' && AllDigits(std::string_view(name).substr(name.size() - 10, 4)) &&
        AllDigits(std::string_view(name).substr(name.size() - 5, 2)) &&
        AllDigits(std::string_view(name).substr(name.size() - 2, 2))) {
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

// Bedrock model ids are "vendor.model", optionally behind a cross-region prefix ("us.anthropic.claude-…").
bool LooksLikeBedrockId(std::string_view name) {
    static const std::regex kBedrock(
        R"(^(?:(?:us|eu|apac|au|jp|ca|us-gov|global)\.)?(?:anthropic|amazon|meta|mistral|cohere|ai21|deepseek|qwen|openai|writer|google|nvidia|twelvelabs|stability)\.[a-z0-9])");
    return std::regex_search(name.begin(), name.end(), kBedrock);
}

std::optional<core::Millis> ParseDate(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !AllDigits(text.substr(0, 4)) ||
        !AllDigits(text.substr(5, 2)) || !AllDigits(text.substr(8, 2))) {
        return std::nullopt;
    }
    return core::ParseTimestamp(std::string(text) + "T00:00:00Z");
}

std::string FormatDate(core::Millis ms) { return core::FormatRfc3339Ms(ms).substr(0, 10); }

core::Error FieldError(const std::string& model, std::string_view field, std::string_view problem) {
    return MakeError(ErrorCode::kInvalidRequest,
                     "catalog model '" + model + "': '" + std::string(field) + "' " + std::string(problem));
}

core::Result<double> NumberField(const json::object& o, std::string_view key, const std::string& model, double min,
                                 double max) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || !v->is_number()) return FieldError(model, key, "must be a number");
    double d = v->to_number<double>();
    if (!(d >= min && d <= max)) return FieldError(model, key, "is out of range");
    return d;
}

// An optional number: absent → nullopt, present but invalid → error.
core::Result<std::optional<double>> OptionalNumber(const json::object& o, std::string_view key,
                                                   const std::string& model, double min, double max) {
    if (!o.contains(key) || o.at(key).is_null()) return std::optional<double>{};
    auto d = NumberField(o, key, model, min, max);
    if (!d.ok()) return d.error();
    return std::optional<double>(*d);
}

core::Result<std::optional<bool>> OptionalBool(const json::object& o, std::string_view key, const std::string& model) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::optional<bool>{};
    if (!v->is_bool()) return FieldError(model, key, "must be true or false");
    return std::optional<bool>(v->as_bool());
}

core::Result<std::string> OptionalString(const json::object& o, std::string_view key, const std::string& model) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) return std::string();
    if (!v->is_string()) return FieldError(model, key, "must be a string");
    return std::string(v->as_string());
}

core::Result<TieredPrice> ParsePrice(const json::value& v, const std::string& model, const std::string& field) {
    TieredPrice p;
    if (v.is_number()) {
        p.base = v.to_number<double>();
        if (!(p.base >= 0 && p.base <= kMaxPrice)) return FieldError(model, field, "is out of range");
        return p;
    }
    if (!v.is_object()) return FieldError(model, field, "must be a number or {\"base\": …, \"tiers\": […]}");
    const json::object& o = v.as_object();
    auto base = NumberField(o, "base", model, 0, kMaxPrice);
    if (!base.ok()) return FieldError(model, field + ".base", "must be a number from 0 to 10000");
    p.base = *base;
    const json::value* tiers = o.if_contains("tiers");
    if (tiers == nullptr || !tiers->is_array()) return FieldError(model, field + ".tiers", "must be an array");
    for (const json::value& t : tiers->as_array()) {
        std::string where = field + ".tiers[" + std::to_string(p.tiers.size()) + "]";
        if (!t.is_object()) return FieldError(model, where, "must be {\"start\": tokens, \"price\": …}");
        auto start = NumberField(t.as_object(), "start", model, 1, 1e12);
        if (!start.ok()) return FieldError(model, where + ".start", "must be a positive number of tokens");
        auto price = NumberField(t.as_object(), "price", model, 0, kMaxPrice);
        if (!price.ok()) return FieldError(model, where + ".price", "must be a number from 0 to 10000");
        TieredPrice::Step step{static_cast<std::int64_t>(*start), *price};
        if (!p.tiers.empty() && step.start <= p.tiers.back().start) {
            return FieldError(model, where + ".start", "must be above the previous tier's start");
        }
        p.tiers.push_back(step);
    }
    return p;
}

json::value PriceToJson(const TieredPrice& p) {
    if (p.tiers.empty()) return p.base;
    json::array tiers;
    for (const auto& t : p.tiers) tiers.push_back(json::object{{"start", t.start}, {"price", t.price}});
    return json::object{{"base", p.base}, {"tiers", std::move(tiers)}};
}

constexpr std::string_view kPriceKeys[] = {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok",
                                           "cache_write_1h_mtok"};

core::Result<PriceSet> ParsePriceSet(const json::value& v, const std::string& model, const std::string& where) {
    if (!v.is_object()) return FieldError(model, where, "must be an object of prices");
    const json::object& o = v.as_object();
    for (const auto& kv : o) {
        if (std::find(std::begin(kPriceKeys), std::end(kPriceKeys), kv.key()) == std::end(kPriceKeys)) {
            return FieldError(model, where + "." + std::string(kv.key()),
                              "is not a known price (input_mtok, output_mtok, cache_read_mtok, cache_write_mtok, "
                              "cache_write_1h_mtok)");
        }
    }
    PriceSet s;
    const json::value* input = o.if_contains("input_mtok");
    if (input == nullptr) return FieldError(model, where + ".input_mtok", "is required");
    auto in = ParsePrice(*input, model, where + ".input_mtok");
    if (!in.ok()) return in.error();
    s.input = std::move(*in);
    if (const json::value* out = o.if_contains("output_mtok"); out != nullptr) {
        auto p = ParsePrice(*out, model, where + ".output_mtok");
        if (!p.ok()) return p.error();
        s.output = std::move(*p);
    }
    auto optional = [&](std::string_view key, std::optional<TieredPrice>& dest) -> core::Status {
        const json::value* p = o.if_contains(key);
        if (p == nullptr || p->is_null()) return core::Ok();
        auto parsed = ParsePrice(*p, model, where + "." + std::string(key));
        if (!parsed.ok()) return parsed.error();
        dest = std::move(*parsed);
        return core::Ok();
    };
    if (auto st = optional("cache_read_mtok", s.cache_read); !st.ok()) return st.error();
    if (auto st = optional("cache_write_mtok", s.cache_write); !st.ok()) return st.error();
    if (auto st = optional("cache_write_1h_mtok", s.cache_write_1h); !st.ok()) return st.error();
    return s;
}

json::object PriceSetToJson(const PriceSet& s) {
    json::object o{{"input_mtok", PriceToJson(s.input)}, {"output_mtok", PriceToJson(s.output)}};
    if (s.cache_read) o["cache_read_mtok"] = PriceToJson(*s.cache_read);
    if (s.cache_write) o["cache_write_mtok"] = PriceToJson(*s.cache_write);
    if (s.cache_write_1h) o["cache_write_1h_mtok"] = PriceToJson(*s.cache_write_1h);
    return o;
}

// The base prices of one period onto the flat fields.
void SetFlatPrices(CatalogModel& m) {
    const PriceSet& p = m.periods[m.as_of_period].prices;
    m.input_per_mtok = p.input.base;
    m.output_per_mtok = p.output.base;
    m.has_cache_read_price = p.cache_read.has_value();
    m.cached_input_per_mtok = p.cache_read ? p.cache_read->base : p.input.base;
    m.cache_write_per_mtok = p.cache_write ? p.cache_write->base : p.input.base;
    m.cache_write_1h_per_mtok = p.cache_write_1h ? p.cache_write_1h->base : m.cache_write_per_mtok;
}

core::Result<Tier> ParseTier(const json::object& o, const std::string& model) {
    std::string tier = core::GetString(o, "tier").value_or("");
    if (tier == "frontier") return Tier::kFrontier;
    if (tier == "mid") return Tier::kMid;
    if (tier == "small") return Tier::kSmall;
    return FieldError(model, "tier", "must be frontier, mid or small");
}

// The fields both layouts share beyond the prices.
core::Status ParseCommon(const json::object& o, CatalogModel& m, const std::string& name) {
    if (const json::value* aliases = o.if_contains("aliases"); aliases != nullptr && !aliases->is_null()) {
        if (!aliases->is_array()) return FieldError(name, "aliases", "must be an array");
        for (const json::value& a : aliases->as_array()) {
            if (!a.is_string() || a.as_string().empty()) return FieldError(name, "aliases", "must be strings");
            m.aliases.emplace_back(a.as_string());
        }
    }
    if (const json::value* match = o.if_contains("match"); match != nullptr && !match->is_null()) {
        auto rule = MatchRule::FromJson(*match);
        if (!rule.ok()) return FieldError(name, "match", rule.error().message);
        m.match = std::move(*rule);
    }
    auto batch = OptionalNumber(o, "batch_discount", name, 0, 1);
    if (!batch.ok()) return batch.error();
    m.batch_discount = batch->value_or(0);
    auto batch_source = OptionalString(o, "batch_source", name);
    if (!batch_source.ok()) return batch_source.error();
    m.batch_source = *batch_source;
    auto context = OptionalNumber(o, "context_window", name, 0, 1e9);
    if (!context.ok()) return context.error();
    m.context_window = static_cast<std::int64_t>(context->value_or(0));
    auto latency = OptionalNumber(o, "typical_latency_ms", name, 0, 1e6);
    if (!latency.ok()) return latency.error();
    m.typical_latency_ms = latency->value_or(0);
    auto current = OptionalBool(o, "current", name);
    if (!current.ok()) return current.error();
    m.current = current->value_or(false);
    auto deprecated = OptionalBool(o, "deprecated", name);
    if (!deprecated.ok()) return deprecated.error();
    m.deprecated = deprecated->value_or(false);
    auto hosted_by = OptionalString(o, "hosted_by", name);
    if (!hosted_by.ok()) return hosted_by.error();
    m.hosted_by = *hosted_by;
    return core::Ok();
}

// Version 1: flat *_per_mtok fields, one period, `tier` required.
core::Status ParseV1Prices(const json::object& o, CatalogModel& m, const std::string& name) {
    auto in = NumberField(o, "input_per_mtok", name, 0, kMaxPrice);
    if (!in.ok()) return in.error();
    auto out = NumberField(o, "output_per_mtok", name, 0, kMaxPrice);
    if (!out.ok()) return out.error();
    PriceSet s;
    s.input.base = *in;
    s.output.base = *out;
    auto cached = OptionalNumber(o, "cached_input_per_mtok", name, 0, kMaxPrice);
    if (!cached.ok()) return cached.error();
    if (*cached) s.cache_read = TieredPrice{**cached, {}};
    auto write = OptionalNumber(o, "cache_write_per_mtok", name, 0, kMaxPrice);
    if (!write.ok()) return write.error();
    if (*write) s.cache_write = TieredPrice{**write, {}};
    auto write_1h = OptionalNumber(o, "cache_write_1h_per_mtok", name, 0, kMaxPrice);
    if (!write_1h.ok()) return write_1h.error();
    if (*write_1h) s.cache_write_1h = TieredPrice{**write_1h, {}};
    m.periods.push_back(PricePeriod{std::nullopt, std::move(s)});
    auto tier = ParseTier(o, name);
    if (!tier.ok()) return tier.error();
    m.tier = *tier;
    return core::Ok();
}

// Version 2: `prices` is one price set or a list of {from?, prices} periods.
core::Status ParseV2Prices(const json::object& o, CatalogModel& m, const std::string& name) {
    const json::value* prices = o.if_contains("prices");
    if (prices == nullptr) return FieldError(name, "prices", "is required");
    if (prices->is_object()) {
        auto s = ParsePriceSet(*prices, name, "prices");
        if (!s.ok()) return s.error();
        m.periods.push_back(PricePeriod{std::nullopt, std::move(*s)});
    } else if (prices->is_array() && !prices->as_array().empty()) {
        for (const json::value& p : prices->as_array()) {
            std::string where = "prices[" + std::to_string(m.periods.size()) + "]";
            if (!p.is_object()) return FieldError(name, where, "must be {\"from\": date, \"prices\": {…}}");
            const json::object& po = p.as_object();
            PricePeriod period;
            if (const json::value* from = po.if_contains("from"); from != nullptr && !from->is_null()) {
                auto date = from->is_string() ? ParseDate(from->as_string()) : std::nullopt;
                if (!date) return FieldError(name, where + ".from", "must be a YYYY-MM-DD date");
                if (!m.periods.empty() && m.periods.back().from && *m.periods.back().from >= *date) {
                    return FieldError(name, where + ".from", "must be after the previous period's");
                }
                period.from = *date;
            } else if (!m.periods.empty()) {
                return FieldError(name, where + ".from", "is required after the first period");
            }
            const json::value* set = po.if_contains("prices");
            if (set == nullptr) return FieldError(name, where + ".prices", "is required");
            auto s = ParsePriceSet(*set, name, where + ".prices");
            if (!s.ok()) return s.error();
            period.prices = std::move(*s);
            m.periods.push_back(std::move(period));
        }
    } else {
        return FieldError(name, "prices", "must be an object of prices or a non-empty list of periods");
    }
    if (o.contains("tier") && !o.at("tier").is_null()) {
        auto tier = ParseTier(o, name);
        if (!tier.ok()) return tier.error();
        m.tier = *tier;
    }
    return core::Ok();
}

}  // namespace

// ---- Tiers and prices ----

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

Tier TierFromPrices(double input_per_mtok, double output_per_mtok) {
    double blended = 0.75 * input_per_mtok + 0.25 * output_per_mtok;
    if (blended >= 4) return Tier::kFrontier;
    if (blended >= 0.5) return Tier::kMid;
    return Tier::kSmall;
}

double TieredPrice::At(std::int64_t request_input_tokens) const {
    double price = base;
    for (const Step& t : tiers) {
        if (request_input_tokens > t.start) price = t.price;
    }
    return price;
}

const PriceSet& CatalogModel::PricesAt(core::Millis ts) const {
    static const PriceSet kNone;
    if (periods.empty()) return kNone;
    if (ts <= 0) return periods[std::min(as_of_period, periods.size() - 1)].prices;
    std::size_t chosen = 0;
    for (std::size_t i = 0; i < periods.size(); ++i) {
        if (!periods[i].from || *periods[i].from <= ts) chosen = i;
    }
    return periods[chosen].prices;
}

// ---- Match rules ----

namespace {

// What libstdc++'s regex compiler must not be given (found by fuzz/fuzz_catalog): it reads a back-reference's number
// and a {n,m} count into a long without an overflow check (signed overflow, undefined behaviour, on a long digit
// run), and a large count unrolls into an automaton of that many states. Catalog regexes (genai-prices' and the
// overlay's) use neither back-references nor counts past a few, so patterns with them, or longer than 512 bytes,
// are refused with a reason.
std::optional<std::string> UnsupportedRegex(std::string_view pattern) {
    if (pattern.size() > 512) return "longer than 512 characters";
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\') {
            if (i + 1 < pattern.size() && pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
                return "back-references are not supported";
            }
            ++i;
        } else if (c == '{') {
            std::size_t digits = 0;
            for (std::size_t j = i + 1; j < pattern.size() && pattern[j] != '}'; ++j) {
                digits = std::isdigit(static_cast<unsigned char>(pattern[j])) ? digits + 1 : 0;
                if (digits > 4) return "a {n,m} count above 9999";
            }
        }
    }
    return std::nullopt;
}

}  // namespace

core::Result<MatchRule> MatchRule::FromJson(const json::value& v) {
    if (!v.is_object() || v.as_object().size() != 1) {
        return MakeError(ErrorCode::kInvalidRequest,
                         "a match rule is an object with one of equals, starts_with, ends_with, contains, regex, or, "
                         "and");
    }
    const auto& kv = *v.as_object().begin();
    MatchRule r;
    std::string_view key = kv.key();
    if (key == "or" || key == "and") {
        r.kind_ = key == "or" ? Kind::kOr : Kind::kAnd;
        if (!kv.value().is_array() || kv.value().as_array().empty()) {
            return MakeError(ErrorCode::kInvalidRequest, "'" + std::string(key) + "' takes a non-empty list of rules");
        }
        for (const json::value& child : kv.value().as_array()) {
            auto c = FromJson(child);
            if (!c.ok()) return c.error();
            r.children_.push_back(std::move(*c));
        }
        return r;
    }
    if (key == "equals") {
        r.kind_ = Kind::kEquals;
    } else if (key == "starts_with") {
        r.kind_ = Kind::kStartsWith;
    } else if (key == "ends_with") {
        r.kind_ = Kind::kEndsWith;
    } else if (key == "contains") {
        r.kind_ = Kind::kContains;
    } else if (key == "regex") {
        r.kind_ = Kind::kRegex;
    } else {
        return MakeError(ErrorCode::kInvalidRequest, "unknown match rule '" + std::string(key) + "'");
    }
    if (!kv.value().is_string() || kv.value().as_string().empty()) {
        return MakeError(ErrorCode::kInvalidRequest, "'" + std::string(key) + "' takes a non-empty string");
    }
    std::string_view text = kv.value().as_string();
    if (r.kind_ == Kind::kRegex) {
        r.text_ = std::string(text);
        if (auto why = UnsupportedRegex(text)) {
            return MakeError(ErrorCode::kInvalidRequest, "invalid regex '" + r.text_ + "': " + *why);
        }
        try {
            r.regex_ = std::make_shared<const std::regex>(r.text_, std::regex::ECMAScript | std::regex::icase);
        } catch (const std::regex_error& e) {
            return MakeError(ErrorCode::kInvalidRequest, "invalid regex '" + r.text_ + "': " + e.what());
        }
    } else {
        r.text_ = Lower(text);
    }
    return r;
}

json::value MatchRule::ToJson() const {
    switch (kind_) {
        case Kind::kOr:
        case Kind::kAnd: {
            json::array children;
            for (const auto& c : children_) children.push_back(c.ToJson());
            return json::object{{kind_ == Kind::kOr ? "or" : "and", std::move(children)}};
        }
        case Kind::kEquals:
            return json::object{{"equals", text_}};
        case Kind::kStartsWith:
            return json::object{{"starts_with", text_}};
        case Kind::kEndsWith:
            return json::object{{"ends_with", text_}};
        case Kind::kContains:
            return json::object{{"contains", text_}};
        case Kind::kRegex:
            return json::object{{"regex", text_}};
    }
    return json::object{};
}

bool MatchRule::Matches(std::string_view name) const {
    switch (kind_) {
        case Kind::kEquals:
            return name == text_;
        case Kind::kStartsWith:
            return name.starts_with(text_);
        case Kind::kEndsWith:
            return name.ends_with(text_);
        case Kind::kContains:
            return name.find(text_) != std::string_view::npos;
        case Kind::kRegex:
            return regex_ != nullptr &&
                   std::regex_search(name.begin(), name.end(), *static_cast<const std::regex*>(regex_.get()));
        case Kind::kOr:
            return std::any_of(children_.begin(), children_.end(), [&](const MatchRule& c) { return c.Matches(name); });
        case Kind::kAnd:
            return std::all_of(children_.begin(), children_.end(), [&](const MatchRule& c) { return c.Matches(name); });
    }
    return false;
}

// ---- Resolution ----

// The lookup structures beyond index_ (built once by LoadCatalog) and the memo of Find's answers.
struct Catalog::Memo {
    std::unordered_map<std::string, std::vector<std::size_t>> provider_models;  // provider → positions, in order
    std::unordered_map<std::string, std::size_t> provider_names;  // provider + '\n' + lower name/alias → position
    std::vector<int> provider_rank;                               // per model: its provider's order of appearance
    std::mutex mutex;
    std::unordered_map<std::string, const CatalogModel*> answers;  // lower name + '\x1f' + provider → model/nullptr
};

Catalog::Catalog() : memo_(std::make_unique<Memo>()) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

namespace {

struct Resolver {
    const std::vector<CatalogModel>& models;
    const std::unordered_map<std::string, std::size_t>& index;
    const std::unordered_map<std::string, std::string>& provider_aliases;
    const std::unordered_map<std::string, std::vector<std::size_t>>& provider_models;
    const std::unordered_map<std::string, std::size_t>& provider_names;
    const std::vector<int>& provider_rank;

    // "bedrock" → "aws"; "" when `name` names no provider of the catalog.
    std::string Provider(std::string_view name) const {
        std::string p = Lower(Trim(name));
        std::replace(p.begin(), p.end(), ' ', '_');
        if (p.empty()) return p;
        if (provider_models.contains(p)) return p;
        if (auto it = provider_aliases.find(p); it != provider_aliases.end() && provider_models.contains(it->second)) {
            return it->second;
        }
        return {};
    }

    // Within one provider: its names and aliases, then its models' match rules in order.
    const CatalogModel* InProvider(const std::string& provider, const std::string& key) const {
        if (auto it = provider_names.find(provider + '\n' + key); it != provider_names.end()) {
            return &models[it->second];
        }
        auto it = provider_models.find(provider);
        if (it == provider_models.end()) return nullptr;
        for (std::size_t pos : it->second) {
            if (models[pos].match && models[pos].match->Matches(key)) return &models[pos];
        }
        return nullptr;
    }

    // Across providers, first-listed providers first: an id is exact; a name or alias listed by a later provider
    // yields to an earlier provider's match rule (a bare "claude-3-5-haiku" is Anthropic's, not a host's).
    const CatalogModel* Everywhere(const std::string& key) const {
        int rank_limit = std::numeric_limits<int>::max();
        const CatalogModel* exact = nullptr;
        if (auto it = index.find(key); it != index.end()) {
            exact = &models[it->second];
            if (Lower(exact->id) == key) return exact;
            rank_limit = provider_rank[it->second];
        }
        for (std::size_t pos = 0; pos < models.size() && provider_rank[pos] < rank_limit; ++pos) {
            if (models[pos].match && models[pos].match->Matches(key)) return &models[pos];
        }
        if (exact != nullptr) return exact;
        return nullptr;
    }

    const CatalogModel* Resolve(const std::string& key, const std::string& provider, int depth) const {
        if (key.empty() || depth > 8) return nullptr;
        if (!provider.empty()) {
            if (const CatalogModel* m = InProvider(provider, key)) return m;
        }
        if (auto it = index.find(key); it != index.end() && Lower(models[it->second].id) == key) {
            return &models[it->second];
        }
        // "openai/gpt-5", "bedrock/us.anthropic.claude-…", "openrouter/anthropic/claude-sonnet-5"
        if (auto slash = key.find('/'); slash != std::string::npos) {
            std::string head = Provider(key.substr(0, slash));
            std::string rest = key.substr(slash + 1);
            if (!head.empty() && !rest.empty()) {
                if (const CatalogModel* m = InProvider(head, rest)) return m;
                if (const CatalogModel* m = Resolve(rest, {}, depth + 1)) return m;
            }
        }
        // Vertex AI and Gemini API paths: "projects/p/locations/l/publishers/google/models/gemini-2.5-pro",
        // "publishers/google/models/…", "models/gemini-1.5-pro": the last segment, on Google first.
        if (key.starts_with("projects/") || key.starts_with("publishers/") || key.starts_with("models/")) {
            if (auto models_at = key.rfind("models/"); models_at != std::string::npos) {
                std::string last = key.substr(models_at + 7);
                std::string google = provider.empty() ? Provider("google") : provider;
                if (const CatalogModel* m = Resolve(last, google, depth + 1)) return m;
            }
        }
        std::string hint = provider;
        if (hint.empty() && LooksLikeBedrockId(key)) hint = Provider("aws");
        if (!hint.empty() && hint != provider) {
            if (const CatalogModel* m = InProvider(hint, key)) return m;
        }
        if (const CatalogModel* m = Everywhere(key)) return m;
        std::string stripped = StripSnapshotSuffix(key);
        if (stripped != key) return Resolve(stripped, provider, depth + 1);
        return nullptr;
    }
};

}  // namespace

const CatalogModel* Catalog::Find(std::string_view name, std::string_view provider) const {
    std::string key = Lower(Trim(name));
    if (key.empty() || memo_ == nullptr) return nullptr;
    std::string memo_key = key + '\x1f' + Lower(Trim(provider));
    {
        std::lock_guard lock(memo_->mutex);
        if (auto it = memo_->answers.find(memo_key); it != memo_->answers.end()) return it->second;
    }
    Resolver r{models_, index_, provider_aliases_, memo_->provider_models, memo_->provider_names, memo_->provider_rank};
    const CatalogModel* found = r.Resolve(key, r.Provider(provider), 0);
    std::lock_guard lock(memo_->mutex);
    if (memo_->answers.size() >= kMemoLimit) memo_->answers.clear();
    memo_->answers.emplace(std::move(memo_key), found);
    return found;
}

// ---- Cost ----

double Catalog::CostUsd(const CatalogModel& m, const TokenUsage& u) {
    PriceSet flat;
    const PriceSet* p = &m.PricesAt(u.ts);
    if (m.periods.empty()) {  // a model built by hand with the flat fields only
        flat.input.base = m.input_per_mtok;
        flat.output.base = m.output_per_mtok;
        flat.cache_read = TieredPrice{m.cached_input_per_mtok, {}};
        if (m.cache_write_per_mtok > 0) flat.cache_write = TieredPrice{m.cache_write_per_mtok, {}};
        if (m.cache_write_1h_per_mtok > 0) flat.cache_write_1h = TieredPrice{m.cache_write_1h_per_mtok, {}};
        p = &flat;
    }
    std::int64_t input = std::max<std::int64_t>(u.input, 0);
    std::int64_t read = std::clamp<std::int64_t>(u.cache_read, 0, input);
    std::int64_t write_5m = std::clamp<std::int64_t>(u.cache_write_5m, 0, input - read);
    std::int64_t write_1h = std::clamp<std::int64_t>(u.cache_write_1h, 0, input - read - write_5m);
    std::int64_t uncached = input - read - write_5m - write_1h;
    std::int64_t prompt = input / std::max<std::int64_t>(u.requests, 1);
    const ContextTier tier =
        u.context == ContextTier::kByPromptSize && u.requests == 0 ? ContextTier::kStandard : u.context;
    auto at = [&](const TieredPrice& t) {
        switch (tier) {
            case ContextTier::kStandard:
                return t.base;
            case ContextTier::kLong:
                return t.LongContext();
            case ContextTier::kByPromptSize:
                break;
        }
        return t.At(prompt);
    };
    double in = at(p->input);
    double read_price = p->cache_read ? at(*p->cache_read) : in;
    double write_5m_price = p->cache_write ? at(*p->cache_write) : in;
    double write_1h_price = p->cache_write_1h ? at(*p->cache_write_1h) : write_5m_price;
    double cost = (static_cast<double>(uncached) * in + static_cast<double>(read) * read_price +
                   static_cast<double>(write_5m) * write_5m_price + static_cast<double>(write_1h) * write_1h_price +
                   static_cast<double>(std::max<std::int64_t>(u.output, 0)) * at(p->output)) /
                  1e6;
    return u.batch ? cost * (1 - m.batch_discount) : cost;
}

double Catalog::CostUsd(const CatalogModel& m, std::int64_t input_tokens, std::int64_t output_tokens,
                        std::int64_t cached_tokens) {
    TokenUsage u;
    u.input = input_tokens;
    u.output = output_tokens;
    u.cache_read = cached_tokens;
    return CostUsd(m, u);
}

std::optional<double> Catalog::CostUsd(std::string_view model, std::int64_t input_tokens, std::int64_t output_tokens,
                                       std::int64_t cached_tokens) const {
    const CatalogModel* m = Find(model);
    if (m == nullptr) return std::nullopt;
    return CostUsd(*m, input_tokens, output_tokens, cached_tokens);
}

// ---- Loading ----

core::Result<Catalog> LoadCatalog(std::string_view json_text) {
    auto parsed = core::ParseJsonObject(json_text);
    if (!parsed.ok()) return MakeError(ErrorCode::kInvalidRequest, "catalog: " + parsed.error().message);
    const json::object& root = *parsed;
    int version = 1;
    if (const json::value* v = root.if_contains("version"); v != nullptr) {
        auto n = core::GetInt(root, "version");
        if (!n || (*n != 1 && *n != 2)) {
            return MakeError(ErrorCode::kInvalidRequest, "catalog: 'version' must be 1 or 2");
        }
        version = static_cast<int>(*n);
    }
    Catalog c;
    auto as_of = core::GetString(root, "as_of");
    if (!as_of || as_of->empty()) return MakeError(ErrorCode::kInvalidRequest, "catalog: 'as_of' date is required");
    c.as_of_ = *as_of;
    std::optional<core::Millis> as_of_ms = ParseDate(*as_of);
    if (version == 2 && !as_of_ms) {
        return MakeError(ErrorCode::kInvalidRequest, "catalog: 'as_of' must be a YYYY-MM-DD date");
    }
    c.source_ = core::GetString(root, "source").value_or("");
    c.licence_ = core::GetString(root, "licence").value_or("");
    if (auto currency = core::GetString(root, "currency"); currency && *currency != "USD") {
        return MakeError(ErrorCode::kInvalidRequest, "catalog: 'currency' must be USD");
    }
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
        const std::string name = o.contains("id") ? m.id : m.model;  // how errors name the model
        if (auto st = ParseCommon(o, m, name); !st.ok()) return st.error();
        auto prices = version == 1 ? ParseV1Prices(o, m, name) : ParseV2Prices(o, m, name);
        if (!prices.ok()) return prices.error();
        m.as_of_period = 0;
        for (std::size_t i = 0; i < m.periods.size(); ++i) {
            if (!m.periods[i].from || (as_of_ms && *m.periods[i].from <= *as_of_ms)) m.as_of_period = i;
        }
        SetFlatPrices(m);
        if (version == 2 && (!o.contains("tier") || o.at("tier").is_null())) {
            m.tier = TierFromPrices(m.input_per_mtok, m.output_per_mtok);
        }
        c.models_.push_back(std::move(m));
    }

    // Ids are unique and always exact; aliases are unique; a model name may recur across providers (the same
    // model at a host): the first-listed provider's model takes the bare name.
    auto& memo = *c.memo_;
    std::unordered_map<std::string, std::size_t> aliases;
    for (std::size_t pos = 0; pos < c.models_.size(); ++pos) {
        const CatalogModel& m = c.models_[pos];
        if (!c.index_.emplace(Lower(m.id), pos).second) {
            return MakeError(ErrorCode::kInvalidRequest, "catalog: id '" + m.id + "' is used by two models");
        }
        memo.provider_models[Lower(m.provider)].push_back(pos);
    }
    std::unordered_map<std::string, int> ranks;
    for (std::size_t pos = 0; pos < c.models_.size(); ++pos) {
        const CatalogModel& m = c.models_[pos];
        const std::string provider = Lower(m.provider);
        memo.provider_rank.push_back(ranks.try_emplace(provider, static_cast<int>(ranks.size())).first->second);
        std::vector<std::string> names{Lower(m.model)};
        for (const auto& a : m.aliases) {
            std::string lower = Lower(a);
            auto [it, added] = aliases.emplace(lower, pos);
            if (!added && it->second != pos) {
                return MakeError(ErrorCode::kInvalidRequest, "catalog: alias '" + a + "' is used by two models");
            }
            if (auto id = c.index_.find(lower);
                id != c.index_.end() && id->second != pos && Lower(c.models_[id->second].id) == lower) {
                return MakeError(ErrorCode::kInvalidRequest,
                                 "catalog: alias '" + a + "' of '" + m.id + "' is the id of another model");
            }
            names.push_back(std::move(lower));
        }
        for (const auto& n : names) {
            c.index_.emplace(n, pos);
            memo.provider_names.emplace(provider + '\n' + n, pos);
        }
        memo.provider_names.emplace(provider + '\n' + Lower(m.id), pos);
    }
    if (const json::value* pa = root.if_contains("provider_aliases"); pa != nullptr && !pa->is_null()) {
        if (!pa->is_object())
            return MakeError(ErrorCode::kInvalidRequest, "catalog: 'provider_aliases' must be an object");
        for (const auto& kv : pa->as_object()) {
            if (!kv.value().is_string() || !memo.provider_models.contains(Lower(kv.value().as_string()))) {
                return MakeError(ErrorCode::kInvalidRequest, "catalog: provider alias '" + std::string(kv.key()) +
                                                                 "' must name a provider of the catalog");
            }
            c.provider_aliases_.emplace(Lower(kv.key()), Lower(kv.value().as_string()));
        }
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
        json::array periods;
        for (const PricePeriod& p : m.periods) {
            json::object period{{"from", p.from ? json::value(FormatDate(*p.from)) : json::value(nullptr)}};
            for (auto& kv : PriceSetToJson(p.prices)) period.emplace(kv.key(), kv.value());
            periods.push_back(std::move(period));
        }
        json::object o{{"id", m.id},
                       {"provider", m.provider},
                       {"model", m.model},
                       {"aliases", std::move(aliases)},
                       {"input_per_mtok", m.input_per_mtok},
                       {"output_per_mtok", m.output_per_mtok},
                       {"cached_input_per_mtok", m.cached_input_per_mtok},
                       {"cache_write_per_mtok", m.cache_write_per_mtok},
                       {"cache_write_1h_per_mtok", m.cache_write_1h_per_mtok},
                       {"batch_discount", m.batch_discount},
                       {"batch_source", m.batch_source},
                       {"context_window", m.context_window},
                       {"tier", TierName(m.tier)},
                       {"typical_latency_ms", m.typical_latency_ms},
                       {"current", m.current},
                       {"deprecated", m.deprecated},
                       {"as_of", catalog.AsOf()}};
        if (!m.hosted_by.empty()) o["hosted_by"] = m.hosted_by;
        if (m.match) o["match"] = m.match->ToJson();
        o["prices"] = std::move(periods);
        data.push_back(std::move(o));
    }
    json::object aliases;
    for (const auto& [alias, provider] :
         std::map<std::string, std::string>(catalog.ProviderAliases().begin(), catalog.ProviderAliases().end())) {
        aliases[alias] = provider;
    }
    return json::object{{"as_of", catalog.AsOf()},      {"source", catalog.Source()},
                        {"licence", catalog.Licence()}, {"currency", "USD"},
                        {"unit", "per 1M tokens"},      {"provider_aliases", std::move(aliases)},
                        {"data", std::move(data)}};
}

}  // namespace netra::analysis

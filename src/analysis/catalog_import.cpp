#include "analysis/catalog_import.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

#include "analysis/catalog.hpp"
#include "core/json_util.hpp"
#include "core/time.hpp"

namespace netra::analysis {
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

namespace {

// The MIT notices of the feeds we read; a derived catalog keeps its feed's notice in `licence`.
constexpr std::string_view kGenaiPricesLicence =
    "genai-prices (https://github.com/pydantic/genai-prices), MIT License. Copyright (c) Pydantic Services Inc. "
    "2025 to present. Permission is hereby granted, free of charge, to any person obtaining a copy of this "
    "software and associated documentation files (the \"Software\"), to deal in the Software without "
    "restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, "
    "sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to "
    "do so, subject to the following conditions: The above copyright notice and this permission notice shall be "
    "included in all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT "
    "WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, "
    "FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE "
    "LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, "
    "ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.";
constexpr std::string_view kLiteLlmLicence =
    "LiteLLM model_prices_and_context_window.json (https://github.com/BerriAI/litellm), MIT License. Copyright (c) "
    "2023 Berri AI. Permission is hereby granted, free of charge, to any person obtaining a copy of this software "
    "and associated documentation files (the \"Software\"), to deal in the Software without restriction, "
    "including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or "
    "sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to "
    "the following conditions: The above copyright notice and this permission notice shall be included in all "
    "copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY "
    "KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A "
    "PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY "
    "CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF "
    "OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.";

// Resolution order: first-party providers, then the clouds, then resellers and hosts (a bare model name resolves
// to the first provider that lists it). Providers not named here follow, alphabetically.
constexpr std::string_view kProviderOrder[] = {
    "anthropic",  "openai",     "google",   "mistral",   "x-ai",       "deepseek", "cohere",
    "moonshotai", "zai",        "zhipuai",  "minimax",   "perplexity", "voyageai", "aws",
    "azure",      "openrouter", "together", "fireworks", "groq",       "cerebras", "novita"};

// Other spellings of providers (LiteLLM's provider names, request prefixes, vendors' own names).
constexpr std::pair<std::string_view, std::string_view> kProviderAliases[] = {
    {"bedrock", "aws"},
    {"bedrock_converse", "aws"},
    {"aws_bedrock", "aws"},
    {"amazon", "aws"},
    {"amazon_bedrock", "aws"},
    {"vertex_ai", "google"},
    {"vertex", "google"},
    {"vertexai", "google"},
    {"vertex_ai_beta", "google"},
    {"google_vertex", "google"},
    {"gemini", "google"},
    {"google_ai_studio", "google"},
    {"google_genai", "google"},
    {"azure_ai", "azure"},
    {"azure_openai", "azure"},
    {"xai", "x-ai"},
    {"x_ai", "x-ai"},
    {"mistralai", "mistral"},
    {"mistral_ai", "mistral"},
    {"codestral", "mistral"},
    {"together_ai", "together"},
    {"together-ai", "together"},
    {"togetherai", "together"},
    {"fireworks_ai", "fireworks"},
    {"fireworks-ai", "fireworks"},
    {"moonshot", "moonshotai"},
    {"zhipu", "zhipuai"},
    {"z-ai", "zai"},
    {"z.ai", "zai"},
    {"voyage", "voyageai"},
    {"cohere_chat", "cohere"},
    {"text-completion-openai", "openai"},
    {"deepseek-ai", "deepseek"},
};

// The order of a model's fields in the file.
constexpr std::string_view kModelKeyOrder[] = {"id",
                                               "provider",
                                               "model",
                                               "aliases",
                                               "match",
                                               "context_window",
                                               "prices",
                                               "batch_discount",
                                               "batch_source",
                                               "tier",
                                               "typical_latency_ms",
                                               "current",
                                               "deprecated",
                                               "hosted_by"};

constexpr std::string_view kTextPrices[] = {"input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok",
                                            "cache_write_1h_mtok"};

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep = ", ") {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += sep;
        out += i;
    }
    return out;
}

std::string Join(const std::set<std::string>& items, std::string_view sep = ", ") {
    return Join(std::vector<std::string>(items.begin(), items.end()), sep);
}

core::Error FeedError(const std::string& message) { return MakeError(ErrorCode::kInvalidRequest, "feed: " + message); }

core::Error OverlayError(const std::string& message) {
    return MakeError(ErrorCode::kInvalidRequest, "overlay: " + message);
}

// A price per token × 1e6, without the binary noise (2.5e-6 × 1e6 = 2.4999999999999996).
double PerMillion(double per_token) { return std::stod(fmt::format("{:.12g}", per_token * 1e6)); }

std::optional<core::Millis> ParseDate(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    return core::ParseTimestamp(std::string(text) + "T00:00:00Z");
}

int ProviderRank(const std::string& provider) {
    constexpr int kKnown = static_cast<int>(std::size(kProviderOrder));
    for (int i = 0; i < kKnown; ++i) {
        if (kProviderOrder[i] == provider) return i;
    }
    if (provider.starts_with("huggingface")) return kKnown;
    return kKnown + 1;
}

bool ProviderBefore(const std::string& a, const std::string& b) {
    int ra = ProviderRank(a), rb = ProviderRank(b);
    return ra != rb ? ra < rb : a < b;
}

// The base price of a number or {base, tiers} value.
double BasePrice(const json::value& v) {
    if (v.is_number()) return v.to_number<double>();
    if (v.is_object()) {
        if (const json::value* b = v.as_object().if_contains("base"); b != nullptr && b->is_number()) {
            return b->to_number<double>();
        }
    }
    return 0;
}

// One model of the catalog being built, with what the import needs beside its JSON.
struct Entry {
    std::string provider;
    std::string id_lower;
    std::string model;
    json::object json;             // without tier/batch/current, which are set last
    double input = 0, output = 0;  // base prices in force at as_of (for the tier heuristic)
};

struct Converted {
    std::vector<Entry> models;
    std::set<std::string> providers;
    std::vector<std::string> notes;  // what the conversion left out, for the source text
    std::string feed_name;           // "genai-prices" or "LiteLLM"
    std::string licence;
};

// ---- genai-prices ----

// The text prices of one genai-prices price set; other kinds go to `dropped`. nullopt without an input price.
std::optional<json::object> TextPrices(const json::object& src, std::set<std::string>& dropped) {
    json::object out;
    for (std::string_view key : kTextPrices) {
        if (const json::value* v = src.if_contains(key)) out[key] = *v;
    }
    if (!out.contains("cache_write_mtok")) {
        if (const json::value* v = src.if_contains("cache_write_5m_mtok")) out["cache_write_mtok"] = *v;
    }
    for (const auto& kv : src) {
        std::string_view k = kv.key();
        if (std::find(std::begin(kTextPrices), std::end(kTextPrices), k) == std::end(kTextPrices) &&
            k != "cache_write_5m_mtok") {
            dropped.insert(std::string(k));
        }
    }
    if (!out.contains("input_mtok")) return std::nullopt;
    return out;
}

// "16:30:00Z" → minutes after midnight.
std::optional<int> MinuteOfDay(std::string_view t) {
    if (t.size() < 5 || t[2] != ':' || !std::isdigit(static_cast<unsigned char>(t[0]))) return std::nullopt;
    int h = (t[0] - '0') * 10 + (t[1] - '0');
    int m = (t[3] - '0') * 10 + (t[4] - '0');
    if (h > 23 || m > 59) return std::nullopt;
    return h * 60 + m;
}

core::Result<Converted> FromGenaiPrices(const json::array& feed, core::Millis as_of,
                                        const std::set<std::string>& excluded_providers) {
    Converted c;
    c.feed_name = "genai-prices";
    c.licence = std::string(kGenaiPricesLicence);
    std::set<std::string> dropped_kinds;
    std::vector<std::string> dropped_kind_models;
    std::vector<std::string> no_text_price;
    std::vector<std::string> time_of_day;
    std::vector<const json::object*> providers;
    for (const json::value& p : feed) {
        if (!p.is_object() || !p.as_object().contains("id") || !p.as_object().contains("models")) {
            return FeedError("every provider needs an id and models");
        }
        providers.push_back(&p.as_object());
    }
    std::stable_sort(providers.begin(), providers.end(), [](const json::object* a, const json::object* b) {
        return ProviderBefore(Lower(json::value_to<std::string>(a->at("id"))),
                              Lower(json::value_to<std::string>(b->at("id"))));
    });
    for (const json::object* p : providers) {
        std::string provider = Lower(json::value_to<std::string>(p->at("id")));
        if (excluded_providers.contains(provider)) continue;
        if (!p->at("models").is_array()) return FeedError("provider '" + provider + "': models must be a list");
        for (const json::value& mv : p->at("models").as_array()) {
            if (!mv.is_object()) return FeedError("provider '" + provider + "': every model must be an object");
            const json::object& m = mv.as_object();
            auto model_id = core::GetString(m, "id");
            if (!model_id || model_id->empty()) return FeedError("provider '" + provider + "': a model has no id");
            std::string id = provider + "/" + *model_id;
            const json::value* match = m.if_contains("match");
            const json::value* prices = m.if_contains("prices");
            if (match == nullptr || prices == nullptr) return FeedError("model '" + id + "' needs match and prices");
            if (auto rule = MatchRule::FromJson(*match); !rule.ok()) {
                return FeedError("model '" + id + "': match: " + rule.error().message);
            }
            // Periods: the unconstrained price, dated prices (start_date → from) and time-of-day prices.
            std::optional<json::object> base;
            std::map<std::string, json::object> dated;
            std::set<std::string> dropped;
            bool missing_input = false;
            auto text = [&](const json::value& set) -> std::optional<json::object> {
                if (!set.is_object()) return std::nullopt;
                auto t = TextPrices(set.as_object(), dropped);
                if (!t) missing_input = true;
                return t;
            };
            if (prices->is_object()) {
                base = text(*prices);
            } else if (prices->is_array()) {
                for (const json::value& cp : prices->as_array()) {
                    if (!cp.is_object() || !cp.as_object().contains("prices")) {
                        return FeedError("model '" + id + "': a conditional price needs prices");
                    }
                    const json::object& cpo = cp.as_object();
                    auto set = text(cpo.at("prices"));
                    if (!set) continue;
                    const json::object* constraint = core::GetObject(cpo, "constraint");
                    if (constraint == nullptr) {
                        base = std::move(set);
                    } else if (auto start = core::GetString(*constraint, "start_date")) {
                        if (!ParseDate(*start)) {
                            return FeedError("model '" + id + "': start_date '" + *start + "' is not a date");
                        }
                        dated[*start] = std::move(*set);
                    } else if (constraint->contains("start_time") || constraint->contains("end_time")) {
                        // A daily window: the price in force for most of the day is kept as the list price.
                        auto from = MinuteOfDay(core::GetString(*constraint, "start_time").value_or(""));
                        auto to = MinuteOfDay(core::GetString(*constraint, "end_time").value_or(""));
                        if (!from || !to) return FeedError("model '" + id + "': unreadable time-of-day constraint");
                        int minutes = ((*to - *from) % 1440 + 1440) % 1440;
                        std::string window = core::GetString(*constraint, "start_time").value_or("") + "-" +
                                             core::GetString(*constraint, "end_time").value_or("");
                        if (minutes > 720) {
                            base = std::move(set);
                            time_of_day.push_back(id + " (kept the " + window + " price, in force " +
                                                  fmt::format("{:.0f}", minutes / 60.0) +
                                                  " h a day; dropped the rest of the day's)");
                        } else {
                            time_of_day.push_back(id + " (dropped the " + window + " price)");
                        }
                    } else {
                        return FeedError("model '" + id + "': unknown price constraint");
                    }
                }
            } else {
                return FeedError("model '" + id + "': prices must be an object or a list");
            }
            if (missing_input || (!base && dated.empty())) {
                no_text_price.push_back(id);
                continue;
            }
            if (!dropped.empty()) {
                dropped_kinds.insert(dropped.begin(), dropped.end());
                dropped_kind_models.push_back(id);
            }
            Entry e;
            e.provider = provider;
            e.model = *model_id;
            e.id_lower = Lower(id);
            e.json = json::object{{"id", id}, {"provider", provider}, {"model", *model_id}, {"match", *match}};
            if (auto window = core::GetInt(m, "context_window"); window && *window > 0) {
                e.json["context_window"] = *window;
            }
            // The prices in force at as_of: the last dated period begun by then, else the base one.
            const json::object* in_force = base ? &*base : &dated.begin()->second;
            for (const auto& [date, set] : dated) {
                if (*ParseDate(date) <= as_of) in_force = &set;
            }
            e.input = BasePrice(in_force->at("input_mtok"));
            e.output = in_force->contains("output_mtok") ? BasePrice(in_force->at("output_mtok")) : 0;
            if (dated.empty()) {
                e.json["prices"] = std::move(*base);
            } else {
                json::array periods;
                if (base) periods.push_back(json::object{{"prices", std::move(*base)}});
                for (auto& [date, set] : dated) periods.push_back(json::object{{"from", date}, {"prices", set}});
                e.json["prices"] = std::move(periods);
            }
            if (auto deprecated = core::GetBool(m, "deprecated"); deprecated && *deprecated) {
                e.json["deprecated"] = true;
            }
            c.providers.insert(provider);
            c.models.push_back(std::move(e));
        }
    }
    if (!dropped_kinds.empty()) {
        c.notes.push_back(fmt::format("Text prices only: the non-text prices of {} models were dropped ({}).",
                                      dropped_kind_models.size(), Join(dropped_kinds)));
    }
    if (!no_text_price.empty()) {
        c.notes.push_back(fmt::format("{} models without a text input price were left out ({}).", no_text_price.size(),
                                      Join(no_text_price)));
    }
    if (!time_of_day.empty()) {
        c.notes.push_back("Time-of-day prices are not modelled: " + Join(time_of_day, "; ") + ".");
    }
    c.notes.push_back("Dated price changes (genai-prices' start_date constraints) are kept as periods (`from`).");
    return c;
}

// ---- LiteLLM ----

// LiteLLM's provider names → ours ("vertex_ai-anthropic_models" → google, "bedrock_converse" → aws).
std::string LiteLlmProvider(std::string_view litellm) {
    std::string p = Lower(litellm);
    if (p.starts_with("vertex_ai")) return "google";
    if (p.starts_with("bedrock")) return "aws";
    if (p == "xai") return "x-ai";
    for (const auto& [alias, provider] : kProviderAliases) {
        if (alias == p) return std::string(provider);
    }
    return p;
}

core::Result<Converted> FromLiteLlm(const json::object& feed, std::string_view as_of) {
    Converted c;
    c.feed_name = "LiteLLM";
    c.licence = std::string(kLiteLlmLicence);
    std::size_t other_modes = 0, unpriced = 0, duplicates = 0;
    std::set<std::string> ids;
    // Per-token field → our price, and its "_above_<N>k_tokens" variants → a tier at N × 1000 tokens.
    const std::pair<std::string_view, std::string_view> fields[] = {
        {"input_cost_per_token", "input_mtok"},
        {"output_cost_per_token", "output_mtok"},
        {"cache_read_input_token_cost", "cache_read_mtok"},
        {"cache_creation_input_token_cost", "cache_write_mtok"},
        {"cache_creation_input_token_cost_above_1hr", "cache_write_1h_mtok"}};
    bool looks_like_litellm = false;
    for (const auto& kv : feed) {
        if (kv.key() != "sample_spec" && kv.value().is_object() &&
            (kv.value().as_object().contains("litellm_provider") ||
             kv.value().as_object().contains("input_cost_per_token"))) {
            looks_like_litellm = true;
            break;
        }
    }
    if (!looks_like_litellm) {
        return FeedError(
            "an object without LiteLLM entries (litellm_provider, input_cost_per_token): neither "
            "LiteLLM's model_prices_and_context_window.json nor a genai-prices feed (a list of "
            "providers)");
    }
    for (const auto& kv : feed) {
        std::string key(kv.key());
        if (key == "sample_spec" || !kv.value().is_object()) continue;
        const json::object& m = kv.value().as_object();
        std::string mode = core::GetString(m, "mode").value_or("");
        if (mode != "chat" && mode != "completion" && mode != "responses") {
            ++other_modes;
            continue;
        }
        const json::value* input = m.if_contains("input_cost_per_token");
        if (input == nullptr || !input->is_number()) {
            ++unpriced;
            continue;
        }
        std::string litellm_provider = core::GetString(m, "litellm_provider").value_or("");
        std::string provider = LiteLlmProvider(litellm_provider.empty() ? "unknown" : litellm_provider);
        // "azure/gpt-4o" → model "gpt-4o" when the prefix is the entry's provider; the key stays an alias.
        std::string model = key;
        if (auto slash = key.find('/'); slash != std::string::npos) {
            std::string head = Lower(key.substr(0, slash));
            if (head == Lower(litellm_provider) || LiteLlmProvider(head) == provider) model = key.substr(slash + 1);
        }
        std::string id = provider + "/" + model;
        if (!ids.insert(Lower(id)).second) {
            ++duplicates;
            continue;
        }
        json::object prices;
        for (const auto& [field, ours] : fields) {
            const json::value* v = m.if_contains(field);
            if (v == nullptr || !v->is_number()) continue;
            double base = PerMillion(v->to_number<double>());
            json::array tiers;
            for (const auto& other : m) {
                std::string_view k = other.key();
                std::string prefix = std::string(field) + "_above_";
                if (!k.starts_with(prefix) || !k.ends_with("k_tokens") || !other.value().is_number()) continue;
                std::string_view n = k.substr(prefix.size(), k.size() - prefix.size() - 8);
                if (n.empty() || !std::all_of(n.begin(), n.end(), [](char ch) { return std::isdigit(ch); })) continue;
                tiers.push_back(json::object{{"start", std::stoll(std::string(n)) * 1000},
                                             {"price", PerMillion(other.value().to_number<double>())}});
            }
            std::sort(tiers.begin(), tiers.end(), [](const json::value& a, const json::value& b) {
                return a.at("start").to_number<double>() < b.at("start").to_number<double>();
            });
            if (tiers.empty()) {
                prices[ours] = base;
            } else {
                prices[ours] = json::object{{"base", base}, {"tiers", std::move(tiers)}};
            }
        }
        Entry e;
        e.provider = provider;
        e.model = model;
        e.id_lower = Lower(id);
        e.input = BasePrice(prices.at("input_mtok"));
        e.output = prices.contains("output_mtok") ? BasePrice(prices.at("output_mtok")) : 0;
        e.json = json::object{{"id", id}, {"provider", provider}, {"model", model}};
        if (Lower(key) != Lower(model)) e.json["aliases"] = json::array{json::value(key)};
        if (auto window = core::GetInt(m, "max_input_tokens"); window && *window > 0) {
            e.json["context_window"] = *window;
        }
        e.json["prices"] = std::move(prices);
        // Batch prices → a discount relative to the standard ones.
        const json::value* batch_in = m.if_contains("input_cost_per_token_batches");
        const json::value* batch_out = m.if_contains("output_cost_per_token_batches");
        const json::value* out = m.if_contains("output_cost_per_token");
        std::optional<double> ratio;
        if (batch_in != nullptr && batch_in->is_number() && input->to_number<double>() > 0) {
            ratio = batch_in->to_number<double>() / input->to_number<double>();
        } else if (batch_out != nullptr && batch_out->is_number() && out != nullptr && out->is_number() &&
                   out->to_number<double>() > 0) {
            ratio = batch_out->to_number<double>() / out->to_number<double>();
        }
        if (ratio && *ratio >= 0 && *ratio < 1) {
            e.json["batch_discount"] = std::round((1 - *ratio) * 1e4) / 1e4;
            e.json["batch_source"] = "LiteLLM model_prices_and_context_window.json (input_cost_per_token_batches)";
        }
        if (auto deprecation = core::GetString(m, "deprecation_date");
            deprecation && deprecation->size() == 10 && *deprecation <= as_of) {
            e.json["deprecated"] = true;
        }
        c.providers.insert(provider);
        c.models.push_back(std::move(e));
    }
    std::stable_sort(c.models.begin(), c.models.end(),
                     [](const Entry& a, const Entry& b) { return ProviderBefore(a.provider, b.provider); });
    c.notes.push_back(fmt::format(
        "Chat, completion and responses models only ({} entries of other modes skipped); {} entries without an input "
        "price and {} whose provider/model repeated an earlier entry were skipped; per-token prices x 1e6; batch "
        "discounts from the *_batches prices.",
        other_modes, unpriced, duplicates));
    return c;
}

// ---- Overlay ----

struct OverlayEntry {
    std::size_t index = 0;
    std::string match;     // an id, lower-cased
    std::string provider;  // a provider-wide entry
    std::string model_prefix;
    const json::object* fields = nullptr;
    bool used = false;
};

struct Overlay {
    std::string source;
    std::set<std::string> excluded;  // provider ids
    std::vector<std::string> exclude_patterns;
    std::string exclude_reason;
    std::vector<OverlayEntry> entries;
};

constexpr std::string_view kOverlayEntryKeys[] = {
    "match",          "provider",   "model_prefix",       "batch_discount",
    "batch_source",   "tier",       "typical_latency_ms", "latency_source",
    "current",        "deprecated", "hosted_by",          "aliases",
    "context_window", "note"};

core::Result<Overlay> ParseOverlay(const json::object& root) {
    Overlay o;
    for (const auto& kv : root) {
        std::string_view k = kv.key();
        if (k != "source" && k != "exclude_providers" && k != "exclude_reason" && k != "models") {
            return OverlayError("unknown field '" + std::string(k) + "'");
        }
    }
    o.source = core::GetString(root, "source").value_or("");
    o.exclude_reason = core::GetString(root, "exclude_reason").value_or("");
    if (const json::value* ex = root.if_contains("exclude_providers")) {
        if (!ex->is_array()) return OverlayError("'exclude_providers' must be a list of provider ids");
        for (const json::value& p : ex->as_array()) {
            if (!p.is_string()) return OverlayError("'exclude_providers' must be a list of provider ids");
            o.exclude_patterns.push_back(Lower(p.as_string()));
        }
        if (!o.exclude_patterns.empty() && o.exclude_reason.empty()) {
            return OverlayError("'exclude_providers' needs an 'exclude_reason'");
        }
    }
    const json::value* models = root.if_contains("models");
    if (models == nullptr) return o;
    if (!models->is_array()) return OverlayError("'models' must be a list");
    for (const json::value& v : models->as_array()) {
        OverlayEntry e;
        e.index = o.entries.size();
        std::string where = "models[" + std::to_string(e.index) + "]";
        if (!v.is_object()) return OverlayError(where + " must be an object");
        const json::object& f = v.as_object();
        e.fields = &f;
        for (const auto& kv : f) {
            if (std::find(std::begin(kOverlayEntryKeys), std::end(kOverlayEntryKeys), kv.key()) ==
                std::end(kOverlayEntryKeys)) {
                return OverlayError(where + ": unknown field '" + std::string(kv.key()) + "'");
            }
        }
        e.match = Lower(core::GetString(f, "match").value_or(""));
        e.provider = Lower(core::GetString(f, "provider").value_or(""));
        e.model_prefix = Lower(core::GetString(f, "model_prefix").value_or(""));
        if (e.match.empty() == e.provider.empty()) {
            return OverlayError(where + " needs either 'match' (a model id) or 'provider'");
        }
        where += " ('" + (e.match.empty() ? e.provider : e.match) + "')";
        if (f.contains("batch_discount")) {
            const json::value& b = f.at("batch_discount");
            if (!b.is_number() || b.to_number<double>() < 0 || b.to_number<double>() > 1) {
                return OverlayError(where + ": 'batch_discount' must be a number from 0 to 1");
            }
            if (core::GetString(f, "batch_source").value_or("").empty()) {
                return OverlayError(where + ": 'batch_discount' needs a 'batch_source'");
            }
        }
        if (f.contains("typical_latency_ms") && core::GetString(f, "latency_source").value_or("").empty()) {
            return OverlayError(where + ": 'typical_latency_ms' needs a 'latency_source'");
        }
        if (auto tier = core::GetString(f, "tier");
            f.contains("tier") && (!tier || (*tier != "frontier" && *tier != "mid" && *tier != "small"))) {
            return OverlayError(where + ": 'tier' must be frontier, mid or small");
        }
        for (std::string_view flag : {"current", "deprecated"}) {
            if (f.contains(flag) && !f.at(flag).is_bool()) {
                return OverlayError(where + ": '" + std::string(flag) + "' must be true or false");
            }
        }
        o.entries.push_back(e);
    }
    return o;
}

bool Excluded(const Overlay& o, const std::string& provider) {
    for (const auto& p : o.exclude_patterns) {
        if (p.ends_with('*') ? provider.starts_with(p.substr(0, p.size() - 1)) : provider == p) return true;
    }
    return false;
}

// Copies an overlay entry's fields onto a model.
void ApplyOverlay(const json::object& f, json::object& model) {
    for (std::string_view key : {"batch_discount", "batch_source", "tier", "typical_latency_ms", "current",
                                 "deprecated", "hosted_by", "context_window"}) {
        if (const json::value* v = f.if_contains(key)) model[key] = *v;
    }
    if (const json::value* aliases = f.if_contains("aliases"); aliases != nullptr && aliases->is_array()) {
        json::array& dest =
            model["aliases"].is_array() ? model["aliases"].as_array() : model["aliases"].emplace_array();
        for (const auto& a : aliases->as_array()) dest.push_back(a);
    }
}

std::string Today() { return core::FormatRfc3339Ms(core::NowMs()).substr(0, 10); }

// ---- Writing ----

void WriteValue(const json::value& v, std::string& out);

// A JSON string in ASCII: characters beyond it as \uXXXX escapes (the bundled copy is cut into pieces by byte).
void WriteString(std::string_view s, std::string& out) {
    std::string quoted = json::serialize(json::string(s));
    for (std::size_t i = 0; i < quoted.size();) {
        auto c = static_cast<unsigned char>(quoted[i]);
        if (c < 0x80) {
            out += quoted[i++];
            continue;
        }
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
        std::uint32_t cp = c & (0x3F >> extra);
        for (int k = 1; k <= extra && i + k < quoted.size(); ++k) {
            cp = (cp << 6) | (static_cast<unsigned char>(quoted[i + k]) & 0x3F);
        }
        i += extra + 1;
        if (cp >= 0x10000) {
            cp -= 0x10000;
            out += fmt::format("\\u{:04x}\\u{:04x}", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
        } else {
            out += fmt::format("\\u{:04x}", cp);
        }
    }
}

void WriteValue(const json::value& v, std::string& out) {
    switch (v.kind()) {
        case json::kind::null:
            out += "null";
            break;
        case json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            break;
        case json::kind::int64:
            out += std::to_string(v.get_int64());
            break;
        case json::kind::uint64:
            out += std::to_string(v.get_uint64());
            break;
        case json::kind::double_: {
            double d = v.get_double();
            if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15) {
                out += std::to_string(static_cast<std::int64_t>(d));
            } else {
                out += fmt::format("{}", d);
            }
            break;
        }
        case json::kind::string:
            WriteString(v.get_string(), out);
            break;
        case json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& item : v.get_array()) {
                if (!first) out += ',';
                first = false;
                WriteValue(item, out);
            }
            out += ']';
            break;
        }
        case json::kind::object: {
            out += '{';
            bool first = true;
            for (const auto& kv : v.get_object()) {
                if (!first) out += ',';
                first = false;
                WriteString(kv.key(), out);
                out += ':';
                WriteValue(kv.value(), out);
            }
            out += '}';
            break;
        }
    }
}

}  // namespace

core::Result<json::object> ImportCatalog(std::string_view feed_json, std::string_view overlay_json,
                                         std::string_view as_of_text) {
    std::string as_of = as_of_text.empty() ? Today() : std::string(as_of_text);
    auto as_of_ms = ParseDate(as_of);
    if (!as_of_ms) return MakeError(ErrorCode::kInvalidRequest, "as_of '" + as_of + "' is not a YYYY-MM-DD date");
    Overlay overlay;
    json::value overlay_root;
    if (!overlay_json.empty()) {
        auto parsed = core::ParseJson(overlay_json);
        if (!parsed.ok()) return OverlayError(parsed.error().message);
        overlay_root = std::move(*parsed);
        if (!overlay_root.is_object()) return OverlayError("must be a JSON object");
        auto o = ParseOverlay(overlay_root.as_object());
        if (!o.ok()) return o.error();
        overlay = std::move(*o);
    }
    core::JsonLimits limits;
    limits.max_depth = 128;
    auto feed = core::ParseJson(feed_json, limits);
    if (!feed.ok()) return FeedError(feed.error().message);

    // The feed's providers, to apply the overlay's exclusions by id before converting.
    std::set<std::string> excluded;
    core::Result<Converted> converted = FeedError(
        "not a genai-prices feed (a list of providers) nor LiteLLM's "
        "model_prices_and_context_window.json (an object of models)");
    if (feed->is_array()) {
        for (const json::value& p : feed->as_array()) {
            if (p.is_object()) {
                std::string id = Lower(core::GetString(p.as_object(), "id").value_or(""));
                if (Excluded(overlay, id)) excluded.insert(id);
            }
        }
        converted = FromGenaiPrices(feed->as_array(), *as_of_ms, excluded);
    } else if (feed->is_object()) {
        converted = FromLiteLlm(feed->as_object(), as_of);
        if (converted.ok()) {
            auto& models = converted->models;
            for (const auto& m : models) {
                if (Excluded(overlay, m.provider)) excluded.insert(m.provider);
            }
            std::erase_if(models, [&](const Entry& e) { return excluded.contains(e.provider); });
            for (const auto& p : excluded) converted->providers.erase(p);
        }
    }
    if (!converted.ok()) return converted.error();
    Converted& c = *converted;
    if (c.models.empty()) return FeedError("no model with a text price was found");

    // Overlay: provider-wide entries first, then model entries (which take precedence).
    std::unordered_map<std::string, std::size_t> by_id;
    for (std::size_t i = 0; i < c.models.size(); ++i) {
        if (!by_id.emplace(c.models[i].id_lower, i).second) {
            return FeedError("model id '" + c.models[i].id_lower + "' appears twice");
        }
    }
    for (auto& e : overlay.entries) {
        if (e.provider.empty()) continue;
        for (auto& m : c.models) {
            if (m.provider == e.provider && Lower(m.model).starts_with(e.model_prefix)) {
                ApplyOverlay(*e.fields, m.json);
                e.used = true;
            }
        }
    }
    for (auto& e : overlay.entries) {
        if (e.match.empty()) continue;
        if (auto it = by_id.find(e.match); it != by_id.end()) {
            ApplyOverlay(*e.fields, c.models[it->second].json);
            e.used = true;
        }
    }
    for (const auto& e : overlay.entries) {
        if (!e.used) {
            return OverlayError(
                "models[" + std::to_string(e.index) + "] ('" +
                (e.match.empty() ? e.provider + (e.model_prefix.empty() ? "" : "/" + e.model_prefix + "*") : e.match) +
                "') matches no model of the feed");
        }
    }

    json::array models;
    std::size_t current = 0;
    for (auto& m : c.models) {
        if (!m.json.contains("tier")) m.json["tier"] = TierName(TierFromPrices(m.input, m.output));
        if (m.json.contains("current") && m.json.at("current").as_bool()) ++current;
        json::object ordered;
        for (std::string_view key : kModelKeyOrder) {
            if (const json::value* v = m.json.if_contains(key)) ordered[key] = *v;
        }
        models.push_back(std::move(ordered));
    }
    std::vector<std::string> providers(c.providers.begin(), c.providers.end());
    std::sort(providers.begin(), providers.end(), ProviderBefore);
    json::object aliases;
    for (const auto& [alias, provider] : kProviderAliases) {
        if (c.providers.contains(std::string(provider)) && !c.providers.contains(std::string(alias))) {
            aliases[alias] = provider;
        }
    }

    std::string source =
        "Derived with `netra catalog import` from the " +
        (c.feed_name == "genai-prices" ? std::string("genai-prices price feed (github.com/pydantic/genai-prices, "
                                                     "prices/new_data/v2/data_slim.json)")
                                       : std::string("LiteLLM price list (github.com/BerriAI/litellm, "
                                                     "model_prices_and_context_window.json)")) +
        " as of " + as_of + "; licence notice in `licence`. List prices in USD per million tokens. " +
        "Providers, in resolution order (first-party first, then clouds, then resellers and hosts): " +
        Join(providers) + ".";
    if (!excluded.empty()) {
        source += " Left out: " + Join(excluded) + " (" + overlay.exclude_reason + ").";
    }
    for (const auto& n : c.notes) source += " " + n;
    source += fmt::format(
        " Tiers where neither feed nor overlay gives one: blended = 0.75 x input + 0.25 x output per Mtok, >= $4 "
        "frontier, >= $0.50 mid, else small. {} models are marked current (recommendable today).",
        current);
    if (!overlay.source.empty()) source += " Overlay: " + overlay.source;

    return json::object{{"version", 2},
                        {"as_of", as_of},
                        {"source", source},
                        {"licence", c.licence},
                        {"currency", "USD"},
                        {"unit", "per 1M tokens"},
                        {"provider_aliases", std::move(aliases)},
                        {"models", std::move(models)}};
}

std::string FormatCatalogJson(const json::object& catalog) {
    std::string out = "{\n";
    bool first = true;
    for (const auto& kv : catalog) {
        if (!first) out += ",\n";
        first = false;
        WriteString(kv.key(), out);
        out += ": ";
        if (kv.key() == "models" && kv.value().is_array()) {
            out += "[\n";
            bool first_model = true;
            for (const auto& m : kv.value().as_array()) {
                if (!first_model) out += ",\n";
                first_model = false;
                out += "  ";
                WriteValue(m, out);
            }
            out += "\n]";
        } else {
            WriteValue(kv.value(), out);
        }
    }
    out += "\n}\n";
    return out;
}

}  // namespace netra::analysis

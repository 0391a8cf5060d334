#include "agents/triage.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cmath>
#include <regex>

namespace netra::agents {
namespace {

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// "40,000" / "1.5" with an optional k/m/b suffix.
double ParseAmount(const std::string& number, const std::string& suffix) {
    std::string digits;
    for (char c : number) {
        if (c != ',') digits.push_back(c);
    }
    double v = std::stod(digits);
    std::string s = Lower(suffix);
    if (s == "k" || s == "thousand") v *= 1e3;
    if (s == "m" || s == "mm" || s == "million") v *= 1e6;
    if (s == "b" || s == "billion") v *= 1e9;
    return v;
}

// Converts a per-period figure to a 30-day month.
double PerMonth(double v, const std::string& period) {
    std::string p = Lower(period);
    if (p.find("day") != std::string::npos || p == "daily" || p == "d") return v * 30;
    if (p.find("week") != std::string::npos) return v * 30.0 / 7.0;
    if (p.find("year") != std::string::npos || p == "annually" || p == "yr") return v / 12;
    if (p.find("hour") != std::string::npos || p == "hr" || p == "h") return v * 24 * 30;
    if (p.find("sec") != std::string::npos || p == "s") return v * 86400 * 30;
    return v;
}

const std::string kNumber = R"(([0-9][0-9,]*(?:\.[0-9]+)?)\s*(k|m|mm|b|thousand|million|billion)?\b)";
const std::string kPeriod =
    R"((?:/|per|a|an|each|every)\s*(month|mo|day|daily|week|year|yr|hour|hr|second|sec|s|d|h)\b|(monthly|daily|weekly|annually|yearly))";

struct ModelName {
    const char* pattern;
    const char* canonical;
    const char* provider;
};

// Canonical names and common spellings; the supply catalog (issue 3) extends this with its aliases.
const ModelName kModels[] = {
    {R"(gpt[- ]?4o[- ]?mini)", "gpt-4o-mini", "openai"},
    {R"(gpt[- ]?4o)", "gpt-4o", "openai"},
    {R"(gpt[- ]?4\.1[- ]?mini)", "gpt-4.1-mini", "openai"},
    {R"(gpt[- ]?4\.1)", "gpt-4.1", "openai"},
    {R"(gpt[- ]?4[- ]?turbo)", "gpt-4-turbo", "openai"},
    {R"(gpt[- ]?4\b)", "gpt-4", "openai"},
    {R"(gpt[- ]?3\.5)", "gpt-3.5-turbo", "openai"},
    {R"(\bo1[- ]?mini\b)", "o1-mini", "openai"},
    {R"(\bo3[- ]?mini\b)", "o3-mini", "openai"},
    {R"(claude[- ]?3[.-]5[- ]?sonnet|claude 3\.5 sonnet|sonnet 3\.5)", "claude-3-5-sonnet", "anthropic"},
    {R"(claude[- ]?3[.-]5[- ]?haiku|claude 3\.5 haiku|haiku 3\.5)", "claude-3-5-haiku", "anthropic"},
    {R"(claude[- ]?3[- ]?opus|\bopus\b)", "claude-3-opus", "anthropic"},
    {R"(claude[- ]?3[- ]?haiku)", "claude-3-haiku", "anthropic"},
    {R"(gemini[- ]?1\.5[- ]?pro)", "gemini-1.5-pro", "google"},
    {R"(gemini[- ]?1\.5[- ]?flash)", "gemini-1.5-flash", "google"},
    {R"(llama[- ]?3)", "llama-3-70b", "meta"},
    {R"(mistral[- ]?large)", "mistral-large", "mistral"},
};

const std::pair<const char*, const char*> kProviders[] = {
    {"openai", "openai"}, {"anthropic", "anthropic"}, {"google", "google"},   {"vertex", "google"},
    {"azure", "azure"},   {"bedrock", "aws"},         {"mistral", "mistral"}, {"cohere", "cohere"},
};

const std::pair<const char*, const char*> kUseCases[] = {
    {"customer support", "customer_support"},
    {"support", "customer_support"},
    {"chatbot", "chatbot"},
    {"summar", "summarization"},
    {"classif", "classification"},
    {"extraction", "extraction"},
    {"code", "code_generation"},
    {"rag", "rag"},
    {"retrieval", "rag"},
    {"search", "search"},
    {"translation", "translation"},
    {"agent", "agents"},
};

void AddUnique(std::vector<std::string>& v, const std::string& s) {
    if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

bool ContainsAny(const std::string& text, std::initializer_list<const char*> words) {
    return std::any_of(words.begin(), words.end(), [&](const char* w) { return text.find(w) != std::string::npos; });
}

}  // namespace

namespace {

bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_'; }

bool IsModelIdChar(char c) { return IsNameChar(c) || c == '.' || c == '/' || c == ':' || c == '@'; }

// Finds model ids in `text` by asking the catalog about each word that looks like one (letters and digits, with a
// dash or a digit: "gpt-4.1-nano", "claude-3-haiku-20240307", "openai/gpt-5"), so its match rules resolve dated
// ids and provider spellings as they do for usage logs. Each match is blanked so the common-spelling patterns
// below do not count it again.
void MatchCatalogModels(std::string& text, const analysis::Catalog& catalog, ExtractedFacts& f) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (!IsModelIdChar(text[pos])) {
            ++pos;
            continue;
        }
        std::size_t end = pos;
        while (end < text.size() && IsModelIdChar(text[end])) ++end;
        std::size_t word_end = end;
        while (word_end > pos && std::string_view(".:/@").find(text[word_end - 1]) != std::string_view::npos) {
            --word_end;  // sentence punctuation
        }
        std::string_view word(text.data() + pos, word_end - pos);
        const bool digit = std::any_of(word.begin(), word.end(),
                                       [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
        const bool alpha = std::any_of(word.begin(), word.end(),
                                       [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
        const bool dash = word.find('-') != std::string_view::npos;
        if (word.size() >= 3 && alpha && (digit || dash)) {
            if (const analysis::CatalogModel* model = catalog.Find(word); model != nullptr) {
                AddUnique(f.models, model->model);
                AddUnique(f.providers, model->provider);
                std::fill(text.begin() + static_cast<std::ptrdiff_t>(pos),
                          text.begin() + static_cast<std::ptrdiff_t>(word_end), ' ');
            }
        }
        pos = end;
    }
}

}  // namespace

ExtractedFacts ExtractFacts(const std::vector<std::string>& messages, const analysis::Catalog* catalog) {
    static const std::regex kSpendRe(R"((\$|usd\s*)\s*)" + kNumber + R"(\s*(?:usd|dollars)?\s*)" + kPeriod,
                                     std::regex::icase);
    static const std::regex kSpendUsdRe(kNumber + R"(\s*(?:usd|dollars)\s*)" + kPeriod, std::regex::icase);
    static const std::regex kRequestsRe(
        kNumber + R"(\s*(?:api\s+)?(?:requests|calls|queries|messages|conversations|req)\s*)" + kPeriod,
        std::regex::icase);
    static const std::regex kTokensPerReqRe(
        kNumber +
            R"(\s*(?:input\s+|output\s+|prompt\s+)?tokens?\s*(?:per|/|each|an?)\s*(?:request|call|query|message))",
        std::regex::icase);
    static const std::regex kTokenVolumeRe(kNumber + R"(\s*tokens?\s*)" + kPeriod, std::regex::icase);
    static const std::regex kLatencyRe(
        R"((p50|p90|p95|p99)?\s*(?:latency\s*)?(?:under|below|<|less than|within|of)\s*)" +
            std::string(R"(([0-9][0-9,]*(?:\.[0-9]+)?)\s*(ms|milliseconds|s|sec|seconds)\b)"),
        std::regex::icase);
    static const std::regex kTimeRangeRe(R"((last|past)\s+([0-9]+\s+)?(day|week|month|quarter|year)s?)",
                                         std::regex::icase);

    ExtractedFacts f;
    for (const auto& original : messages) {
        std::string text = Lower(original);
        std::smatch m;
        if (std::regex_search(text, m, kSpendRe)) {
            f.monthly_spend_usd = PerMonth(ParseAmount(m[2], m[3]), m[4].matched ? m[4].str() : m[5].str());
        } else if (std::regex_search(text, m, kSpendUsdRe)) {
            f.monthly_spend_usd = PerMonth(ParseAmount(m[1], m[2]), m[3].matched ? m[3].str() : m[4].str());
        }
        if (std::regex_search(text, m, kRequestsRe)) {
            f.monthly_requests = PerMonth(ParseAmount(m[1], m[2]), m[3].matched ? m[3].str() : m[4].str());
        }
        if (std::regex_search(text, m, kTokensPerReqRe)) f.tokens_per_request = ParseAmount(m[1], m[2]);
        if (std::regex_search(text, m, kTokenVolumeRe)) {
            f.monthly_tokens = PerMonth(ParseAmount(m[1], m[2]), m[3].matched ? m[3].str() : m[4].str());
        }
        if (std::regex_search(text, m, kLatencyRe)) {
            double v = ParseAmount(m[2], "");
            std::string unit = m[3];
            f.latency_target_ms = unit == "ms" || unit == "milliseconds" ? v : v * 1000;
            if (m[1].matched) f.latency_percentile = m[1].str();
        }
        if (ContainsAny(text, {"quality", "accuracy", "must not degrade", "without losing"})) {
            f.quality_constraint = "stated";
        }
        if (std::regex_search(text, m, kTimeRangeRe)) f.time_range = m[0].str();
        // Exact catalog names and aliases first ("gpt-4.1-nano" must not become "gpt-4.1"), then the common
        // spellings the patterns below tolerate ("GPT 4o", "sonnet 3.5").
        if (catalog != nullptr) MatchCatalogModels(text, *catalog, f);
        static const std::vector<std::regex> kModelRes = [] {
            std::vector<std::regex> res;
            for (const auto& model : kModels) res.emplace_back(model.pattern, std::regex::icase);
            return res;
        }();
        for (std::size_t i = 0; i < kModelRes.size(); ++i) {
            if (std::regex_search(text, kModelRes[i])) {
                AddUnique(f.models, kModels[i].canonical);
                AddUnique(f.providers, kModels[i].provider);
                // Longer names are listed first; removing what matched keeps "gpt-4o" from also being "gpt-4".
                text = std::regex_replace(text, kModelRes[i], " ");
            }
        }
        for (const auto& [word, provider] : kProviders) {
            if (text.find(word) != std::string::npos) AddUnique(f.providers, provider);
        }
        if (!f.use_case) {
            for (const auto& [word, use_case] : kUseCases) {
                if (text.find(word) != std::string::npos) {
                    f.use_case = use_case;
                    break;
                }
            }
        }
    }
    return f;
}

namespace {

std::string Classify(const std::string& all, const ExtractedFacts& f, double& confidence) {
    struct Score {
        const char* category;
        int hits;
    };
    std::vector<Score> scores = {
        {"cost_optimization", static_cast<int>(ContainsAny(
                                  all, {"cost", "spend", "save", "saving", "cheaper", "budget", "bill", "expensive"})) *
                                      2 +
                                  (f.monthly_spend_usd ? 1 : 0)},
        {"performance_optimization",
         static_cast<int>(ContainsAny(all, {"latency", "slow", "faster", "throughput", "speed", "p95", "p99"})) * 2 +
             (f.latency_target_ms ? 1 : 0)},
        {"model_selection", static_cast<int>(ContainsAny(
                                all, {"which model", "choose", "compare", "switch", "alternative", "best model"})) *
                                2},
        {"workload_analysis",
         static_cast<int>(ContainsAny(all, {"analyze", "analyse", "usage pattern", "workload", "traffic"})) * 2},
        {"monitoring_reporting",
         static_cast<int>(ContainsAny(all, {"monitor", "dashboard", "alert", "report on", "track"})) * 2},
    };
    auto best =
        std::max_element(scores.begin(), scores.end(), [](const Score& a, const Score& b) { return a.hits < b.hits; });
    if (best->hits == 0) {
        confidence = 0.5;
        return "general";
    }
    int total = 0;
    for (const auto& s : scores) total += s.hits;
    confidence = std::min(0.95, 0.5 + 0.45 * best->hits / std::max(total, 1));
    return best->category;
}

}  // namespace

const std::vector<std::string>& TriageCategories() {
    static const std::vector<std::string> kCategories = {"cost_optimization",    "performance_optimization",
                                                         "model_selection",      "workload_analysis",
                                                         "monitoring_reporting", "general"};
    return kCategories;
}

namespace {

// Whether `value` is a number the text states: as written, times a k/M/B multiplier, or that times 30 (a daily
// figure given where a monthly one is meant), within 1 %.
bool StatedIn(double value, const std::string& text) {
    static const std::regex kNumberRe(R"(([0-9][0-9,]*(?:\.[0-9]+)?)\s*(k|m|b|thousand|million|billion)?\b)",
                                      std::regex::icase);
    if (!(value > 0)) return false;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), kNumberRe); it != std::sregex_iterator(); ++it) {
        std::string digits;
        for (char c : (*it)[1].str()) {
            if (c != ',') digits += c;
        }
        double n = std::strtod(digits.c_str(), nullptr);
        std::string unit = Lower((*it)[2].str());
        double multiplier = unit.empty()                          ? 1
                            : (unit == "k" || unit == "thousand") ? 1e3
                            : (unit == "m" || unit == "million")  ? 1e6
                                                                  : 1e9;
        for (double candidate : {n, n * multiplier, n * multiplier * 30}) {
            if (candidate > 0 && std::abs(candidate - value) <= 0.01 * candidate) return true;
        }
    }
    return false;
}

}  // namespace

std::vector<std::string> MergeStatedFacts(ExtractedFacts& facts, const boost::json::object& model_facts,
                                          const std::vector<std::string>& messages) {
    std::string all;
    for (const auto& m : messages) all += m + "\n";
    std::vector<std::string> taken;
    auto merge = [&](const char* key, std::optional<double>& slot) {
        const auto* v = model_facts.if_contains(key);
        if (slot || v == nullptr || !v->is_number()) return;
        double value = v->to_number<double>();
        if (!StatedIn(value, all)) return;
        slot = value;
        taken.emplace_back(key);
    };
    merge("monthly_spend_usd", facts.monthly_spend_usd);
    merge("monthly_requests", facts.monthly_requests);
    merge("tokens_per_request", facts.tokens_per_request);
    merge("monthly_tokens", facts.monthly_tokens);
    merge("latency_target_ms", facts.latency_target_ms);
    return taken;
}

TriageResult Triage(const std::vector<std::string>& messages, bool has_dataset, const analysis::Catalog* catalog,
                    const std::optional<std::string>& category, const std::optional<ExtractedFacts>& facts) {
    TriageResult r;
    r.has_dataset = has_dataset;
    r.facts = facts ? *facts : ExtractFacts(messages, catalog);
    std::string all;
    for (const auto& m : messages) all += Lower(m) + "\n";
    r.category = Classify(all, r.facts, r.confidence);
    if (category && *category != r.category) {
        r.category = *category;
        r.classified_by = "llm";
    }
    const auto& f = r.facts;

    std::vector<std::pair<std::string, bool>> needed;
    if (r.category == "performance_optimization") {
        needed = {{"latency_target", f.latency_target_ms.has_value()},
                  {"models", !f.models.empty()},
                  {"request_volume", f.monthly_requests.has_value()},
                  {"tokens", f.tokens_per_request || f.monthly_tokens},
                  {"use_case", f.use_case.has_value()}};
    } else {
        // Cost optimization's six facts (§8); the other analytical categories need the same picture.
        needed = {{"monthly_spend", f.monthly_spend_usd.has_value()},
                  {"models", !f.models.empty()},
                  {"request_volume", f.monthly_requests.has_value()},
                  {"tokens", f.tokens_per_request || f.monthly_tokens},
                  {"quality_or_latency_constraint", f.quality_constraint || f.latency_target_ms},
                  {"use_case", f.use_case.has_value()}};
    }
    for (const auto& [name, present] : needed) (present ? r.facts_present : r.facts_missing).push_back(name);
    r.completeness = static_cast<double>(r.facts_present.size()) / static_cast<double>(needed.size());
    if (r.category == "general") {
        r.sufficiency = has_dataset ? "sufficient" : "insufficient";
    } else if (has_dataset || r.completeness >= 0.8) {
        r.sufficiency = "sufficient";
    } else if (r.completeness >= 0.4) {
        r.sufficiency = "partial";
    } else {
        r.sufficiency = "insufficient";
    }
    r.priority =
        f.monthly_spend_usd && *f.monthly_spend_usd >= 10000 ? "high" : (r.category == "general" ? "low" : "medium");
    return r;
}

boost::json::object FactsToJson(const ExtractedFacts& f) {
    boost::json::object o;
    auto put = [&](const char* key, const auto& opt) {
        if (opt)
            o[key] = *opt;
        else
            o[key] = nullptr;
    };
    put("monthly_spend_usd", f.monthly_spend_usd);
    put("monthly_requests", f.monthly_requests);
    put("tokens_per_request", f.tokens_per_request);
    put("monthly_tokens", f.monthly_tokens);
    put("latency_target_ms", f.latency_target_ms);
    put("latency_percentile", f.latency_percentile);
    put("quality_constraint", f.quality_constraint);
    put("use_case", f.use_case);
    put("time_range", f.time_range);
    boost::json::array models, providers;
    for (const auto& m : f.models) models.emplace_back(m);
    for (const auto& p : f.providers) providers.emplace_back(p);
    o["models"] = std::move(models);
    o["providers"] = std::move(providers);
    return o;
}

boost::json::object TriageToJson(const TriageResult& r) {
    boost::json::object o;
    o["category"] = r.category;
    o["classified_by"] = r.classified_by;
    o["priority"] = r.priority;
    o["confidence"] = r.confidence;
    o["entities"] = FactsToJson(r.facts);
    boost::json::array present, missing;
    for (const auto& s : r.facts_present) present.emplace_back(s);
    for (const auto& s : r.facts_missing) missing.emplace_back(s);
    o["facts_present"] = std::move(present);
    o["facts_missing"] = std::move(missing);
    o["completeness"] = r.completeness;
    o["data_sufficiency"] = r.sufficiency;
    o["has_dataset"] = r.has_dataset;
    return o;
}

}  // namespace netra::agents

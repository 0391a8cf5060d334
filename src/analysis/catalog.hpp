#pragma once
// The supply catalog (§9): providers' published list prices per model, loaded from a JSON data file
// (data/catalog.json, derived from the genai-prices snapshot by scripts/derive-catalog.sh, is bundled into the
// binary; operators override it with --catalog FILE). Models resolve through match rules (dated ids, provider
// prefixes, Bedrock and Vertex spellings); prices may be tiered by prompt size and may change on a date.
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"

namespace netra::analysis {

enum class Tier { kSmall = 0, kMid = 1, kFrontier = 2 };

std::string_view TierName(Tier tier);

// The tier a source without one implies, from the base prices per million tokens (a stated heuristic; the catalog
// file or the import overlay may set it per model): blended = 0.75 × input + 0.25 × output; ≥ $4 frontier,
// ≥ $0.50 mid, otherwise small.
Tier TierFromPrices(double input_per_mtok, double output_per_mtok);

// A price per million tokens, optionally tiered by the request's prompt size: a request whose input tokens
// (cache reads and writes included) exceed a tier's `start` pays that tier's price for all of its tokens of this
// kind (genai-prices' semantics).
struct TieredPrice {
    double base = 0;
    struct Step {
        std::int64_t start = 0;
        double price = 0;
    };
    std::vector<Step> tiers;  // ascending start
    double At(std::int64_t request_input_tokens) const;
    // The first tier's price (the long-context price), or base when untiered.
    double LongContext() const { return tiers.empty() ? base : tiers.front().price; }
};

// The prices in force over one period. Absent prices fall back as the providers bill: cache read → input,
// cache write 5 min → input, cache write 1 h → cache write 5 min.
struct PriceSet {
    TieredPrice input;
    TieredPrice output;
    std::optional<TieredPrice> cache_read;
    std::optional<TieredPrice> cache_write;     // 5-minute lifetime (Anthropic's default)
    std::optional<TieredPrice> cache_write_1h;  // 1-hour lifetime
};

struct PricePeriod {
    std::optional<core::Millis> from;  // inclusive UTC start; absent for the first period
    PriceSet prices;
};

// A model-id match rule, as genai-prices writes them: equals / starts_with / ends_with / contains / regex
// (ECMAScript), or / and of rules. Compared case-insensitively.
class MatchRule {
  public:
    enum class Kind { kEquals, kStartsWith, kEndsWith, kContains, kRegex, kOr, kAnd };
    static core::Result<MatchRule> FromJson(const boost::json::value& json);
    boost::json::value ToJson() const;
    bool Matches(std::string_view lower_name) const;
    Kind kind() const { return kind_; }

  private:
    Kind kind_ = Kind::kEquals;
    std::string text_;  // lower-cased; a regex's pattern as written (it is compiled case-insensitive)
    std::vector<MatchRule> children_;
    std::shared_ptr<const void> regex_;  // std::regex, kept out of this header
};

struct CatalogModel {
    std::string id;        // "openai/gpt-5"
    std::string provider;  // "openai"
    std::string model;     // canonical name, "gpt-5"
    std::vector<std::string> aliases;
    std::optional<MatchRule> match;    // beyond the names above
    std::vector<PricePeriod> periods;  // at least one; ascending `from`
    // The prices in force as of the catalog's date, base tier (what the listing shows and strategies compare).
    double input_per_mtok = 0;
    double output_per_mtok = 0;
    double cached_input_per_mtok = 0;  // prompt-cache reads; equal to input when the provider has none
    double cache_write_per_mtok = 0;   // 5-minute writes; equal to input when the provider does not charge them
    double cache_write_1h_per_mtok = 0;
    bool has_cache_read_price = false;  // the provider publishes a cache-read price (prompt caching exists)
    double batch_discount = 0;          // 0.5 = the batch API halves the price
    std::string batch_source;           // where the batch discount comes from (the overlay names it)
    std::int64_t context_window = 0;    // 0 = unknown
    Tier tier = Tier::kMid;
    double typical_latency_ms = 0;  // 0 = unknown
    bool current = false;           // a model worth recommending today (the overlay's list); right-sizing picks these
    bool deprecated = false;        // the source marks it deprecated
    std::string hosted_by;          // for open-weight models: whose prices these are
    std::size_t as_of_period = 0;   // index in `periods` of the prices in force at the catalog's as_of date

    // The period in force at `ts` (the last whose `from` ≤ ts; the first when none has begun); ts ≤ 0 means
    // "unknown": the period in force at the catalog's as_of date.
    const PriceSet& PricesAt(core::Millis ts) const;
};

// Which price tier a call pays where prices are tiered by prompt size.
enum class ContextTier {
    kByPromptSize,  // the request's prompt size decides (input / requests)
    kStandard,      // the base price: the export says so ("0-200k"), or it does not count requests
    kLong,          // the first long-context tier: the export says so ("200k-1M")
};

// One call's (or, for aggregate rows, one bucket's) tokens in the §9 convention: `input` includes cache reads and
// writes. With kByPromptSize a tier applies by the request's prompt size, input / requests: `requests` > 1 prices
// each request of a bucket at the bucket's average prompt size; `requests` 0 (a bucket that does not count its
// calls) cannot tell a prompt's size and pays the base price.
struct TokenUsage {
    std::int64_t input = 0;
    std::int64_t cache_read = 0;
    std::int64_t cache_write_5m = 0;
    std::int64_t cache_write_1h = 0;
    std::int64_t output = 0;
    std::int64_t requests = 1;
    bool batch = false;
    ContextTier context = ContextTier::kByPromptSize;
    core::Millis ts = 0;  // chooses the price period (0: the period in force at the catalog's as_of date)
};

class Catalog {
  public:
    Catalog();
    Catalog(Catalog&&) noexcept;
    Catalog& operator=(Catalog&&) noexcept;
    ~Catalog();

    const std::string& AsOf() const { return as_of_; }
    const std::string& Source() const { return source_; }
    const std::string& Licence() const { return licence_; }
    const std::vector<CatalogModel>& Models() const { return models_; }
    const std::unordered_map<std::string, std::string>& ProviderAliases() const { return provider_aliases_; }

    // By canonical name, id or alias (case-insensitive), then by the models' match rules in catalog order
    // (first-party providers first). `provider`, when the record names one ("openai", "bedrock", "vertex_ai"),
    // is tried first. Provider prefixes ("openai/gpt-5", "bedrock/…", "publishers/google/models/…") and dated or
    // "-latest" snapshots resolve to their family. Results are memoised (thread-safe).
    const CatalogModel* Find(std::string_view name, std::string_view provider = {}) const;

    // USD for the given tokens at list price (batch discount applied when `usage.batch`).
    static double CostUsd(const CatalogModel& model, const TokenUsage& usage);
    // Shorthand: one standard call with `cached_tokens` cache reads included in `input_tokens`.
    static double CostUsd(const CatalogModel& model, std::int64_t input_tokens, std::int64_t output_tokens,
                          std::int64_t cached_tokens);
    std::optional<double> CostUsd(std::string_view model, std::int64_t input_tokens, std::int64_t output_tokens,
                                  std::int64_t cached_tokens) const;

  private:
    friend core::Result<Catalog> LoadCatalog(std::string_view json_text);
    struct Memo;
    std::string as_of_;
    std::string source_;
    std::string licence_;
    std::vector<CatalogModel> models_;
    std::unordered_map<std::string, std::size_t> index_;             // lower-cased name/id/alias → models_ position
    std::unordered_map<std::string, std::string> provider_aliases_;  // "bedrock" → "aws", "vertex_ai" → "google"
    std::unique_ptr<Memo> memo_;
};

// Parses and validates a catalog file (version 2, or the version 1 layout with flat *_per_mtok fields); errors
// name the model and field at fault.
core::Result<Catalog> LoadCatalog(std::string_view json_text);

// data/catalog.json as it was at build time.
std::string_view BundledCatalogJson();
// The bundled catalog, parsed once (it is validated by a unit test, so this cannot fail at run time).
const Catalog& BundledCatalog();

// The catalog as served by GET /api/catalog/models: {as_of, source, licence, currency, unit, data:[…]}; each
// model carries its flat current prices (as before) plus `prices` (the periods with tiers) and `match`.
boost::json::object CatalogToJson(const Catalog& catalog);

}  // namespace netra::analysis

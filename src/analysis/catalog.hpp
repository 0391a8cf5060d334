#pragma once
// The supply catalog (§9): providers' published list prices per model, loaded from a JSON data file
// (data/catalog.json is bundled into the binary; operators override it with --catalog FILE).
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"

namespace netra::analysis {

enum class Tier { kSmall = 0, kMid = 1, kFrontier = 2 };

std::string_view TierName(Tier tier);

struct CatalogModel {
    std::string id;        // "openai/gpt-4o"
    std::string provider;  // "openai"
    std::string model;     // canonical name, "gpt-4o"
    std::vector<std::string> aliases;
    double input_per_mtok = 0;
    double output_per_mtok = 0;
    double cached_input_per_mtok = 0;  // price of prompt-cache reads; equal to input when the provider has none
    double batch_discount = 0;         // 0.5 = the batch API halves the price
    std::int64_t context_window = 0;
    Tier tier = Tier::kMid;
    double typical_latency_ms = 0;
    std::string hosted_by;  // for open-weight models: whose prices these are
};

class Catalog {
  public:
    const std::string& AsOf() const { return as_of_; }
    const std::string& Source() const { return source_; }
    const std::vector<CatalogModel>& Models() const { return models_; }

    // By canonical name, id or alias, case-insensitively; dated snapshots ("gpt-4o-2024-05-13",
    // "claude-3-opus-20240229") and "-latest" resolve to their family when not listed themselves.
    const CatalogModel* Find(std::string_view name) const;

    // USD for one call. `input_tokens` includes `cached_tokens` (OpenAI's convention; Anthropic's cache reads
    // are reported the same way by the ingest), which are billed at the cached-input price.
    static double CostUsd(const CatalogModel& model, std::int64_t input_tokens, std::int64_t output_tokens,
                          std::int64_t cached_tokens);
    std::optional<double> CostUsd(std::string_view model, std::int64_t input_tokens, std::int64_t output_tokens,
                                  std::int64_t cached_tokens) const;

  private:
    friend core::Result<Catalog> LoadCatalog(std::string_view json_text);
    std::string as_of_;
    std::string source_;
    std::vector<CatalogModel> models_;
    std::unordered_map<std::string, std::size_t> index_;  // lower-cased name/id/alias → models_ position
};

// Parses and validates a catalog file; errors name the model and field at fault.
core::Result<Catalog> LoadCatalog(std::string_view json_text);

// data/catalog.json as it was at build time.
std::string_view BundledCatalogJson();
// The bundled catalog, parsed once (it is validated by a unit test, so this cannot fail at run time).
const Catalog& BundledCatalog();

// The catalog as served by GET /api/catalog/models: {as_of, source, currency, unit, data:[…]}.
boost::json::object CatalogToJson(const Catalog& catalog);

}  // namespace netra::analysis

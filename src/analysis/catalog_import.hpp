#pragma once
// Converts a published price feed into a catalog file of version 2 (src/analysis/README.md, "Catalog"):
// genai-prices' feed (pydantic/genai-prices, prices/new_data/v2/data_slim.json) or LiteLLM's
// model_prices_and_context_window.json, detected from the text, plus our overlay (data/catalog_overlay.json:
// batch discounts with their sources, tiers, latencies, the models right-sizing may recommend). `netra catalog
// import` and scripts/derive-catalog.sh use it; what it returns loads with LoadCatalog.
#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace netra::analysis {

// `overlay_json` may be empty (no overlay). `as_of` is the feed's date, YYYY-MM-DD (neither feed carries one);
// empty means today (UTC). Errors name the feed's model or the overlay entry at fault; an overlay entry that
// matches no model is an error, so a stale overlay is noticed.
core::Result<boost::json::object> ImportCatalog(std::string_view feed_json, std::string_view overlay_json,
                                                std::string_view as_of = {});

// The catalog as `netra catalog import` writes it: one top-level field per line, one model per line, numbers in
// their shortest decimal form (Boost.JSON would write 1.25 as 1.25E0).
std::string FormatCatalogJson(const boost::json::object& catalog);

}  // namespace netra::analysis

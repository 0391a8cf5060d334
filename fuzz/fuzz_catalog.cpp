// libFuzzer target: a catalog file (data/catalog.json's layout, version 1 or 2) through analysis::LoadCatalog;
// a catalog that loads is then queried (Find, CostUsd, CatalogToJson) as the server would.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/catalog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto catalog = netra::analysis::LoadCatalog(text);
    if (!catalog.ok()) return 0;
    const auto& loaded = catalog.value();
    for (const auto& model : loaded.Models()) {
        (void)loaded.Find(model.id);
        netra::analysis::TokenUsage usage{.input = 250'000, .cache_read = 1000, .output = 500};
        (void)netra::analysis::Catalog::CostUsd(model, usage);
    }
    (void)loaded.Find("gpt-4o-2024-08-06", "openai");
    (void)loaded.Find("bedrock/anthropic.claude-3-5-sonnet-20240620-v1:0");
    (void)netra::analysis::CatalogToJson(loaded);
    return 0;
}

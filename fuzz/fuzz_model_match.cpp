// libFuzzer target: model-id matching against the bundled catalog (analysis::Catalog::Find: names, aliases,
// provider prefixes, dated snapshots, the models' match rules). The input is "provider\nmodel" or just a model.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "analysis/catalog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const netra::analysis::Catalog& catalog = netra::analysis::BundledCatalog();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto nl = text.find('\n');
    const std::string_view provider = nl == std::string_view::npos ? std::string_view{} : text.substr(0, nl);
    const std::string_view name = nl == std::string_view::npos ? text : text.substr(nl + 1);
    const auto* model = catalog.Find(name, provider);
    if (model != nullptr && catalog.Find(name, provider) != model) __builtin_trap();  // memoised answer agrees
    (void)catalog.Find(name);
    (void)catalog.CostUsd(name, 1000, 100, 10);
    return 0;
}

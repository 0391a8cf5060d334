#include "catalog_command.hpp"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <string>

#include "analysis/catalog.hpp"
#include "analysis/catalog_import.hpp"

namespace netra::cli {
namespace {

struct ImportArgs {
    std::string feed, overlay, as_of, output;
};

bool ReadFile(const std::string& path, std::string& text) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    text.assign(std::istreambuf_iterator<char>(in), {});
    return !in.bad();
}

int RunImport(const ImportArgs& args) {
    std::string feed, overlay;
    if (!ReadFile(args.feed, feed)) return std::cerr << "cannot read " << args.feed << "\n", 2;
    if (!args.overlay.empty() && !ReadFile(args.overlay, overlay)) {
        return std::cerr << "cannot read " << args.overlay << "\n", 2;
    }
    auto imported = analysis::ImportCatalog(feed, overlay, args.as_of);
    if (!imported.ok()) return std::cerr << args.feed << ": " << imported.error().message << "\n", 2;
    std::string text = analysis::FormatCatalogJson(*imported);
    // What is written always loads: the server and `netra analyze --catalog` read it with the same function.
    auto loaded = analysis::LoadCatalog(text);
    if (!loaded.ok()) {
        return std::cerr << "the converted catalog does not load: " << loaded.error().message << "\n", 2;
    }
    if (args.output.empty() || args.output == "-") {
        std::cout << text;
    } else {
        std::ofstream out(args.output, std::ios::binary | std::ios::trunc);
        out << text;
        out.close();
        if (!out) return std::cerr << "cannot write " << args.output << "\n", 2;
    }
    std::set<std::string> providers;
    std::size_t current = 0;
    for (const auto& m : loaded->Models()) {
        providers.insert(m.provider);
        current += m.current ? 1 : 0;
    }
    std::cerr << "catalog: " << loaded->Models().size() << " models (" << current << " current) from "
              << providers.size() << " providers, as of " << loaded->AsOf() << ", " << text.size() << " bytes"
              << (args.output.empty() || args.output == "-" ? "" : " -> " + args.output) << "\n";
    return 0;
}

}  // namespace

void AddCatalogCommand(CLI::App& app, int& exit_code) {
    auto* catalog = app.add_subcommand("catalog", "supply catalog tools");
    catalog->require_subcommand(1);
    auto args = std::make_shared<ImportArgs>();
    auto* import = catalog->add_subcommand(
        "import", "convert a genai-prices (data_slim.json) or LiteLLM price feed into a catalog file (version 2)");
    import->add_option("FILE", args->feed, "the price feed")->required();
    import->add_option(
        "--overlay", args->overlay,
        "overlay: batch discounts with their sources, tiers, current models (data/catalog_overlay.json)");
    import->add_option("--as-of", args->as_of, "the feed's date, YYYY-MM-DD (default: today, UTC)");
    import->add_option("-o,--output", args->output, "write the catalog here (default: stdout)");
    import->callback([args, &exit_code] { exit_code = RunImport(*args);
});
}  // namespace netra::cli

}  // namespace netra::cli

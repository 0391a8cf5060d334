#pragma once
// Registers `netra catalog import FILE [--overlay FILE] [--as-of YYYY-MM-DD] [-o OUT]` on the application's CLI11
// App: converts a genai-prices or LiteLLM price feed into a catalog file (analysis/catalog_import.hpp). When the
// subcommand runs it sets `exit_code` (0, or 2 with a message on stderr).
namespace CLI {
class App;
}

namespace netra::cli {

void AddCatalogCommand(CLI::App& app, int& exit_code);

}  // namespace netra::cli

#pragma once
// Registers `netra stage URL …` on the application's CLI11 App. When the subcommand runs it sets
// `exit_code` to RunStage's result.
namespace CLI {
class App;
}

namespace netra::stage {

void AddStageCommand(CLI::App& app, int& exit_code);

}  // namespace netra::stage

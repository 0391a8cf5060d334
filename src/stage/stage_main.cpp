// `netra_stage_cli stage URL …`: the same subcommand `netra` registers, usable on its own.
#include <CLI/CLI.hpp>

#include "stage/cli.hpp"

int main(int argc, char** argv) {
    CLI::App app{"Netra staging validation suite"};
    app.require_subcommand(1);
    int exit_code = 0;
    netra::stage::AddStageCommand(app, exit_code);
    CLI11_PARSE(app, argc, argv);
    return exit_code;
}

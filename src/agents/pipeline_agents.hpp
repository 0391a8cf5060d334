#pragma once
// The six agents of the pipeline (SPEC §8), one file each; the registry (registry.hpp) owns one of each.
#include <memory>

#include "agents/agent.hpp"

namespace netra::agents {

std::unique_ptr<Agent> MakeTriageAgent();
std::unique_ptr<Agent> MakeDataHelperAgent();
std::unique_ptr<Agent> MakeDataAgent();
std::unique_ptr<Agent> MakeOptimizationAgent();
std::unique_ptr<Agent> MakeActionsAgent();
std::unique_ptr<Agent> MakeReportingAgent();

}  // namespace netra::agents

#pragma once
// The one registry of agents: it drives the supervisor (which agent runs, in pipeline order) and answers
// GET /api/agents, so what is listed is exactly what runs. (/api/mcp/config describes the MCP server at /mcp.)
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agents/agent.hpp"

namespace netra::agents {

// The orchestrator is listed with the agents (a client may address it) but is not an Agent itself.
inline constexpr std::string_view kSupervisorName = "supervisor";
inline constexpr std::string_view kSupervisorDescription =
    "Plans and runs the agent pipeline for each message, adapting it to data sufficiency.";

class AgentRegistry {
  public:
    // The pipeline's six agents, in pipeline order: triage, data_helper, data, optimization, actions, reporting.
    static const AgentRegistry& Get();

    const std::vector<std::unique_ptr<Agent>>& Agents() const { return agents_; }
    const Agent* Find(std::string_view name) const;  // null when there is no such agent
    const Agent& Need(std::string_view name) const;  // for names the code itself uses (throws when missing)
    // Every tool any agent declares, in pipeline order.
    std::vector<const ToolSpec*> Tools() const;

  private:
    AgentRegistry();
    std::vector<std::unique_ptr<Agent>> agents_;
};

// "supervisor" or a registered agent: what start_agent {agent} accepts.
bool IsKnownAgent(const std::string& name);

}  // namespace netra::agents

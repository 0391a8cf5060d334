#pragma once
// The agent registry served by GET /api/agents and the tool list served by /api/mcp/config.
#include <string>
#include <vector>

namespace netra::agents {

struct ToolInfo {
    std::string name;
    std::string description;
    std::string input_schema_json;  // JSON Schema of the tool's parameters
};

struct AgentInfo {
    std::string name;
    std::string description;
    std::vector<std::string> tools;
    bool available = true;  // false while the agent is not part of the running pipeline yet
};

const std::vector<AgentInfo>& AgentRegistry();
const std::vector<ToolInfo>& ToolRegistry();
bool IsKnownAgent(const std::string& name);

}  // namespace netra::agents

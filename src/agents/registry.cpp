#include "agents/registry.hpp"

#include <algorithm>

namespace netra::agents {

const std::vector<AgentInfo>& AgentRegistry() {
    static const std::vector<AgentInfo> kAgents = {
        {"supervisor", "Plans and runs the agent pipeline for each message.", {}, true},
        {"triage",
         "Extracts entities from the thread, classifies the request and scores data sufficiency.",
         {"extract_entities", "score_sufficiency"},
         true},
        {"data_helper",
         "Asks precisely for the usage data that is missing and how to export it.",
         {"build_data_request"},
         false},
        {"data",
         "Profiles the user's usage dataset or estimates a profile from stated facts.",
         {"profile_dataset"},
         false},
        {"optimization",
         "Prices optimization strategies with the supply catalog on the user's traffic.",
         {"price_strategies"},
         false},
        {"actions", "Turns the strategies into a phased plan.", {"plan_actions"}, false},
        {"reporting", "Writes the markdown report and streams it.", {"render_report"}, true},
    };
    return kAgents;
}

const std::vector<ToolInfo>& ToolRegistry() {
    static const std::vector<ToolInfo> kTools = {
        {"extract_entities", "Extract spend, volume, models, latency targets and use case from text.",
         R"({"type":"object","properties":{"messages":{"type":"array","items":{"type":"string"}}},"required":["messages"]})"},
        {"score_sufficiency", "Score how complete the stated facts are for the request's category.",
         R"({"type":"object","properties":{"category":{"type":"string"},"facts":{"type":"object"}},"required":["category","facts"]})"},
        {"render_report", "Render the optimization report as markdown.",
         R"({"type":"object","properties":{"triage":{"type":"object"}},"required":["triage"]})"},
    };
    return kTools;
}

bool IsKnownAgent(const std::string& name) {
    const auto& agents = AgentRegistry();
    return std::any_of(agents.begin(), agents.end(), [&](const AgentInfo& a) { return a.name == name; });
}

}  // namespace netra::agents

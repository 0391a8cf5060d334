#include "agents/registry.hpp"

#include <stdexcept>

#include "agents/pipeline_agents.hpp"

namespace netra::agents {

AgentRegistry::AgentRegistry() {
    agents_.push_back(MakeTriageAgent());
    agents_.push_back(MakeDataHelperAgent());
    agents_.push_back(MakeDataAgent());
    agents_.push_back(MakeOptimizationAgent());
    agents_.push_back(MakeActionsAgent());
    agents_.push_back(MakeReportingAgent());
}

const AgentRegistry& AgentRegistry::Get() {
    static const AgentRegistry registry;
    return registry;
}

const Agent* AgentRegistry::Find(std::string_view name) const {
    for (const auto& a : agents_) {
        if (a->Name() == name) return a.get();
    }
    return nullptr;
}

const Agent& AgentRegistry::Need(std::string_view name) const {
    const Agent* a = Find(name);
    if (a == nullptr) throw std::logic_error("no agent named " + std::string(name));
    return *a;
}

std::vector<const ToolSpec*> AgentRegistry::Tools() const {
    std::vector<const ToolSpec*> out;
    for (const auto& a : agents_) {
        for (const auto& t : a->Tools()) out.push_back(&t);
    }
    return out;
}

bool IsKnownAgent(const std::string& name) {
    return name == kSupervisorName || AgentRegistry::Get().Find(name) != nullptr;
}

}  // namespace netra::agents

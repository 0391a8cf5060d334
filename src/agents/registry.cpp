#include "agents/registry.hpp"

#include <algorithm>

namespace netra::agents {

const std::vector<AgentInfo>& AgentRegistry() {
    static const std::vector<AgentInfo> kAgents = {
        {"supervisor",
         "Plans and runs the agent pipeline for each message, adapting it to data sufficiency.",
         {},
         true},
        {"triage",
         "Extracts entities from the thread, finds a usable attached dataset, classifies the request and scores data "
         "sufficiency.",
         {"extract_entities", "check_datasets", "score_sufficiency"},
         true},
        {"data_helper",
         "Asks precisely for the usage data that is missing and how to export it.",
         {"build_data_request"},
         true},
        {"data",
         "Profiles the user's usage dataset or estimates a profile from stated facts.",
         {"profile_dataset", "estimate_profile"},
         true},
        {"optimization",
         "Prices optimization strategies with the supply catalog on the user's traffic and combines their savings.",
         {"price_strategy", "estimate_strategies", "combine_savings"},
         true},
        {"actions", "Turns the strategies into a phased plan.", {"plan_actions"}, true},
        {"reporting", "Writes the markdown report and streams it.", {"write_narrative", "render_report"}, true},
    };
    return kAgents;
}

const std::vector<ToolInfo>& ToolRegistry() {
    static const std::vector<ToolInfo> kTools = {
        {"extract_entities", "Extract spend, volume, models, latency targets and use case from text.",
         R"({"type":"object","properties":{"messages":{"type":"array","items":{"type":"string"}}},"required":["messages"]})"},
        {"check_datasets", "Find the newest usable usage dataset attached to the thread.",
         R"({"type":"object","properties":{"dataset_ids":{"type":"array","items":{"type":"string"}}},"required":["dataset_ids"]})"},
        {"score_sufficiency", "Score how complete the stated facts are for the request's category.",
         R"({"type":"object","properties":{"category":{"type":"string"},"has_dataset":{"type":"boolean"}},"required":["category"]})"},
        {"build_data_request", "List the data still missing for the goal, why it matters and how to export it.",
         R"({"type":"object","properties":{"category":{"type":"string"},"missing_facts":{"type":"array","items":{"type":"string"}}},"required":["category"]})"},
        {"profile_dataset", "Profile a usage dataset: spend, tokens, latency percentiles, repetition, anomalies.",
         R"({"type":"object","properties":{"dataset_id":{"type":"string"}},"required":["dataset_id"]})"},
        {"estimate_profile", "Estimate a usage profile from facts stated in the conversation.",
         R"({"type":"object","properties":{"facts":{"type":"object"}},"required":["facts"]})"},
        {"price_strategy", "Price one optimization strategy on the dataset with the supply catalog.",
         R"({"type":"object","properties":{"strategy":{"type":"string","enum":["response_caching","model_right_sizing","prompt_caching","batch_api","prompt_compression","latency_routing"]}},"required":["strategy"]})"},
        {"estimate_strategies", "Price strategies on an estimated profile (stated assumptions, low confidence).",
         R"({"type":"object","properties":{"monthly_cost_usd":{"type":"number"}},"required":["monthly_cost_usd"]})"},
        {"combine_savings", "Combine strategy savings in sequence on the remaining spend (no double counting).",
         R"({"type":"object","properties":{"strategies":{"type":"integer"}}})"},
        {"plan_actions", "Turn priced strategies into a phased plan with owners, validation metrics and rollbacks.",
         R"({"type":"object","properties":{"strategies":{"type":"integer"}}})"},
        {"write_narrative",
         "Write the executive-summary prose with the configured LLM provider (numbers stay from tools).",
         R"({"type":"object","properties":{"provider":{"type":"string"}}})"},
        {"render_report", "Render the optimization report as markdown.",
         R"({"type":"object","properties":{"report_type":{"type":"string"}},"required":["report_type"]})"},
    };
    return kTools;
}

bool IsKnownAgent(const std::string& name) {
    const auto& agents = AgentRegistry();
    return std::any_of(agents.begin(), agents.end(), [&](const AgentInfo& a) { return a.name == name; });
}

}  // namespace netra::agents

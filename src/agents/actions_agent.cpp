// The actions agent (SPEC §8).
#include <algorithm>

#include "agents/agent_scope.hpp"
#include "agents/pipeline_agents.hpp"
#include "analysis/strategies.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

class ActionsAgent final : public Agent {
  public:
    ActionsAgent()
        : Agent("actions", "Turns the strategies into a phased plan, quick wins first.",
                {{"plan_actions",
                  "Turn priced strategies into a phased plan with owners, validation metrics and rollbacks.",
                  R"({"type":"object","properties":{"strategies":{"type":"integer"}}})"}}) {}

    asio::awaitable<core::Result<bool>> Run(AgentEnv& env) const override {
        AgentScope scope(env.sink, env.pools, Name());
        const auto& o = *env.ctx.optimization;
        NETRA_TRY(scope.Start(fmt::format("{} priced strategies", o.strategies.size())));
        NETRA_TRY(
            scope.Think("Turning the strategies into a phased plan, quick wins first, each with an owner, a "
                        "validation metric and a rollback.",
                        1, 20));
        NETRA_TOOL(scope, env.ctx, "plan_actions", (json::object{{"strategies", o.strategies.size()}}),
                   [&]() -> core::Result<json::object> {
                       env.ctx.plan = analysis::PlanActions(o);
                       int phases = 0;
                       for (const auto& s : *env.ctx.plan) phases = std::max(phases, s.phase);
                       return json::object{{"steps", env.ctx.plan->size()}, {"phases", phases}};
                   });
        json::array steps;
        for (const auto& s : *env.ctx.plan) steps.push_back(analysis::ActionStepToJson(s));
        json::object result{{"plan", std::move(steps)}};
        NETRA_TRY(scope.Complete(std::move(result)));
        co_return true;
    }
};

}  // namespace

std::unique_ptr<Agent> MakeActionsAgent() { return std::make_unique<ActionsAgent>(); }

}  // namespace netra::agents

// The optimization agent (SPEC §8).
#include "agents/agent_scope.hpp"
#include "agents/pipeline_agents.hpp"
#include "agents/reporting.hpp"
#include "analysis/strategies.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

bool LatencyGoal(const TriageResult& t) {
    return t.category == "performance_optimization" || t.facts.latency_target_ms.has_value();
}

class OptimizationAgent final : public Agent {
  public:
    OptimizationAgent()
        : Agent(
              "optimization",
              "Prices optimization strategies with the supply catalog on the user's traffic and combines their "
              "savings.",
              {{"price_strategy", "Price one optimization strategy on the dataset with the supply catalog.",
                R"({"type":"object","properties":{"strategy":{"type":"string","enum":["response_caching","model_right_sizing","prompt_caching","batch_api","prompt_compression","latency_routing"]}},"required":["strategy"]})"},
               {"estimate_strategies", "Price strategies on an estimated profile (stated assumptions, low confidence).",
                R"({"type":"object","properties":{"monthly_cost_usd":{"type":"number"}},"required":["monthly_cost_usd"]})"},
               {"combine_savings", "Combine strategy savings in sequence on the remaining spend (no double counting).",
                R"({"type":"object","properties":{"strategies":{"type":"integer"}}})"}}) {}

    asio::awaitable<core::Result<bool>> Run(AgentEnv& env) const override {
        AgentScope scope(env.sink, env.pools, Name());
        const analysis::Profile& p = *env.ctx.profile;
        analysis::StrategyOptions options;
        options.latency_goal = LatencyGoal(env.ctx.triage);
        options.latency_target_ms = env.ctx.triage.facts.latency_target_ms;
        std::string input_summary =
            fmt::format("{} profile, {} per month", p.estimated ? "estimated" : "measured", Money(p.monthly_cost_usd));
        NETRA_TRY(scope.Start(std::move(input_summary)));
        std::string thought = fmt::format("Pricing each strategy on {} with the supply catalog as of {}.",
                                          p.estimated ? "the stated facts" : "your own traffic", env.catalog.AsOf());
        NETRA_TRY(scope.Think(std::move(thought), 1, 10));
        analysis::OptimizationResult result;
        result.estimated = p.estimated;
        if (p.estimated) {
            NETRA_TOOL(scope, env.ctx, "estimate_strategies", (json::object{{"monthly_cost_usd", p.monthly_cost_usd}}),
                       [&]() -> core::Result<json::object> {
                           result = analysis::EstimateStrategies(p, env.catalog, options);
                           json::array types;
                           for (const auto& s : result.strategies) types.emplace_back(s.type);
                           return json::object{{"strategies", std::move(types)}, {"estimated", true}};
                       });
        } else {
            const analysis::RecordSpans records = env.ctx.dataset->Records();
            int step = 1;
            for (const auto& strategy : analysis::DatasetStrategies()) {
                if (std::string_view(strategy.type) == "latency_routing" && !options.latency_goal) continue;
                NETRA_TOOL(scope, env.ctx, "price_strategy", (json::object{{"strategy", strategy.type}}),
                           [&]() -> core::Result<json::object> {
                               auto priced = strategy.price(records, p, env.catalog, options, result.not_assessed);
                               if (!priced) {
                                   return json::object{{"strategy", strategy.type},
                                                       {"applicable", false},
                                                       {"reason", result.not_assessed.back()}};
                               }
                               json::object summary{{"strategy", strategy.type},
                                                    {"applicable", true},
                                                    {"affected_share", priced->affected_share},
                                                    {"savings_usd", priced->savings_usd},
                                                    {"savings_pct", priced->savings_pct}};
                               result.strategies.push_back(std::move(*priced));
                               return summary;
                           });
                if (++step == 4) {
                    NETRA_TRY(
                        scope.Think("Caching and right-sizing priced; now batch, compression and latency.", 2, 50));
                }
            }
        }
        NETRA_TOOL(scope, env.ctx, "combine_savings", (json::object{{"strategies", result.strategies.size()}}),
                   [&]() -> core::Result<json::object> {
                       result.combined = analysis::CombineSavings(result.strategies, p.monthly_cost_usd);
                       return json::object{{"current_monthly_usd", result.combined.current_monthly_usd},
                                           {"projected_monthly_usd", result.combined.projected_monthly_usd},
                                           {"savings_usd", result.combined.savings_usd},
                                           {"savings_pct", result.combined.savings_pct},
                                           {"order", Strings(result.combined.order)}};
                   });
        env.ctx.optimization = std::move(result);
        NETRA_TRY(scope.Complete(analysis::OptimizationToJson(*env.ctx.optimization)));
        co_return true;
    }
};

}  // namespace

std::unique_ptr<Agent> MakeOptimizationAgent() { return std::make_unique<OptimizationAgent>(); }

}  // namespace netra::agents

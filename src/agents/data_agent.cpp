// The data agent (SPEC §8).
#include "agents/agent_scope.hpp"
#include "agents/pipeline_agents.hpp"
#include "analysis/profile.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

class DataAgent final : public Agent {
  public:
    DataAgent()
        : Agent("data", "Profiles the user's usage dataset or estimates a profile from stated facts.",
                {{"profile_dataset",
                  "Profile a usage dataset: spend, tokens, latency percentiles, repetition, anomalies.",
                  R"({"type":"object","properties":{"dataset_id":{"type":"string"}},"required":["dataset_id"]})"},
                 {"estimate_profile", "Estimate a usage profile from facts stated in the conversation.",
                  R"({"type":"object","properties":{"facts":{"type":"object"}},"required":["facts"]})"}}) {}

    asio::awaitable<core::Result<bool>> Run(AgentEnv& env) const override {
        AgentScope scope(env.sink, env.pools, Name());
        if (env.ctx.dataset) {
            const DatasetView& d = *env.ctx.dataset;
            const std::size_t rows = d.RowCount();
            NETRA_TRY(scope.Start(fmt::format("dataset {} ({} rows)", d.meta.id, rows)));
            NETRA_TRY(scope.Think(
                fmt::format("Profiling {} usage records: spend, tokens, latency, repetition and anomalies.", rows), 1,
                20));
            NETRA_TOOL(scope, env.ctx, "profile_dataset", (json::object{{"dataset_id", d.meta.id}, {"rows", rows}}),
                       [&]() -> core::Result<json::object> {
                           env.ctx.profile = analysis::ProfileUsage(d.Records(), env.catalog);
                           const auto& p = *env.ctx.profile;
                           return json::object{{"rows", p.rows},
                                               {"days_covered", p.days_covered},
                                               {"total_cost_usd", p.total_cost_usd},
                                               {"monthly_cost_usd", p.monthly_cost_usd},
                                               {"models", p.by_model.size()},
                                               {"error_rate", p.error_rate},
                                               {"anomalies", p.anomalies.size()}};
                       });
        } else {
            NETRA_TRY(scope.Start("stated facts (no usage log)"));
            NETRA_TRY(scope.Think("No usage log attached: estimating a profile from the facts stated in this thread.",
                                  1, 20));
            const auto& f = env.ctx.triage.facts;
            NETRA_TOOL(scope, env.ctx, "estimate_profile", (json::object{{"facts", FactsToJson(f)}}),
                       [&]() -> core::Result<json::object> {
                           analysis::StatedFacts stated;
                           stated.monthly_spend_usd = f.monthly_spend_usd;
                           stated.monthly_requests = f.monthly_requests;
                           stated.tokens_per_request = f.tokens_per_request;
                           stated.monthly_tokens = f.monthly_tokens;
                           stated.models = f.models;
                           env.ctx.profile = analysis::EstimateProfile(stated, env.catalog);
                           const auto& p = *env.ctx.profile;
                           return json::object{{"estimated", true},
                                               {"monthly_cost_usd", p.monthly_cost_usd},
                                               {"monthly_requests", p.monthly_requests},
                                               {"tokens_per_request", p.tokens_per_request},
                                               {"primary_model", p.primary_model}};
                       });
        }
        json::object result{{"profile", analysis::ProfileToJson(*env.ctx.profile)},
                            {"estimated", env.ctx.profile->estimated}};
        NETRA_TRY(scope.Complete(std::move(result)));
        co_return true;
    }
};

}  // namespace

std::unique_ptr<Agent> MakeDataAgent() { return std::make_unique<DataAgent>(); }

}  // namespace netra::agents

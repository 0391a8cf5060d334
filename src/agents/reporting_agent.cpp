// The reporting agent (SPEC §8).
#include "agents/agent_scope.hpp"
#include "agents/pipeline_agents.hpp"
#include "agents/reporting.hpp"
#include "agents/triage.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;
using core::ErrorCode;

namespace {

// Stands in for the narrative while the report head is rendered, to find where the streamed prose goes.
constexpr std::string_view kNarrativeMark = "\x01narrative\x01";

class ReportingAgent final : public Agent {
  public:
    ReportingAgent()
        : Agent("reporting",
                "Writes the markdown report (the LLM writes the summary prose when configured) and streams it; never "
                "fails.",
                {{"write_narrative",
                  "Write the executive-summary prose with the configured LLM provider, streamed (numbers stay from "
                  "tools).",
                  R"({"type":"object","properties":{"provider":{"type":"string"}}})"},
                 {"render_report", "Render the optimization report as markdown.",
                  R"({"type":"object","properties":{"report_type":{"type":"string"}},"required":["report_type"]})"}}) {}

    asio::awaitable<core::Result<bool>> Run(AgentEnv& env) const override {
        AgentScope scope(env.sink, env.pools, Name());
        ReportInputs inputs;
        inputs.triage = &env.ctx.triage;
        inputs.profile = env.ctx.profile ? &*env.ctx.profile : nullptr;
        inputs.optimization = env.ctx.optimization ? &*env.ctx.optimization : nullptr;
        inputs.plan = env.ctx.plan ? &*env.ctx.plan : nullptr;
        inputs.data_request = env.ctx.data_request ? &*env.ctx.data_request : nullptr;
        inputs.catalog_as_of = env.catalog.AsOf();
        inputs.dataset_name = env.ctx.dataset ? env.ctx.dataset->meta.name : "";
        inputs.dataset_grain = env.ctx.dataset ? env.ctx.dataset->meta.grain : "";
        inputs.gaps = env.ctx.gaps;
        if (!env.ctx.dataset_problem.empty())
            inputs.gaps.push_back("Attached dataset not used: " + env.ctx.dataset_problem);
        std::string type = ReportType(inputs);
        NETRA_TRY(
            scope.Start(fmt::format("{} report ({}, {})", type, env.ctx.triage.category, env.ctx.triage.sufficiency)));
        NETRA_TRY(
            scope.Think(fmt::format("Writing the {} report from the results of the previous agents.", type), 1, 20));
        bool degraded = false;
        std::string builtin = BuiltinNarrative(inputs);
        inputs.narrative = builtin;
        json::object llm_info{{"provider", "builtin"}, {"fell_back", false}};
        std::string markdown;
        if (env.ask_llm()) {
            // Streamed as it is written: the report up to the executive summary, the model's prose token by token,
            // then the rest, rendered once the prose (and any fallback note) is known.
            ReportInputs head = inputs;
            head.narrative = std::string(kNarrativeMark);
            std::string rendered_head = RenderReport(head);
            std::string prefix = rendered_head.substr(0, rendered_head.find(kNarrativeMark));
            NETRA_TRY(env.StreamText(prefix, "reporting"));
            NETRA_TRY(scope.Think(fmt::format("Asking the {} model for the summary prose; every number stays from "
                                              "the tools.",
                                              env.llm.Name()),
                                  2, 40));
            std::string streamed;
            json::object params{{"provider", env.llm.Name()}};
            auto ok = co_await scope.ToolAsync("write_narrative", std::move(params),
                                               [&]() { return WriteNarrative(env, inputs, builtin, scope, streamed); });
            if (!ok.ok()) co_return ok.error();
            if (!*ok) {
                inputs.llm_note = "The LLM provider failed (" + scope.Failure().message +
                                  "); this summary was written by the built-in template.";
            }
            // What the client has seen is the narrative, whatever happened; a failure before any text streams
            // the builtin prose.
            if (streamed.empty()) {
                NETRA_TRY(env.StreamText(builtin, "reporting"));
                streamed = builtin;
            }
            inputs.narrative = streamed;
            markdown = env.ctx.preamble + RenderReport(inputs);
            std::string seen = env.ctx.preamble + prefix + streamed;
            if (markdown.compare(0, seen.size(), seen) != 0) {
                co_return core::MakeError(ErrorCode::kInternal, "report prefix changed while streaming");  // a bug
            }
            NETRA_TRY(env.StreamText(markdown.substr(seen.size()), "reporting"));
            llm_info = json::object{{"provider", env.llm_provider.empty() ? env.llm.Name() : env.llm_provider},
                                    {"fell_back", !inputs.llm_note.empty()}};
        } else {
            json::object params{{"report_type", type}};
            auto rendered =
                co_await scope.Tool("render_report", std::move(params), [&]() -> core::Result<json::object> {
                    markdown = env.ctx.preamble + RenderReport(inputs);
                    return json::object{{"bytes", markdown.size()}, {"report_type", type}};
                });
            if (!rendered.ok()) co_return rendered.error();
            if (!*rendered) {
                // The renderer itself failed: a minimal report from the same numbers, never an empty answer.
                degraded = true;
                markdown = env.ctx.preamble + "# Netra optimization report\n\n## Executive summary\n\n" + builtin +
                           "\n\n> The full report could not be rendered (" + scope.Failure().message +
                           "); this is a partial report.\n";
                type = "partial";
            }
            NETRA_TRY(env.StreamText(markdown, "reporting"));
        }
        json::object summary = Summary(env, type);
        summary["llm"] = llm_info;
        json::object report_result = summary;
        report_result["report_markdown"] = markdown;
        report_result["triage"] = TriageToJson(env.ctx.triage);
        NETRA_TRY(scope.Complete(std::move(report_result), !degraded));
        env.ctx.report_markdown = std::move(markdown);
        env.ctx.result = std::move(summary);
        co_return true;
    }

  private:
    asio::awaitable<core::Result<json::object>> WriteNarrative(AgentEnv& env, ReportInputs& inputs,
                                                               const std::string& builtin, AgentScope& scope,
                                                               std::string& streamed) const {
        llm::CompletionRequest request;
        request.purpose = "prose";
        request.builtin_text = builtin;
        request.max_tokens = 400;
        request.messages = {
            {"system",
             "You write the executive summary of an LLM cost-optimization report in 2-4 sentences of plain prose. "
             "Use only the figures given; do not invent numbers, models or strategies."},
            {"user", "Write the executive summary for these results. Facts:\n" + builtin}};
        auto result = co_await env.StreamCompletion(request, "reporting", streamed);
        if (!result.ok()) co_return result.error();
        scope.NoteLlmCall(*result);
        env.llm_provider = result->provider;
        if (result->fell_back) {
            inputs.llm_note = "The configured LLM provider failed (" +
                              (result->fallback_reason.empty() ? std::string("unavailable") : result->fallback_reason) +
                              "); this summary was written by the built-in template.";
        }
        co_return json::object{{"provider", result->provider},
                               {"fell_back", result->fell_back},
                               {"tokens_used", result->tokens_used},
                               {"chars", streamed.size()}};
    }

    json::object Summary(AgentEnv& env, const std::string& type) const {
        const TriageResult& t = env.ctx.triage;
        json::object o{{"category", t.category},
                       {"data_sufficiency", t.sufficiency},
                       {"report_type", type},
                       {"catalog_as_of", env.catalog.AsOf()}};
        if (env.ctx.profile) {
            const auto& p = *env.ctx.profile;
            o["estimated"] = p.estimated;
            o["monthly_cost_usd"] = p.monthly_cost_usd;
            if (!p.estimated) {
                o["dataset_id"] = env.ctx.dataset->meta.id;
                o["rows"] = p.rows;
                o["total_cost_usd"] = p.total_cost_usd;
                o["days_covered"] = p.days_covered;
            }
        }
        if (env.ctx.optimization) {
            const auto& c = env.ctx.optimization->combined;
            o["current_monthly_usd"] = c.current_monthly_usd;
            o["projected_monthly_usd"] = c.projected_monthly_usd;
            o["savings_usd"] = c.savings_usd;
            o["savings_pct"] = c.savings_pct;
            json::array strategies;
            for (const auto& s : env.ctx.optimization->strategies) strategies.push_back(analysis::StrategyToJson(s));
            o["strategies"] = std::move(strategies);
        }
        if (env.ctx.data_request) o["data_request"] = *env.ctx.data_request;
        if (!env.ctx.gaps.empty()) o["gaps"] = Strings(env.ctx.gaps);
        return o;
    }
};

}  // namespace

std::unique_ptr<Agent> MakeReportingAgent() { return std::make_unique<ReportingAgent>(); }

}  // namespace netra::agents

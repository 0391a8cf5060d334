#include "agents/supervisor.hpp"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <exception>
#include <optional>

#include "agents/data_helper.hpp"
#include "agents/reporting.hpp"
#include "agents/triage.hpp"
#include "core/offload.hpp"
#include "core/time.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;
using core::ErrorCode;

namespace {

bool IsFatal(const core::Error& e) { return e.code == ErrorCode::kCancelled || e.code == ErrorCode::kTimeout; }

// In the agents' coroutines: a failed Status (awaited, or plain) ends the coroutine with its error.
// (No co_await inside an if-statement's initializer: GCC 12 destroys such a temporary twice.)
#define NETRA_TRY(awaitable_status)                    \
    do {                                               \
        core::Status _s = co_await (awaitable_status); \
        if (!_s.ok()) co_return _s.error();            \
    } while (0)
#define NETRA_CHECK(status)                                     \
    do {                                                        \
        if (auto _s = (status); !_s.ok()) co_return _s.error(); \
    } while (0)

// Emits the agent_started … agent_completed|agent_failed frame around one agent, runs its tools with their
// tool_executing/tool_completed pairs, and fills the completion metadata.
class AgentScope {
  public:
    // Where a tool's synchronous body runs: CPU work on the compute pool, blocking storage reads on the
    // blocking pool; never on the run's own executor, which only waits.
    enum class Where { kCompute, kBlocking };

    AgentScope(EventSink& sink, const Pools& pools, std::string name)
        : sink_(sink), pools_(pools), name_(std::move(name)), start_(core::MonoNow()) {}

    asio::awaitable<core::Status> Start(std::string input_summary) {
        return sink_.Emit(domain::EventType::kAgentStarted, name_,
                          json::object{{"agent", name_}, {"input_summary", std::move(input_summary)}});
    }
    asio::awaitable<core::Status> Think(std::string thought, int step, int progress) {
        return sink_.Emit(domain::EventType::kAgentThinking, name_,
                          json::object{{"thought", std::move(thought)}, {"step", step}, {"progress", progress}});
    }
    // Runs one tool whose body is synchronous work (`where` says on which pool). Error: the run must end.
    // false: the tool failed (tool_completed success:false was sent; Failure() says why) and the agent should end
    // with Fail().
    template <class Fn>
    asio::awaitable<core::Result<bool>> Tool(std::string tool, json::object parameters, Fn fn,
                                             Where where = Where::kCompute) {
        auto& pool = where == Where::kCompute ? pools_.compute : pools_.blocking;
        co_return co_await ToolAsync(std::move(tool), std::move(parameters),
                                     [&pool, &fn]() { return core::Offload(pool, fn); });
    }
    // The same for a tool that is itself a coroutine (an LLM call): `start()` returns its awaitable.
    template <class Start>
    asio::awaitable<core::Result<bool>> ToolAsync(std::string tool, json::object parameters, Start start) {
        ++tools_;
        auto tool_start = core::MonoNow();
        json::object executing{{"tool", tool}, {"parameters", std::move(parameters)}};
        NETRA_TRY(sink_.Emit(domain::EventType::kToolExecuting, name_, std::move(executing)));
        std::optional<core::Result<json::object>> outcome;
        auto s = co_await sink_.BeforeTool(tool);
        if (!s.ok()) {
            outcome.emplace(s.error());
        } else {
            outcome.emplace(co_await start());
        }
        core::Result<json::object>& result = *outcome;
        if (!result.ok() && IsFatal(result.error())) co_return result.error();
        bool success = result.ok();
        json::object summary = success ? std::move(result.value()) : json::object{{"error", result.error().message}};
        json::object completed{{"tool", tool},
                               {"result", std::move(summary)},
                               {"duration_ms", core::ElapsedMs(tool_start)},
                               {"success", success}};
        NETRA_TRY(sink_.Emit(domain::EventType::kToolCompleted, name_, std::move(completed)));
        if (!success) failure_ = result.error();
        co_return success;
    }
    asio::awaitable<core::Status> Complete(json::object result, bool success = true) {
        json::object metadata{{"duration_ms", core::ElapsedMs(start_)},
                              {"tools_invoked", tools_},
                              {"tokens_used", tokens_},
                              {"success", success}};
        return sink_.Emit(
            domain::EventType::kAgentCompleted, name_,
            json::object{{"agent", name_}, {"result", std::move(result)}, {"metadata", std::move(metadata)}});
    }
    // Ends the agent after a tool failure; the pipeline carries on with what it has.
    asio::awaitable<core::Status> Fail() {
        return sink_.Emit(domain::EventType::kAgentFailed, name_,
                          json::object{{"agent", name_},
                                       {"error", json::object{{"code", core::WsErrorCode(failure_.code)},
                                                              {"message", failure_.message}}},
                                       {"recoverable", true}});
    }
    const core::Error& Failure() const { return failure_; }
    void AddTokens(int tokens) { tokens_ += tokens; }

  private:
    EventSink& sink_;
    const Pools& pools_;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
    int tools_ = 0;
    int tokens_ = 0;
    core::Error failure_;
};

// Runs a tool; on failure ends the agent (agent_failed), records the gap and returns false from the agent.
// (The tool's name and parameters are named first: GCC 12 miscompiles initializer-list temporaries that live
// across a co_await, "array used as initializer".)
#define NETRA_TOOL(scope, ctx, tool, params, ...)                                                                   \
    do {                                                                                                            \
        std::string _tool = (tool);                                                                                 \
        json::object _params = params;                                                                              \
        auto _ok = co_await (scope).Tool(_tool, std::move(_params), __VA_ARGS__);                                   \
        if (!_ok.ok()) co_return _ok.error();                                                                       \
        if (!*_ok) {                                                                                                \
            (ctx).gaps.push_back(                                                                                   \
                fmt::format("The {} step failed ({}); this report is partial.", _tool, (scope).Failure().message)); \
            NETRA_TRY((scope).Fail());                                                                              \
            co_return false;                                                                                        \
        }                                                                                                           \
    } while (0)

json::array Strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

// Below this rule confidence triage asks the LLM (when one is configured) for the category.
constexpr double kUnsureConfidence = 0.6;
// Stands in for the narrative while the report head is rendered, to find where the streamed prose goes.
constexpr std::string_view kNarrativeMark = "\x01narrative\x01";

bool LatencyGoal(const TriageResult& t) {
    return t.category == "performance_optimization" || t.facts.latency_target_ms.has_value();
}

class Pipeline {
  public:
    Pipeline(const analysis::Catalog& catalog, EventSink& sink, DataAccess& data, llm::Provider& llm,
             const Pools& pools, RunContext& ctx)
        : catalog_(catalog),
          sink_(sink),
          data_(data),
          llm_(llm),
          pools_(pools),
          ask_llm_(!llm.TemplateOnly()),
          ctx_(ctx) {}

    // Each agent: error = the run must end; false = the agent failed (already reported), true = done.
    asio::awaitable<core::Result<bool>> Triage() {
        const RunInput& in = ctx_.input;
        AgentScope scope(sink_, pools_, "triage");
        NETRA_TRY(scope.Start(in.request.substr(0, 200)));
        NETRA_TRY(scope.Think(fmt::format("Reading the {} user message(s) of this thread to extract spend, volume, "
                                          "models and goals.",
                                          in.thread_user_messages.size()),
                              1, 10));
        ExtractedFacts facts;
        NETRA_TOOL(scope, ctx_, "extract_entities", (json::object{{"messages", in.thread_user_messages.size()}}),
                   [&]() -> core::Result<json::object> {
                       facts = ExtractFacts(in.thread_user_messages, &catalog_);
                       return FactsToJson(facts);
                   });
        std::vector<std::string> candidates;
        if (in.dataset_id) candidates.push_back(*in.dataset_id);
        for (auto it = in.dataset_ids.rbegin(); it != in.dataset_ids.rend(); ++it) {
            if (std::find(candidates.begin(), candidates.end(), *it) == candidates.end()) candidates.push_back(*it);
        }
        if (!candidates.empty()) {
            NETRA_TRY(
                scope.Think(fmt::format("Checking the {} dataset(s) attached to this thread for a usable usage log.",
                                        candidates.size()),
                            2, 30));
            NETRA_TOOL(
                scope, ctx_, "check_datasets", (json::object{{"dataset_ids", Strings(candidates)}}),
                [&]() { return CheckDatasets(candidates); }, AgentScope::Where::kBlocking);
        }
        ctx_.triage = agents::Triage(in.thread_user_messages, ctx_.dataset.has_value(), &catalog_);
        if (ask_llm_ && ctx_.triage.confidence < kUnsureConfidence) {
            NETRA_TRY(scope.Think(fmt::format("The rules are unsure of the category ({:.0f}%); asking the {} model "
                                              "to classify the request.",
                                              ctx_.triage.confidence * 100, llm_.Name()),
                                  3, 45));
            json::object params{{"provider", llm_.Name()}, {"rules_category", ctx_.triage.category}};
            auto classified = co_await scope.ToolAsync("classify_request", std::move(params),
                                                       [&]() { return ClassifyWithLlm(scope); });
            if (!classified.ok()) co_return classified.error();  // a failed call keeps the rules' category
        }
        const TriageResult& t = ctx_.triage;
        NETRA_TRY(scope.Think(fmt::format("Classified as {} (confidence {:.0f}%); scoring how complete the facts are.",
                                          t.category, t.confidence * 100),
                              3, 60));
        NETRA_TOOL(scope, ctx_, "score_sufficiency",
                   (json::object{{"category", t.category}, {"has_dataset", t.has_dataset}}),
                   [&]() -> core::Result<json::object> {
                       return json::object{{"completeness", t.completeness},
                                           {"data_sufficiency", t.sufficiency},
                                           {"facts_present", Strings(t.facts_present)},
                                           {"facts_missing", Strings(t.facts_missing)}};
                   });
        json::object result = TriageToJson(t);
        if (ctx_.dataset) {
            result["dataset_id"] = ctx_.dataset->meta.id;
            result["dataset_rows"] = ctx_.dataset->records.size();
        }
        if (!ctx_.dataset_problem.empty()) result["dataset_problem"] = ctx_.dataset_problem;
        NETRA_TRY(scope.Complete(std::move(result)));
        ctx_.triage_ok = true;
        co_return true;
    }

    asio::awaitable<core::Result<bool>> DataHelper() {
        const TriageResult& t = ctx_.triage;
        AgentScope scope(sink_, pools_, "data_helper");
        std::string missing;
        for (const auto& f : t.facts_missing) missing += (missing.empty() ? "" : ", ") + f;
        // Arguments with a conditional are named first: GCC 12 destroys a ?: temporary twice across a co_await.
        std::string summary = "missing: " + (missing.empty() ? std::string("a usage log") : missing);
        NETRA_TRY(scope.Start(std::move(summary)));
        NETRA_TRY(scope.Think(fmt::format("Working out exactly which data a {} request still needs and how to "
                                          "export it.",
                                          t.category),
                              1, 20));
        NETRA_TOOL(scope, ctx_, "build_data_request",
                   (json::object{{"category", t.category}, {"missing_facts", Strings(t.facts_missing)}}),
                   [&]() -> core::Result<json::object> {
                       ctx_.data_request = BuildDataRequest(t, ctx_.dataset_problem);
                       std::size_t items = 0;
                       for (const auto& c : ctx_.data_request->at("categories").as_array()) {
                           items += c.as_object().at("items").as_array().size();
                       }
                       return json::object{{"categories", ctx_.data_request->at("categories").as_array().size()},
                                           {"items", items},
                                           {"missing_facts", Strings(t.facts_missing)}};
                   });
        if (ask_llm_) {
            NETRA_TRY(scope.Think(
                fmt::format("Asking the {} model to explain the request in plain words.", llm_.Name()), 2, 60));
            json::object params{{"provider", llm_.Name()}};
            auto ok = co_await scope.ToolAsync("write_data_request_message", std::move(params),
                                               [&]() { return WriteDataRequestMessage(scope); });
            if (!ok.ok()) co_return ok.error();
        }
        json::object result{{"data_request", *ctx_.data_request}};
        NETRA_TRY(scope.Complete(std::move(result)));
        co_return true;
    }

    asio::awaitable<core::Result<bool>> Data() {
        AgentScope scope(sink_, pools_, "data");
        if (ctx_.dataset) {
            const DatasetView& d = *ctx_.dataset;
            NETRA_TRY(scope.Start(fmt::format("dataset {} ({} rows)", d.meta.id, d.records.size())));
            NETRA_TRY(
                scope.Think(fmt::format("Profiling {} usage records: spend, tokens, latency, repetition and anomalies.",
                                        d.records.size()),
                            1, 20));
            NETRA_TOOL(scope, ctx_, "profile_dataset",
                       (json::object{{"dataset_id", d.meta.id}, {"rows", d.records.size()}}),
                       [&]() -> core::Result<json::object> {
                           ctx_.profile = analysis::ProfileUsage(d.records, catalog_);
                           const auto& p = *ctx_.profile;
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
            const auto& f = ctx_.triage.facts;
            NETRA_TOOL(scope, ctx_, "estimate_profile", (json::object{{"facts", FactsToJson(f)}}),
                       [&]() -> core::Result<json::object> {
                           analysis::StatedFacts stated;
                           stated.monthly_spend_usd = f.monthly_spend_usd;
                           stated.monthly_requests = f.monthly_requests;
                           stated.tokens_per_request = f.tokens_per_request;
                           stated.monthly_tokens = f.monthly_tokens;
                           stated.models = f.models;
                           ctx_.profile = analysis::EstimateProfile(stated, catalog_);
                           const auto& p = *ctx_.profile;
                           return json::object{{"estimated", true},
                                               {"monthly_cost_usd", p.monthly_cost_usd},
                                               {"monthly_requests", p.monthly_requests},
                                               {"tokens_per_request", p.tokens_per_request},
                                               {"primary_model", p.primary_model}};
                       });
        }
        json::object result{{"profile", analysis::ProfileToJson(*ctx_.profile)},
                            {"estimated", ctx_.profile->estimated}};
        NETRA_TRY(scope.Complete(std::move(result)));
        co_return true;
    }

    asio::awaitable<core::Result<bool>> Optimization() {
        AgentScope scope(sink_, pools_, "optimization");
        const analysis::Profile& p = *ctx_.profile;
        analysis::StrategyOptions options;
        options.latency_goal = LatencyGoal(ctx_.triage);
        options.latency_target_ms = ctx_.triage.facts.latency_target_ms;
        std::string summary =
            fmt::format("{} profile, {} per month", p.estimated ? "estimated" : "measured", Money(p.monthly_cost_usd));
        NETRA_TRY(scope.Start(std::move(summary)));
        std::string thought = fmt::format("Pricing each strategy on {} with the supply catalog as of {}.",
                                          p.estimated ? "the stated facts" : "your own traffic", catalog_.AsOf());
        NETRA_TRY(scope.Think(std::move(thought), 1, 10));
        analysis::OptimizationResult result;
        result.estimated = p.estimated;
        if (p.estimated) {
            NETRA_TOOL(scope, ctx_, "estimate_strategies", (json::object{{"monthly_cost_usd", p.monthly_cost_usd}}),
                       [&]() -> core::Result<json::object> {
                           result = analysis::EstimateStrategies(p, catalog_, options);
                           json::array types;
                           for (const auto& s : result.strategies) types.emplace_back(s.type);
                           return json::object{{"strategies", std::move(types)}, {"estimated", true}};
                       });
        } else {
            const auto& records = ctx_.dataset->records;
            int step = 1;
            for (const auto& strategy : analysis::DatasetStrategies()) {
                if (std::string_view(strategy.type) == "latency_routing" && !options.latency_goal) continue;
                NETRA_TOOL(scope, ctx_, "price_strategy", (json::object{{"strategy", strategy.type}}),
                           [&]() -> core::Result<json::object> {
                               auto priced = strategy.price(records, p, catalog_, options, result.not_assessed);
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
        NETRA_TOOL(scope, ctx_, "combine_savings", (json::object{{"strategies", result.strategies.size()}}),
                   [&]() -> core::Result<json::object> {
                       result.combined = analysis::CombineSavings(result.strategies, p.monthly_cost_usd);
                       return json::object{{"current_monthly_usd", result.combined.current_monthly_usd},
                                           {"projected_monthly_usd", result.combined.projected_monthly_usd},
                                           {"savings_usd", result.combined.savings_usd},
                                           {"savings_pct", result.combined.savings_pct},
                                           {"order", Strings(result.combined.order)}};
                   });
        ctx_.optimization = std::move(result);
        NETRA_TRY(scope.Complete(analysis::OptimizationToJson(*ctx_.optimization)));
        co_return true;
    }

    asio::awaitable<core::Result<bool>> Actions() {
        AgentScope scope(sink_, pools_, "actions");
        const auto& o = *ctx_.optimization;
        NETRA_TRY(scope.Start(fmt::format("{} priced strategies", o.strategies.size())));
        NETRA_TRY(
            scope.Think("Turning the strategies into a phased plan, quick wins first, each with an owner, a "
                        "validation metric and a rollback.",
                        1, 20));
        NETRA_TOOL(scope, ctx_, "plan_actions", (json::object{{"strategies", o.strategies.size()}}),
                   [&]() -> core::Result<json::object> {
                       ctx_.plan = analysis::PlanActions(o);
                       int phases = 0;
                       for (const auto& s : *ctx_.plan) phases = std::max(phases, s.phase);
                       return json::object{{"steps", ctx_.plan->size()}, {"phases", phases}};
                   });
        json::array steps;
        for (const auto& s : *ctx_.plan) steps.push_back(analysis::ActionStepToJson(s));
        json::object result{{"plan", std::move(steps)}};
        NETRA_TRY(scope.Complete(std::move(result)));
        co_return true;
    }

    // Never fails: a failing tool or LLM degrades the report, never the run.
    asio::awaitable<core::Result<RunOutput>> Reporting() {
        AgentScope scope(sink_, pools_, "reporting");
        ReportInputs inputs;
        inputs.triage = &ctx_.triage;
        inputs.profile = ctx_.profile ? &*ctx_.profile : nullptr;
        inputs.optimization = ctx_.optimization ? &*ctx_.optimization : nullptr;
        inputs.plan = ctx_.plan ? &*ctx_.plan : nullptr;
        inputs.data_request = ctx_.data_request ? &*ctx_.data_request : nullptr;
        inputs.catalog_as_of = catalog_.AsOf();
        inputs.dataset_name = ctx_.dataset ? ctx_.dataset->meta.name : "";
        inputs.gaps = ctx_.gaps;
        if (!ctx_.dataset_problem.empty()) inputs.gaps.push_back("Attached dataset not used: " + ctx_.dataset_problem);
        std::string type = ReportType(inputs);
        NETRA_TRY(scope.Start(fmt::format("{} report ({}, {})", type, ctx_.triage.category, ctx_.triage.sufficiency)));
        NETRA_TRY(
            scope.Think(fmt::format("Writing the {} report from the results of the previous agents.", type), 1, 20));
        bool degraded = false;
        std::string builtin = BuiltinNarrative(inputs);
        inputs.narrative = builtin;
        json::object llm_info{{"provider", "builtin"}, {"fell_back", false}};
        std::string markdown;
        if (ask_llm_) {
            // Streamed as it is written: the report up to the executive summary, the model's prose token by token,
            // then the rest, rendered once the prose (and any fallback note) is known.
            ReportInputs head = inputs;
            head.narrative = std::string(kNarrativeMark);
            std::string rendered_head = RenderReport(head);
            std::string prefix = rendered_head.substr(0, rendered_head.find(kNarrativeMark));
            NETRA_TRY(StreamText(prefix, "reporting"));
            NETRA_TRY(scope.Think(fmt::format("Asking the {} model for the summary prose; every number stays from "
                                              "the tools.",
                                              llm_.Name()),
                                  2, 40));
            std::string streamed;
            json::object params{{"provider", llm_.Name()}};
            auto ok = co_await scope.ToolAsync("write_narrative", std::move(params),
                                               [&]() { return WriteNarrative(inputs, builtin, scope, streamed); });
            if (!ok.ok()) co_return ok.error();
            if (!*ok) {
                inputs.llm_note = "The LLM provider failed (" + scope.Failure().message +
                                  "); this summary was written by the built-in template.";
            }
            // What the client has seen is the narrative, whatever happened; a failure before any text streams
            // the builtin prose.
            if (streamed.empty()) {
                NETRA_TRY(StreamText(builtin, "reporting"));
                streamed = builtin;
            }
            inputs.narrative = streamed;
            markdown = ctx_.preamble + RenderReport(inputs);
            std::string seen = ctx_.preamble + prefix + streamed;
            if (markdown.compare(0, seen.size(), seen) != 0) {
                co_return core::MakeError(ErrorCode::kInternal, "report prefix changed while streaming");  // a bug
            }
            NETRA_TRY(StreamText(markdown.substr(seen.size()), "reporting"));
            llm_info = json::object{{"provider", llm_provider_.empty() ? llm_.Name() : llm_provider_},
                                    {"fell_back", !inputs.llm_note.empty()}};
        } else {
            json::object params{{"report_type", type}};
            auto rendered =
                co_await scope.Tool("render_report", std::move(params), [&]() -> core::Result<json::object> {
                    markdown = ctx_.preamble + RenderReport(inputs);
                    return json::object{{"bytes", markdown.size()}, {"report_type", type}};
                });
            if (!rendered.ok()) co_return rendered.error();
            if (!*rendered) {
                // The renderer itself failed: a minimal report from the same numbers, never an empty answer.
                degraded = true;
                markdown = ctx_.preamble + "# Netra optimization report\n\n## Executive summary\n\n" + builtin +
                           "\n\n> The full report could not be rendered (" + scope.Failure().message +
                           "); this is a partial report.\n";
                type = "partial";
            }
            NETRA_TRY(StreamText(markdown, "reporting"));
        }
        json::object summary = Summary(type);
        summary["llm"] = llm_info;
        json::object report_result = summary;
        report_result["report_markdown"] = markdown;
        report_result["triage"] = TriageToJson(ctx_.triage);
        NETRA_TRY(scope.Complete(std::move(report_result), !degraded));
        RunOutput out;
        out.report_markdown = std::move(markdown);
        out.result = std::move(summary);
        co_return out;
    }

  private:
    core::Result<json::object> CheckDatasets(const std::vector<std::string>& candidates) {
        std::vector<std::string> problems;
        for (const auto& id : candidates) {
            auto loaded = data_.LoadDataset(ctx_.input.user_id, id);
            if (!loaded.ok()) {
                if (IsFatal(loaded.error())) return loaded.error();
                problems.push_back(id + ": could not be read (" + loaded.error().message + ")");
                continue;
            }
            if (!loaded->has_value()) {
                problems.push_back(id + ": not found");
                continue;
            }
            if ((*loaded)->records.empty()) {
                problems.push_back(id + ": has no valid rows");
                continue;
            }
            ctx_.dataset = std::move(**loaded);
            break;
        }
        // A problem matters only when no attached dataset was usable.
        if (!ctx_.dataset && !problems.empty()) {
            for (const auto& p : problems) ctx_.dataset_problem += (ctx_.dataset_problem.empty() ? "" : "; ") + p;
        }
        json::object summary{{"checked", candidates.size()}, {"problems", Strings(problems)}};
        if (ctx_.dataset) {
            summary["dataset_id"] = ctx_.dataset->meta.id;
            summary["name"] = ctx_.dataset->meta.name;
            summary["rows"] = ctx_.dataset->records.size();
            summary["columns"] = Strings(ctx_.dataset->meta.columns);
        } else {
            summary["dataset_id"] = nullptr;
        }
        return summary;
    }

    // Emits `text` as stream_chunk events (a section or paragraph each), continuing the run's chunk index.
    asio::awaitable<core::Status> StreamText(std::string text, std::string agent) {
        for (auto& chunk : ChunkReport(text)) {
            auto s = co_await EmitChunk(std::move(chunk), agent);
            if (!s.ok()) co_return s;
        }
        co_return core::Ok();
    }
    asio::awaitable<core::Status> EmitChunk(std::string text, std::string agent) {
        if (auto s = sink_.CheckContinue(); !s.ok()) co_return s;
        json::object chunk{{"text", std::move(text)}, {"index", ctx_.next_chunk_index++}};
        co_return co_await sink_.Emit(domain::EventType::kStreamChunk, std::move(agent), std::move(chunk));
    }

    // Calls the LLM, handing each streamed piece to the client at once as a stream_chunk of `agent`; `streamed`
    // collects what was sent. A run that must end (cancelled, timed out) is an error; a failing provider is
    // not (the fallback answers and says so in the result).
    asio::awaitable<core::Result<llm::CompletionResult>> StreamCompletion(const llm::CompletionRequest& request,
                                                                          std::string agent, std::string& streamed) {
        auto emit_status = std::make_shared<core::Status>(core::Ok());
        llm::AsyncChunkCallback on_chunk = [this, agent, emit_status,
                                            &streamed](std::string piece) -> asio::awaitable<bool> {
            if (piece.empty()) co_return true;
            *emit_status = co_await EmitChunk(piece, agent);
            if (!emit_status->ok()) co_return false;
            streamed.append(piece);
            co_return true;
        };
        auto result = co_await llm_.CompleteAsync(request, std::move(on_chunk));
        if (!emit_status->ok()) co_return emit_status->error();
        if (!result.ok()) {
            if (auto s = sink_.CheckContinue(); !s.ok()) co_return s.error();
            co_return result.error();
        }
        co_return result;
    }

    // Triage's second opinion where the rules are unsure: the model answers one category as JSON. Anything
    // else (or a fallback) keeps the rules' answer.
    asio::awaitable<core::Result<json::object>> ClassifyWithLlm(AgentScope& scope) {
        const auto& categories = TriageCategories();
        std::string list;
        for (const auto& c : categories) list += (list.empty() ? "" : ", ") + c;
        std::string thread;
        for (const auto& m : ctx_.input.thread_user_messages) thread += "- " + m + "\n";
        llm::CompletionRequest request;
        request.purpose = "classification";
        request.max_tokens = 60;
        request.temperature = 0;
        request.builtin_text = json::serialize(json::object{{"category", ctx_.triage.category}});
        request.messages = {{"system",
                             "You classify what a team asks an LLM cost and performance optimization assistant. "
                             "Answer with JSON only, {\"category\": \"...\"}, the category one of: " +
                                 list + "."},
                            {"user", "The team's messages, oldest first:\n" + thread}};
        auto result = co_await llm_.CompleteAsync(request, llm::AsyncChunkCallback{});
        if (!result.ok()) {
            if (auto s = sink_.CheckContinue(); !s.ok()) co_return s.error();
            co_return result.error();
        }
        scope.AddTokens(result->tokens_used);
        std::string answer;
        const std::string& text = result->text;
        auto open = text.find('{'), close = text.rfind('}');
        if (open != std::string::npos && close != std::string::npos && close > open) {
            boost::system::error_code ec;
            auto parsed = json::parse(std::string_view(text).substr(open, close - open + 1), ec);
            if (!ec && parsed.is_object()) {
                if (const auto* c = parsed.as_object().if_contains("category"); c && c->is_string()) {
                    answer = std::string(c->get_string());
                }
            }
        }
        bool valid = std::find(categories.begin(), categories.end(), answer) != categories.end();
        json::object summary{{"provider", result->provider},
                             {"fell_back", result->fell_back},
                             {"tokens_used", result->tokens_used},
                             {"answer", valid ? json::value(answer) : json::value(nullptr)}};
        if (!valid) {
            summary["accepted"] = false;
            summary["reason"] = "the model's answer is not one of the categories; the rules' category stands";
            co_return summary;
        }
        if (result->fell_back || result->provider == "builtin") {
            summary["accepted"] = false;
            summary["reason"] = "the model did not answer; the rules' category stands";
            co_return summary;
        }
        ctx_.triage = agents::Triage(ctx_.input.thread_user_messages, ctx_.dataset.has_value(), &catalog_, answer);
        ctx_.triage.classified_by = "llm";
        summary["accepted"] = true;
        co_return summary;
    }

    // The data helper's message to the user, streamed: what is missing and why, in plain words. Its figures and
    // items stay in the structured data_request; the prose opens the report.
    asio::awaitable<core::Result<json::object>> WriteDataRequestMessage(AgentScope& scope) {
        const TriageResult& t = ctx_.triage;
        std::string missing;
        for (const auto& f : t.facts_missing) missing += (missing.empty() ? "" : ", ") + f;
        std::string builtin = fmt::format(
            "To price optimizations for this {} request, Netra still needs {} fact(s): {}. The data request below "
            "says why each one matters and how to export a usage log; attach one and ask again.",
            t.category, t.facts_missing.size(), missing.empty() ? std::string("a usage log") : missing);
        llm::CompletionRequest request;
        request.purpose = "prose";
        request.max_tokens = 200;
        request.builtin_text = builtin;
        request.messages = {
            {"system",
             "You are the data helper of an LLM cost-optimization assistant. In 2-3 friendly sentences, "
             "tell the user which facts are still missing and why they matter. Do not invent numbers."},
            {"user", "Missing facts: " + missing + "\nCategory: " + t.category +
                         "\nFacts already known: " + json::serialize(FactsToJson(t.facts))}};
        constexpr const char* kLead = "**Data helper:** ";
        NETRA_TRY(StreamText(kLead, "data_helper"));
        ctx_.preamble = kLead;
        std::string streamed;
        auto result = co_await StreamCompletion(request, "data_helper", streamed);
        if (!result.ok()) {
            if (auto s = sink_.CheckContinue(); !s.ok()) co_return s.error();  // the run ends: no report follows
        }
        if (streamed.empty()) {  // nothing came through: the template says it
            NETRA_TRY(StreamText(builtin, "data_helper"));
            streamed = builtin;
        }
        NETRA_TRY(StreamText("\n\n", "data_helper"));
        ctx_.preamble += streamed + "\n\n";
        if (!result.ok()) co_return result.error();
        scope.AddTokens(result->tokens_used);
        co_return json::object{{"provider", result->provider},
                               {"fell_back", result->fell_back},
                               {"tokens_used", result->tokens_used},
                               {"chars", streamed.size()}};
    }

    asio::awaitable<core::Result<json::object>> WriteNarrative(ReportInputs& inputs, const std::string& builtin,
                                                               AgentScope& scope, std::string& streamed) {
        llm::CompletionRequest request;
        request.purpose = "prose";
        request.builtin_text = builtin;
        request.max_tokens = 400;
        request.messages = {
            {"system",
             "You write the executive summary of an LLM cost-optimization report in 2-4 sentences of plain prose. "
             "Use only the figures given; do not invent numbers, models or strategies."},
            {"user", "Write the executive summary for these results. Facts:\n" + builtin}};
        auto result = co_await StreamCompletion(request, "reporting", streamed);
        if (!result.ok()) co_return result.error();
        scope.AddTokens(result->tokens_used);
        llm_provider_ = result->provider;
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

    json::object Summary(const std::string& type) const {
        const TriageResult& t = ctx_.triage;
        json::object o{{"category", t.category},
                       {"data_sufficiency", t.sufficiency},
                       {"report_type", type},
                       {"catalog_as_of", catalog_.AsOf()}};
        if (ctx_.profile) {
            const auto& p = *ctx_.profile;
            o["estimated"] = p.estimated;
            o["monthly_cost_usd"] = p.monthly_cost_usd;
            if (!p.estimated) {
                o["dataset_id"] = ctx_.dataset->meta.id;
                o["rows"] = p.rows;
                o["total_cost_usd"] = p.total_cost_usd;
                o["days_covered"] = p.days_covered;
            }
        }
        if (ctx_.optimization) {
            const auto& c = ctx_.optimization->combined;
            o["current_monthly_usd"] = c.current_monthly_usd;
            o["projected_monthly_usd"] = c.projected_monthly_usd;
            o["savings_usd"] = c.savings_usd;
            o["savings_pct"] = c.savings_pct;
            json::array strategies;
            for (const auto& s : ctx_.optimization->strategies) strategies.push_back(analysis::StrategyToJson(s));
            o["strategies"] = std::move(strategies);
        }
        if (ctx_.data_request) o["data_request"] = *ctx_.data_request;
        if (!ctx_.gaps.empty()) o["gaps"] = Strings(ctx_.gaps);
        return o;
    }

    const analysis::Catalog& catalog_;
    EventSink& sink_;
    DataAccess& data_;
    llm::Provider& llm_;
    const Pools& pools_;
    const bool ask_llm_;  // false for the builtin provider: its prose is our own template, rendered directly
    RunContext& ctx_;
    std::string llm_provider_;
};

}  // namespace

asio::awaitable<core::Result<RunOutput>> Supervisor::Execute(RunInput input, EventSink& sink, DataAccess& data) const {
    RunContext ctx;
    ctx.input = std::move(input);
    Pipeline pipeline(catalog_, sink, data, llm_, pools_, ctx);

    auto triaged = co_await pipeline.Triage();
    if (!triaged.ok()) co_return triaged.error();
    const TriageResult& t = ctx.triage;
    if (*triaged && !(t.category == "general" && !t.has_dataset)) {
        bool run_helper = t.sufficiency != "sufficient";
        bool run_data = t.sufficiency != "insufficient";
        if (run_helper) {
            auto r = co_await pipeline.DataHelper();
            if (!r.ok()) co_return r.error();
        }
        if (run_data) {
            auto profiled = co_await pipeline.Data();
            if (!profiled.ok()) co_return profiled.error();
            if (*profiled) {
                auto optimized = co_await pipeline.Optimization();
                if (!optimized.ok()) co_return optimized.error();
                // Actions follow only a sufficient picture (§8: the partial path goes straight to reporting).
                if (*optimized && t.sufficiency == "sufficient") {
                    auto r = co_await pipeline.Actions();
                    if (!r.ok()) co_return r.error();
                }
            }
        }
    }
    co_return co_await pipeline.Reporting();
}

core::Result<RunOutput> ExecuteBlocking(const Supervisor& supervisor, RunInput input, EventSink& sink,
                                        DataAccess& data) {
    asio::io_context ioc;
    std::optional<core::Result<RunOutput>> out;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await supervisor.Execute(std::move(input), sink, data)); },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
}

}  // namespace netra::agents

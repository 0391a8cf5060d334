#include "agents/supervisor.hpp"

#include <boost/json.hpp>

#include "agents/reporting.hpp"
#include "agents/triage.hpp"
#include "core/time.hpp"

namespace netra::agents {
namespace json = boost::json;

namespace {

// Emits the agent_started … agent_completed frame around one agent and fills its metadata.
class AgentScope {
  public:
    AgentScope(EventSink& sink, std::string name) : sink_(sink), name_(std::move(name)), start_(core::MonoNow()) {}

    core::Status Start(const std::string& input_summary) {
        return sink_.Emit("agent_started", name_, json::object{{"agent", name_}, {"input_summary", input_summary}});
    }
    core::Status Think(const std::string& thought, int step, int progress) {
        return sink_.Emit("agent_thinking", name_,
                          json::object{{"thought", thought}, {"step", step}, {"progress", progress}});
    }
    core::Status ToolStart(const std::string& tool, json::object parameters) {
        ++tools_;
        tool_start_ = core::MonoNow();
        return sink_.Emit("tool_executing", name_, json::object{{"tool", tool}, {"parameters", std::move(parameters)}});
    }
    core::Status ToolDone(const std::string& tool, json::object result, bool success = true) {
        return sink_.Emit("tool_completed", name_,
                          json::object{{"tool", tool},
                                       {"result", std::move(result)},
                                       {"duration_ms", core::ElapsedMs(tool_start_)},
                                       {"success", success}});
    }
    core::Status Complete(json::object result) {
        json::object metadata{{"duration_ms", core::ElapsedMs(start_)},
                              {"tools_invoked", tools_},
                              {"tokens_used", 0},  // the builtin provider uses no LLM tokens
                              {"success", true}};
        return sink_.Emit(
            "agent_completed", name_,
            json::object{{"agent", name_}, {"result", std::move(result)}, {"metadata", std::move(metadata)}});
    }

  private:
    EventSink& sink_;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point tool_start_;
    int tools_ = 0;
};

#define NETRA_TRY(expr)                                    \
    do {                                                   \
        if (auto _s = (expr); !_s.ok()) return _s.error(); \
    } while (0)

}  // namespace

core::Result<RunOutput> Supervisor::Execute(const RunInput& input, EventSink& sink) const {
    // Triage: entities over the whole thread, category, sufficiency.
    AgentScope triage(sink, "triage");
    NETRA_TRY(triage.Start(input.request.substr(0, 200)));
    NETRA_TRY(triage.Think("Reading the " + std::to_string(input.thread_user_messages.size()) +
                               " user message(s) of this thread to extract spend, volume, models and goals.",
                           1, 10));
    json::array messages;
    for (const auto& m : input.thread_user_messages) messages.emplace_back(m);
    NETRA_TRY(triage.ToolStart("extract_entities", json::object{{"messages", messages.size()}}));
    TriageResult t = Triage(input.thread_user_messages, input.dataset_id.has_value());
    NETRA_TRY(triage.ToolDone("extract_entities", FactsToJson(t.facts)));
    NETRA_TRY(triage.Think("Classified as " + t.category + "; scoring how complete the facts are.", 2, 60));
    NETRA_TRY(triage.ToolStart("score_sufficiency", json::object{{"category", t.category}}));
    NETRA_TRY(triage.ToolDone("score_sufficiency",
                              json::object{{"completeness", t.completeness}, {"data_sufficiency", t.sufficiency}}));
    json::object triage_result = TriageToJson(t);
    NETRA_TRY(triage.Complete(triage_result));

    // Reporting: never fails; streams the report as it is produced.
    AgentScope reporting(sink, "reporting");
    NETRA_TRY(reporting.Start("triage result: " + t.category + ", " + t.sufficiency));
    NETRA_TRY(reporting.Think("Writing the report from the triage result.", 1, 20));
    NETRA_TRY(reporting.ToolStart("render_report", json::object{{"sections", 5}}));
    std::string markdown = RenderReport(t);
    NETRA_TRY(reporting.ToolDone("render_report", json::object{{"bytes", markdown.size()}}));
    auto chunks = ChunkReport(markdown);
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        NETRA_TRY(sink.CheckContinue());
        NETRA_TRY(sink.Emit("stream_chunk", "reporting", json::object{{"text", chunks[i]}, {"index", i}}));
    }
    json::object report_result{{"report_markdown", markdown},
                               {"report_type", t.sufficiency == "sufficient" ? "full" : "guidance"},
                               {"triage", triage_result}};
    NETRA_TRY(reporting.Complete(report_result));

    RunOutput out;
    out.report_markdown = std::move(markdown);
    out.result = json::object{
        {"category", t.category}, {"data_sufficiency", t.sufficiency}, {"report_type", report_result["report_type"]}};
    return out;
}

}  // namespace netra::agents

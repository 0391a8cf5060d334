#pragma once
// The LangGraph Platform / Agent Protocol adapter's pure mappings (docs/protocols.md, "LangGraph / Agent Protocol"):
// Netra's threads, messages and runs as LangGraph's threads, LangChain message dicts and runs, and a run's event log
// as LangGraph's stream modes. No I/O here: the handlers (langgraph_handlers.cpp) load and submit, these render.
#include <boost/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "domain/records.hpp"
#include "net/http/run_event_stream.hpp"

namespace netra::net::http::langgraph {

// The one assistant: Netra's supervisor. Either id is accepted wherever an assistant_id is expected.
inline constexpr std::string_view kGraphId = "netra";
inline constexpr std::string_view kAssistantId = "5e7a1c3b-9d2f-5a4e-8b61-0c3f2d9e7a10";
bool IsOurAssistant(std::string_view id);
boost::json::object AssistantJson();

// queued → pending, running/cancelling → running, completed → success, failed → error, cancelled → interrupted,
// interrupted (a crashed instance's run, about to be resumed) → pending.
std::string_view RunStatusName(domain::RunStatus status);
// LangGraph's multitask_strategy → Netra's double-text policy: reject, enqueue, interrupt; rollback → interrupt.
// Absent → reject (LangGraph's default). nullopt for an unknown value.
std::optional<std::string> PolicyFor(const std::optional<std::string>& multitask_strategy);
std::string_view StrategyFor(domain::DoubleTextPolicy policy);

// The content of the last human message of a run's `input` ({messages: [{type|role: human|user, content}]}, content
// a string or text blocks); kValidationFailed when there is none.
core::Result<std::string> HumanInput(const boost::json::value& input);

// The stream modes asked for (a string or an array; absent → ["values"]). Supported: values, messages-tuple,
// messages, updates, custom; LangGraph's other modes (events, debug, tasks, checkpoints, tools, lifecycle) are
// accepted and stream nothing; kValidationFailed names any other string.
core::Result<std::set<std::string>> StreamModes(const boost::json::value* stream_mode);
core::Result<std::set<std::string>> StreamModes(const std::vector<std::string>& stream_mode);

// A stored message as a LangChain message dict. A human message keeps its Netra id; a run's answer is
// "run-<run_id>", the id its streamed chunks carry.
std::string AiMessageId(std::string_view run_id);
boost::json::object MessageDict(const domain::Message& message);
boost::json::object AiMessage(std::string_view run_id, std::string content);

// The thread's messages as they stood before `run_id` answered: up to and including the run's human message, without
// its answer (and without later runs' messages). All of them when no message belongs to the run.
boost::json::array MessagesBeforeAnswer(const std::vector<domain::Message>& messages, std::string_view run_id);
// The thread's messages up to and including the run's answer (all of them when no message belongs to the run).
boost::json::array MessagesThroughRun(const std::vector<domain::Message>& messages, std::string_view run_id);
boost::json::array AllMessages(const std::vector<domain::Message>& messages);

// idle | busy (a queued or running run) | error (the latest run failed).
std::string_view ThreadStatus(const std::vector<domain::Run>& runs);

boost::json::object ThreadJson(const domain::Thread& thread, const std::vector<domain::Message>& messages,
                               const std::vector<domain::Run>& runs);
// The thread's synthesized metadata (Netra threads store none): graph_id, assistant_id, title.
boost::json::object ThreadMetadata(const domain::Thread& thread);
// A ThreadState: the values after `count` of the messages (all when count is nullopt), checkpoints named after the
// last message they hold.
boost::json::object ThreadStateJson(const domain::Thread& thread, const std::vector<domain::Message>& messages,
                                    std::size_t count, bool busy);
boost::json::object RunJson(const domain::Run& run);

// What a LangGraph stream of one run is told before its events.
struct StreamSetup {
    std::string run_id;
    std::string thread_id;
    std::set<std::string> modes;
    bool send_metadata = true;         // a fresh stream (no Last-Event-ID): `metadata` first, then the current `values`
    boost::json::array base_messages;  // the thread's values before the run's answer
    std::string report_so_far;         // stream_chunk text the client holds (a resumed join)
    domain::RunStatus status = domain::RunStatus::kRunning;  // the run's status when the stream began
};

// Netra's events in LangGraph's stream modes. Every frame derived from an event carries `id: <seq>` (a join with
// Last-Event-ID resumes after that event); the opening `metadata`/`values` frames carry none.
class LangGraphTranslator final : public SseTranslator {
  public:
    explicit LangGraphTranslator(StreamSetup setup);
    std::string Begin() override;
    std::string Translate(const runs::ReplayEvent& event) override;
    std::string End() override;
    // The event as parsed from its envelope (exposed for tests).
    std::string TranslateEnvelope(std::int64_t seq, const boost::json::object& envelope);

  private:
    bool Has(std::string_view mode) const { return setup_.modes.count(std::string(mode)) > 0; }
    boost::json::object Values() const;

    StreamSetup setup_;
    std::string report_;
    bool message_announced_ = false;
    std::optional<domain::EventType> terminal_;
};

}  // namespace netra::net::http::langgraph

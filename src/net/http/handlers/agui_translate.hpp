#pragma once
// The AG-UI adapter's pure part (POST /ag-ui, docs/protocols.md "AG-UI"): what a RunAgentInput asks Netra for, and
// how a run's events become AG-UI events. No I/O here: agui_handlers.cpp submits the run and streams it through
// run_event_stream.hpp with a translator that feeds EventMapper; the unit tests feed it envelopes directly.
//
// The order EventMapper writes is the one @ag-ui/client's verifyEvents accepts: RUN_STARTED first; one
// STEP_STARTED/STEP_FINISHED pair per agent; every tool call START → ARGS → END at once, its TOOL_CALL_RESULT when
// the tool completes; each thought a closed REASONING span; the report one text message, opened at the run's first
// chunk and ended before the reporting agent's STEP_FINISHED; nothing left open, then STATE_SNAPSHOT and exactly one
// RUN_FINISHED or RUN_ERROR, after which nothing.
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace netra::net::http::agui {

// What Netra takes from a RunAgentInput.
struct RunRequest {
    std::optional<std::string> thread_id;   // threadId; absent: a new thread
    std::optional<std::string> run_id;      // runId (the client's, echoed in RUN_STARTED/RUN_FINISHED)
    std::string content;                    // the text of the last user message
    std::optional<std::string> dataset_id;  // forwardedProps.dataset_id (or datasetId)
    std::string policy = "enqueue";         // forwardedProps.policy
};

// Validates the body: messages must be an array whose last user message has text and is not followed by an
// assistant or tool message (that turn was answered already). Errors are kValidationFailed.
core::Result<RunRequest> ParseRunAgentInput(const boost::json::object& body);

// A thread title from the message: trimmed, at most 80 bytes, cut at a UTF-8 character boundary.
std::string ThreadTitleFrom(std::string_view content);

// The identifiers of one stream: the AG-UI ones the client sent (echoed) and Netra's.
struct StreamIds {
    std::string thread_id;  // AG-UI threadId (= the Netra thread's id)
    std::string run_id;     // AG-UI runId (the client's, or Netra's run id when the client sent none)
    std::string netra_run_id;
};

// Netra run events (envelopes, in seq order) → AG-UI events. One per stream.
class EventMapper {
  public:
    explicit EventMapper(StreamIds ids) : ids_(std::move(ids)) {}

    // RUN_STARTED, sent as soon as the run is accepted (a queued run has no events yet).
    std::vector<boost::json::object> Start();
    // The AG-UI events for one envelope {type, run_id, thread_id, seq, timestamp, agent_name?, payload}.
    std::vector<boost::json::object> Map(const boost::json::object& envelope);
    // The stream ends without the run's terminal event having been mapped: closes what is open and ends the run
    // with RUN_ERROR (code STREAM_ENDED). Nothing when the run has finished already.
    std::vector<boost::json::object> Finish();

    bool finished() const { return finished_; }

  private:
    using Events = std::vector<boost::json::object>;
    boost::json::object Event(std::string_view type, std::optional<std::int64_t> timestamp) const;
    boost::json::object RunMetadata() const;
    void CloseText(Events& out, std::optional<std::int64_t> ts);
    void CloseSteps(Events& out, std::optional<std::int64_t> ts);
    void CloseAll(Events& out, std::optional<std::int64_t> ts, std::string_view why);
    void Terminal(const std::string& type, const boost::json::object& payload, std::optional<std::int64_t> ts,
                  Events& out);

    struct PendingTool {
        std::string agent, tool, id;
    };
    StreamIds ids_;
    bool started_ = false;
    bool finished_ = false;
    std::vector<std::string> open_steps_;     // in start order
    std::optional<std::string> text_id_;      // the report's text message, while open
    std::vector<PendingTool> pending_tools_;  // started, no result yet
};

// One SSE frame as the AG-UI HttpAgent parses it: "data: <json>\n\n".
std::string SseData(const boost::json::object& event);

}  // namespace netra::net::http::agui

#pragma once
// Pure checks over what the server sent (run event sequences, reports, error bodies): kept apart from the
// network code so their rules are unit-tested on synthetic frames.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace netra::stage {

bool IsTerminalRunEvent(std::string_view type);  // run_completed / run_failed / run_cancelled

// Checks one run's events (in arrival order) against SPEC §6: envelope fields (type, run_id, thread_id,
// seq, RFC 3339 ms timestamp, payload object), seq contiguous from 1, run_started first, exactly one
// terminal run_* event and it is last, and per agent: agent_started → ≥1 agent_thinking → tool pairs →
// agent_completed/agent_failed. Returns every violation found (empty = valid).
std::vector<std::string> ValidateRunSequence(const std::vector<boost::json::object>& events, const std::string& run_id,
                                             const std::string& thread_id);

// The agents in the order they started.
std::vector<std::string> AgentOrder(const std::vector<boost::json::object>& events);

// The report markdown in reporting's agent_completed.payload.result: a string, or an object field named
// markdown/report/content/text. nullopt if absent.
std::optional<std::string> ReportMarkdown(const boost::json::object& agent_completed_event);

// stream_chunk payload texts ordered by payload.index (arrival order for ties/missing index).
std::string ConcatStreamChunks(const std::vector<boost::json::object>& events);

// True when `text` is RFC 3339 with exactly millisecond precision, e.g. 2026-01-02T03:04:05.678Z or +01:00.
bool IsRfc3339Millis(std::string_view text);

// Checks an HTTP error body: {"error": <expected_code>, "message": string, "request_id": string}, and that
// the X-Request-Id header equals request_id. Empty = valid, else a description.
std::string CheckErrorBody(int status, const std::optional<boost::json::value>& body,
                           const std::optional<std::string>& request_id_header, int expected_status,
                           std::string_view expected_code);

// The forms of the numbers in a JSON text, string literals skipped (issue 12: every number on the wire is plain
// decimal, `6819.41` and `90`, never `6.81941E3` or `9E1`).
struct NumberForms {
    int fractional = 0;          // plain numbers with a fraction (`23.15`): shows a check saw real figures
    int exponent = 0;            // numbers with an exponent (`9E1`, `1.5e-7`)
    std::string first_exponent;  // the first of those, with up to 40 characters of text either side
};
NumberForms ScanNumberForms(std::string_view json_text);

}  // namespace netra::stage

#pragma once
// The closed sets of the data model as enums, with their wire and storage names (SPEC §3, §6, §7). Parsing a
// name that is not in the set gives nullopt: callers answer it as bad input (HTTP, WebSocket) or as a corrupt
// row (storage), never as a default.
#include <optional>
#include <string_view>

namespace netra::domain {

// queued → running → completed | failed | cancelled; interrupted while a crash left it without an owner.
// cancelling is never stored: the answer to a cancel of a running run, which stops at its next event boundary.
enum class RunStatus { kQueued, kRunning, kCompleted, kFailed, kCancelled, kInterrupted, kCancelling };
enum class MessageRole { kUser, kAssistant, kSystem };
// What a second message does while its thread has an active run (§7).
enum class DoubleTextPolicy { kEnqueue, kReject, kInterrupt };
enum class EventType {
    kRunStarted,
    kRunCompleted,
    kRunFailed,
    kRunCancelled,
    kAgentStarted,
    kAgentThinking,
    kToolExecuting,
    kToolCompleted,
    kStreamChunk,
    kAgentCompleted,
    kAgentFailed,
    kRunResumed,  // a run taken over after its process stopped: the agents that completed are not run again
};

std::string_view Name(RunStatus status);
std::string_view Name(MessageRole role);
std::string_view Name(DoubleTextPolicy policy);
std::string_view Name(EventType type);

std::optional<RunStatus> ParseRunStatus(std::string_view name);
std::optional<MessageRole> ParseMessageRole(std::string_view name);
std::optional<DoubleTextPolicy> ParseDoubleTextPolicy(std::string_view name);
std::optional<EventType> ParseEventType(std::string_view name);

// completed, failed or cancelled: nothing of the run follows.
bool IsFinished(RunStatus status);
// run_completed, run_failed, run_cancelled: the run's last event.
bool IsTerminal(EventType type);
// The terminal event of a finished status (run_completed for completed, …); kRunFailed for any other.
EventType TerminalEventFor(RunStatus status);

}  // namespace netra::domain

#include "domain/values.hpp"

#include <array>
#include <utility>

namespace netra::domain {

namespace {

template <class E, std::size_t N>
std::string_view NameIn(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
    for (const auto& [v, name] : table) {
        if (v == value) return name;
    }
    return "unknown";
}

template <class E, std::size_t N>
std::optional<E> ParseIn(const std::array<std::pair<E, std::string_view>, N>& table, std::string_view name) {
    for (const auto& [v, n] : table) {
        if (n == name) return v;
    }
    return std::nullopt;
}

constexpr std::array<std::pair<RunStatus, std::string_view>, 7> kRunStatuses{{
    {RunStatus::kQueued, "queued"},
    {RunStatus::kRunning, "running"},
    {RunStatus::kCompleted, "completed"},
    {RunStatus::kFailed, "failed"},
    {RunStatus::kCancelled, "cancelled"},
    {RunStatus::kInterrupted, "interrupted"},
    {RunStatus::kCancelling, "cancelling"},
}};
constexpr std::array<std::pair<MessageRole, std::string_view>, 3> kRoles{{
    {MessageRole::kUser, "user"},
    {MessageRole::kAssistant, "assistant"},
    {MessageRole::kSystem, "system"},
}};
constexpr std::array<std::pair<DoubleTextPolicy, std::string_view>, 3> kPolicies{{
    {DoubleTextPolicy::kEnqueue, "enqueue"},
    {DoubleTextPolicy::kReject, "reject"},
    {DoubleTextPolicy::kInterrupt, "interrupt"},
}};
constexpr std::array<std::pair<EventType, std::string_view>, 12> kEventTypes{{
    {EventType::kRunStarted, "run_started"},
    {EventType::kRunCompleted, "run_completed"},
    {EventType::kRunFailed, "run_failed"},
    {EventType::kRunCancelled, "run_cancelled"},
    {EventType::kAgentStarted, "agent_started"},
    {EventType::kAgentThinking, "agent_thinking"},
    {EventType::kToolExecuting, "tool_executing"},
    {EventType::kToolCompleted, "tool_completed"},
    {EventType::kStreamChunk, "stream_chunk"},
    {EventType::kAgentCompleted, "agent_completed"},
    {EventType::kAgentFailed, "agent_failed"},
    {EventType::kRunResumed, "run_resumed"},
}};

}  // namespace

std::string_view Name(RunStatus status) { return NameIn(kRunStatuses, status); }
std::string_view Name(MessageRole role) { return NameIn(kRoles, role); }
std::string_view Name(DoubleTextPolicy policy) { return NameIn(kPolicies, policy); }
std::string_view Name(EventType type) { return NameIn(kEventTypes, type); }

std::optional<RunStatus> ParseRunStatus(std::string_view name) { return ParseIn(kRunStatuses, name); }
std::optional<MessageRole> ParseMessageRole(std::string_view name) { return ParseIn(kRoles, name); }
std::optional<DoubleTextPolicy> ParseDoubleTextPolicy(std::string_view name) { return ParseIn(kPolicies, name); }
std::optional<EventType> ParseEventType(std::string_view name) { return ParseIn(kEventTypes, name); }

bool IsFinished(RunStatus status) {
    return status == RunStatus::kCompleted || status == RunStatus::kFailed || status == RunStatus::kCancelled;
}

bool IsTerminal(EventType type) {
    return type == EventType::kRunCompleted || type == EventType::kRunFailed || type == EventType::kRunCancelled;
}

EventType TerminalEventFor(RunStatus status) {
    switch (status) {
        case RunStatus::kCompleted:
            return EventType::kRunCompleted;
        case RunStatus::kCancelled:
            return EventType::kRunCancelled;
        default:
            return EventType::kRunFailed;
    }
}

}  // namespace netra::domain

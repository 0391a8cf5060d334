#include "domain/values.hpp"

#include <gtest/gtest.h>

namespace netra::domain {
namespace {

TEST(DomainValues, NamesRoundTripAndUnknownNamesAreRefused) {
    for (auto s : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kCompleted, RunStatus::kFailed,
                   RunStatus::kCancelled, RunStatus::kInterrupted, RunStatus::kCancelling}) {
        EXPECT_EQ(ParseRunStatus(Name(s)), s);
    }
    for (auto r : {MessageRole::kUser, MessageRole::kAssistant, MessageRole::kSystem}) {
        EXPECT_EQ(ParseMessageRole(Name(r)), r);
    }
    for (auto p : {DoubleTextPolicy::kEnqueue, DoubleTextPolicy::kReject, DoubleTextPolicy::kInterrupt}) {
        EXPECT_EQ(ParseDoubleTextPolicy(Name(p)), p);
    }
    EXPECT_EQ(Name(EventType::kStreamChunk), "stream_chunk");
    EXPECT_EQ(ParseEventType("agent_failed"), EventType::kAgentFailed);
    EXPECT_FALSE(ParseRunStatus("Running"));
    EXPECT_FALSE(ParseDoubleTextPolicy(""));
    EXPECT_EQ(ParseEventType("run_resumed"), EventType::kRunResumed);
    EXPECT_FALSE(ParseEventType("run_paused"));
}

TEST(DomainValues, TerminalStatesAndEvents) {
    EXPECT_TRUE(IsFinished(RunStatus::kCancelled));
    EXPECT_FALSE(IsFinished(RunStatus::kInterrupted));
    EXPECT_FALSE(IsFinished(RunStatus::kCancelling));
    EXPECT_TRUE(IsTerminal(EventType::kRunFailed));
    EXPECT_FALSE(IsTerminal(EventType::kAgentFailed));
    EXPECT_EQ(TerminalEventFor(RunStatus::kCompleted), EventType::kRunCompleted);
    EXPECT_EQ(TerminalEventFor(RunStatus::kCancelled), EventType::kRunCancelled);
    EXPECT_EQ(TerminalEventFor(RunStatus::kInterrupted), EventType::kRunFailed);
}

}  // namespace
}  // namespace netra::domain

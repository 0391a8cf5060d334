// The AG-UI mapping without a server: RunAgentInput parsing, and Netra envelopes → AG-UI events checked against the
// ordering rules of @ag-ui/client's verifyEvents (re-stated in Verify below). tests/ag-ui/ runs the real client.
#include "net/http/handlers/agui_translate.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/json_util.hpp"

namespace netra::net::http::agui {
namespace json = boost::json;

namespace {

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

std::string Str(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
}

// Builds a run's envelopes with contiguous seqs.
class Envelopes {
  public:
    json::object Next(std::string_view type, std::string_view agent, json::object payload) {
        json::object e{{"type", type},
                       {"run_id", "r1"},
                       {"thread_id", "t1"},
                       {"seq", ++seq_},
                       {"timestamp", "2026-11-29T01:50:20.019Z"}};
        if (!agent.empty()) e["agent_name"] = agent;
        e["payload"] = std::move(payload);
        return e;
    }

  private:
    std::int64_t seq_ = 0;
};

// The ordering rules of verifyEvents (@ag-ui/client 1.0.0, src/verify/verify.ts) for the events Netra sends;
// returns the first violation, empty when the stream passes.
std::string Verify(const std::vector<json::object>& events) {
    std::set<std::string> steps, messages, calls, reasoning, spans;
    bool finished = false, errored = false;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        const std::string type = Str(e, "type"), at = " at event " + std::to_string(i) + " " + type;
        if (finished || errored) return "event after the run ended" + at;
        if (i == 0 && type != "RUN_STARTED" && type != "RUN_ERROR") return "first event must be RUN_STARTED" + at;
        if (type == "RUN_STARTED") {
            if (i != 0) return "second RUN_STARTED" + at;
            if (Str(e, "threadId").empty() || Str(e, "runId").empty()) return "missing ids" + at;
        } else if (type == "STEP_STARTED") {
            if (!steps.insert(Str(e, "stepName")).second) return "step already active" + at;
        } else if (type == "STEP_FINISHED") {
            if (!steps.erase(Str(e, "stepName"))) return "step not started" + at;
        } else if (type == "TEXT_MESSAGE_START") {
            if (!messages.insert(Str(e, "messageId")).second) return "message already active" + at;
        } else if (type == "TEXT_MESSAGE_CONTENT") {
            if (!messages.contains(Str(e, "messageId"))) return "content without start" + at;
            if (Str(e, "delta").empty()) return "empty delta" + at;
        } else if (type == "TEXT_MESSAGE_END") {
            if (!messages.erase(Str(e, "messageId"))) return "end without start" + at;
        } else if (type == "TOOL_CALL_START") {
            if (!calls.insert(Str(e, "toolCallId")).second) return "tool call already active" + at;
            if (Str(e, "toolCallName").empty()) return "tool call without a name" + at;
        } else if (type == "TOOL_CALL_ARGS") {
            if (!calls.contains(Str(e, "toolCallId"))) return "args without start" + at;
        } else if (type == "TOOL_CALL_END") {
            if (!calls.erase(Str(e, "toolCallId"))) return "end without start" + at;
        } else if (type == "TOOL_CALL_RESULT") {
            if (Str(e, "messageId").empty() || Str(e, "toolCallId").empty() || !e.contains("content"))
                return "result fields" + at;
        } else if (type == "REASONING_START") {
            if (!spans.insert(Str(e, "messageId")).second) return "span already open" + at;
        } else if (type == "REASONING_MESSAGE_START") {
            if (!reasoning.insert(Str(e, "messageId")).second) return "reasoning already open" + at;
        } else if (type == "REASONING_MESSAGE_CONTENT") {
            if (!reasoning.contains(Str(e, "messageId"))) return "reasoning content without start" + at;
        } else if (type == "REASONING_MESSAGE_END") {
            if (!reasoning.erase(Str(e, "messageId"))) return "reasoning end without start" + at;
        } else if (type == "REASONING_END") {
            if (!spans.erase(Str(e, "messageId"))) return "span end without start" + at;
        } else if (type == "STATE_SNAPSHOT") {
            if (!e.contains("snapshot")) return "snapshot missing" + at;
        } else if (type == "RUN_FINISHED") {
            if (!steps.empty() || !messages.empty() || !calls.empty() || !reasoning.empty() || !spans.empty())
                return "RUN_FINISHED with something open" + at;
            if (Str(e, "threadId").empty() || Str(e, "runId").empty()) return "missing ids" + at;
            finished = true;
        } else if (type == "RUN_ERROR") {
            if (Str(e, "message").empty()) return "RUN_ERROR without message" + at;
            errored = true;
        } else if (type != "CUSTOM") {
            return "unexpected type" + at;
        }
    }
    if (!finished && !errored) return "the run never ended";
    return {};
}

std::vector<std::string> Types(const std::vector<json::object>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(Str(e, "type"));
    return out;
}

// Every AG-UI event of a run: Start, then Map of each envelope.
std::vector<json::object> MapAll(EventMapper& mapper, const std::vector<json::object>& envelopes) {
    auto out = mapper.Start();
    for (const auto& e : envelopes) {
        auto more = mapper.Map(e);
        out.insert(out.end(), more.begin(), more.end());
    }
    return out;
}

StreamIds Ids() { return StreamIds{"t1", "client-run", "r1"}; }

// A run like the builtin pipeline's general answer: triage with a tool, reporting streaming its report with a tool
// call in the middle of the text (write_narrative streams while it runs).
std::vector<json::object> GeneralRun() {
    Envelopes r;
    return {
        r.Next("run_started", "", Obj(R"({"status":"running","duration_ms":0})")),
        r.Next("agent_started", "triage", Obj(R"({"agent":"triage","input_summary":"hello"})")),
        r.Next("agent_thinking", "triage", Obj(R"({"thought":"Reading the message.","step":1,"progress":10})")),
        r.Next("tool_executing", "triage", Obj(R"({"tool":"extract_entities","parameters":{"messages":1}})")),
        r.Next("tool_completed", "triage",
               Obj(R"({"tool":"extract_entities","result":{"models":[]},"duration_ms":1.5,"success":true})")),
        r.Next("agent_completed", "triage", Obj(R"({"agent":"triage","result":{"category":"general"}})")),
        r.Next("agent_started", "reporting", Obj(R"({"agent":"reporting","input_summary":"answer"})")),
        r.Next("stream_chunk", "reporting", Obj(R"({"text":"# Report\n\n","index":0})")),
        r.Next("tool_executing", "reporting", Obj(R"({"tool":"write_narrative","parameters":{"provider":"builtin"}})")),
        r.Next("stream_chunk", "reporting", Obj(R"({"text":"","index":1})")),
        r.Next("stream_chunk", "reporting", Obj(R"({"text":"Netra \"analyses\" usage.","index":2})")),
        r.Next("tool_completed", "reporting",
               Obj(R"({"tool":"write_narrative","result":{"provider":"builtin"},"duration_ms":0.2,"success":true})")),
        r.Next("agent_completed", "reporting", Obj(R"({"agent":"reporting","result":{"report":"…"}})")),
        r.Next("run_completed", "",
               Obj(R"({"status":"completed","duration_ms":2,"result":{"category":"general","savings_usd":6.75}})")),
    };
}

}  // namespace

TEST(AgUiInput, TakesTheLastUserMessageAndTheForwardedProps) {
    auto r = ParseRunAgentInput(Obj(R"({"threadId":"t-1","runId":"run-1","state":{},"tools":[],"context":[],
        "messages":[{"id":"1","role":"user","content":"first"},{"id":"2","role":"assistant","content":"answer"},
                    {"id":"3","role":"user","content":"  second  "}],
        "forwardedProps":{"policy":"reject","dataset_id":"d1"}})"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->thread_id, "t-1");
    EXPECT_EQ(r->run_id, "run-1");
    EXPECT_EQ(r->content, "  second  ");
    EXPECT_EQ(r->policy, "reject");
    EXPECT_EQ(r->dataset_id, "d1");
}

TEST(AgUiInput, ContentPartsAndDefaults) {
    auto r = ParseRunAgentInput(Obj(R"({"messages":[{"id":"1","role":"system","content":"be brief"},
        {"id":"2","role":"user","content":[{"type":"text","text":"We spend "},{"type":"image","source":{}},
                                            {"type":"text","text":"$40k/month"}]},
        {"id":"3","role":"developer","content":"x"}],"forwardedProps":{"datasetId":"d2"}})"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->thread_id);
    EXPECT_FALSE(r->run_id);
    EXPECT_EQ(r->content, "We spend $40k/month");
    EXPECT_EQ(r->policy, "enqueue");
    EXPECT_EQ(r->dataset_id, "d2");
}

TEST(AgUiInput, RefusesWhatIsNotANewUserMessage) {
    for (const char* body : {
             R"({"threadId":"t"})",                         // no messages
             R"({"messages":{}})",                          // not an array
             R"({"messages":[]})",                          // no user message
             R"({"messages":[{"id":"1","content":"x"}]})",  // no role
             R"({"messages":[{"id":"1","role":"user","content":"q"},{"id":"2","role":"assistant","content":"a"}]})",
             R"({"messages":[{"id":"1","role":"user","content":"q"},{"id":"2","role":"tool","toolCallId":"c",
                 "content":"r"}]})",
             R"({"messages":[{"id":"1","role":"user","content":"   "}]})",             // no text
             R"({"messages":[{"id":"1","role":"user","content":42}]})",                // bad content
             R"({"threadId":7,"messages":[{"id":"1","role":"user","content":"q"}]})",  // bad threadId
             R"({"runId":"","messages":[{"id":"1","role":"user","content":"q"}]})",    // empty runId
             R"({"messages":[{"id":"1","role":"user","content":"q"}],"forwardedProps":{"policy":"later"}})",
         }) {
        auto r = ParseRunAgentInput(Obj(body));
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(r.error().code, core::ErrorCode::kValidationFailed) << body;
        EXPECT_FALSE(r.error().message.empty());
    }
}

TEST(AgUiInput, ThreadTitleIsCutAtACharacterBoundary) {
    EXPECT_EQ(ThreadTitleFrom("  hello \n"), "hello");
    std::string long_text(79, 'a');
    long_text += "é and more";  // é straddles byte 80
    EXPECT_EQ(ThreadTitleFrom(long_text), std::string(79, 'a') + "…");
}

TEST(AgUiEvents, AGeneralRunPassesTheVerifierInTheExpectedOrder) {
    EventMapper mapper(Ids());
    auto events = MapAll(mapper, GeneralRun());
    EXPECT_EQ(Verify(events), "");
    EXPECT_TRUE(mapper.finished());
    const std::vector<std::string> expected = {
        "RUN_STARTED",
        "STEP_STARTED",
        "REASONING_START",
        "REASONING_MESSAGE_START",
        "REASONING_MESSAGE_CONTENT",
        "REASONING_MESSAGE_END",
        "REASONING_END",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TOOL_CALL_RESULT",
        "STEP_FINISHED",
        "STEP_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TOOL_CALL_START",
        "TOOL_CALL_ARGS",
        "TOOL_CALL_END",
        "TEXT_MESSAGE_CONTENT",  // the empty chunk has none
        "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_END",
        "STEP_FINISHED",
        "STATE_SNAPSHOT",
        "RUN_FINISHED",
    };
    EXPECT_EQ(Types(events), expected);

    EXPECT_EQ(Str(events[0], "threadId"), "t1");
    EXPECT_EQ(Str(events[0], "runId"), "client-run");
    EXPECT_EQ(events[0].at("metadata").at("netra").at("run_id"), "r1");
    EXPECT_EQ(Str(events[1], "stepName"), "triage");
    EXPECT_EQ(Str(events[4], "delta"), "Reading the message.");
    EXPECT_EQ(Str(events[7], "toolCallName"), "extract_entities");
    EXPECT_EQ(json::parse(Str(events[8], "delta")), json::parse(R"({"messages":1})"));
    EXPECT_EQ(Str(events[10], "toolCallId"), Str(events[7], "toolCallId"));
    EXPECT_EQ(json::parse(Str(events[10], "content")), json::parse(R"({"models":[]})"));
    EXPECT_EQ(events[10].at("metadata").at("netra").at("success"), true);
    EXPECT_EQ(Str(events[13], "role"), "assistant");
    std::string text;
    for (const auto& e : events)
        if (Str(e, "type") == "TEXT_MESSAGE_CONTENT") text += Str(e, "delta");
    EXPECT_EQ(text, "# Report\n\nNetra \"analyses\" usage.");
    EXPECT_EQ(Str(events[19], "toolCallId"), Str(events[15], "toolCallId"));
    const auto& snapshot = events[22].at("snapshot").as_object();
    EXPECT_EQ(snapshot.at("run_id"), "r1");
    EXPECT_EQ(snapshot.at("status"), "completed");
    EXPECT_EQ(snapshot.at("result").at("savings_usd").as_double(), 6.75);
    EXPECT_EQ(Str(events[23], "runId"), "client-run");
    EXPECT_EQ(events[23].at("result").at("category"), "general");
    EXPECT_FALSE(events[23].contains("outcome"));
    // Every timestamp is an integer (ms), as the schema asks.
    for (const auto& e : events) EXPECT_TRUE(e.at("timestamp").is_int64()) << Str(e, "type");

    // Nothing after the end, and Finish has nothing to add.
    EXPECT_TRUE(mapper.Map(Envelopes().Next("stream_chunk", "reporting", Obj(R"({"text":"late"})"))).empty());
    EXPECT_TRUE(mapper.Finish().empty());
}

TEST(AgUiEvents, TheReportIsOneMessageEvenWhenTheDataHelperOpensIt) {
    // With an LLM configured the data helper streams the report's opening; Netra stores one assistant message.
    Envelopes r;
    EventMapper mapper(Ids());
    auto events = MapAll(mapper, {r.Next("run_started", "", Obj(R"({"status":"running"})")),
                                  r.Next("agent_started", "data_helper", Obj(R"({"agent":"data_helper"})")),
                                  r.Next("stream_chunk", "data_helper", Obj(R"({"text":"Please send: "})")),
                                  r.Next("agent_completed", "data_helper", Obj(R"({"agent":"data_helper"})")),
                                  r.Next("agent_started", "reporting", Obj(R"({"agent":"reporting"})")),
                                  r.Next("stream_chunk", "reporting", Obj(R"({"text":"your usage log."})")),
                                  r.Next("agent_completed", "reporting", Obj(R"({"agent":"reporting"})")),
                                  r.Next("run_completed", "", Obj(R"({"status":"completed","result":{}})"))});
    EXPECT_EQ(Verify(events), "");
    const std::vector<std::string> expected = {
        "RUN_STARTED",   "STEP_STARTED",   "TEXT_MESSAGE_START",   "TEXT_MESSAGE_CONTENT",
        "STEP_FINISHED", "STEP_STARTED",   "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END",
        "STEP_FINISHED", "STATE_SNAPSHOT", "RUN_FINISHED",
    };
    EXPECT_EQ(Types(events), expected);
    EXPECT_EQ(Str(events[3], "messageId"), Str(events[6], "messageId"));
    EXPECT_EQ(Str(events[8], "stepName"), "reporting");
}

TEST(AgUiEvents, IdsAreUniqueAcrossTheRun) {
    EventMapper mapper(Ids());
    auto events = MapAll(mapper, GeneralRun());
    std::map<std::string, std::set<std::string>> seen;  // kind → ids
    for (const auto& e : events) {
        const std::string type = Str(e, "type");
        if (type == "TOOL_CALL_START") {
            EXPECT_TRUE(seen["call"].insert(Str(e, "toolCallId")).second);
        }
        if (type == "TOOL_CALL_RESULT" || type == "TEXT_MESSAGE_START" || type == "REASONING_MESSAGE_START") {
            EXPECT_TRUE(seen["message"].insert(Str(e, "messageId")).second);
        }
    }
    EXPECT_EQ(seen["call"].size(), 2u);
    EXPECT_EQ(seen["message"].size(), 4u);
}

TEST(AgUiEvents, AFailedRunEndsWithRunErrorAndClosesWhatIsOpen) {
    Envelopes r;
    EventMapper mapper(Ids());
    auto events = MapAll(
        mapper,
        {r.Next("run_started", "", Obj(R"({"status":"running"})")),
         r.Next("agent_started", "reporting", Obj(R"({"agent":"reporting"})")),
         r.Next("stream_chunk", "reporting", Obj(R"({"text":"partial"})")),
         r.Next("tool_executing", "reporting", Obj(R"({"tool":"write_narrative","parameters":{}})")),
         r.Next("tool_completed", "reporting",
                Obj(R"({"tool":"write_narrative","result":{"error":{"code":"TIMEOUT"}},"success":false})")),
         r.Next("agent_failed", "reporting",
                Obj(R"({"agent":"reporting","error":{"code":"TIMEOUT","message":"too slow"},"recoverable":false})")),
         r.Next("run_failed", "", Obj(R"({"status":"failed","error":{"code":"TIMEOUT","message":"run timed out"}})"))});
    EXPECT_EQ(Verify(events), "");
    const std::vector<std::string> expected = {
        "RUN_STARTED",      "STEP_STARTED",   "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT",
        "TOOL_CALL_START",  "TOOL_CALL_ARGS", "TOOL_CALL_END",      "TOOL_CALL_RESULT",
        "TEXT_MESSAGE_END", "STEP_FINISHED",  "STATE_SNAPSHOT",     "RUN_ERROR",
    };
    EXPECT_EQ(Types(events), expected);
    EXPECT_EQ(events[9].at("metadata").at("netra").at("status"), "failed");
    EXPECT_EQ(events[9].at("metadata").at("netra").at("error").at("code"), "TIMEOUT");
    EXPECT_EQ(events[10].at("snapshot").at("status"), "failed");
    EXPECT_EQ(Str(events[11], "code"), "TIMEOUT");
    EXPECT_EQ(Str(events[11], "message"), "run timed out");
}

TEST(AgUiEvents, ACancelledRunFinishesWithTheCancelledOutcome) {
    Envelopes r;
    EventMapper mapper(Ids());
    auto events = MapAll(mapper, {r.Next("run_started", "", Obj(R"({"status":"running"})")),
                                  r.Next("agent_started", "data_helper", Obj(R"({"agent":"data_helper"})")),
                                  r.Next("tool_executing", "data_helper", Obj(R"({"tool":"build_data_request"})")),
                                  r.Next("tool_completed", "data_helper",
                                         Obj(R"({"tool":"build_data_request","result":{},"success":false})")),
                                  r.Next("agent_failed", "data_helper",
                                         Obj(R"({"agent":"data_helper","error":{"code":"CANCELLED","message":"x"}})")),
                                  r.Next("run_cancelled", "", Obj(R"({"status":"cancelled"})"))});
    EXPECT_EQ(Verify(events), "");
    EXPECT_EQ(Str(events.back(), "type"), "RUN_FINISHED");
    EXPECT_EQ(events.back().at("outcome").at("type"), "cancelled");
    EXPECT_FALSE(events.back().contains("result"));
    EXPECT_EQ(Str(events[events.size() - 2], "type"), "STATE_SNAPSHOT");
    EXPECT_EQ(events[events.size() - 2].at("snapshot").at("status"), "cancelled");
    // "{}" when a tool had no parameters.
    EXPECT_EQ(Str(events[3], "delta"), "{}");
}

TEST(AgUiEvents, AQueuedRunCancelledBeforeItStarted) {
    EventMapper mapper(Ids());
    auto events = MapAll(mapper, {Envelopes().Next("run_cancelled", "", Obj(R"({"status":"cancelled","duration_ms":0,
        "error":{"code":"CANCELLED","message":"cancelled while queued"}})"))});
    EXPECT_EQ(Verify(events), "");
    EXPECT_EQ(Types(events), (std::vector<std::string>{"RUN_STARTED", "STATE_SNAPSHOT", "RUN_FINISHED"}));
}

TEST(AgUiEvents, AResumedRunRestartsItsAgentWithoutBreakingThePairs) {
    Envelopes r;
    EventMapper mapper(Ids());
    auto events =
        MapAll(mapper, {r.Next("run_started", "", Obj(R"({"status":"running"})")),
                        r.Next("agent_started", "triage", Obj(R"({"agent":"triage"})")),
                        r.Next("tool_executing", "triage", Obj(R"({"tool":"extract_entities","parameters":{}})")),
                        r.Next("run_resumed", "", Obj(R"({"status":"running","attempt":2,"after_seq":3})")),
                        r.Next("agent_started", "triage", Obj(R"({"agent":"triage"})")),
                        r.Next("agent_completed", "triage", Obj(R"({"agent":"triage"})")),
                        r.Next("run_completed", "", Obj(R"({"status":"completed","result":{}})"))});
    EXPECT_EQ(Verify(events), "");
    const std::vector<std::string> expected = {
        "RUN_STARTED",   "STEP_STARTED", "TOOL_CALL_START", "TOOL_CALL_ARGS", "TOOL_CALL_END",  "TOOL_CALL_RESULT",
        "STEP_FINISHED", "CUSTOM",       "STEP_STARTED",    "STEP_FINISHED",  "STATE_SNAPSHOT", "RUN_FINISHED",
    };
    EXPECT_EQ(Types(events), expected);
    EXPECT_EQ(Str(events[7], "name"), "netra.run_resumed");
}

TEST(AgUiEvents, AStreamThatEndsEarlyEndsTheRunWithAnError) {
    Envelopes r;
    EventMapper mapper(Ids());
    auto events = MapAll(mapper, {r.Next("run_started", "", Obj(R"({"status":"running"})")),
                                  r.Next("agent_started", "reporting", Obj(R"({"agent":"reporting"})")),
                                  r.Next("stream_chunk", "reporting", Obj(R"({"text":"x"})"))});
    auto end = mapper.Finish();
    events.insert(events.end(), end.begin(), end.end());
    EXPECT_EQ(Verify(events), "");
    EXPECT_EQ(Str(events.back(), "code"), "STREAM_ENDED");
}

TEST(AgUiEvents, TheVerifierHereRejectsABadOrder) {
    // The checks above mean something only if Verify fails on what the client would refuse.
    EventMapper mapper(Ids());
    auto events = MapAll(mapper, GeneralRun());
    auto no_end = events;
    no_end.erase(no_end.begin() + 20);  // TEXT_MESSAGE_END
    EXPECT_NE(Verify(no_end), "");
    auto swapped = events;
    std::swap(swapped[1], swapped[11]);  // STEP_FINISHED before STEP_STARTED
    EXPECT_NE(Verify(swapped), "");
    auto after_end = events;
    after_end.push_back(after_end[1]);
    EXPECT_NE(Verify(after_end), "");
}

TEST(AgUiEvents, SseFramesAreOneDataLine) {
    auto frame = SseData(json::object{{"type", "TEXT_MESSAGE_CONTENT"}, {"messageId", "m"}, {"delta", "a\nb"}});
    EXPECT_EQ(frame, "data: {\"type\":\"TEXT_MESSAGE_CONTENT\",\"messageId\":\"m\",\"delta\":\"a\\nb\"}\n\n");
}

}  // namespace netra::net::http::agui

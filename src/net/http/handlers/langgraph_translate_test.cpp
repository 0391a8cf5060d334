#include "net/http/handlers/langgraph_translate.hpp"

#include <gtest/gtest.h>

namespace netra::net::http::langgraph {
namespace json = boost::json;

namespace {

domain::Message Msg(std::string id, domain::MessageRole role, std::string content, std::optional<std::string> run) {
    domain::Message m;
    m.id = std::move(id);
    m.thread_id = "t1";
    m.role = role;
    m.content = std::move(content);
    m.run_id = std::move(run);
    return m;
}

// The frames of an SSE text as (id, event, data).
struct Frame {
    std::string id, event;
    json::value data;
};
std::vector<Frame> Frames(const std::string& text) {
    std::vector<Frame> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto end = text.find("\n\n", pos);
        if (end == std::string::npos) break;
        std::string block = text.substr(pos, end - pos);
        pos = end + 2;
        Frame f;
        bool any = false;
        std::size_t lp = 0;
        while (lp <= block.size()) {
            auto le = block.find('\n', lp);
            std::string line = block.substr(lp, le == std::string::npos ? std::string::npos : le - lp);
            if (line.rfind("id: ", 0) == 0) f.id = line.substr(4);
            if (line.rfind("event: ", 0) == 0) f.event = line.substr(7);
            if (line.rfind("data: ", 0) == 0) {
                f.data = json::parse(line.substr(6));
                any = true;
            }
            if (le == std::string::npos) break;
            lp = le + 1;
        }
        if (any) out.push_back(std::move(f));
    }
    return out;
}

json::object Envelope(std::string type, std::int64_t seq, std::string agent, json::object payload) {
    json::object o{{"type", type}, {"run_id", "r1"}, {"thread_id", "t1"}, {"seq", seq}, {"payload", payload}};
    if (!agent.empty()) o["agent_name"] = agent;
    return o;
}

}  // namespace

TEST(LangGraphTranslate, StatusesAndStrategies) {
    EXPECT_EQ(RunStatusName(domain::RunStatus::kQueued), "pending");
    EXPECT_EQ(RunStatusName(domain::RunStatus::kRunning), "running");
    EXPECT_EQ(RunStatusName(domain::RunStatus::kCancelling), "running");
    EXPECT_EQ(RunStatusName(domain::RunStatus::kCompleted), "success");
    EXPECT_EQ(RunStatusName(domain::RunStatus::kFailed), "error");
    EXPECT_EQ(RunStatusName(domain::RunStatus::kCancelled), "interrupted");
    EXPECT_EQ(PolicyFor(std::nullopt), "reject");
    EXPECT_EQ(PolicyFor(std::string("enqueue")), "enqueue");
    EXPECT_EQ(PolicyFor(std::string("interrupt")), "interrupt");
    EXPECT_EQ(PolicyFor(std::string("rollback")), "interrupt");
    EXPECT_FALSE(PolicyFor(std::string("later")).has_value());
    EXPECT_TRUE(IsOurAssistant("netra"));
    EXPECT_TRUE(IsOurAssistant(kAssistantId));
    EXPECT_FALSE(IsOurAssistant("agent"));
}

TEST(LangGraphTranslate, HumanInputTakesTheLastHumanMessage) {
    auto in = json::parse(R"({"messages":[{"type":"human","content":"first"},{"type":"ai","content":"x"},
        {"role":"user","content":[{"type":"text","text":"sec"},{"type":"text","text":"ond"}]}]})");
    auto text = HumanInput(in);
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(*text, "second");
    EXPECT_FALSE(HumanInput(json::parse(R"({"messages":[{"type":"ai","content":"x"}]})")).ok());
    EXPECT_FALSE(HumanInput(json::parse(R"({"question":"x"})")).ok());
}

TEST(LangGraphTranslate, StreamModes) {
    auto def = StreamModes(static_cast<const json::value*>(nullptr));
    ASSERT_TRUE(def.ok());
    EXPECT_EQ(*def, std::set<std::string>{"values"});
    json::value list = json::parse(R"(["values","messages-tuple","updates","custom"])");
    auto four = StreamModes(&list);
    ASSERT_TRUE(four.ok());
    EXPECT_EQ(four->size(), 4u);
    json::value bad = json::parse(R"(["valuez"])");
    EXPECT_EQ(StreamModes(&bad).error().code, core::ErrorCode::kValidationFailed);
    json::value silent = json::parse(R"(["updates","events","checkpoints"])");
    EXPECT_EQ(*StreamModes(&silent), std::set<std::string>{"updates"});
}

TEST(LangGraphTranslate, MessagesAroundARun) {
    std::vector<domain::Message> ms = {
        Msg("m1", domain::MessageRole::kUser, "q1", "r0"), Msg("m2", domain::MessageRole::kAssistant, "a1", "r0"),
        Msg("m3", domain::MessageRole::kUser, "q2", "r1"), Msg("m4", domain::MessageRole::kAssistant, "a2", "r1"),
        Msg("m5", domain::MessageRole::kUser, "q3", "r2")};
    auto before = MessagesBeforeAnswer(ms, "r1");
    ASSERT_EQ(before.size(), 3u);
    EXPECT_EQ(before[1].at("id").as_string(), "run-r0");  // an answer's id is its run's
    EXPECT_EQ(before[1].at("type").as_string(), "ai");
    EXPECT_EQ(before[2].at("id").as_string(), "m3");
    EXPECT_EQ(before[2].at("type").as_string(), "human");
    auto through = MessagesThroughRun(ms, "r1");
    ASSERT_EQ(through.size(), 4u);
    EXPECT_EQ(through[3].at("content").as_string(), "a2");
}

TEST(LangGraphTranslate, ThreadStatus) {
    std::vector<domain::Run> runs(2);
    runs[0].status = domain::RunStatus::kCompleted;
    runs[1].status = domain::RunStatus::kFailed;
    EXPECT_EQ(ThreadStatus(runs), "error");
    runs[1].status = domain::RunStatus::kCancelled;
    EXPECT_EQ(ThreadStatus(runs), "idle");
    runs[0].status = domain::RunStatus::kRunning;
    EXPECT_EQ(ThreadStatus(runs), "busy");
    EXPECT_EQ(ThreadStatus({}), "idle");
}

TEST(LangGraphTranslate, StreamsAllModesFromTheEventLog) {
    StreamSetup setup;
    setup.run_id = "r1";
    setup.thread_id = "t1";
    setup.modes = {"values", "messages-tuple", "updates", "custom", "messages"};
    setup.base_messages.push_back(json::object{{"type", "human"}, {"content", "q"}, {"id", "m1"}});
    LangGraphTranslator t(setup);
    auto begin = Frames(t.Begin());
    ASSERT_EQ(begin.size(), 2u);
    EXPECT_EQ(begin[0].event, "metadata");
    EXPECT_EQ(begin[0].data.at("run_id").as_string(), "r1");
    EXPECT_EQ(begin[0].id, "");
    EXPECT_EQ(begin[1].event, "values");
    EXPECT_EQ(begin[1].data.at("messages").as_array().size(), 1u);

    auto chunk1 = Frames(t.TranslateEnvelope(5, Envelope("stream_chunk", 5, "reporting", {{"text", "Hel"}})));
    ASSERT_EQ(chunk1.size(), 4u);  // custom, messages, messages/metadata, messages/partial
    EXPECT_EQ(chunk1[0].event, "custom");
    EXPECT_EQ(chunk1[1].event, "messages");
    EXPECT_EQ(chunk1[1].id, "5");
    EXPECT_EQ(chunk1[1].data.at(0).at("content").as_string(), "Hel");
    EXPECT_EQ(chunk1[1].data.at(0).at("id").as_string(), "run-r1");
    EXPECT_EQ(chunk1[1].data.at(1).at("langgraph_node").as_string(), "reporting");
    EXPECT_EQ(chunk1[2].event, "messages/metadata");
    auto chunk2 = Frames(t.TranslateEnvelope(6, Envelope("stream_chunk", 6, "reporting", {{"text", "lo"}})));
    ASSERT_EQ(chunk2.size(), 3u);
    EXPECT_EQ(chunk2[2].data.at(0).at("content").as_string(), "Hello");

    auto done = Frames(t.TranslateEnvelope(
        7, Envelope("agent_completed", 7, "reporting", {{"agent", "reporting"}, {"result", {{"ok", true}}}})));
    ASSERT_EQ(done.size(), 2u);
    EXPECT_EQ(done[1].event, "updates");
    EXPECT_TRUE(done[1].data.as_object().contains("reporting"));
    EXPECT_EQ(done[1].data.at("reporting").at("messages").at(0).at("content").as_string(), "Hello");

    auto end = Frames(t.TranslateEnvelope(8, Envelope("run_completed", 8, "", {{"status", "completed"}})));
    ASSERT_EQ(end.size(), 3u);  // custom, messages/complete, values
    EXPECT_EQ(end[2].event, "values");
    EXPECT_EQ(end[2].id, "8");
    ASSERT_EQ(end[2].data.at("messages").as_array().size(), 2u);
    EXPECT_EQ(end[2].data.at("messages").at(1).at("content").as_string(), "Hello");
    auto last = Frames(t.End());
    ASSERT_EQ(last.size(), 1u);
    EXPECT_EQ(last[0].event, "end");
    EXPECT_EQ(last[0].data.at("status").as_string(), "success");
}

TEST(LangGraphTranslate, AResumedJoinSkipsTheOpeningAndKeepsTheReport) {
    StreamSetup setup;
    setup.run_id = "r1";
    setup.thread_id = "t1";
    setup.modes = {"values"};
    setup.send_metadata = false;
    setup.report_so_far = "Hel";
    LangGraphTranslator t(setup);
    EXPECT_TRUE(Frames(t.Begin()).empty());
    EXPECT_TRUE(Frames(t.TranslateEnvelope(6, Envelope("stream_chunk", 6, "reporting", {{"text", "lo"}}))).empty());
    auto failed = Frames(t.TranslateEnvelope(
        9,
        Envelope("run_failed", 9, "", {{"status", "failed"}, {"error", {{"code", "TIMEOUT"}, {"message", "slow"}}}})));
    ASSERT_EQ(failed.size(), 2u);
    EXPECT_EQ(failed[0].data.at("messages").at(0).at("content").as_string(), "Hello");
    EXPECT_EQ(failed[1].event, "error");
    EXPECT_EQ(failed[1].data.at("error").as_string(), "TIMEOUT");
    EXPECT_EQ(Frames(t.End())[0].data.at("status").as_string(), "error");
}

}  // namespace netra::net::http::langgraph

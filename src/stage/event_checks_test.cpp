#include "stage/event_checks.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace netra::stage {
namespace {

namespace json = boost::json;

struct Builder {
    std::vector<json::object> events;
    void Add(const std::string& type, const std::string& agent = {}, json::object payload = {}) {
        json::object e{{"type", type},
                       {"run_id", "r1"},
                       {"thread_id", "t1"},
                       {"seq", static_cast<std::int64_t>(events.size() + 1)},
                       {"timestamp", "2026-01-01T00:00:00.123Z"},
                       {"payload", std::move(payload)}};
        if (!agent.empty()) e["agent_name"] = agent;
        events.push_back(std::move(e));
    }
};

Builder ValidRun() {
    Builder b;
    b.Add("run_started");
    b.Add("agent_started", "triage", {{"agent", "triage"}});
    b.Add("agent_thinking", "triage");
    b.Add("tool_executing", "triage", {{"tool", "extract"}});
    b.Add("tool_completed", "triage", {{"tool", "extract"}});
    b.Add("agent_thinking", "triage");
    b.Add("agent_completed", "triage");
    b.Add("agent_started", "reporting");
    b.Add("agent_thinking", "reporting");
    b.Add("stream_chunk", "reporting", {{"text", "# Re"}, {"index", 0}});
    b.Add("stream_chunk", "reporting", {{"text", "port"}, {"index", 1}});
    b.Add("agent_completed", "reporting", {{"agent", "reporting"}, {"result", {{"markdown", "# Report"}}}});
    b.Add("run_completed");
    return b;
}

TEST(ValidateRunSequence, AcceptsValidRun) {
    auto b = ValidRun();
    auto problems = ValidateRunSequence(b.events, "r1", "t1");
    EXPECT_TRUE(problems.empty()) << problems.front();
    EXPECT_EQ(AgentOrder(b.events), (std::vector<std::string>{"triage", "reporting"}));
    EXPECT_EQ(ConcatStreamChunks(b.events), "# Report");
    EXPECT_EQ(ReportMarkdown(b.events[11]).value(), "# Report");
}

TEST(ValidateRunSequence, FindsGapsAndOrderErrors) {
    auto b = ValidRun();
    b.events[4]["seq"] = 9;
    EXPECT_FALSE(ValidateRunSequence(b.events, "r1", "t1").empty());

    auto c = ValidRun();
    c.events.erase(c.events.begin() + 2);  // triage: tool_executing before any thinking
    for (std::size_t i = 0; i < c.events.size(); ++i) c.events[i]["seq"] = static_cast<std::int64_t>(i + 1);
    EXPECT_FALSE(ValidateRunSequence(c.events, "r1", "t1").empty());

    auto d = ValidRun();
    d.Add("run_failed");  // two terminal events
    EXPECT_FALSE(ValidateRunSequence(d.events, "r1", "t1").empty());

    auto e = ValidRun();
    e.events[3]["timestamp"] = "2026-01-01T00:00:00Z";  // no milliseconds
    EXPECT_FALSE(ValidateRunSequence(e.events, "r1", "t1").empty());

    auto f = ValidRun();
    f.events.erase(f.events.begin() + 4);  // tool never completed
    for (std::size_t i = 0; i < f.events.size(); ++i) f.events[i]["seq"] = static_cast<std::int64_t>(i + 1);
    EXPECT_FALSE(ValidateRunSequence(f.events, "r1", "t1").empty());

    EXPECT_FALSE(ValidateRunSequence(ValidRun().events, "other-run", "t1").empty());
    EXPECT_FALSE(ValidateRunSequence({}, "r1", "t1").empty());
}

TEST(StreamChunks, OrderedByIndex) {
    Builder b;
    b.Add("stream_chunk", "reporting", {{"text", "b"}, {"index", 1}});
    b.Add("stream_chunk", "reporting", {{"text", "a"}, {"index", 0}});
    EXPECT_EQ(ConcatStreamChunks(b.events), "ab");
}

TEST(Rfc3339Millis, Formats) {
    EXPECT_TRUE(IsRfc3339Millis("2026-11-25T00:33:24.123Z"));
    EXPECT_TRUE(IsRfc3339Millis("2026-11-25T00:33:24.123+01:00"));
    EXPECT_FALSE(IsRfc3339Millis("2026-11-25T00:33:24Z"));
    EXPECT_FALSE(IsRfc3339Millis("2026-11-25 00:33:24.123Z"));
    EXPECT_FALSE(IsRfc3339Millis("2026-11-25T00:33:24.123456Z"));
}

TEST(CheckErrorBody, Shape) {
    json::value ok = {{"error", "not_found"}, {"message", "no such thread"}, {"request_id", "abc"}};
    EXPECT_EQ(CheckErrorBody(404, ok, std::string("abc"), 404, "not_found"), "");
    EXPECT_NE(CheckErrorBody(404, ok, std::string("xyz"), 404, "not_found"), "");
    EXPECT_NE(CheckErrorBody(404, ok, std::nullopt, 404, "not_found"), "");
    EXPECT_NE(CheckErrorBody(500, ok, std::string("abc"), 404, "not_found"), "");
    EXPECT_NE(CheckErrorBody(404, std::nullopt, std::string("abc"), 404, "not_found"), "");
    json::value no_msg = {{"error", "not_found"}, {"request_id", "abc"}};
    EXPECT_NE(CheckErrorBody(404, no_msg, std::string("abc"), 404, "not_found"), "");
}

TEST(ScanNumberForms, FindsExponentsOutsideStrings) {
    auto plain =
        ScanNumberForms(R"({"a":6819.41,"b":90,"c":-0.5,"d":[1,2.25],"e":"9E1 in text","f":"q\"1e5\\\\","g":true})");
    EXPECT_EQ(plain.exponent, 0);
    EXPECT_EQ(plain.fractional, 3);
    EXPECT_TRUE(plain.first_exponent.empty());
    auto exp = ScanNumberForms(R"({"cost":6.819411046760217E3,"n":9E1,"t":1e-7,"s":"1E5","null":null})");
    EXPECT_EQ(exp.exponent, 3);
    EXPECT_EQ(exp.fractional, 0);
    EXPECT_NE(exp.first_exponent.find("6.819411046760217E3"), std::string::npos);
    EXPECT_EQ(ScanNumberForms("[-1.5E-3]").exponent, 1);
    EXPECT_EQ(ScanNumberForms("").exponent, 0);
}

}  // namespace
}  // namespace netra::stage

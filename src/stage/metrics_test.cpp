#include "stage/metrics.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace netra::stage {
namespace {

TEST(Percentile, NearestRank) {
    std::vector<double> v;
    for (int i = 100; i >= 1; --i) v.push_back(i);  // 1..100, unsorted
    EXPECT_EQ(*Percentile(v, 50), 50);
    EXPECT_EQ(*Percentile(v, 95), 95);
    EXPECT_EQ(*Percentile(v, 99), 99);
    EXPECT_EQ(*Percentile(v, 100), 100);
    EXPECT_EQ(*Percentile(v, 0), 1);
    // Nearest rank on small sets: p99 of 10 samples is the maximum; p50 of 4 is the 2nd.
    EXPECT_EQ(*Percentile({5, 1, 9, 3, 7, 2, 8, 4, 6, 10}, 99), 10);
    EXPECT_EQ(*Percentile({4, 1, 3, 2}, 50), 2);
    EXPECT_EQ(*Percentile({4, 1, 3, 2}, 51), 3);
    EXPECT_EQ(*Percentile({42}, 99), 42);
    EXPECT_FALSE(Percentile({}, 50).has_value());
}

TEST(Summarize, AllFields) {
    auto s = Summarize({3, 1, 2, 4});
    EXPECT_EQ(s.count, 4u);
    EXPECT_EQ(s.min, 1);
    EXPECT_EQ(s.max, 4);
    EXPECT_DOUBLE_EQ(s.mean, 2.5);
    EXPECT_EQ(s.p50, 2);
    EXPECT_EQ(s.p99, 4);
    EXPECT_EQ(Summarize({}).count, 0u);
}

StageReport Synthetic() {
    StageReport r;
    r.url = "http://127.0.0.1:1";
    r.started_at = "2026-01-01T00:00:00.000Z";
    r.server_version = "0.1.0";
    r.modules.push_back(ModuleResult{
        1,
        "websocket_events",
        {TestResult{"health_endpoint", TestStatus::kPassed, "", "version 0.1.0", 1.5},
         TestResult{"refuse_expired_token_403", TestStatus::kSkipped, "needs --spawn", "", 0},
         TestResult{"run_event_sequence", TestStatus::kFailed, "event #3: seq 4, expected 3 | pipe", "", 20}}});
    MetricResult ok;
    ok.name = "api_response";
    ok.summary = Summarize({1, 1.5, 2});
    ok.requested_samples = 3;
    ok.floor_ms = 100;
    ok.target_p99_ms = 2;
    MetricResult slow = ok;
    slow.name = "websocket_ping_pong";
    slow.summary = Summarize({10, 60});
    slow.floor_ms = 50;
    r.metrics = {ok, slow};
    return r;
}

TEST(Report, TallyAndSummaryLine) {
    auto r = Synthetic();
    EXPECT_EQ(SummaryLine(r), "1 passed, 1 failed, 1 skipped");
    EXPECT_TRUE(r.metrics[0].Passed());
    EXPECT_TRUE(r.metrics[0].MeetsTarget());
    EXPECT_FALSE(r.metrics[1].Passed());
    MetricResult empty;
    empty.floor_ms = 100;
    EXPECT_FALSE(empty.Passed()) << "a metric with no samples never passes";
}

TEST(Report, ConsoleHasTablesAndReasons) {
    std::string out = RenderConsole(Synthetic());
    EXPECT_NE(out.find("Module 1: websocket_events"), std::string::npos);
    EXPECT_NE(out.find("FAILED"), std::string::npos);
    EXPECT_NE(out.find("needs --spawn"), std::string::npos);
    EXPECT_NE(out.find("FAIL (p99 > floor)"), std::string::npos);
    EXPECT_NE(out.find("meets target"), std::string::npos);
}

TEST(Report, JsonShape) {
    auto v = ReportToJson(Synthetic());
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("summary").at("failed").as_uint64(), 1u);
    const auto& tests = o.at("modules").at(0).at("tests").as_array();
    ASSERT_EQ(tests.size(), 3u);
    EXPECT_EQ(tests[2].at("status").as_string(), "failed");
    const auto& m = o.at("metrics").at(1).as_object();
    EXPECT_EQ(m.at("p99").as_double(), 60);
    EXPECT_FALSE(m.at("passed").as_bool());
    EXPECT_EQ(m.at("floor_ms").as_double(), 50);
}

TEST(Report, MarkdownHasFailuresAndMetrics) {
    std::string md = RenderMarkdown(Synthetic());
    EXPECT_NE(md.find("**1 passed, 1 failed, 1 skipped**"), std::string::npos);
    EXPECT_NE(md.find("websocket_events / run_event_sequence"), std::string::npos);
    EXPECT_NE(md.find("expected 3 \\| pipe"), std::string::npos) << "pipes escaped inside tables";
    EXPECT_NE(md.find("| api_response | 3/3 | 1.50 | 2.00 | 2.00 | 2.00 | 100 | 2 | meets target |"),
              std::string::npos);
}

}  // namespace
}  // namespace netra::stage

#include "loadgen/load_stats.hpp"

#include <gtest/gtest.h>

#include "loadgen/load_run.hpp"

namespace netra::loadgen {

TEST(LoadStats, SlopeOfAFlatSeriesIsZeroAndOfALineIsItsRate) {
    std::vector<ServerSample> flat{{0, 50, 8, 0, 20}, {10, 50, 8, 0, 20}, {20, 50, 8, 0, 20}};
    EXPECT_DOUBLE_EQ(ResidentSlopeMibPerHour(flat), 0);
    // 1 MiB per 10 s = 360 MiB per hour; the heap, half as fast.
    std::vector<ServerSample> growing{
        {0, 50, 8, 0, 20}, {10, 51, 8, 0, 20.5}, {20, 52, 8, 0, 21}, {30, 53, 8, 0, 21.5}};
    EXPECT_NEAR(ResidentSlopeMibPerHour(growing), 360, 1e-9);
    EXPECT_NEAR(SlopeMibPerHour(growing, &ServerSample::heap_in_use_mib), 180, 1e-9);
    EXPECT_EQ(ResidentSlopeMibPerHour({}), 0);
    EXPECT_EQ(ResidentSlopeMibPerHour({{5, 50, 8, 0, 20}}), 0);
}

TEST(LoadStats, NothingLostOnlyWithoutGapsDuplicatesAndUnfinishedRuns) {
    LoadStats s;
    s.RunEnded("completed");
    s.Events(70);
    EXPECT_TRUE(s.Intact());
    s.Lost(2);
    EXPECT_FALSE(s.Intact());
    LoadStats d;
    d.Duplicate();
    EXPECT_FALSE(d.Intact());
    LoadStats u;
    u.Unfinished();
    EXPECT_FALSE(u.Intact());
}

TEST(LoadStats, ReportNamesEveryMetricItsVerdictAndTheCounts) {
    LoadStats s;
    for (int i = 1; i <= 100; ++i) s.Sample(Metric::kApiResponse, i * 0.01);  // p99 0.99 ms: meets the 2 ms target
    s.Sample(Metric::kTotalRequest, 1500);                                    // above the 1000 ms floor
    s.RunEnded("completed");
    s.RunEnded("completed");
    s.RunEnded("failed");
    s.Events(140);
    s.Error("register");
    for (int i = 0; i <= 5; ++i) s.Server({i * 720.0, 40 + i * 0.4, 10, 1.0 + i});  // +2 MiB over an hour
    LoadStats::Context c{"http://127.0.0.1:1", 2, "2 users × 1 runs", 2.0};
    std::string text = s.RenderText(c);
    EXPECT_NE(text.find("api_response"), std::string::npos);
    EXPECT_NE(text.find("meets target"), std::string::npos);
    EXPECT_NE(text.find("FAILS floor"), std::string::npos);
    EXPECT_NE(text.find("no samples"), std::string::npos);  // ping_pong has none
    EXPECT_NE(text.find("2 completed"), std::string::npos);
    EXPECT_NE(text.find("1 register"), std::string::npos);
    EXPECT_NE(text.find("+2.00 MiB/h"), std::string::npos);
    auto j = s.ToJson(c);
    EXPECT_EQ(j.at("events").as_uint64(), 140u);
    EXPECT_DOUBLE_EQ(j.at("runs_per_s").as_double(), 1.5);
    EXPECT_EQ(j.at("metrics").as_object().at("total_request").as_object().at("verdict").as_string(), "FAILS floor");
    EXPECT_EQ(s.ErrorCount(), 1u);
    EXPECT_EQ(s.Runs(), 3u);
}

TEST(BenchUsageCsv, HasTheHeaderAndOneLinePerRow) {
    std::string csv = BenchUsageCsv(100);
    EXPECT_EQ(csv.rfind("timestamp,model,input_tokens,output_tokens", 0), 0u);
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 101);
    EXPECT_EQ(csv, BenchUsageCsv(100));  // deterministic
}

}  // namespace netra::loadgen

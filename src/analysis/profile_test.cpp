#include "analysis/profile.hpp"

#include <gtest/gtest.h>

#include "analysis/test_fixtures.hpp"

namespace netra::analysis {
using testing::TinyCatalog;
using testing::TinyLog;

TEST(Profile, TinyLogByHand) {
    Profile p = ProfileUsage(TinyLog(), TinyCatalog());
    EXPECT_FALSE(p.estimated);
    EXPECT_EQ(p.rows, 4);
    EXPECT_DOUBLE_EQ(p.days_covered, 2);
    EXPECT_DOUBLE_EQ(p.monthly_factor, 15);
    EXPECT_NEAR(p.total_cost_usd, 0.0854, 1e-12);
    EXPECT_NEAR(p.cost_per_day_usd, 0.0427, 1e-12);
    EXPECT_NEAR(p.monthly_cost_usd, 1.281, 1e-12);
    EXPECT_DOUBLE_EQ(p.monthly_requests, 60);
    EXPECT_EQ(p.errors, 1);
    EXPECT_DOUBLE_EQ(p.error_rate, 0.25);
    EXPECT_EQ(p.input_tokens, 7100);
    EXPECT_EQ(p.output_tokens, 600);

    ASSERT_EQ(p.by_model.size(), 2u);
    EXPECT_EQ(p.by_model[0].name, "big");
    EXPECT_EQ(p.by_model[0].requests, 3);
    EXPECT_NEAR(p.by_model[0].cost_usd, 0.085, 1e-12);
    EXPECT_NEAR(p.by_model[0].monthly_cost_usd, 1.275, 1e-12);
    EXPECT_NEAR(p.by_model[0].share, 0.085 / 0.0854, 1e-12);
    ASSERT_EQ(p.by_feature.size(), 2u);
    EXPECT_EQ(p.by_feature[1].name, "f2");
    EXPECT_NEAR(p.by_feature[1].cost_usd, 0.0004, 1e-12);

    ASSERT_EQ(p.latency.size(), 2u);
    EXPECT_EQ(p.latency[0].model, "big");  // nearest rank over 1000, 2000, 3000
    EXPECT_DOUBLE_EQ(p.latency[0].p50, 2000);
    EXPECT_DOUBLE_EQ(p.latency[0].p95, 3000);
    EXPECT_DOUBLE_EQ(p.latency[0].p99, 3000);
    EXPECT_DOUBLE_EQ(p.latency[1].p50, 400);

    EXPECT_EQ(p.hourly[0], 3);
    EXPECT_EQ(p.hourly[1], 1);
    EXPECT_EQ(p.peak_hours, (std::vector<int>{0, 1}));
    EXPECT_DOUBLE_EQ(p.peak_to_average, 18);  // 3 / (4 / 24)

    EXPECT_EQ(p.duplicate_requests, 1);
    EXPECT_DOUBLE_EQ(*p.duplicate_rate, 0.25);
    EXPECT_EQ(p.shared_prefix_requests, 3);
    EXPECT_DOUBLE_EQ(*p.shared_prefix_rate, 1.0);
    EXPECT_EQ(p.batchable_requests, 1);

    ASSERT_EQ(p.daily.size(), 3u);
    EXPECT_EQ(p.daily[0].date, "2025-01-01");
    EXPECT_EQ(p.daily[2].date, "2025-01-03");
    EXPECT_NEAR(p.daily[1].cost_usd, 0.053, 1e-12);
    EXPECT_TRUE(p.anomalies.empty());  // three days cannot reach |z| >= 2
}

TEST(Profile, AnomalyByDailyZScore) {
    std::vector<domain::UsageRecord> log;
    const core::Millis t0 = 1'735'689'600'000;
    for (int day = 0; day < 10; ++day) {  // ten whole days: a call just after midnight and one just before the next
        log.push_back(testing::Rec(t0 + day * 24 * testing::kHour + 60'000, "mid", 1000, 0, "", "", "", 100));
        log.push_back(testing::Rec(t0 + (day + 1) * 24 * testing::kHour - 60'000, "mid", 1000, 0, "", "", "", 100));
    }
    log.push_back(testing::Rec(t0 + 5 * 24 * testing::kHour + 1, "big", 100000, 0, "", "", "", 100));
    Profile p = ProfileUsage(log, TinyCatalog());
    ASSERT_EQ(p.daily.size(), 10u);
    EXPECT_TRUE(p.partial_days.empty());
    ASSERT_EQ(p.anomalies.size(), 1u);
    EXPECT_EQ(p.anomalies[0].date, "2025-01-06");
    EXPECT_NEAR(p.anomalies[0].z, 3.0, 1e-9);  // one spike among ten days: z = (n-1)/sqrt(n-1) = 3
    EXPECT_FALSE(p.duplicate_rate.has_value());
}

TEST(Profile, APartialLastDayIsNoAnomaly) {
    // Nine whole days of steady spend, then the export ends at 03:33 on the tenth: that day's low total is where
    // the data stops, not a drop in spend.
    std::vector<domain::UsageRecord> log;
    const core::Millis t0 = 1'735'689'600'000;  // 2025-01-01T00:00:00Z
    for (int day = 0; day < 9; ++day) {
        for (int hour = 0; hour < 24; ++hour) {
            log.push_back(testing::Rec(t0 + (day * 24 + hour) * testing::kHour, "mid", 1000, 0, "", "", "", 100));
        }
    }
    const core::Millis end = t0 + 9 * 24 * testing::kHour + 3 * testing::kHour + 33 * 60'000;
    log.push_back(testing::Rec(end, "mid", 1000, 0, "", "", "", 100));
    Profile p = ProfileUsage(log, TinyCatalog());
    ASSERT_EQ(p.daily.size(), 10u);
    EXPECT_TRUE(p.daily.back().partial);
    EXPECT_EQ(p.daily.back().covered, "until 03:33 UTC");
    ASSERT_EQ(p.partial_days.size(), 1u);
    EXPECT_EQ(p.partial_days[0].date, "2025-01-10");
    EXPECT_TRUE(p.anomalies.empty());  // with it in the statistics it would be z = -3

    // A daily export (every row at midnight, each standing for its whole day) has no partial days.
    std::vector<domain::UsageRecord> buckets;
    for (int day = 0; day < 5; ++day) {
        buckets.push_back(testing::Rec(t0 + day * 24 * testing::kHour, "mid", 1000, 0, "", "", "", 100));
    }
    EXPECT_TRUE(ProfileUsage(buckets, TinyCatalog()).partial_days.empty());
}

TEST(Profile, EstimateFromTheSpecExample) {
    StatedFacts f;
    f.monthly_spend_usd = 40000;
    f.monthly_requests = 2e6;
    f.models = {"GPT-4o"};
    Profile p = EstimateProfile(f, BundledCatalog());
    EXPECT_TRUE(p.estimated);
    EXPECT_EQ(p.primary_model, "gpt-4o");
    EXPECT_DOUBLE_EQ(p.monthly_cost_usd, 40000);
    // $0.02 per request at gpt-4o's blended $4.375 per Mtok (0.75 * 2.50 + 0.25 * 10.00).
    EXPECT_NEAR(p.tokens_per_request, 0.02 / 4.375e-6, 1e-6);
    EXPECT_FALSE(p.assumptions.empty());
    auto j = ProfileToJson(p);
    EXPECT_TRUE(j["estimated"].as_bool());
}

TEST(Profile, EstimateDerivesSpendFromVolume) {
    StatedFacts f;
    f.monthly_requests = 1e6;
    f.tokens_per_request = 1000;
    f.models = {"gpt-4o-mini"};
    Profile p = EstimateProfile(f, BundledCatalog());
    // 1e9 tokens at (0.75 * 0.15 + 0.25 * 0.60) $/Mtok = 1000 * 0.2625
    EXPECT_NEAR(p.monthly_cost_usd, 262.5, 1e-9);
}

}  // namespace netra::analysis

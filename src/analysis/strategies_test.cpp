#include "analysis/strategies.hpp"

#include <gtest/gtest.h>

#include "analysis/test_fixtures.hpp"

namespace netra::analysis {
using testing::TinyCatalog;
using testing::TinyLog;

namespace {
const Strategy* Find(const OptimizationResult& r, const std::string& type) {
    for (const auto& s : r.strategies) {
        if (s.type == type) return &s;
    }
    return nullptr;
}
}  // namespace

TEST(Strategies, TinyLogByHand) {
    auto log = TinyLog();
    Profile p = ProfileUsage(log, TinyCatalog());
    OptimizationResult r = PriceStrategies(log, p, TinyCatalog(), {});
    ASSERT_EQ(r.strategies.size(), 5u);

    // Right-sizing: r1 and r2 are short on "big"; on "mid" each costs (1000*1 + 200*3)/1e6 = 0.0016.
    const Strategy* rs = Find(r, "model_right_sizing");
    ASSERT_NE(rs, nullptr);
    EXPECT_EQ(rs->target_model, "mid");
    EXPECT_EQ(rs->affected_requests, 2);
    EXPECT_NEAR(rs->current_monthly_usd, 0.032 * 15, 1e-12);
    EXPECT_NEAR(rs->savings_usd, (0.032 - 0.0032) * 15, 1e-12);
    EXPECT_NEAR(rs->projected_monthly_usd, 0.0032 * 15, 1e-12);
    EXPECT_NEAR(rs->affected_share, 0.032 / 0.0854, 1e-12);
    EXPECT_NEAR(rs->savings_pct, 0.432 / 1.281 * 100, 1e-9);

    // Response caching: prompt "A" twice (0.032): pay once → saves half.
    const Strategy* rc = Find(r, "response_caching");
    ASSERT_NE(rc, nullptr);
    EXPECT_EQ(rc->affected_requests, 1);
    EXPECT_NEAR(rc->savings_usd, 0.016 * 15, 1e-12);

    // Prompt caching: prefix X on r1..r3, shortest prompt 1000 → prefix 500 tokens; only r3 is >= 1024 tokens:
    // 500 * (10 - 1) / 1e6 = 0.0045, times (n-1)/n = 2/3.
    const Strategy* pc = Find(r, "prompt_caching");
    ASSERT_NE(pc, nullptr);
    EXPECT_EQ(pc->affected_requests, 1);
    EXPECT_NEAR(pc->savings_usd, 0.0045 * 2.0 / 3.0 * 15, 1e-12);
    EXPECT_NEAR(pc->current_monthly_usd, 0.053 * 15, 1e-12);

    // Batch: r3 at 50% off.
    const Strategy* b = Find(r, "batch_api");
    ASSERT_NE(b, nullptr);
    EXPECT_NEAR(b->savings_usd, 0.0265 * 15, 1e-12);

    // Compression: r3 has 5000 input tokens: 20% of 5000 at $10/Mtok = 0.01.
    const Strategy* c = Find(r, "prompt_compression");
    ASSERT_NE(c, nullptr);
    EXPECT_NEAR(c->savings_usd, 0.01 * 15, 1e-12);

    // Combined in sequence on the remaining spend.
    double total = 1.281;
    double projected = total;
    for (double s : {0.016 * 15, 0.0288 * 15, 0.003 * 15, 0.0265 * 15, 0.01 * 15}) projected *= 1 - s / total;
    EXPECT_NEAR(r.combined.projected_monthly_usd, projected, 1e-9);
    EXPECT_NEAR(r.combined.savings_usd, total - projected, 1e-9);
    EXPECT_LT(r.combined.savings_usd, rs->savings_usd + rc->savings_usd + pc->savings_usd + b->savings_usd +
                                          c->savings_usd);  // never the naive sum
    EXPECT_EQ(r.combined.order, (std::vector<std::string>{"response_caching", "model_right_sizing", "prompt_caching",
                                                          "batch_api", "prompt_compression"}));

    auto j = StrategyToJson(*rs);
    EXPECT_EQ(j.size(), 11u);  // exactly the §8 fields
    for (const char* key : {"type", "description", "affected_share", "current_monthly_usd", "projected_monthly_usd",
                            "savings_usd", "savings_pct", "confidence", "risk", "quality_impact", "assumptions"}) {
        EXPECT_TRUE(j.contains(key)) << key;
    }
}

TEST(Strategies, LatencyGoalAddsRoutingThatDoesNotCountTowardSavings) {
    auto log = TinyLog();
    Profile p = ProfileUsage(log, TinyCatalog());
    StrategyOptions options;
    options.latency_goal = true;
    options.latency_target_ms = 800;
    OptimizationResult r = PriceStrategies(log, p, TinyCatalog(), options);
    const Strategy* l = Find(r, "latency_routing");
    ASSERT_NE(l, nullptr);
    // big's p95 is 3000 ms > 800: its short requests (r1, r2) go to the fastest adequate model, "small" (300 ms,
    // one tier below mid is not allowed for frontier → mid at 500 ms).
    EXPECT_EQ(l->target_model, "mid");
    EXPECT_EQ(l->affected_requests, 2);
    EXPECT_FALSE(l->counts_toward_total);
    EXPECT_EQ(std::count(r.combined.order.begin(), r.combined.order.end(), "latency_routing"), 0);
}

TEST(Strategies, MissingColumnsAreReportedNotInvented) {
    auto log = TinyLog();
    for (auto& rec : log) {
        rec.prompt_hash.clear();
        rec.prefix_hash.clear();
        rec.batchable = false;
    }
    Profile p = ProfileUsage(log, TinyCatalog());
    OptimizationResult r = PriceStrategies(log, p, TinyCatalog(), {});
    EXPECT_EQ(Find(r, "response_caching"), nullptr);
    EXPECT_EQ(Find(r, "prompt_caching"), nullptr);
    EXPECT_EQ(Find(r, "batch_api"), nullptr);
    EXPECT_EQ(r.not_assessed.size(), 3u);
}

TEST(Strategies, EstimatesForTheSpecExample) {
    StatedFacts f;
    f.monthly_spend_usd = 40000;
    f.monthly_requests = 2e6;
    f.models = {"gpt-4o"};
    Profile e = EstimateProfile(f, BundledCatalog());
    OptimizationResult r = EstimateStrategies(e, BundledCatalog(), {});
    EXPECT_TRUE(r.estimated);
    ASSERT_EQ(r.strategies.size(), 3u);
    EXPECT_EQ(r.strategies[0].type, "response_caching");
    EXPECT_NEAR(r.strategies[0].savings_usd, 4000, 1e-9);
    EXPECT_EQ(r.strategies[1].type, "model_right_sizing");
    EXPECT_EQ(r.strategies[1].target_model, "gpt-4o-mini");
    // 40% of $40k at the blended price ratio 0.2625 / 4.375 = 0.06 → saves 16000 * 0.94.
    EXPECT_NEAR(r.strategies[1].savings_usd, 15040, 1e-6);
    // Input share of spend 1.875 / 4.375; 30% of it cached at half price.
    EXPECT_NEAR(r.strategies[2].savings_usd, 40000 * (1.875 / 4.375) * 0.3 * 0.5, 1e-6);
    double projected = 40000 * (1 - 0.1) * (1 - 15040.0 / 40000) * (1 - 40000 * (1.875 / 4.375) * 0.15 / 40000);
    EXPECT_NEAR(r.combined.projected_monthly_usd, projected, 1e-6);
    for (const auto& s : r.strategies) EXPECT_EQ(s.confidence, "low");
    auto plan = PlanActions(r);
    ASSERT_GE(plan.size(), 5u);
    EXPECT_EQ(plan[1].title, "Export a usage log so the estimates can be measured");
}

TEST(Strategies, PlanPutsQuickWinsFirst) {
    auto log = TinyLog();
    Profile p = ProfileUsage(log, TinyCatalog());
    auto plan = PlanActions(PriceStrategies(log, p, TinyCatalog(), {}));
    ASSERT_EQ(plan.size(), 6u);
    EXPECT_EQ(plan[0].strategy, "");  // baseline
    for (std::size_t i = 1; i < plan.size(); ++i) {
        EXPECT_LE(plan[i - 1].phase, plan[i].phase);
        EXPECT_FALSE(plan[i].owner_role.empty());
        EXPECT_FALSE(plan[i].rollback.empty());
        EXPECT_FALSE(plan[i].validation_metric.empty());
    }
    EXPECT_EQ(plan.back().strategy, "model_right_sizing");
    EXPECT_EQ(plan[1].strategy, "batch_api");  // phase 1, larger savings than prompt caching
}

}  // namespace netra::analysis

// BreakdownSpend over hand-built records: every figure below is computed by hand.
#include "analysis/spend_breakdown.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace netra::analysis {
namespace {

constexpr core::Millis kJune1 = 1'748'736'000'000;  // 2025-06-01T00:00:00Z
constexpr core::Millis kHour = 3'600'000;
constexpr core::Millis kDay = 24 * kHour;

// A priced row: `cost` is the bill; `list` the catalog's price (absent: a model the catalog does not know).
domain::UsageRecord Row(std::string model, std::optional<double> cost, std::optional<double> list, bool cost_from_file,
                        std::int64_t input = 600, std::int64_t output = 400, core::Millis ts = kJune1) {
    domain::UsageRecord r;
    r.ts = ts;
    r.model = std::move(model);
    r.input_tokens = input;
    r.output_tokens = output;
    r.cost_usd = cost;
    r.list_cost_usd = list;
    r.cost_from_file = cost_from_file;
    return r;
}

const Attribution* Group(const SpendBreakdown& b, std::string_view dimension, std::size_t index) {
    for (const auto& [dim, groups] : b.attribution) {
        if (dim == dimension) return index < groups.size() ? &groups[index] : nullptr;
    }
    return nullptr;
}

std::vector<std::string> Dimensions(const SpendBreakdown& b) {
    std::vector<std::string> out;
    for (const auto& [dim, groups] : b.attribution) out.push_back(dim);
    return out;
}

TEST(SpendBreakdown, TokenPartitionsAndRequests) {
    auto a = Row("m", 1.0, 1.0, false, 1000, 300);
    a.cached_tokens = 600;
    a.cache_write_5m_tokens = 100;
    a.cache_write_1h_tokens = 50;
    a.reasoning_tokens = 100;
    a.batched = true;
    auto b = Row("m", 1.0, 1.0, false, 500, 50);
    b.request_count = 3;
    b.long_context = true;
    auto breakdown = BreakdownSpend(std::vector<domain::UsageRecord>{a, b}, 2.0);
    EXPECT_EQ(breakdown.tokens.input, 1500);
    EXPECT_EQ(breakdown.tokens.cache_read, 600);
    EXPECT_EQ(breakdown.tokens.cache_write_5m, 100);
    EXPECT_EQ(breakdown.tokens.cache_write_1h, 50);
    EXPECT_EQ(breakdown.tokens.uncached_input, 1500 - 600 - 100 - 50);
    EXPECT_EQ(breakdown.tokens.output, 350);
    EXPECT_EQ(breakdown.tokens.reasoning, 100);
    EXPECT_EQ(breakdown.requests, 4);
    EXPECT_EQ(breakdown.batched_rows, 1);
    EXPECT_EQ(breakdown.long_context_rows, 1);
    EXPECT_EQ(breakdown.billed_rows, 0);
    EXPECT_DOUBLE_EQ(breakdown.list_cost_usd, 2.0);
    EXPECT_TRUE(breakdown.reconciliation.empty());
    EXPECT_TRUE(breakdown.unknown_models.empty());

    // An aggregate row that does not count its calls: the total is unknown, not an undercount.
    auto c = Row("m", 1.0, 1.0, false, 10, 10);
    c.request_count = 0;
    auto uncounted = BreakdownSpend(std::vector<domain::UsageRecord>{a, b, c}, 3.0);
    EXPECT_FALSE(uncounted.requests.has_value());
    EXPECT_EQ(uncounted.tokens.input, 1510);
    boost::json::object json;
    BreakdownToJson(uncounted, json);
    EXPECT_TRUE(json.at("requests").is_null());
    EXPECT_EQ(json.at("tokens").at("uncached_input").as_int64(), 1510 - 600 - 100 - 50);

    auto empty = BreakdownSpend(std::vector<domain::UsageRecord>{}, 0);
    EXPECT_FALSE(empty.requests.has_value());
    EXPECT_EQ(empty.tokens.input, 0);
}

TEST(SpendBreakdown, ReconciliationAndUnknownModels) {
    const std::vector<domain::UsageRecord> records = {
        Row("A", 0.6, 0.6, true),                       // A: billed 1.01 against 1.00 list: +1 %, within tolerance
        Row("A", 0.41, 0.4, true),                      //
        Row("A", 0.3, 0.3, false),                      // list price as the bill: not reconciled
        Row("B", 0.9, 1.0, true),                       // B: −10 %, flagged
        Row("C", 5.0, 4.95, true),                      // C: +1.01 %, not flagged; 0.05 apart
        Row("X", 0.2, std::nullopt, true, 2000, 1000),  // unknown, with its own cost
        Row("Y", std::nullopt, std::nullopt, false, 1500, 500),  // unknown, unpriced
    };
    const double total = 0.6 + 0.41 + 0.3 + 0.9 + 5.0 + 0.2;
    auto b = BreakdownSpend(records, total);
    EXPECT_EQ(b.billed_rows, 5);
    EXPECT_DOUBLE_EQ(b.list_cost_usd, 0.6 + 0.4 + 0.3 + 1.0 + 4.95);

    ASSERT_EQ(b.reconciliation.size(), 3u);
    // Largest absolute difference first: B (0.10), C (0.05), A (0.01).
    const auto& rb = b.reconciliation[0];
    EXPECT_EQ(rb.model, "B");
    EXPECT_EQ(rb.rows, 1);
    EXPECT_DOUBLE_EQ(rb.billed_usd, 0.9);
    EXPECT_DOUBLE_EQ(rb.list_usd, 1.0);
    EXPECT_NEAR(rb.difference_pct, -10.0, 1e-9);
    EXPECT_TRUE(rb.flagged);
    const auto& rc = b.reconciliation[1];
    EXPECT_EQ(rc.model, "C");
    EXPECT_NEAR(rc.difference_pct, (5.0 - 4.95) / 4.95 * 100, 1e-9);
    EXPECT_FALSE(rc.flagged);
    const auto& ra = b.reconciliation[2];
    EXPECT_EQ(ra.model, "A");
    EXPECT_EQ(ra.rows, 2);
    EXPECT_DOUBLE_EQ(ra.billed_usd, 0.6 + 0.41);
    EXPECT_DOUBLE_EQ(ra.list_usd, 0.6 + 0.4);
    EXPECT_NEAR(ra.difference_pct, 1.0, 1e-9);
    EXPECT_FALSE(ra.flagged);

    // 7 rows, 10,000 tokens, 7.11 of stated spend.
    ASSERT_EQ(b.unknown_models.size(), 2u);
    const auto& x = b.unknown_models[0];
    EXPECT_EQ(x.model, "X");
    EXPECT_EQ(x.rows, 1);
    EXPECT_DOUBLE_EQ(x.row_share, 1.0 / 7);
    EXPECT_DOUBLE_EQ(x.token_share, 3000.0 / 10000);
    EXPECT_DOUBLE_EQ(x.billed_share, 0.2 / (0.6 + 0.41 + 0.9 + 5.0 + 0.2));
    const auto& y = b.unknown_models[1];
    EXPECT_EQ(y.model, "Y");
    EXPECT_DOUBLE_EQ(y.token_share, 2000.0 / 10000);
    EXPECT_DOUBLE_EQ(y.billed_share, 0.0);

    boost::json::object json;
    BreakdownToJson(b, json);
    const auto& first = json.at("reconciliation").as_array().at(0).as_object();
    EXPECT_EQ(first.at("model").as_string(), "B");
    EXPECT_NEAR(first.at("difference_usd").as_double(), -0.1, 1e-12);
    EXPECT_TRUE(first.at("flagged").as_bool());
}

// A cost export's bill lines carry no tokens, so the catalog prices them at $0: there is nothing to reconcile
// them against (they are not "100 % above list").
TEST(SpendBreakdown, BillLinesWithoutTokensAreNotReconciled) {
    const std::vector<domain::UsageRecord> records = {
        Row("gpt-4o", 0.25, 0.0, true, 0, 0),
        Row("gpt-4o", 0.30, 0.0, true, 0, 0),
    };
    auto b = BreakdownSpend(records, 0.55);
    EXPECT_EQ(b.billed_rows, 2);
    EXPECT_TRUE(b.reconciliation.empty());
    EXPECT_TRUE(b.unknown_models.empty());
}

TEST(SpendBreakdown, AttributionTopGroupsAndTags) {
    auto r1 = Row("m", 3.0, 3.0, false);
    r1.feature = "f1";
    r1.user = "u1";
    r1.team = "t1";
    r1.tags = "a,b";
    auto r2 = Row("m", 2.0, 2.0, false);
    r2.feature = "f2";
    r2.user = "u1";
    r2.api_key = "k1";
    r2.tags = " a , c";
    r2.request_count = 5;
    auto r3 = Row("m", 1.0, 1.0, false);
    r3.feature = "f1";
    r3.project = "p1";
    r3.request_count = 0;  // counts as one call
    auto b = BreakdownSpend(std::vector<domain::UsageRecord>{r1, r2, r3}, 6.0);

    EXPECT_EQ(Dimensions(b), (std::vector<std::string>{"feature", "user", "team", "api_key", "project", "tag"}));
    const Attribution* f1 = Group(b, "feature", 0);
    ASSERT_NE(f1, nullptr);
    EXPECT_EQ(f1->name, "f1");
    EXPECT_DOUBLE_EQ(f1->cost_usd, 4.0);
    EXPECT_EQ(f1->requests, 2);
    EXPECT_DOUBLE_EQ(f1->share, 4.0 / 6);
    const Attribution* f2 = Group(b, "feature", 1);
    ASSERT_NE(f2, nullptr);
    EXPECT_EQ(f2->name, "f2");
    EXPECT_EQ(f2->requests, 5);
    EXPECT_EQ(Group(b, "feature", 2), nullptr);
    const Attribution* u1 = Group(b, "user", 0);
    ASSERT_NE(u1, nullptr);
    EXPECT_DOUBLE_EQ(u1->cost_usd, 5.0);
    EXPECT_EQ(u1->requests, 6);
    EXPECT_EQ(Group(b, "team", 0)->name, "t1");
    EXPECT_EQ(Group(b, "api_key", 0)->name, "k1");
    EXPECT_EQ(Group(b, "project", 0)->requests, 1);

    // A row with several tags counts for each; tags are trimmed.
    const Attribution* a = Group(b, "tag", 0);
    const Attribution* tb = Group(b, "tag", 1);
    const Attribution* c = Group(b, "tag", 2);
    ASSERT_TRUE(a && tb && c);
    EXPECT_EQ(a->name, "a");
    EXPECT_DOUBLE_EQ(a->cost_usd, 5.0);
    EXPECT_EQ(a->requests, 6);
    EXPECT_EQ(tb->name, "b");
    EXPECT_DOUBLE_EQ(tb->cost_usd, 3.0);
    EXPECT_EQ(c->name, "c");
    EXPECT_DOUBLE_EQ(c->share, 2.0 / 6);
    EXPECT_EQ(Group(b, "tag", 3), nullptr);

    // Only the top 10 groups; equal costs in name order.
    std::vector<domain::UsageRecord> many;
    for (int i = 0; i < 12; ++i) {
        auto r = Row("m", i < 2 ? 5.5 : 1.0 + i, 1.0, false);
        r.user = "user" + std::to_string(i);
        many.push_back(r);
    }
    auto top = BreakdownSpend(many, 100);
    ASSERT_EQ(b.attribution.size(), 6u);
    ASSERT_EQ(top.attribution.size(), 1u);
    const auto& users = top.attribution[0].second;
    ASSERT_EQ(users.size(), kAttributionTop);
    EXPECT_EQ(users[0].name, "user11");  // 12
    EXPECT_EQ(users[7].name, "user0");   // 5.5, before user1 (5.5) by name
    EXPECT_EQ(users[8].name, "user1");
    EXPECT_EQ(users[9].name, "user4");  // 5; user3 and user2 are cut
}

TEST(SpendBreakdown, MoversNeedTwoWeeks) {
    // The last record's day ends on June 15: last week is June 8–14, the previous June 1–7.
    auto make = [](core::Millis ts, const char* model, const char* feature, const char* user, double cost) {
        auto r = Row(model, cost, cost, false, 600, 400, ts);
        r.feature = feature;
        r.user = user;
        return r;
    };
    const std::vector<domain::UsageRecord> records = {
        make(kJune1, "A", "f1", "u1", 1.0),
        make(kJune1 + 3 * kDay, "B", "f2", "u2", 2.0),
        make(kJune1 + 10 * kDay, "A", "f1", "u1", 4.0),
        make(kJune1 + 13 * kDay + 12 * kHour, "B", "f2", "u2", 1.5),
    };
    auto b = BreakdownSpend(records, 8.5);
    // |Δ| 3 for model A, feature f1 and user u1; 0.5 for model B, feature f2 and user u2 (only 5 kept).
    ASSERT_EQ(b.movers.size(), kMoversTop);
    EXPECT_EQ(b.movers[0].dimension, "feature");
    EXPECT_EQ(b.movers[0].name, "f1");
    EXPECT_DOUBLE_EQ(b.movers[0].previous_week_usd, 1.0);
    EXPECT_DOUBLE_EQ(b.movers[0].last_week_usd, 4.0);
    EXPECT_EQ(b.movers[1].dimension, "model");
    EXPECT_EQ(b.movers[1].name, "A");
    EXPECT_EQ(b.movers[2].dimension, "user");
    EXPECT_EQ(b.movers[2].name, "u1");
    EXPECT_EQ(b.movers[3].dimension, "feature");
    EXPECT_EQ(b.movers[3].name, "f2");
    EXPECT_DOUBLE_EQ(b.movers[3].previous_week_usd, 2.0);
    EXPECT_DOUBLE_EQ(b.movers[3].last_week_usd, 1.5);
    EXPECT_EQ(b.movers[4].dimension, "model");
    EXPECT_EQ(b.movers[4].name, "B");

    // 13½ days of data: no movers.
    auto short_span = std::vector<domain::UsageRecord>(records.begin() + 1, records.end());
    short_span.insert(short_span.begin(), make(kJune1 + kDay, "A", "f1", "u1", 1.0));
    EXPECT_TRUE(BreakdownSpend(short_span, 8.5).movers.empty());
}

}  // namespace
}  // namespace netra::analysis

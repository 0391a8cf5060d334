#include "agents/triage.hpp"

#include <gtest/gtest.h>

namespace netra::agents {

TEST(Triage, SpecExampleIsPartialWithFourOfSixFacts) {
    auto r = Triage({"We spend $40k/month on GPT-4o for customer support, 2M requests per month"}, false);
    EXPECT_EQ(r.category, "cost_optimization");
    ASSERT_TRUE(r.facts.monthly_spend_usd);
    EXPECT_DOUBLE_EQ(*r.facts.monthly_spend_usd, 40000);
    ASSERT_TRUE(r.facts.monthly_requests);
    EXPECT_DOUBLE_EQ(*r.facts.monthly_requests, 2e6);
    EXPECT_EQ(r.facts.models, std::vector<std::string>{"gpt-4o"});
    EXPECT_EQ(r.facts.use_case, "customer_support");
    EXPECT_EQ(r.facts_present.size(), 4u);
    EXPECT_NEAR(r.completeness, 4.0 / 6.0, 1e-9);
    EXPECT_EQ(r.sufficiency, "partial");
}

TEST(Triage, VagueRequestIsInsufficient) {
    auto r = Triage({"Help me reduce my AI costs"}, false);
    EXPECT_EQ(r.category, "cost_optimization");
    EXPECT_EQ(r.sufficiency, "insufficient");
}

TEST(Triage, FactsAccumulateOverTheThreadAndNormalisePerDay) {
    auto r = Triage({"We want to cut cost on claude 3.5 sonnet", "About 40,000 USD per month and 100k requests/day",
                     "average 1,200 tokens per request, p95 under 800 ms, it's a RAG chatbot"},
                    false);
    EXPECT_DOUBLE_EQ(*r.facts.monthly_spend_usd, 40000);
    EXPECT_DOUBLE_EQ(*r.facts.monthly_requests, 3e6);
    EXPECT_DOUBLE_EQ(*r.facts.tokens_per_request, 1200);
    EXPECT_DOUBLE_EQ(*r.facts.latency_target_ms, 800);
    EXPECT_EQ(r.facts.models, std::vector<std::string>{"claude-3-5-sonnet"});
    EXPECT_EQ(r.sufficiency, "sufficient");
}

TEST(Triage, DatasetMakesItSufficient) { EXPECT_EQ(Triage({"reduce my llm costs"}, true).sufficiency, "sufficient"); }

TEST(Triage, GeneralQuestion) {
    auto r = Triage({"hello, what can you do?"}, false);
    EXPECT_EQ(r.category, "general");
}

}  // namespace netra::agents

namespace netra::agents {

TEST(Triage, CatalogNamesAndAliasesAreMatched) {
    auto f = ExtractFacts({"We run gpt-4.1-nano, mistral-small-latest and claude-3-haiku-20240307; also GPT 4o."},
                          &analysis::BundledCatalog());
    // In the order they appear, by their catalog names (dated and -latest ids resolve through the match rules).
    const auto& catalog = analysis::BundledCatalog();
    std::vector<std::string> expected;
    for (const char* id : {"gpt-4.1-nano", "mistral-small-latest", "claude-3-haiku-20240307"}) {
        const auto* m = catalog.Find(id);
        ASSERT_NE(m, nullptr) << id;
        expected.push_back(m->model);
    }
    expected.push_back("gpt-4o");  // "GPT 4o": the common spellings
    EXPECT_EQ(f.models, expected);
    EXPECT_NE(std::find(f.providers.begin(), f.providers.end(), "mistral"), f.providers.end());
}

TEST(Triage, FiguresAnLlmReadCountOnlyWhereTheRulesFoundNoneAndTheMessagesStateThem) {
    std::vector<std::string> messages = {
        "We run GPT-4o for support, 60k chats a day; last month's invoice came to 12k. p95 under 800 ms"};
    ExtractedFacts facts = ExtractFacts(messages);
    ASSERT_FALSE(facts.monthly_spend_usd);  // the rules read neither an invoice nor chats
    ASSERT_FALSE(facts.monthly_requests);
    ASSERT_TRUE(facts.latency_target_ms);
    boost::json::object model{{"monthly_spend_usd", 12000},   // "12k": stated
                              {"monthly_requests", 1800000},  // 60k a day, per month: stated
                              {"tokens_per_request", 950},    // not in the messages: invented
                              {"latency_target_ms", 500}};    // the rules already read 800
    auto taken = MergeStatedFacts(facts, model, messages);
    EXPECT_EQ(taken, (std::vector<std::string>{"monthly_spend_usd", "monthly_requests"}));
    EXPECT_DOUBLE_EQ(*facts.monthly_spend_usd, 12000);
    EXPECT_FALSE(facts.tokens_per_request);
    EXPECT_DOUBLE_EQ(*facts.latency_target_ms, 800);
    auto scored = Triage(messages, false, nullptr, std::string("cost_optimization"), facts);
    EXPECT_EQ(scored.category, "cost_optimization");
    EXPECT_NE(std::find(scored.facts_present.begin(), scored.facts_present.end(), "monthly_spend"),
              scored.facts_present.end());
}

}  // namespace netra::agents

#include "analysis/catalog.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <set>
#include <thread>

namespace netra::analysis {
namespace {

core::Millis Date(const char* ymd) { return *core::ParseTimestamp(std::string(ymd) + "T00:00:00Z"); }

std::string IdOf(const Catalog& c, std::string_view name, std::string_view provider = {}) {
    const CatalogModel* m = c.Find(name, provider);
    return m == nullptr ? "(none)" : m->id;
}

// A hand-written version-2 catalog: tiered and dated prices, match rules, a Bedrock-style host, fallbacks.
const Catalog& Acme() {
    static const Catalog kCatalog = [] {
        auto c = LoadCatalog(R"({"version":2,"as_of":"2026-01-01","provider_aliases":{"bedrock":"aws"},"models":[
        {"id":"acme/big","provider":"acme","model":"big","match":{"or":[{"starts_with":"big-"},{"regex":"^BIG\\d+$"}]},
         "prices":[{"prices":{"input_mtok":{"base":2,"tiers":[{"start":1000,"price":4}]},"output_mtok":8}},
                   {"from":"2026-06-01","prices":{"input_mtok":1,"output_mtok":4,"cache_read_mtok":0.1,
                    "cache_write_mtok":1.25,"cache_write_1h_mtok":2}}],
         "batch_discount":0.5,"batch_source":"https://example.com/batch"},
        {"id":"aws/acme.big-v1:0","provider":"aws","model":"acme.big-v1:0","match":{"contains":"acme.big"},
         "prices":{"input_mtok":3,"output_mtok":9}},
        {"provider":"acme","model":"small","aliases":["tiny"],"prices":{"input_mtok":0.1,"output_mtok":0.2,
         "cache_write_mtok":0.15},"current":true}]})");
        if (!c.ok()) throw std::runtime_error(c.error().message);
        return std::move(c).value();
    }();
    return kCatalog;
}

}  // namespace

// ---- Version 1 (the flat layout operators' files and the fixtures use) ----

TEST(Catalog, CostUsesCachedPriceForCachedInput) {
    auto c = LoadCatalog(R"({"as_of":"2025-01-01","models":[{"provider":"p","model":"m","input_per_mtok":2,
        "output_per_mtok":8,"cached_input_per_mtok":0.5,"context_window":1000,"tier":"mid"}]})");
    ASSERT_TRUE(c.ok()) << c.error().message;
    // 1000 input of which 400 cached, 500 output: (600*2 + 400*0.5 + 500*8) / 1e6
    EXPECT_DOUBLE_EQ(*c->CostUsd("M", 1000, 500, 400), (600 * 2.0 + 400 * 0.5 + 500 * 8.0) / 1e6);
    // Cached tokens beyond the input are clamped.
    EXPECT_DOUBLE_EQ(*c->CostUsd("m", 100, 0, 500), 100 * 0.5 / 1e6);
    EXPECT_FALSE(c->CostUsd("other", 1, 1, 0).has_value());
    EXPECT_EQ(c->Find("p/m")->model, "m");
    EXPECT_EQ(c->Find("m", "p")->model, "m");
    EXPECT_TRUE(c->Models()[0].has_cache_read_price);
    EXPECT_EQ(c->Models()[0].tier, Tier::kMid);  // as written, not the price heuristic's
}

TEST(Catalog, VersionOneKeepsItsRulesAndAcceptsTheListingsExtraFields) {
    // No cached price: cache reads cost the input price; no context window: 0 (unknown).
    auto c = LoadCatalog(R"({"version":1,"as_of":"2025-01-01","models":[{"provider":"p","model":"m",
        "input_per_mtok":2,"output_per_mtok":8,"tier":"small","cache_write_per_mtok":2.5,"current":true,
        "match":{"starts_with":"m-"},"prices":[{"from":null,"input_mtok":99}]}]})");
    ASSERT_TRUE(c.ok()) << c.error().message;
    const CatalogModel& m = c->Models()[0];
    EXPECT_FALSE(m.has_cache_read_price);
    EXPECT_EQ(m.cached_input_per_mtok, 2);
    EXPECT_EQ(m.cache_write_per_mtok, 2.5);
    EXPECT_EQ(m.cache_write_1h_per_mtok, 2.5);
    EXPECT_EQ(m.context_window, 0);
    EXPECT_TRUE(m.current);
    EXPECT_EQ(c->Find("m-2")->model, "m");
    EXPECT_EQ(m.input_per_mtok, 2);  // a version-1 file's `prices` (as listed by CatalogToJson) is not read
    // `tier` stays required in version 1.
    auto no_tier = LoadCatalog(R"({"as_of":"x","models":[{"provider":"p","model":"m","input_per_mtok":1,
        "output_per_mtok":1}]})");
    ASSERT_FALSE(no_tier.ok());
    EXPECT_NE(no_tier.error().message.find("'tier'"), std::string::npos);
}

TEST(Catalog, RejectsInvalidFilesNamingTheProblem) {
    EXPECT_FALSE(LoadCatalog("not json").ok());
    EXPECT_FALSE(LoadCatalog(R"({"models":[]})").ok());
    auto bad_tier = LoadCatalog(R"({"as_of":"x","models":[{"provider":"p","model":"m","input_per_mtok":1,
        "output_per_mtok":1,"context_window":1,"tier":"huge"}]})");
    ASSERT_FALSE(bad_tier.ok());
    EXPECT_NE(bad_tier.error().message.find("'m'"), std::string::npos);
    auto negative = LoadCatalog(R"({"as_of":"x","models":[{"provider":"p","model":"m","input_per_mtok":-1,
        "output_per_mtok":1,"context_window":1,"tier":"mid"}]})");
    ASSERT_FALSE(negative.ok());
    EXPECT_NE(negative.error().message.find("input_per_mtok"), std::string::npos);
    auto dup = LoadCatalog(R"({"as_of":"x","models":[
        {"provider":"p","model":"a","aliases":["x"],"input_per_mtok":1,"output_per_mtok":1,"context_window":1,"tier":"mid"},
        {"provider":"p","model":"b","aliases":["X"],"input_per_mtok":1,"output_per_mtok":1,"context_window":1,"tier":"mid"}]})");
    EXPECT_FALSE(dup.ok());
    auto dup_id = LoadCatalog(R"({"as_of":"x","models":[
        {"id":"p/a","provider":"p","model":"a","input_per_mtok":1,"output_per_mtok":1,"tier":"mid"},
        {"id":"P/A","provider":"q","model":"a","input_per_mtok":1,"output_per_mtok":1,"tier":"mid"}]})");
    ASSERT_FALSE(dup_id.ok());
    EXPECT_NE(dup_id.error().message.find("id 'P/A'"), std::string::npos);
    EXPECT_FALSE(LoadCatalog(R"({"version":3,"as_of":"2026-01-01","models":[{"provider":"p","model":"m",
        "prices":{"input_mtok":1}}]})")
                     .ok());
}

// ---- Version 2 ----

TEST(Catalog, VersionTwoValidationNamesTheModelAndTheField) {
    auto error = [](const char* model_json) {
        auto c = LoadCatalog(std::string(R"({"version":2,"as_of":"2026-01-01","models":[)") + model_json + "]}");
        return c.ok() ? std::string("(loaded)") : c.error().message;
    };
    std::string m = error(R"({"id":"p/m","provider":"p","model":"m"})");
    EXPECT_NE(m.find("'p/m'"), std::string::npos) << m;
    EXPECT_NE(m.find("'prices'"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","prices":{"output_mtok":1}})");
    EXPECT_NE(m.find("'prices.input_mtok' is required"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","prices":{"input_mtok":1,"input_audio_mtok":3}})");
    EXPECT_NE(m.find("'prices.input_audio_mtok'"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","prices":{"input_mtok":{"base":1,"tiers":[
        {"start":200000,"price":2},{"start":100000,"price":3}]}}})");
    EXPECT_NE(m.find("'prices.input_mtok.tiers[1].start'"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","prices":[{"prices":{"input_mtok":1}},
        {"from":"2026-05-01","prices":{"input_mtok":2}},{"from":"2026-04-01","prices":{"input_mtok":3}}]})");
    EXPECT_NE(m.find("'prices[2].from'"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","prices":[{"prices":{"input_mtok":1}},
        {"from":"May 2026","prices":{"input_mtok":2}}]})");
    EXPECT_NE(m.find("'prices[1].from' must be a YYYY-MM-DD date"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","match":{"regex":"(unclosed"},"prices":{"input_mtok":1}})");
    EXPECT_NE(m.find("'match'"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","match":{"like":"m"},"prices":{"input_mtok":1}})");
    EXPECT_NE(m.find("unknown match rule 'like'"), std::string::npos) << m;
    m = error(R"({"id":"p/m","provider":"p","model":"m","tier":"huge","prices":{"input_mtok":1}})");
    EXPECT_NE(m.find("'tier'"), std::string::npos) << m;
    EXPECT_FALSE(LoadCatalog(R"({"version":2,"as_of":"August","models":[{"provider":"p","model":"m",
        "prices":{"input_mtok":1}}]})")
                     .ok());
    auto alias = LoadCatalog(R"({"version":2,"as_of":"2026-01-01","provider_aliases":{"bedrock":"aws"},
        "models":[{"provider":"p","model":"m","prices":{"input_mtok":1}}]})");
    ASSERT_FALSE(alias.ok());
    EXPECT_NE(alias.error().message.find("'bedrock'"), std::string::npos);
}

TEST(Catalog, VersionTwoFlatFieldsAreTheBasePricesInForceAtAsOf) {
    const CatalogModel* big = Acme().Find("big");
    ASSERT_NE(big, nullptr);
    ASSERT_EQ(big->periods.size(), 2u);
    EXPECT_EQ(big->as_of_period, 0u);  // the 2026-06-01 prices begin after the catalog's 2026-01-01
    EXPECT_EQ(big->input_per_mtok, 2);
    EXPECT_EQ(big->output_per_mtok, 8);
    EXPECT_FALSE(big->has_cache_read_price);
    EXPECT_EQ(big->cached_input_per_mtok, 2);  // no cache-read price: reads cost the input price
    EXPECT_EQ(big->cache_write_per_mtok, 2);
    EXPECT_EQ(big->tier, Tier::kMid);  // 0.75 × 2 + 0.25 × 8 = 3.5 < 4
    EXPECT_EQ(big->batch_source, "https://example.com/batch");
    const CatalogModel* small = Acme().Find("tiny");
    ASSERT_NE(small, nullptr);
    EXPECT_EQ(small->id, "acme/small");  // the id defaults to provider/model
    EXPECT_EQ(small->tier, Tier::kSmall);
    EXPECT_EQ(small->cache_write_per_mtok, 0.15);
    EXPECT_EQ(small->cache_write_1h_per_mtok, 0.15);
    EXPECT_TRUE(small->current);
}

TEST(Catalog, TierHeuristicFromBlendedPrice) {
    EXPECT_EQ(TierFromPrices(3, 15), Tier::kFrontier);   // 6.00
    EXPECT_EQ(TierFromPrices(4, 4), Tier::kFrontier);    // exactly 4
    EXPECT_EQ(TierFromPrices(1.25, 10), Tier::kMid);     // 3.44
    EXPECT_EQ(TierFromPrices(0.5, 0.5), Tier::kMid);     // exactly 0.50
    EXPECT_EQ(TierFromPrices(0.15, 0.6), Tier::kSmall);  // 0.26
}

TEST(Catalog, MatchRulesCompareCaseInsensitivelyAndRoundTrip) {
    auto json = boost::json::parse(R"({"or":[{"equals":"Model-A"},{"regex":"^X\\d+$"},
        {"and":[{"starts_with":"foo"},{"ends_with":"BAR"},{"contains":"-mid-"}]}]})");
    auto rule = MatchRule::FromJson(json);
    ASSERT_TRUE(rule.ok()) << rule.error().message;
    EXPECT_EQ(rule->kind(), MatchRule::Kind::kOr);
    for (const char* yes : {"model-a", "x12", "foo-mid-bar"}) EXPECT_TRUE(rule->Matches(yes)) << yes;
    for (const char* no : {"model-ab", "x12y", "foo-bar", "mid-foo-mid-bar"}) EXPECT_FALSE(rule->Matches(no)) << no;
    auto again = MatchRule::FromJson(rule->ToJson());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(boost::json::serialize(again->ToJson()), boost::json::serialize(rule->ToJson()));
    EXPECT_EQ(boost::json::serialize(rule->ToJson()),
              R"({"or":[{"equals":"model-a"},{"regex":"^X\\d+$"},{"and":[{"starts_with":"foo"},)"
              R"({"ends_with":"bar"},{"contains":"-mid-"}]}]})");
    EXPECT_FALSE(MatchRule::FromJson(boost::json::parse(R"({"or":[]})")).ok());
    EXPECT_FALSE(MatchRule::FromJson(boost::json::parse(R"({"equals":"a","contains":"b"})")).ok());
}

// Found by fuzz/fuzz_catalog: libstdc++'s regex compiler overflowed a signed integer (undefined behaviour) reading a
// back-reference with a long number ("\\3333…3"); a long {n,m} count goes through the same code. Such patterns are
// refused when the catalog loads, naming the reason; the bundled catalog's kind ("\\d{4}") still compiles.
TEST(Catalog, RegexRulesRefuseBackReferencesAndHugeCounts) {
    auto refused = [](const std::string& pattern) {
        boost::json::object rule{{"regex", pattern}};
        auto r = MatchRule::FromJson(rule);
        return r.ok() ? std::string("(accepted)") : r.error().message;
    };
    EXPECT_NE(refused("^a\\3333333333333333333333333").find("back-references are not supported"), std::string::npos);
    EXPECT_NE(refused("(a)\\1").find("back-references"), std::string::npos);
    EXPECT_NE(refused("^x{99999999999999999999}$").find("above 9999"), std::string::npos);
    EXPECT_NE(refused("^x{1,123456}$").find("above 9999"), std::string::npos);
    EXPECT_NE(refused(std::string(513, 'a')).find("longer than 512"), std::string::npos);
    EXPECT_EQ(refused("^gpt-5\\.6-luna-\\d{4}-\\d{2}-\\d{2}$"), "(accepted)");
    EXPECT_EQ(refused("^a\\\\1{2,9999}$"), "(accepted)");  // an escaped backslash, then a literal 1
}

TEST(Catalog, FindResolvesRulesProvidersAndHosts) {
    const Catalog& c = Acme();
    EXPECT_EQ(IdOf(c, "BIG42"), "acme/big");  // regex, case-insensitive
    EXPECT_EQ(IdOf(c, " big-2026 "), "acme/big");
    EXPECT_EQ(IdOf(c, "big", "acme"), "acme/big");
    EXPECT_EQ(IdOf(c, "bedrock/acme.big-v1:0"), "aws/acme.big-v1:0");  // provider alias as a prefix
    EXPECT_EQ(IdOf(c, "acme.big-v1:0"), "aws/acme.big-v1:0");
    EXPECT_EQ(IdOf(c, "acme.big-v2:0"), "aws/acme.big-v1:0");  // the host's match rule
    EXPECT_EQ(IdOf(c, "aws/acme.big-v1:0"), "aws/acme.big-v1:0");
    EXPECT_EQ(IdOf(c, "small", "bedrock"), "acme/small");  // the named provider has no such model: all
    EXPECT_EQ(IdOf(c, "tiny", "unknown-gateway"), "acme/small");
    EXPECT_EQ(IdOf(c, "acme/tiny-2025-01-01"), "acme/small");  // prefix, alias, snapshot date
    EXPECT_EQ(IdOf(c, "medium"), "(none)");
    EXPECT_EQ(IdOf(c, ""), "(none)");
}

TEST(Catalog, FindIsSafeToCallConcurrently) {
    const Catalog& c = BundledCatalog();
    const std::vector<std::string> names = {"gpt-5", "claude-sonnet-4-5-20250929", "vertex_ai/gemini-2.5-pro",
                                            "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0", "no-such-model"};
    std::vector<std::string> expected;
    for (const auto& n : names) expected.push_back(IdOf(c, n));
    std::vector<std::thread> threads;
    std::atomic<int> mismatches{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                std::size_t k = static_cast<std::size_t>(i + t) % names.size();
                if (IdOf(c, names[k]) != expected[k]) ++mismatches;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(mismatches.load(), 0);
}

// ---- Cost ----

TEST(Catalog, CostChoosesTheTierByEachRequestsPromptSize) {
    const CatalogModel& big = *Acme().Find("big");
    TokenUsage u;
    u.input = 2000;
    u.output = 100;
    // One request of 2,000 tokens exceeds the 1,000-token tier: every input token at $4; output untiered.
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (2000 * 4.0 + 100 * 8.0) / 1e6);
    u.requests = 4;  // a bucket of four requests of 500 tokens each: base price
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (2000 * 2.0 + 100 * 8.0) / 1e6);
    u.requests = 0;  // a bucket that does not count its calls cannot tell a prompt's size: base price
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (2000 * 2.0 + 100 * 8.0) / 1e6);
    TokenUsage at_start;
    at_start.input = 1000;  // the tier begins above its start
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, at_start), 1000 * 2.0 / 1e6);
    TokenUsage long_context;
    long_context.input = 10;
    long_context.context = ContextTier::kLong;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, long_context), 10 * 4.0 / 1e6);
    TokenUsage standard;  // a bucket stated to be standard-context pays base prices whatever its size
    standard.input = 5000;
    standard.context = ContextTier::kStandard;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, standard), 5000 * 2.0 / 1e6);
    TokenUsage uncounted;  // a bucket that does not count its calls cannot tell prompt sizes: base prices
    uncounted.input = 5000;
    uncounted.requests = 0;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, uncounted), 5000 * 2.0 / 1e6);
    // The 4-argument shorthand is one request in the as_of period.
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, 2000, 100, 0), (2000 * 4.0 + 100 * 8.0) / 1e6);
}

TEST(Catalog, CostPricesCacheReadsAndBothCacheWrites) {
    const CatalogModel& big = *Acme().Find("big");
    TokenUsage u;
    u.ts = Date("2026-07-01");  // the second period: cache prices exist
    u.input = 1000;
    u.cache_read = 200;
    u.cache_write_5m = 300;
    u.cache_write_1h = 100;
    u.output = 10;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (400 * 1.0 + 200 * 0.1 + 300 * 1.25 + 100 * 2.0 + 10 * 4.0) / 1e6);
    // Partitions beyond the input are clamped in order: reads, 5-minute writes, 1-hour writes.
    TokenUsage over;
    over.ts = u.ts;
    over.input = 100;
    over.cache_read = 80;
    over.cache_write_5m = 50;
    over.cache_write_1h = 50;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, over), (80 * 0.1 + 20 * 1.25) / 1e6);
    // Fallbacks: no cache-read price → input; no 1-hour price → the 5-minute one.
    const CatalogModel& small = *Acme().Find("small");
    TokenUsage s;
    s.input = 1000;
    s.cache_read = 100;
    s.cache_write_1h = 200;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(small, s), (700 * 0.1 + 100 * 0.1 + 200 * 0.15) / 1e6);
}

TEST(Catalog, CostChoosesThePeriodByTimestampAndAppliesTheBatchDiscount) {
    const CatalogModel& big = *Acme().Find("big");
    TokenUsage u;
    u.input = 500;
    u.output = 100;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (500 * 2.0 + 100 * 8.0) / 1e6);  // ts 0: in force at as_of
    u.ts = Date("2026-05-31");
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (500 * 2.0 + 100 * 8.0) / 1e6);
    u.ts = Date("2026-06-01");  // `from` is inclusive
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (500 * 1.0 + 100 * 4.0) / 1e6);
    u.batch = true;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(big, u), (500 * 1.0 + 100 * 4.0) / 1e6 * 0.5);
    const CatalogModel& aws = *Acme().Find("acme.big-v1:0");
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(aws, u), (500 * 3.0 + 100 * 9.0) / 1e6);  // no batch discount
}

// ---- The bundled catalog (data/catalog.json, derived from genai-prices of 2026-08-21) ----

TEST(Catalog, BundledFileLoadsWithItsLicenceAndCurrentModels) {
    auto c = LoadCatalog(BundledCatalogJson());
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c->AsOf(), "2026-08-21");
    EXPECT_NE(c->Licence().find("Copyright (c) Pydantic Services Inc."), std::string::npos);
    EXPECT_NE(c->Licence().find("Permission is hereby granted"), std::string::npos);
    EXPECT_GT(c->Models().size(), 500u);
    std::set<std::string> providers;
    std::set<std::string> current;
    for (const auto& m : c->Models()) {
        providers.insert(m.provider);
        if (!m.current) continue;
        current.insert(m.id);
        EXPECT_GT(m.input_per_mtok, 0) << m.id;
        EXPECT_GE(m.output_per_mtok, m.input_per_mtok) << m.id;
        EXPECT_LE(m.cached_input_per_mtok, m.input_per_mtok) << m.id;
        EXPECT_EQ(m.batch_discount, 0.5) << m.id;  // OpenAI, Anthropic, Gemini and Mistral batch APIs
        EXPECT_TRUE(m.batch_source.starts_with("https://")) << m.id;
        EXPECT_FALSE(m.deprecated) << m.id;
    }
    for (const char* p : {"anthropic", "openai", "google", "mistral", "x-ai", "deepseek", "aws", "azure", "openrouter",
                          "together", "groq", "fireworks"}) {
        EXPECT_TRUE(providers.contains(p)) << p;
    }
    for (const char* id :
         {"openai/gpt-5", "openai/gpt-5-mini", "openai/gpt-5-nano", "openai/gpt-4.1", "openai/gpt-4o-mini", "openai/o3",
          "openai/o4-mini", "anthropic/claude-opus-4-1", "anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5",
          "anthropic/claude-3-5-haiku-latest", "google/gemini-2.5-pro", "google/gemini-2.5-flash",
          "google/gemini-2.5-flash-lite", "mistral/mistral-large", "mistral/mistral-medium-3",
          "mistral/mistral-small-latest"}) {
        EXPECT_TRUE(current.contains(id)) << id;
    }
    // Models of earlier catalogs still resolve, by their current names.
    for (const char* name :
         {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3-mini", "gpt-3.5-turbo",
          "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-opus", "claude-3-haiku", "gemini-1.5-pro",
          "gemini-1.5-flash", "meta-llama/llama-3-70b-instruct", "mistral-large", "mistral-small-latest"}) {
        const CatalogModel* m = c->Find(name);
        ASSERT_NE(m, nullptr) << name;
        EXPECT_GT(m->input_per_mtok, 0) << name;
        EXPECT_GE(m->output_per_mtok, m->input_per_mtok) << name;
        EXPECT_LE(m->cached_input_per_mtok, m->input_per_mtok) << name;
    }
}

TEST(Catalog, BundledCatalogResolvesProviderSpellings) {
    const Catalog& c = BundledCatalog();
    const CatalogModel* gpt5 = c.Find("gpt-5");
    ASSERT_NE(gpt5, nullptr);
    EXPECT_EQ(gpt5->id, "openai/gpt-5");
    EXPECT_EQ(gpt5->input_per_mtok, 1.25);
    EXPECT_EQ(gpt5->output_per_mtok, 10);
    EXPECT_EQ(gpt5->cached_input_per_mtok, 0.125);
    EXPECT_EQ(gpt5->context_window, 400000);
    EXPECT_EQ(gpt5->tier, Tier::kFrontier);  // the overlay's; the heuristic alone says mid (3.44)
    const CatalogModel* mini = c.Find("gpt-5-mini");
    ASSERT_NE(mini, nullptr);
    EXPECT_EQ(mini->id, "openai/gpt-5-mini");
    EXPECT_EQ(mini->input_per_mtok, 0.25);
    EXPECT_EQ(mini->output_per_mtok, 2);
    EXPECT_EQ(mini->tier, Tier::kMid);
    const CatalogModel* sonnet = c.Find("claude-sonnet-4-5-20250929");
    ASSERT_NE(sonnet, nullptr);
    EXPECT_EQ(sonnet->id, "anthropic/claude-sonnet-4-5");
    EXPECT_EQ(sonnet->input_per_mtok, 3);
    EXPECT_EQ(sonnet->output_per_mtok, 15);
    EXPECT_EQ(sonnet->cached_input_per_mtok, 0.3);
    EXPECT_EQ(sonnet->cache_write_per_mtok, 3.75);
    EXPECT_EQ(sonnet->cache_write_1h_per_mtok, 6);
    EXPECT_EQ(IdOf(c, "openai/gpt-5"), "openai/gpt-5");
    EXPECT_EQ(IdOf(c, "GPT-4o-2024-08-06 "), "openai/gpt-4o");
    EXPECT_EQ(IdOf(c, "gpt-4o-2099-01-01"), "openai/gpt-4o");  // not listed: the date is stripped
    EXPECT_EQ(IdOf(c, "claude-3-haiku-20240307"), "anthropic/claude-3-haiku");
    // Bedrock: with the provider prefix, bare, and with the provider given apart.
    const char* bedrock_id = "aws/regional.anthropic.claude-sonnet-4-20250514-v1:0";
    EXPECT_EQ(IdOf(c, "bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0"), bedrock_id);
    EXPECT_EQ(IdOf(c, "us.anthropic.claude-sonnet-4-20250514-v1:0"), bedrock_id);
    EXPECT_EQ(IdOf(c, "anthropic.claude-sonnet-4-20250514-v1:0", "bedrock"), bedrock_id);
    EXPECT_EQ(c.Find(bedrock_id)->input_per_mtok, 3);
    // Vertex AI and the Gemini API.
    EXPECT_EQ(IdOf(c, "claude-sonnet-4@20250514"), "anthropic/claude-sonnet-4-0");
    EXPECT_EQ(c.Find("claude-sonnet-4@20250514")->output_per_mtok, 15);
    EXPECT_EQ(IdOf(c, "publishers/google/models/gemini-2.5-pro"), "google/gemini-2.5-pro");
    EXPECT_EQ(IdOf(c, "projects/p/locations/us-central1/publishers/google/models/gemini-2.5-pro"),
              "google/gemini-2.5-pro");
    EXPECT_EQ(IdOf(c, "models/gemini-1.5-pro"), "google/gemini-1.5-pro");
    EXPECT_EQ(IdOf(c, "vertex_ai/gemini-2.5-pro"), "google/gemini-2.5-pro");
    EXPECT_EQ(c.Find("gemini-2.5-pro")->input_per_mtok, 1.25);
    // A bare name is the first-party model's; a host's listing when the provider says so.
    EXPECT_EQ(IdOf(c, "claude-3-5-haiku"), "anthropic/claude-3-5-haiku-latest");
    EXPECT_EQ(IdOf(c, "claude-3-5-haiku", "vertex_ai"), "google/claude-3-5-haiku");
    EXPECT_EQ(IdOf(c, "azure/gpt-4o"), "openai/gpt-4o");  // Azure's listing has no gpt-4o: OpenAI's price
    EXPECT_EQ(IdOf(c, "o3", "azure"), "azure/o3-2025-04-16");
    EXPECT_EQ(IdOf(c, "anthropic/claude-sonnet-5"), "anthropic/claude-sonnet-5");
    EXPECT_EQ(IdOf(c, "anthropic/claude-sonnet-5", "openrouter"), "openrouter/anthropic/claude-sonnet-5");
    EXPECT_EQ(c.Find("my-finetune"), nullptr);
    EXPECT_EQ(c.Find(""), nullptr);
}

TEST(Catalog, BundledTieredDatedAndBatchPricesByHand) {
    const Catalog& c = BundledCatalog();
    // claude-sonnet-4-5: above 200k prompt tokens every input token costs $6 and every output token $22.50.
    const CatalogModel& sonnet = *c.Find("claude-sonnet-4-5");
    TokenUsage u;
    u.input = 250000;
    u.output = 1000;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(sonnet, u), (250000 * 6.0 + 1000 * 22.5) / 1e6);
    u.input = 150000;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(sonnet, u), (150000 * 3.0 + 1000 * 15.0) / 1e6);
    // Cache writes: 5 minutes at $3.75, 1 hour at $6, reads at $0.30.
    TokenUsage cached;
    cached.input = 10000;
    cached.cache_read = 2000;
    cached.cache_write_5m = 3000;
    cached.cache_write_1h = 1000;
    cached.output = 500;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(sonnet, cached),
                     (4000 * 3.0 + 2000 * 0.3 + 3000 * 3.75 + 1000 * 6.0 + 500 * 15.0) / 1e6);
    // claude-sonnet-4-6: the long-context premium ended on 2026-03-13.
    const CatalogModel& s46 = *c.Find("claude-sonnet-4-6");
    TokenUsage long_prompt;
    long_prompt.input = 250000;
    long_prompt.ts = Date("2026-03-12");
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(s46, long_prompt), 250000 * 6.0 / 1e6);
    long_prompt.ts = Date("2026-03-13");
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(s46, long_prompt), 250000 * 3.0 / 1e6);
    // claude-sonnet-5: $2/$10 at the catalog's date, $3/$15 from 2026-09-01.
    const CatalogModel& s5 = *c.Find("claude-sonnet-5");
    EXPECT_EQ(s5.input_per_mtok, 2);
    TokenUsage later;
    later.input = 1000000;
    later.ts = Date("2026-10-01");
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(s5, later), 3.0);
    later.ts = 0;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(s5, later), 2.0);
    // Batch: half of gpt-5's list price.
    TokenUsage batch;
    batch.input = 1000000;
    batch.output = 1000000;
    batch.batch = true;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(*c.Find("gpt-5"), batch), (1.25 + 10) * 0.5);
}

// ---- The listing ----

TEST(Catalog, JsonListsEveryModelWithWhatACostNeeds) {
    auto j = CatalogToJson(BundledCatalog());
    EXPECT_EQ(j["data"].as_array().size(), BundledCatalog().Models().size());
    EXPECT_EQ(j["as_of"].as_string(), BundledCatalog().AsOf());
    EXPECT_NE(j["licence"].as_string().find("MIT"), std::string::npos);
    EXPECT_EQ(j["provider_aliases"].as_object().at("bedrock").as_string(), "aws");
    const boost::json::object* sonnet = nullptr;
    for (const auto& v : j["data"].as_array()) {
        if (v.as_object().at("id").as_string() == "anthropic/claude-sonnet-4-6") sonnet = &v.as_object();
    }
    ASSERT_NE(sonnet, nullptr);
    for (const char* key : {"input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok",
                            "cache_write_1h_per_mtok", "batch_discount", "batch_source", "context_window", "tier",
                            "typical_latency_ms", "current", "deprecated", "as_of", "match", "prices"}) {
        EXPECT_TRUE(sonnet->contains(key)) << key;
    }
    const auto& periods = sonnet->at("prices").as_array();
    ASSERT_EQ(periods.size(), 2u);
    EXPECT_TRUE(periods[0].as_object().at("from").is_null());
    EXPECT_EQ(periods[1].as_object().at("from").as_string(), "2026-03-13");
    EXPECT_EQ(periods[0].as_object().at("input_mtok").as_object().at("tiers").as_array()[0].as_object().at("price"),
              6.0);
    EXPECT_EQ(sonnet->at("input_per_mtok").as_double(), 3.0);

    // The listing of a version-1 file's model has its one period.
    auto v1 = LoadCatalog(R"({"as_of":"2025-01-01","models":[{"provider":"p","model":"m","input_per_mtok":2,
        "output_per_mtok":8,"cached_input_per_mtok":0.5,"tier":"mid"}]})");
    ASSERT_TRUE(v1.ok());
    auto listed = CatalogToJson(*v1);
    EXPECT_EQ(boost::json::serialize(listed["data"].as_array()[0].as_object().at("prices")),
              R"([{"from":null,"input_mtok":2E0,"output_mtok":8E0,"cache_read_mtok":5E-1}])");
}

TEST(Catalog, TheListingsEntriesLoadAsAVersionOneFile) {
    // The staging suite writes the listing's entries, flat prices changed, as an operator's version-1 catalog.
    auto listed = CatalogToJson(BundledCatalog());
    boost::json::object doc{{"version", 1}, {"as_of", "2099-01-01"}, {"models", listed["data"]}};
    for (auto& m : doc["models"].as_array()) m.as_object()["input_per_mtok"] = 99.0;
    auto c = LoadCatalog(boost::json::serialize(doc));
    ASSERT_TRUE(c.ok()) << c.error().message;
    ASSERT_EQ(c->Models().size(), BundledCatalog().Models().size());
    const CatalogModel* gpt5 = c->Find("gpt-5-2025-08-07");  // the match rules came along
    ASSERT_NE(gpt5, nullptr);
    EXPECT_EQ(gpt5->id, "openai/gpt-5");
    EXPECT_EQ(gpt5->input_per_mtok, 99);
    EXPECT_EQ(gpt5->cached_input_per_mtok, 0.125);
    EXPECT_EQ(gpt5->tier, Tier::kFrontier);
    EXPECT_TRUE(gpt5->current);
}

}  // namespace netra::analysis

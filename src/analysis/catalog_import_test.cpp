#include "analysis/catalog_import.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "analysis/catalog.hpp"

namespace netra::analysis {
namespace {

// A genai-prices feed in miniature (the data_slim v2 layout): a reseller listed before the first party, a
// reseller's model with the first party's name, dated and time-of-day prices, tiers, non-text prices.
constexpr const char* kFeed = R"([
 {"id":"openrouter","name":"OpenRouter","api_pattern":"https://openrouter\\.ai","models":[
   {"id":"anthropic/claude-x","match":{"equals":"anthropic/claude-x"},"prices":{"input_mtok":3.3,"output_mtok":16}},
   {"id":"claude-x","match":{"equals":"claude-x"},"prices":{"input_mtok":9,"output_mtok":9}}]},
 {"id":"huggingface_foo","name":"HF foo",
                     "models"
    : [ {"id" : "llama", "match" : {"equals" : "llama"}, "prices" : {"input_mtok" : 0.1, "output_mtok" : 0.1}} ]
},
 {"id":"anthropic","name":"Anthropic","model_match":{"contains":"claude"},"provider_match":{"contains":"anthropic"},
  "models":[
   {"id":"claude-x","match":{"or":[{"starts_with":"claude-x"},{"regex":"^cx-\\d+$"}]},"context_window":200000,
    "prices":[{"prices":{"input_mtok":{"base":3,"tiers":[{"start":200000,"price":6}]},"output_mtok":15,
                         "cache_write_mtok":3.75,"web_searches_kcount":10}},
              {"constraint":{"start_date":"2026-03-13"},"prices":{"input_mtok":1,"output_mtok":4,"cache_read_mtok":0.1}}]},
   {"id":"claude-voice","match":{"equals":"claude-voice"},"prices":{"input_audio_mtok":3,"output_audio_mtok":12}},
   {"id":"claude-old","match":{"equals":"claude-old"},"prices":{"input_mtok":8,"output_mtok":24},"deprecated":true}]},
 {"id":"deepseek","name":"Deepseek","models":[
   {"id":"deepseek-chat","match":{"starts_with":"deepseek-chat"},"context_window":64000,
    "prices":[{"prices":{"input_mtok":0.135,"output_mtok":0.55}},
              {"constraint":{"start_time":"00:30:00Z","end_time":"16:30:00Z"},"prices":{"input_mtok":0.27,"output_mtok":1.1}}]}]}
])";

constexpr const char* kOverlay = R"({"source":"test overlay","exclude_providers":["huggingface_*"],
 "exclude_reason":"not needed here",
 "models":[
  {"provider":"anthropic","batch_discount":0.5,"batch_source":"https://example.com/anthropic-batch"},
  {"match":"anthropic/claude-old","batch_discount":0,"batch_source":"no batch API for retired models"},
  {"match":"Anthropic/Claude-X","current":true,"tier":"frontier","aliases":["claude-ex"]}]})";

const boost::json::object& ModelById(const boost::json::object& catalog, std::string_view id) {
    for (const auto& m : catalog.at("models").as_array()) {
        if (m.as_object().at("id").as_string() == id) return m.as_object();
    }
    throw std::runtime_error("no model " + std::string(id));
}

std::string Source(const boost::json::object& catalog) { return std::string(catalog.at("source").as_string()); }

}  // namespace

TEST(CatalogImport, GenaiPricesFeedFirstPartyFirstWithPeriodsAndNotes) {
    auto imported = ImportCatalog(kFeed, "", "2026-08-21");
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    const auto& c = *imported;
    EXPECT_EQ(c.at("version"), 2);
    EXPECT_EQ(c.at("as_of").as_string(), "2026-08-21");
    EXPECT_NE(c.at("licence").as_string().find("Copyright (c) Pydantic Services Inc. 2025 to present"),
              std::string::npos);
    const auto& models = c.at("models").as_array();
    ASSERT_EQ(models.size(), 6u);  // claude-voice has no text price
    std::vector<std::string> ids;
    for (const auto& m : models) ids.emplace_back(m.as_object().at("id").as_string());
    EXPECT_EQ(ids, (std::vector<std::string>{"anthropic/claude-x", "anthropic/claude-old", "deepseek/deepseek-chat",
                                             "openrouter/anthropic/claude-x", "openrouter/claude-x",
                                             "huggingface_foo/llama"}));
    const auto& x = ModelById(c, "anthropic/claude-x");
    EXPECT_EQ(x.at("context_window"), 200000);
    const auto& periods = x.at("prices").as_array();
    ASSERT_EQ(periods.size(), 2u);
    EXPECT_FALSE(periods[0].as_object().contains("from"));
    EXPECT_EQ(periods[1].as_object().at("from").as_string(), "2026-03-13");
    EXPECT_FALSE(periods[0].as_object().at("prices").as_object().contains("web_searches_kcount"));
    EXPECT_EQ(x.at("tier").as_string(), "mid");  // in force at as_of: 0.75 × 1 + 0.25 × 4 = 1.75
    EXPECT_TRUE(ModelById(c, "anthropic/claude-old").at("deprecated").as_bool());
    EXPECT_EQ(c.at("provider_aliases").as_object().at("deepseek-ai").as_string(), "deepseek");
    EXPECT_FALSE(c.at("provider_aliases").as_object().contains("bedrock"));  // no aws in this feed
    std::string source = Source(c);
    EXPECT_NE(source.find("anthropic, deepseek, openrouter, huggingface_foo"), std::string::npos) << source;
    EXPECT_NE(source.find("web_searches_kcount"), std::string::npos) << source;
    EXPECT_NE(source.find("anthropic/claude-voice"), std::string::npos) << source;
    EXPECT_NE(source.find("deepseek/deepseek-chat (kept the 00:30:00Z-16:30:00Z price, in force 16 h a day"),
              std::string::npos)
        << source;

    // At an earlier date the first period is in force, and the tier follows it.
    auto earlier = ImportCatalog(kFeed, "", "2026-01-01");
    ASSERT_TRUE(earlier.ok());
    EXPECT_EQ(ModelById(*earlier, "anthropic/claude-x").at("tier").as_string(), "frontier");  // 2.25 + 3.75

    // What the import writes loads, and resolves first-party first.
    auto loaded = LoadCatalog(FormatCatalogJson(c));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->Find("claude-x")->id, "anthropic/claude-x");
    EXPECT_EQ(loaded->Find("claude-x-2026-01-01")->id, "anthropic/claude-x");
    EXPECT_EQ(loaded->Find("CX-12")->id, "anthropic/claude-x");
    EXPECT_EQ(loaded->Find("claude-x", "openrouter")->id, "openrouter/claude-x");
    EXPECT_EQ(loaded->Find("openrouter/anthropic/claude-x")->id, "openrouter/anthropic/claude-x");
    EXPECT_EQ(loaded->Find("deepseek-chat")->input_per_mtok, 0.27);  // the standard-hours price
    EXPECT_EQ(loaded->Find("claude-x")->input_per_mtok, 1);
}

TEST(CatalogImport, OverlaySetsBatchTiersAndCurrentAndExcludesProviders) {
    auto imported = ImportCatalog(kFeed, kOverlay, "2026-08-21");
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    const auto& c = *imported;
    const auto& x = ModelById(c, "anthropic/claude-x");
    EXPECT_EQ(x.at("batch_discount"), 0.5);
    EXPECT_EQ(x.at("batch_source").as_string(), "https://example.com/anthropic-batch");
    EXPECT_TRUE(x.at("current").as_bool());
    EXPECT_EQ(x.at("tier").as_string(), "frontier");
    EXPECT_EQ(x.at("aliases").as_array().size(), 1u);
    const auto& old = ModelById(c, "anthropic/claude-old");
    EXPECT_EQ(old.at("batch_discount"), 0);  // the model entry overrides the provider's
    EXPECT_FALSE(ModelById(c, "openrouter/claude-x").contains("batch_discount"));
    EXPECT_EQ(c.at("models").as_array().size(), 5u);
    std::string source = Source(c);
    EXPECT_NE(source.find("Left out: huggingface_foo (not needed here)"), std::string::npos) << source;
    EXPECT_NE(source.find("Overlay: test overlay"), std::string::npos) << source;
    EXPECT_NE(source.find("1 models are marked current"), std::string::npos) << source;
    auto loaded = LoadCatalog(FormatCatalogJson(c));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(loaded->Find("claude-ex")->id, "anthropic/claude-x");
    EXPECT_EQ(loaded->Find("claude-x")->batch_discount, 0.5);
}

TEST(CatalogImport, AStaleOrUnsourcedOverlayEntryIsAnError) {
    auto stale = ImportCatalog(kFeed, R"({"models":[{"match":"anthropic/claude-gone","current":true}]})", "2026-08-21");
    ASSERT_FALSE(stale.ok());
    EXPECT_NE(stale.error().message.find("'anthropic/claude-gone') matches no model"), std::string::npos)
        << stale.error().message;
    auto gone_provider = ImportCatalog(
        kFeed, R"({"models":[{"provider":"mistral","batch_discount":0.5,"batch_source":"x"}]})", "2026-08-21");
    ASSERT_FALSE(gone_provider.ok());
    EXPECT_NE(gone_provider.error().message.find("'mistral') matches no model"), std::string::npos);
    auto excluded = ImportCatalog(
        kFeed,
        R"({"exclude_providers":["huggingface_*"],"exclude_reason":"r","models":[{"match":"huggingface_foo/llama","current":true}]})",
        "2026-08-21");
    EXPECT_FALSE(excluded.ok());  // an excluded provider's models match nothing
    auto unsourced =
        ImportCatalog(kFeed, R"({"models":[{"match":"anthropic/claude-x","batch_discount":0.5}]})", "2026-08-21");
    ASSERT_FALSE(unsourced.ok());
    EXPECT_NE(unsourced.error().message.find("needs a 'batch_source'"), std::string::npos);
    auto latency =
        ImportCatalog(kFeed, R"({"models":[{"match":"anthropic/claude-x","typical_latency_ms":900}]})", "2026-08-21");
    ASSERT_FALSE(latency.ok());
    EXPECT_NE(latency.error().message.find("'latency_source'"), std::string::npos);
    auto typo = ImportCatalog(kFeed, R"({"models":[{"match":"anthropic/claude-x","curent":true}]})", "2026-08-21");
    ASSERT_FALSE(typo.ok());
    EXPECT_NE(typo.error().message.find("unknown field 'curent'"), std::string::npos);
}

TEST(CatalogImport, RejectsWhatIsNoFeedAndABadDate) {
    EXPECT_FALSE(ImportCatalog("42", "", "2026-08-21").ok());
    EXPECT_FALSE(ImportCatalog("not json", "", "2026-08-21").ok());
    auto overlay_as_feed = ImportCatalog(kOverlay, "", "2026-08-21");
    ASSERT_FALSE(overlay_as_feed.ok());
    EXPECT_NE(overlay_as_feed.error().message.find("without LiteLLM entries"), std::string::npos);
    auto date = ImportCatalog(kFeed, "", "21.08.2026");
    ASSERT_FALSE(date.ok());
    EXPECT_NE(date.error().message.find("YYYY-MM-DD"), std::string::npos);
    auto today = ImportCatalog(kFeed, "");  // no date: today's
    ASSERT_TRUE(today.ok());
    EXPECT_EQ(today->at("as_of").as_string().size(), 10u);
}

TEST(CatalogImport, LiteLlmPriceList) {
    constexpr const char* kLiteLlm = R"({
 "sample_spec":{"max_tokens":"LEGACY","input_cost_per_token":0,"mode":"one of: chat, embedding, …",
                "litellm_provider":"one of https://docs.litellm.ai/docs/providers"},
 "gpt-4o":{"max_input_tokens":128000,"input_cost_per_token":2.5e-6,"output_cost_per_token":1e-5,
           "cache_read_input_token_cost":1.25e-6,"input_cost_per_token_batches":1.25e-6,
           "output_cost_per_token_batches":5e-6,"litellm_provider":"openai","mode":"chat"},
 "azure/gpt-4o":{"input_cost_per_token":2.75e-6,"output_cost_per_token":1.1e-5,"litellm_provider":"azure",
                 "mode":"chat"},
 "claude-sonnet-4-5":{"max_input_tokens":1000000,"input_cost_per_token":3e-6,"output_cost_per_token":1.5e-5,
   "input_cost_per_token_above_200k_tokens":6e-6,"output_cost_per_token_above_200k_tokens":2.25e-5,
   "cache_creation_input_token_cost":3.75e-6,"cache_creation_input_token_cost_above_1hr":6e-6,
   "cache_read_input_token_cost":3e-7,"litellm_provider":"anthropic","mode":"chat"},
 "bedrock/us.anthropic.claude-3-haiku-20240307-v1:0":{"input_cost_per_token":2.5e-7,"output_cost_per_token":1.25e-6,
   "litellm_provider":"bedrock","mode":"chat"},
 "text-embedding-3-small":{"input_cost_per_token":2e-8,"output_cost_per_token":0,"litellm_provider":"openai",
                           "mode":"embedding"},
 "dall-e-3":{"litellm_provider":"openai","mode":"image_generation","output_cost_per_pixel":0}
})";
    auto imported = ImportCatalog(kLiteLlm, "", "2026-08-21");
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    const auto& c = *imported;
    std::vector<std::string> ids;
    for (const auto& m : c.at("models").as_array()) ids.emplace_back(m.as_object().at("id").as_string());
    EXPECT_EQ(ids, (std::vector<std::string>{"anthropic/claude-sonnet-4-5", "openai/gpt-4o",
                                             "aws/us.anthropic.claude-3-haiku-20240307-v1:0", "azure/gpt-4o"}));
    const auto& gpt = ModelById(c, "openai/gpt-4o");
    EXPECT_EQ(gpt.at("prices").as_object().at("input_mtok"), 2.5);  // per token × 1e6, without binary noise
    EXPECT_EQ(gpt.at("prices").as_object().at("cache_read_mtok"), 1.25);
    EXPECT_EQ(gpt.at("batch_discount"), 0.5);
    EXPECT_NE(gpt.at("batch_source").as_string().find("LiteLLM"), std::string::npos);
    EXPECT_EQ(gpt.at("context_window"), 128000);
    EXPECT_NE(c.at("licence").as_string().find("Berri AI"), std::string::npos);
    EXPECT_NE(Source(c).find("2 entries of other modes skipped"), std::string::npos) << Source(c);

    auto loaded = LoadCatalog(FormatCatalogJson(c));
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const CatalogModel* sonnet = loaded->Find("claude-sonnet-4-5");
    ASSERT_NE(sonnet, nullptr);
    TokenUsage u;
    u.input = 250000;
    u.cache_write_1h = 50000;
    EXPECT_DOUBLE_EQ(Catalog::CostUsd(*sonnet, u), (200000 * 6.0 + 50000 * 6.0) / 1e6);  // no 1h tier: base $6
    EXPECT_EQ(loaded->Find("bedrock/us.anthropic.claude-3-haiku-20240307-v1:0")->id,
              "aws/us.anthropic.claude-3-haiku-20240307-v1:0");
    EXPECT_EQ(loaded->Find("azure/gpt-4o")->input_per_mtok, 2.75);
    EXPECT_EQ(loaded->Find("gpt-4o")->input_per_mtok, 2.5);
    EXPECT_EQ(loaded->Find("text-embedding-3-small"), nullptr);
}

TEST(CatalogImport, WrittenOneModelPerLineInAscii) {
    boost::json::object catalog{
        {"version", 2},
        {"as_of", "2026-08-21"},
        {"source", "caf\xc3\xa9 \xe2\x89\xa5 \xf0\x9f\x98\x80"},
        {"models", boost::json::array{boost::json::object{{"id", "p/a"},
                                                          {"provider", "p"},
                                                          {"model", "a"},
                                                          {"prices", boost::json::object{{"input_mtok", 0.125},
                                                                                         {"output_mtok", 10.0}}}},
                                      boost::json::object{{"id", "p/b"},
                                                          {"provider", "p"},
                                                          {"model", "b"},
                                                          {"prices", boost::json::object{{"input_mtok", 1e-5}}}}}}};
    std::string text = FormatCatalogJson(catalog);
    EXPECT_NE(text.find("\n  {\"id\":\"p/a\",\"provider\":\"p\",\"model\":\"a\",\"prices\":{\"input_mtok\":0.125,"
                        "\"output_mtok\":10}},\n  {\"id\":\"p/b\""),
              std::string::npos)
        << text;
    EXPECT_NE(text.find(R"("source": "caf\u00e9 \u2265 \ud83d\ude00")"), std::string::npos) << text;
    for (char ch : text) EXPECT_LT(static_cast<unsigned char>(ch), 0x80);
    auto parsed = boost::json::parse(text);
    EXPECT_EQ(parsed.at("source").as_string(), "caf\xc3\xa9 \xe2\x89\xa5 \xf0\x9f\x98\x80");
    EXPECT_DOUBLE_EQ(parsed.at("models").as_array()[1].at("prices").at("input_mtok").to_number<double>(), 1e-5);
    EXPECT_TRUE(LoadCatalog(text).ok());
}

}  // namespace netra::analysis

#include "analysis/catalog.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace netra::analysis {

TEST(Catalog, BundledFileLoadsWithEveryRequiredModel) {
    auto c = LoadCatalog(BundledCatalogJson());
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_FALSE(c->AsOf().empty());
    for (const char* name :
         {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3-mini", "gpt-3.5-turbo",
          "claude-3-5-sonnet", "claude-3-5-haiku", "claude-3-opus", "claude-3-haiku", "gemini-1.5-pro",
          "gemini-1.5-flash", "llama-3-70b", "mistral-large", "mistral-small"}) {
        const CatalogModel* m = c->Find(name);
        ASSERT_NE(m, nullptr) << name;
        EXPECT_EQ(m->model, name);
        EXPECT_GT(m->input_per_mtok, 0) << name;
        EXPECT_GE(m->output_per_mtok, m->input_per_mtok) << name;
        EXPECT_LE(m->cached_input_per_mtok, m->input_per_mtok) << name;
        EXPECT_GT(m->context_window, 0) << name;
    }
}

TEST(Catalog, FindsByAliasCaseAndSnapshotSuffix) {
    const Catalog& c = BundledCatalog();
    EXPECT_EQ(c.Find("GPT-4o")->model, "gpt-4o");
    EXPECT_EQ(c.Find("claude-3.5-sonnet")->model, "claude-3-5-sonnet");
    EXPECT_EQ(c.Find("gpt-4o-2024-05-13")->model, "gpt-4o");  // not listed: resolved by stripping the date
    EXPECT_EQ(c.Find("claude-3-haiku-20240307")->model, "claude-3-haiku");
    EXPECT_EQ(c.Find("openai/gpt-4o-mini")->model, "gpt-4o-mini");
    EXPECT_EQ(c.Find("gpt-3.5-turbo-1106")->model, "gpt-3.5-turbo");
    EXPECT_EQ(c.Find("my-finetune"), nullptr);
    EXPECT_EQ(c.Find(""), nullptr);
}

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
}

TEST(Catalog, JsonListsEveryModel) {
    auto j = CatalogToJson(BundledCatalog());
    EXPECT_EQ(j["data"].as_array().size(), BundledCatalog().Models().size());
    EXPECT_EQ(j["as_of"].as_string(), BundledCatalog().AsOf());
}

}  // namespace netra::analysis

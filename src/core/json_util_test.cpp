#include "core/json_util.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace netra::core {

TEST(JsonUtil, ParsesObjectsAndReadsFields) {
    auto obj = ParseJsonObject(R"({"type":"ping","id":7,"ok":true,"p":{"x":1}})");
    ASSERT_TRUE(obj.ok());
    EXPECT_EQ(GetString(*obj, "type"), "ping");
    EXPECT_EQ(GetInt(*obj, "id"), 7);
    EXPECT_EQ(GetBool(*obj, "ok"), true);
    EXPECT_NE(GetObject(*obj, "p"), nullptr);
    EXPECT_EQ(GetString(*obj, "id"), std::nullopt);
    EXPECT_EQ(GetString(*obj, "missing"), std::nullopt);
}

TEST(JsonUtil, RejectsInvalidNonObjectAndTooDeep) {
    EXPECT_FALSE(ParseJsonObject("{not json").ok());
    EXPECT_FALSE(ParseJsonObject("[1,2]").ok());
    std::string deep(100, '[');
    deep += std::string(100, ']');
    auto r = ParseJson(deep, JsonLimits{64});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("deeper"), std::string::npos);
}

}  // namespace netra::core

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

// Found by fuzz/fuzz_json_body: GetInt cast any double to int64 to test it for wholeness, undefined behaviour for
// one outside int64's range (UBSan: float-cast-overflow on {"limit":1e63}). Such numbers are not integers here.
TEST(JsonUtil, GetIntRefusesDoublesOutsideInt64) {
    auto obj = ParseJsonObject(
        R"({"huge":1.11111e63,"neg":-1e19,"edge":9223372036854775808.0,"low":-9223372036854775808.0,"whole":42.0,"half":2.5})");
    ASSERT_TRUE(obj.ok());
    EXPECT_EQ(GetInt(*obj, "huge"), std::nullopt);
    EXPECT_EQ(GetInt(*obj, "neg"), std::nullopt);
    EXPECT_EQ(GetInt(*obj, "edge"), std::nullopt);
    EXPECT_EQ(GetInt(*obj, "low"), INT64_MIN);
    EXPECT_EQ(GetInt(*obj, "whole"), 42);
    EXPECT_EQ(GetInt(*obj, "half"), std::nullopt);
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

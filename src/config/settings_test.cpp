#include "config/settings.hpp"

#include <gtest/gtest.h>

namespace netra::config {
namespace {

TEST(EnvironmentTest, NamesRoundTrip) {
    for (Environment env :
         {Environment::kDevelopment, Environment::kTest, Environment::kStaging, Environment::kProduction}) {
        auto parsed = ParseEnvironment(EnvironmentName(env));
        ASSERT_TRUE(parsed.ok()) << EnvironmentName(env);
        EXPECT_EQ(*parsed, env);
    }
}

TEST(EnvironmentTest, AcceptsShortFormsAndAnyCase) {
    EXPECT_EQ(*ParseEnvironment("dev"), Environment::kDevelopment);
    EXPECT_EQ(*ParseEnvironment("PROD"), Environment::kProduction);
    EXPECT_EQ(*ParseEnvironment("Staging"), Environment::kStaging);
}

TEST(EnvironmentTest, RejectsUnknown) {
    auto parsed = ParseEnvironment("qa");
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidRequest);
    EXPECT_NE(parsed.error().message.find("qa"), std::string::npos);
    EXPECT_FALSE(ParseEnvironment("").ok());
}

TEST(EnvironmentTest, StrictEnvironments) {
    EXPECT_FALSE(IsStrictEnvironment(Environment::kDevelopment));
    EXPECT_FALSE(IsStrictEnvironment(Environment::kTest));
    EXPECT_TRUE(IsStrictEnvironment(Environment::kStaging));
    EXPECT_TRUE(IsStrictEnvironment(Environment::kProduction));
}

}  // namespace
}  // namespace netra::config

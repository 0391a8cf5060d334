#include "stage/jwt_craft.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json.hpp>

namespace netra::stage {
namespace {

TEST(Base64Url, RoundTripsAllLengths) {
    std::string data;
    for (int i = 0; i < 40; ++i) {
        EXPECT_EQ(Base64UrlDecode(Base64UrlEncode(data)).value(), data);
        data += static_cast<char>(i * 37 + 250);
    }
    EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
    EXPECT_FALSE(Base64UrlDecode("a").has_value());
    EXPECT_FALSE(Base64UrlDecode("ab$c").has_value());
}

TEST(SignHs256, MatchesPublishedVector) {
    ASSERT_GE(sodium_init(), 0);
    // The well-known example token from RFC 7519 tooling (jwt.io): header/payload/secret below.
    boost::json::object header{{"alg", "HS256"}, {"typ", "JWT"}};
    boost::json::object claims{{"sub", "1234567890"}, {"name", "John Doe"}, {"iat", 1516239022}};
    std::string token = SignHs256(header, claims, "your-256-bit-secret");
    EXPECT_EQ(token,
              "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
              "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
              "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c");
    auto back = JwtClaims(token);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->at("sub").as_string(), "1234567890");
}

TEST(UnsignedAlgNone, HasEmptySignature) {
    std::string t = UnsignedAlgNone(boost::json::object{{"sub", "u1"}});
    EXPECT_EQ(t.back(), '.');
    auto header = Base64UrlDecode(t.substr(0, t.find('.')));
    EXPECT_NE(header->find("\"none\""), std::string::npos);
    EXPECT_EQ(JwtClaims(t)->at("sub").as_string(), "u1");
    EXPECT_FALSE(JwtClaims("no-dots").has_value());
}

}  // namespace
}  // namespace netra::stage

#include "auth/credentials.hpp"

#include <gtest/gtest.h>

#include "auth/base64url.hpp"

namespace netra::auth {
namespace {

const std::string kJwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl";
const std::string kOther = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ2In0.b3RoZXI";

TEST(CredentialsTest, NothingOffered) {
    auto c = ExtractWsCredentials("", "", "");
    EXPECT_FALSE(c.token);
    EXPECT_FALSE(c.echo_subprotocol);
    EXPECT_EQ(c.source, "none");
}

TEST(CredentialsTest, JwtAuthEntryWithBareEcho) {
    auto c = ExtractWsCredentials("jwt-auth, jwt-auth." + kJwt, "", "");
    ASSERT_TRUE(c.token);
    EXPECT_EQ(*c.token, kJwt);
    EXPECT_EQ(c.source, "subprotocol");
    ASSERT_TRUE(c.echo_subprotocol);
    EXPECT_EQ(*c.echo_subprotocol, "jwt-auth");
}

TEST(CredentialsTest, TokenEntryAloneIsNeverEchoed) {
    for (const std::string& header : {"jwt-auth." + kJwt, "jwt." + kJwt, "bearer." + kJwt}) {
        auto c = ExtractWsCredentials(header, "", "");
        ASSERT_TRUE(c.token) << header;
        EXPECT_EQ(*c.token, kJwt);
        EXPECT_FALSE(c.echo_subprotocol) << header;
    }
}

TEST(CredentialsTest, OtherOfferedProtocolsAreNotEchoed) {
    auto c = ExtractWsCredentials("chat, graphql-ws, jwt." + kJwt, "", "");
    EXPECT_FALSE(c.echo_subprotocol);
    EXPECT_EQ(c.token.value_or(""), kJwt);
    // Case matters for the echo: only the exact bare name was offered-and-known.
    EXPECT_FALSE(ExtractWsCredentials("JWT-AUTH", "", "").echo_subprotocol);
}

TEST(CredentialsTest, EchoEvenWhenTokenComesFromElsewhere) {
    auto c = ExtractWsCredentials("jwt-auth", "Bearer " + kJwt, "");
    EXPECT_EQ(c.echo_subprotocol.value_or(""), "jwt-auth");
    EXPECT_EQ(c.token.value_or(""), kJwt);
    EXPECT_EQ(c.source, "authorization");
}

TEST(CredentialsTest, TrimmingAndEmptyEntries) {
    auto c = ExtractWsCredentials(" ,  jwt-auth ,\tjwt-auth." + kJwt + "\t, ", "", "");
    EXPECT_EQ(c.token.value_or(""), kJwt);
    EXPECT_EQ(c.echo_subprotocol.value_or(""), "jwt-auth");
    // A prefix with nothing after it is not a credential.
    auto empty = ExtractWsCredentials("jwt-auth., jwt.", "", "");
    EXPECT_FALSE(empty.token);
}

TEST(CredentialsTest, PrefixPriority) {
    EXPECT_EQ(ExtractWsCredentials("bearer." + kOther + ", jwt-auth." + kJwt, "", "").token.value_or(""), kJwt);
    EXPECT_EQ(ExtractWsCredentials("bearer." + kOther + ", jwt." + kJwt, "", "").token.value_or(""), kJwt);
    EXPECT_EQ(ExtractWsCredentials("jwt." + kOther + ", jwt-auth." + kJwt, "", "").token.value_or(""), kJwt);
    // Same prefix twice: the client's order.
    EXPECT_EQ(ExtractWsCredentials("jwt." + kJwt + ", jwt." + kOther, "", "").token.value_or(""), kJwt);
}

TEST(CredentialsTest, Base64UrlEncodedToken) {
    const std::string encoded = Base64UrlEncode(kJwt);
    ASSERT_EQ(encoded.find('.'), std::string::npos);
    for (const std::string prefix : {"jwt-auth.", "jwt.", "bearer."}) {
        auto c = ExtractWsCredentials(prefix + encoded, "", "");
        EXPECT_EQ(c.token.value_or(""), kJwt) << prefix;
    }
    // With '=' padding too.
    EXPECT_EQ(ExtractWsCredentials("jwt." + encoded + "==", "", "").token.value_or(""), kJwt);
}

TEST(CredentialsTest, NonJwtTokenPassedThroughForVerificationToReject) {
    auto c = ExtractWsCredentials("jwt.garbage", "Bearer " + kJwt, "");
    EXPECT_EQ(c.token.value_or(""), "garbage");
    EXPECT_EQ(c.source, "subprotocol");
    // base64url that decodes to something that is not a JWT stays as sent.
    const std::string encoded = Base64UrlEncode("hello world");
    EXPECT_EQ(ExtractWsCredentials("jwt." + encoded, "", "").token.value_or(""), encoded);
}

TEST(CredentialsTest, SubprotocolBeatsAuthorizationBeatsQuery) {
    auto c = ExtractWsCredentials("jwt." + kJwt, "Bearer " + kOther, "token=zzz");
    EXPECT_EQ(c.token.value_or(""), kJwt);
    EXPECT_EQ(c.source, "subprotocol");

    c = ExtractWsCredentials("chat", "Bearer " + kOther, "token=" + kJwt);
    EXPECT_EQ(c.token.value_or(""), kOther);
    EXPECT_EQ(c.source, "authorization");

    c = ExtractWsCredentials("", "Basic dXNlcjpwYXNz", "?a=1&token=" + kJwt + "&b=2");
    EXPECT_EQ(c.token.value_or(""), kJwt);
    EXPECT_EQ(c.source, "query");
}

TEST(CredentialsTest, QueryToken) {
    EXPECT_EQ(ExtractWsCredentials("", "", "token=" + kJwt).token.value_or(""), kJwt);
    EXPECT_EQ(ExtractWsCredentials("", "", "?token=a%2Eb%2ec").token.value_or(""), "a.b.c");
    EXPECT_EQ(ExtractWsCredentials("", "", "to%6Ben=abc").token.value_or(""), "abc");
    EXPECT_EQ(ExtractWsCredentials("", "", "token=a+b").token.value_or(""), "a+b");
    EXPECT_FALSE(ExtractWsCredentials("", "", "token=").token);
    EXPECT_FALSE(ExtractWsCredentials("", "", "token").token);
    EXPECT_FALSE(ExtractWsCredentials("", "", "tokens=abc&xtoken=def").token);
    EXPECT_FALSE(ExtractWsCredentials("", "", "token=%zz").token);
    EXPECT_FALSE(ExtractWsCredentials("", "", "token=ab%2").token);
    EXPECT_EQ(ExtractWsCredentials("", "", "token=%zz&token=ok").token.value_or(""), "ok");
}

TEST(CredentialsTest, BearerToken) {
    EXPECT_EQ(BearerToken("Bearer abc").value_or(""), "abc");
    EXPECT_EQ(BearerToken("bearer   abc  ").value_or(""), "abc");
    EXPECT_EQ(BearerToken("BEARER\tabc").value_or(""), "abc");
    EXPECT_FALSE(BearerToken(""));
    EXPECT_FALSE(BearerToken("Bearer"));
    EXPECT_FALSE(BearerToken("Bearer   "));
    EXPECT_FALSE(BearerToken("Bearerabc"));
    EXPECT_FALSE(BearerToken("Basic abc"));
    EXPECT_FALSE(BearerToken("Token abc"));
}

TEST(CredentialsTest, LooksLikeJwt) {
    EXPECT_TRUE(LooksLikeJwt("a.b.c"));
    EXPECT_FALSE(LooksLikeJwt("a.b."));
    EXPECT_FALSE(LooksLikeJwt(".b.c"));
    EXPECT_FALSE(LooksLikeJwt("a..c"));
    EXPECT_FALSE(LooksLikeJwt("a.b.c.d"));
    EXPECT_FALSE(LooksLikeJwt("abc"));
}

}  // namespace
}  // namespace netra::auth

#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <jwt.h>
#include <sodium.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <memory>

#include "auth/base64url.hpp"
#include "core/time.hpp"

namespace netra::auth {
namespace {

using namespace std::chrono_literals;

constexpr char kSecret[] = "test-secret-test-secret-test-secret!";
constexpr char kIssuer[] = "netra-auth-service";

JwtCodec Codec(std::string secret = kSecret, std::string issuer = kIssuer) {
    return JwtCodec(std::move(secret), std::move(issuer), 900s);
}

std::int64_t NowS() { return core::NowMs() / 1000; }

// A token built by hand from raw JSON, signed with libjwt under any algorithm (or unsigned).
std::string Craft(const boost::json::object& claims, jwt_alg_t alg, const std::string& key = kSecret) {
    jwt_t* raw = nullptr;
    EXPECT_EQ(jwt_new(&raw), 0);
    std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, &jwt_free);
    if (alg == JWT_ALG_NONE) {
        EXPECT_EQ(jwt_set_alg(jwt.get(), alg, nullptr, 0), 0);
    } else {
        EXPECT_EQ(jwt_set_alg(jwt.get(), alg, reinterpret_cast<const unsigned char*>(key.data()),
                              static_cast<int>(key.size())),
                  0);
    }
    EXPECT_EQ(jwt_add_grants_json(jwt.get(), boost::json::serialize(claims).c_str()), 0);
    char* s = jwt_encode_str(jwt.get());
    std::string out = s ? s : "";
    std::free(s);
    return out;
}

boost::json::object ValidClaims() {
    const auto now = NowS();
    return {{"sub", "user-1"}, {"email", "a@b.co"}, {"permissions", boost::json::array{"user"}},
            {"iat", now},      {"exp", now + 600},  {"iss", kIssuer},
            {"jti", "j1"},     {"type", "access"}};
}

std::string Reason(const core::Result<AccessClaims>& r) { return r.ok() ? "ok" : r.error().message; }

// A token from raw header and payload text (duplicates and all), HS256-signed with the secret: what only a holder
// of the key could make, to see what the verifier does with it.
std::string SignRaw(const std::string& header, const std::string& payload, const std::string& key = kSecret) {
    const std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(input.data()), input.size());
    crypto_auth_hmacsha256_final(&state, mac);
    return input + "." + Base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

TEST(JwtTest, RoundTrip) {
    auto codec = Codec();
    const std::string token = codec.Issue("user-42", "me@example.com", {"user", "admin"});
    auto claims = codec.Verify(token);
    ASSERT_TRUE(claims.ok()) << Reason(claims);
    EXPECT_EQ(claims->user_id, "user-42");
    EXPECT_EQ(claims->email, "me@example.com");
    EXPECT_EQ(claims->permissions, (std::vector<std::string>{"user", "admin"}));
    EXPECT_EQ(claims->expires_at - claims->issued_at, 900);
    EXPECT_FALSE(claims->jti.empty());
    EXPECT_NE(codec.Issue("u", "e@x.io", {}), codec.Issue("u", "e@x.io", {}));  // fresh jti each time
}

TEST(JwtTest, IssuedTokenCarriesSpecClaims) {
    auto codec = Codec();
    const std::string token = codec.Issue("u1", "e@x.io", {"user"});
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    auto header = boost::json::parse(*Base64UrlDecode(token.substr(0, dot1))).as_object();
    auto payload = boost::json::parse(*Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1))).as_object();
    EXPECT_EQ(header.at("alg").as_string(), "HS256");
    EXPECT_EQ(payload.at("type").as_string(), "access");
    EXPECT_EQ(payload.at("iss").as_string(), kIssuer);
    EXPECT_EQ(payload.at("sub").as_string(), "u1");
    EXPECT_TRUE(payload.at("permissions").is_array());
    EXPECT_TRUE(payload.contains("iat") && payload.contains("exp") && payload.contains("jti"));
}

TEST(JwtTest, ExpiryLeeway) {
    auto codec = Codec();
    const std::int64_t now = 1'800'000'000;
    const std::string token = codec.IssueAt("u", "e@x.io", {}, now - 1000, now - 10);
    EXPECT_TRUE(codec.VerifyAt(token, now).ok());       // 10 s past exp: within the 30 s leeway
    EXPECT_TRUE(codec.VerifyAt(token, now + 20).ok());  // exactly at the leeway edge
    auto expired = codec.VerifyAt(token, now + 21);
    ASSERT_FALSE(expired.ok());
    EXPECT_EQ(expired.error().code, core::ErrorCode::kUnauthenticated);
    EXPECT_EQ(expired.error().message, "token expired");
}

TEST(JwtTest, ExpiredWithWallClock) {
    auto codec = Codec();
    const auto now = NowS();
    EXPECT_EQ(Reason(codec.Verify(codec.IssueAt("u", "e@x.io", {}, now - 7200, now - 3600))), "token expired");
    EXPECT_EQ(Reason(codec.Verify(codec.IssueAt("u", "e@x.io", {}, now - 60, now - 5))), "ok");
}

TEST(JwtTest, NotBeforeInFutureRejected) {
    auto codec = Codec();
    auto claims = ValidClaims();
    claims["nbf"] = NowS() + 3600;
    EXPECT_EQ(Reason(codec.Verify(Craft(claims, JWT_ALG_HS256))), "token not yet valid");
    claims["nbf"] = NowS() + 5;  // within leeway
    EXPECT_EQ(Reason(codec.Verify(Craft(claims, JWT_ALG_HS256))), "ok");
}

TEST(JwtTest, WrongSecretRejected) {
    auto other = Codec("another-secret-another-secret-xx");
    EXPECT_EQ(Reason(Codec().Verify(other.Issue("u", "e@x.io", {}))), "invalid signature");
}

TEST(JwtTest, TamperedPayloadRejected) {
    auto codec = Codec();
    std::string token = codec.Issue("u", "e@x.io", {"user"});
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    auto payload = boost::json::parse(*Base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1))).as_object();
    payload["permissions"] = boost::json::array{"admin"};
    const std::string forged =
        token.substr(0, dot1 + 1) + Base64UrlEncode(boost::json::serialize(payload)) + token.substr(dot2);
    EXPECT_EQ(Reason(codec.Verify(forged)), "invalid signature");
}

TEST(JwtTest, AlgNoneRejected) {
    auto codec = Codec();
    // Built by hand: header {"alg":"none"}, valid claims, empty signature.
    const std::string header = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
    const std::string payload = Base64UrlEncode(boost::json::serialize(ValidClaims()));
    EXPECT_EQ(Reason(codec.Verify(header + "." + payload + ".")), "unsupported alg");
    // Same with a junk signature appended, and with other spellings.
    EXPECT_EQ(Reason(codec.Verify(header + "." + payload + ".c2ln")), "unsupported alg");
    for (const char* h : {R"({"alg":"None"})", R"({"alg":"NONE","typ":"JWT"})", R"({"alg":"hs256"})"}) {
        EXPECT_EQ(Reason(codec.Verify(Base64UrlEncode(h) + "." + payload + ".")), "unsupported alg") << h;
    }
    // And one minted by libjwt itself.
    EXPECT_EQ(Reason(codec.Verify(Craft(ValidClaims(), JWT_ALG_NONE))), "unsupported alg");
}

TEST(JwtTest, OtherAlgorithmsRejected) {
    auto codec = Codec();
    EXPECT_EQ(Reason(codec.Verify(Craft(ValidClaims(), JWT_ALG_HS512))), "unsupported alg");
    EXPECT_EQ(Reason(codec.Verify(Craft(ValidClaims(), JWT_ALG_HS384))), "unsupported alg");
    EXPECT_EQ(Reason(codec.Verify(Craft(ValidClaims(), JWT_ALG_HS256))), "ok");
}

TEST(JwtTest, TypHeader) {
    auto codec = Codec();
    const std::string token = codec.Issue("u", "e@x.io", {});
    const std::string rest = token.substr(token.find('.'));
    // Another typ is refused by name (the signature is not even looked at).
    EXPECT_EQ(Reason(codec.Verify(Base64UrlEncode(R"({"alg":"HS256","typ":"at+jwt"})") + rest)),
              "unsupported token type");
}

TEST(JwtTest, WrongIssuerRejected) {
    auto claims = ValidClaims();
    claims["iss"] = "someone-else";
    EXPECT_EQ(Reason(Codec().Verify(Craft(claims, JWT_ALG_HS256))), "invalid issuer");
    claims.erase("iss");
    EXPECT_EQ(Reason(Codec().Verify(Craft(claims, JWT_ALG_HS256))), "invalid issuer");
    auto other_issuer = Codec(kSecret, "other");
    EXPECT_EQ(Reason(Codec().Verify(other_issuer.Issue("u", "e@x.io", {}))), "invalid issuer");
}

TEST(JwtTest, RefreshTypeRejected) {
    auto claims = ValidClaims();
    claims["type"] = "refresh";
    EXPECT_EQ(Reason(Codec().Verify(Craft(claims, JWT_ALG_HS256))), "refresh token is not an access token");
    claims = ValidClaims();
    claims.erase("type");
    claims["token_type"] = "refresh";
    EXPECT_EQ(Reason(Codec().Verify(Craft(claims, JWT_ALG_HS256))), "refresh token is not an access token");
}

TEST(JwtTest, RequiredClaims) {
    auto claims = ValidClaims();
    claims.erase("sub");
    EXPECT_EQ(Reason(Codec().Verify(Craft(claims, JWT_ALG_HS256))), "missing sub");
    claims = ValidClaims();
    claims.erase("exp");
    EXPECT_EQ(Reason(Codec().Verify(Craft(claims, JWT_ALG_HS256))), "missing exp");
    claims = ValidClaims();
    claims["exp"] = "tomorrow";
    EXPECT_EQ(Reason(Codec().Verify(Craft(claims, JWT_ALG_HS256))), "malformed token");
}

TEST(JwtTest, ExternalTokenWithFractionalTimesAndNoPermissions) {
    auto claims = ValidClaims();
    claims.erase("permissions");
    claims.erase("type");
    claims["exp"] = static_cast<double>(NowS() + 60) + 0.5;
    auto r = Codec().Verify(Craft(claims, JWT_ALG_HS256));
    ASSERT_TRUE(r.ok()) << Reason(r);
    EXPECT_TRUE(r->permissions.empty());
}

TEST(JwtTest, GarbageRejected) {
    auto codec = Codec();
    for (const std::string& bad :
         std::vector<std::string>{"", "abc", "a.b", "a.b.c.d", "...", "eyJ.eyJ.sig", "not a token at all",
                                  "eyJhbGciOiJIUzI1NiJ9.!!!.abc", std::string(9000, 'a')}) {
        auto r = codec.Verify(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, core::ErrorCode::kUnauthenticated);
    }
    // Valid header, payload that is not JSON.
    const std::string header = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
    EXPECT_EQ(Reason(codec.Verify(header + "." + Base64UrlEncode("not json") + ".c2ln")), "malformed token");
}

TEST(JwtTest, EmptySecretRefused) { EXPECT_THROW(JwtCodec("", kIssuer, 900s), std::invalid_argument); }

}  // namespace
}  // namespace netra::auth

namespace netra::auth {
namespace {

TEST(JwtTest, DuplicateClaimsAndHeaderParametersAreRefused) {
    const std::string claims = boost::json::serialize(ValidClaims());
    const std::string header = R"({"alg":"HS256","typ":"JWT"})";
    EXPECT_EQ(Reason(Codec().Verify(SignRaw(header, claims))), "ok");  // the helper signs like the server
    // "sub" twice: one reader believes the first, another the last.
    std::string twice = claims;
    twice.insert(twice.size() - 1, R"(,"sub":"someone-else")");
    EXPECT_EQ(Reason(Codec().Verify(SignRaw(header, twice))), "duplicate claim");
    EXPECT_EQ(Reason(Codec().Verify(SignRaw(R"({"alg":"HS256","typ":"JWT","alg":"none"})", claims))),
              "duplicate header parameter");
    // Nested objects and strings holding quotes, colons and braces are not members of the payload.
    auto nested = ValidClaims();
    nested["meta"] = boost::json::object{{"sub", "x"}, {"note", "a \"quoted\": {b}"}};
    EXPECT_EQ(Reason(Codec().Verify(SignRaw(header, boost::json::serialize(nested)))), "ok");
}

TEST(JwtTest, CriticalHeadersAreRefusedKeyHintsIgnored) {
    const std::string claims = boost::json::serialize(ValidClaims());
    EXPECT_EQ(Reason(Codec().Verify(SignRaw(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", claims))),
              "unsupported critical header");
    // kid / jku / x5u never choose the key (nothing is fetched): with the server's signature the token is valid,
    // with another key's it is not, whatever they say.
    const std::string hints = R"({"alg":"HS256","typ":"JWT","kid":"../../etc/passwd","jku":"http://127.0.0.1:1/k"})";
    EXPECT_EQ(Reason(Codec().Verify(SignRaw(hints, claims))), "ok");
    EXPECT_EQ(Reason(Codec().Verify(SignRaw(hints, claims, "another-secret-another-secret-1234"))),
              "invalid signature");
}

}  // namespace
}  // namespace netra::auth

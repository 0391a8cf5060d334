#include "auth/password.hpp"

#include <gtest/gtest.h>

namespace netra::auth {
namespace {

const PasswordParams kFast = PasswordParams::Minimum();

TEST(PasswordTest, HashAndVerify) {
    auto hash = HashPassword("correct horse battery", kFast);
    ASSERT_TRUE(hash.ok());
    EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u) << *hash;
    EXPECT_TRUE(VerifyPassword("correct horse battery", *hash));
    EXPECT_FALSE(VerifyPassword("correct horse battery ", *hash));
    EXPECT_FALSE(VerifyPassword("", *hash));
}

TEST(PasswordTest, SaltedHashesDiffer) {
    auto a = HashPassword("same password", kFast);
    auto b = HashPassword("same password", kFast);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_NE(*a, *b);
    EXPECT_TRUE(VerifyPassword("same password", *b));
}

TEST(PasswordTest, MalformedHashNeverVerifies) {
    EXPECT_FALSE(VerifyPassword("x", ""));
    EXPECT_FALSE(VerifyPassword("x", "plaintext"));
    EXPECT_FALSE(VerifyPassword("x", std::string(500, '$')));
}

TEST(PasswordTest, EmbeddedNulIsPartOfPassword) {
    const std::string with_nul("abc\0def12", 9);
    auto hash = HashPassword(with_nul, kFast);
    ASSERT_TRUE(hash.ok());
    EXPECT_TRUE(VerifyPassword(with_nul, *hash));
    EXPECT_FALSE(VerifyPassword("abc", *hash));
}

TEST(PasswordTest, NeedsRehash) {
    auto hash = HashPassword("password123", kFast);
    ASSERT_TRUE(hash.ok());
    EXPECT_FALSE(PasswordNeedsRehash(*hash, kFast));
    EXPECT_TRUE(PasswordNeedsRehash(*hash, PasswordParams::Interactive()));
    EXPECT_TRUE(PasswordNeedsRehash("", kFast));
    EXPECT_TRUE(PasswordNeedsRehash("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", kFast));
}

}  // namespace
}  // namespace netra::auth

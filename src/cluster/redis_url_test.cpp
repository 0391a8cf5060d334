#include "cluster/redis_url.hpp"

#include <gtest/gtest.h>

namespace netra::cluster {
namespace {

TEST(RedisUrl, ParsesEveryPart) {
    auto e = ParseRedisUrl("redis://:s3cret@10.0.0.5:6380/3");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->host, "10.0.0.5");
    EXPECT_EQ(e->port, 6380);
    EXPECT_EQ(e->user, "");
    EXPECT_EQ(e->password, "s3cret");
    EXPECT_EQ(e->db, 3);
}

TEST(RedisUrl, DefaultsPortAndDatabase) {
    auto e = ParseRedisUrl("redis://cache.internal");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->host, "cache.internal");
    EXPECT_EQ(e->port, 6379);
    EXPECT_EQ(e->db, 0);
    EXPECT_TRUE(e->password.empty());
}

TEST(RedisUrl, KeepsAnAclUser) {
    auto e = ParseRedisUrl("redis://netra:pw@127.0.0.1:6379/0");
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(e->user, "netra");
    EXPECT_EQ(e->password, "pw");
}

TEST(RedisUrl, RefusesWhatItCannotHonour) {
    EXPECT_FALSE(ParseRedisUrl("rediss://127.0.0.1:6379").ok());  // TLS to Redis is not built
    EXPECT_FALSE(ParseRedisUrl("http://127.0.0.1").ok());
    EXPECT_FALSE(ParseRedisUrl("redis://127.0.0.1:0").ok());
    EXPECT_FALSE(ParseRedisUrl("redis://127.0.0.1:6379/16").ok());
    EXPECT_FALSE(ParseRedisUrl("redis://127.0.0.1:6379/x").ok());
    EXPECT_FALSE(ParseRedisUrl("not a url").ok());
}

TEST(RedisUrl, ErrorsNeverShowThePassword) {
    auto e = ParseRedisUrl("redis://:topsecret@127.0.0.1:99999");
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().message.find("topsecret"), std::string::npos);
    EXPECT_EQ(MaskRedisUrl("redis://:topsecret@h:1/0"), "redis://:***@h:1/0");
    EXPECT_EQ(MaskRedisUrl("redis://h:1/0"), "redis://h:1/0");
}

}  // namespace
}  // namespace netra::cluster

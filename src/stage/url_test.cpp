#include <gtest/gtest.h>

#include "stage/http_client.hpp"

namespace netra::stage {
namespace {

TEST(ParseServerUrl, HostPortAndPrefix) {
    auto u = ParseServerUrl("http://127.0.0.1:18080/");
    ASSERT_TRUE(u.ok()) << u.error().message;
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, "18080");
    EXPECT_EQ(u->base_path, "");
    auto p = ParseServerUrl("http://staging.example.com/netra/");
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->port, "80");
    EXPECT_EQ(p->base_path, "/netra");
    EXPECT_EQ(p->Origin(), "http://staging.example.com:80");
}

TEST(ParseServerUrl, TlsSchemes) {
    auto https = ParseServerUrl("https://staging.example.com/netra");
    ASSERT_TRUE(https.ok());
    EXPECT_TRUE(https->tls);
    EXPECT_EQ(https->port, "443");
    EXPECT_EQ(https->Origin(), "https://staging.example.com:443");
    auto wss = ParseServerUrl("wss://127.0.0.1:8443");
    ASSERT_TRUE(wss.ok());
    EXPECT_TRUE(wss->tls);
    EXPECT_EQ(wss->scheme, "https");
    EXPECT_EQ(wss->port, "8443");
    EXPECT_FALSE(ParseServerUrl("http://x.example.com")->tls);
}

TEST(ParseServerUrl, RejectsUnsupported) {
    EXPECT_FALSE(ParseServerUrl("ftp://x").ok());
    EXPECT_FALSE(ParseServerUrl("not a url").ok());
}

TEST(HttpResponse, HeaderLookupIsCaseInsensitive) {
    HttpResponse r;
    r.headers = {{"X-Request-Id", "abc"}};
    EXPECT_EQ(r.Header("x-request-id").value_or(""), "abc");
    EXPECT_FALSE(r.Header("missing").has_value());
}

}  // namespace
}  // namespace netra::stage

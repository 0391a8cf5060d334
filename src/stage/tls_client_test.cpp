// The staging client over TLS, against a real TLS server on loopback (the fake OpenAI server with a fresh
// self-signed certificate for 127.0.0.1): verified with the CA file, refused without it, refused for another name.
#include <gtest/gtest.h>

#include <string>

#include "llm/testing/fake_openai_server.hpp"
#include "stage/http_client.hpp"

namespace netra::stage {
namespace {

using llm::testing::FakeOpenAiServer;
using llm::testing::FakeReply;

ServerUrl Url(const FakeOpenAiServer& server, const std::string& host, const std::string& ca_file) {
    auto url = ParseServerUrl("https://" + host + ":" + std::to_string(server.port()));
    EXPECT_TRUE(url.ok());
    url->ca_file = ca_file;
    return *url;
}

TEST(StageTls, VerifiedWithTheCaFile) {
    FakeOpenAiServer server(/*tls=*/true);
    server.SetDefault(FakeReply::Status(200, R"({"ok":true})"));
    HttpClient http(Url(server, "127.0.0.1", server.CaFile()));
    auto r = http.Get("/health");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->status, 200);
    ASSERT_NE(r->JsonObject(), nullptr);
    // The keep-alive connection is reused for a second request.
    auto again = http.Get("/health");
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(server.RequestCount(), 2);
}

TEST(StageTls, UntrustedCertificateIsRefused) {
    FakeOpenAiServer server(/*tls=*/true);
    server.SetDefault(FakeReply::Status(200, "{}"));
    HttpClient http(Url(server, "127.0.0.1", ""));  // the system store alone does not know this self-signed CA
    auto r = http.Get("/health");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("certificate not trusted"), std::string::npos) << r.error().message;
    EXPECT_EQ(server.RequestCount(), 0);
}

TEST(StageTls, AnotherNameIsRefused) {
    FakeOpenAiServer server(/*tls=*/true);
    server.SetDefault(FakeReply::Status(200, "{}"));
    // The certificate names 127.0.0.1 and localhost; "127.1" (the resolver's short form of 127.0.0.1) reaches the
    // same server under a name the certificate does not carry.
    HttpClient http(Url(server, "127.1", server.CaFile()));
    auto r = http.Get("/health");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
    EXPECT_EQ(server.RequestCount(), 0);
}

TEST(StageTls, MissingCaFileIsAClearError) {
    FakeOpenAiServer server(/*tls=*/true);
    HttpClient http(Url(server, "127.0.0.1", "/nonexistent/ca.pem"));
    auto r = http.Get("/health");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("/nonexistent/ca.pem"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace netra::stage

#include "config/database_url.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace netra::config {
namespace {

DatabaseEnv Strong() {
    DatabaseEnv env;
    env.postgres_host = "db.internal";
    env.postgres_user = "netra";
    env.postgres_password = "S3cure-Long-Pass";
    env.postgres_db = "netra_prod";
    return env;
}

std::string BuildOk(const DatabaseEnv& env, Environment app_env) {
    auto url = BuildDatabaseUrl(env, app_env, "/var/lib/netra");
    EXPECT_TRUE(url.ok()) << (url.ok() ? "" : url.error().message);
    return url.ok() ? *url : std::string();
}

std::string BuildError(const DatabaseEnv& env, Environment app_env) {
    auto url = BuildDatabaseUrl(env, app_env, "/var/lib/netra");
    EXPECT_FALSE(url.ok()) << (url.ok() ? *url : "");
    if (url.ok()) return {};
    EXPECT_EQ(url.error().code, core::ErrorCode::kInvalidRequest);
    return url.error().message;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(BuildDatabaseUrlTest, DatabaseUrlWins) {
    DatabaseEnv env = Strong();
    env.database_url = "postgresql://a:b@elsewhere:5433/x";
    EXPECT_EQ(BuildOk(env, Environment::kProduction), "postgresql://a:b@elsewhere:5433/x");
    env.database_url = "sqlite::memory:";
    EXPECT_EQ(BuildOk(env, Environment::kTest), "sqlite::memory:");
    env.database_url = "postgres://u@h/d";
    EXPECT_EQ(BuildOk(env, Environment::kDevelopment), "postgres://u@h/d");
}

TEST(BuildDatabaseUrlTest, DatabaseUrlWithUnknownSchemeIsRejectedAndMasked) {
    DatabaseEnv env;
    env.database_url = "mysql://root:hunter2@h/d";
    std::string msg = BuildError(env, Environment::kDevelopment);
    EXPECT_TRUE(Contains(msg, "DATABASE_URL"));
    EXPECT_FALSE(Contains(msg, "hunter2"));
}

TEST(BuildDatabaseUrlTest, EmptyDatabaseUrlCountsAsUnset) {
    DatabaseEnv env;
    env.database_url = "";
    EXPECT_EQ(BuildOk(env, Environment::kDevelopment), "sqlite:///var/lib/netra/netra.db");
}

TEST(BuildDatabaseUrlTest, DevelopmentDefaultIsSqliteInDataDir) {
    EXPECT_EQ(BuildOk(DatabaseEnv{}, Environment::kDevelopment), "sqlite:///var/lib/netra/netra.db");
    EXPECT_EQ(BuildOk(DatabaseEnv{}, Environment::kTest), "sqlite:///var/lib/netra/netra.db");
}

TEST(BuildDatabaseUrlTest, RelativeDataDirBecomesAbsolute) {
    auto url = BuildDatabaseUrl(DatabaseEnv{}, Environment::kDevelopment, "./netra-data");
    ASSERT_TRUE(url.ok());
    std::string expected =
        "sqlite://" + (std::filesystem::current_path() / "netra-data" / "netra.db").lexically_normal().string();
    EXPECT_EQ(*url, expected);
    EXPECT_EQ(url->rfind("sqlite:///", 0), 0u);
}

TEST(BuildDatabaseUrlTest, TcpDevelopment) {
    DatabaseEnv env = Strong();
    EXPECT_EQ(BuildOk(env, Environment::kDevelopment),
              "postgresql://netra:S3cure-Long-Pass@db.internal:5432/netra_prod");
    env.postgres_port = "6543";
    EXPECT_EQ(BuildOk(env, Environment::kDevelopment),
              "postgresql://netra:S3cure-Long-Pass@db.internal:6543/netra_prod");
}

TEST(BuildDatabaseUrlTest, TcpDevelopmentDefaultsUserAndDbAndAllowsNoPassword) {
    DatabaseEnv env;
    env.postgres_host = "localhost";
    EXPECT_EQ(BuildOk(env, Environment::kDevelopment), "postgresql://postgres@localhost:5432/netra");
}

TEST(BuildDatabaseUrlTest, StagingAndProductionRequireTls) {
    EXPECT_EQ(BuildOk(Strong(), Environment::kStaging),
              "postgresql://netra:S3cure-Long-Pass@db.internal:5432/netra_prod?sslmode=require");
    EXPECT_EQ(BuildOk(Strong(), Environment::kProduction),
              "postgresql://netra:S3cure-Long-Pass@db.internal:5432/netra_prod?sslmode=require");
}

TEST(BuildDatabaseUrlTest, UserAndPasswordArePercentEncoded) {
    DatabaseEnv env = Strong();
    env.postgres_user = "svc@netra";
    env.postgres_password = "p@ss:w/rd%#? &x+y=";
    EXPECT_EQ(BuildOk(env, Environment::kDevelopment),
              "postgresql://svc%40netra:p%40ss%3Aw%2Frd%25%23%3F%20%26x%2By%3D@db.internal:5432/netra_prod");
}

TEST(BuildDatabaseUrlTest, Utf8IsEncodedBytewise) {
    DatabaseEnv env = Strong();
    env.postgres_password = "pässwörd-lang";
    EXPECT_TRUE(Contains(BuildOk(env, Environment::kDevelopment), ":p%C3%A4ssw%C3%B6rd-lang@"));
}

TEST(BuildDatabaseUrlTest, Ipv6HostIsBracketed) {
    DatabaseEnv env = Strong();
    env.postgres_host = "fd00::5";
    EXPECT_EQ(BuildOk(env, Environment::kDevelopment), "postgresql://netra:S3cure-Long-Pass@[fd00::5]:5432/netra_prod");
}

TEST(BuildDatabaseUrlTest, CloudSqlSocket) {
    DatabaseEnv env = Strong();
    env.postgres_host = "/cloudsql/my-proj:europe-west1:netra-db";
    EXPECT_EQ(BuildOk(env, Environment::kProduction),
              "postgresql://netra:S3cure-Long-Pass@/netra_prod?host=/cloudsql/my-proj:europe-west1:netra-db");
    env.postgres_host = "/cloudsql/my-proj:europe-west1:netra-db/";  // trailing slash tolerated
    EXPECT_EQ(BuildOk(env, Environment::kStaging),
              "postgresql://netra:S3cure-Long-Pass@/netra_prod?host=/cloudsql/my-proj:europe-west1:netra-db");
}

TEST(BuildDatabaseUrlTest, CloudSqlEncodesCredentials) {
    DatabaseEnv env = Strong();
    env.postgres_host = "/cloudsql/p:r:i";
    env.postgres_password = "a/b@c";
    EXPECT_EQ(BuildOk(env, Environment::kStaging), "postgresql://netra:a%2Fb%40c@/netra_prod?host=/cloudsql/p:r:i");
}

TEST(BuildDatabaseUrlTest, CloudSqlInstanceMustHaveThreeParts) {
    for (const char* bad : {"/cloudsql/proj:inst", "/cloudsql/a:b:c:d", "/cloudsql/a::c", "/cloudsql/:b:c",
                            "/cloudsql/", "/cloudsql/a:b:c/extra"}) {
        DatabaseEnv env = Strong();
        env.postgres_host = bad;
        std::string msg = BuildError(env, Environment::kDevelopment);
        EXPECT_TRUE(Contains(msg, "POSTGRES_HOST")) << bad;
        EXPECT_TRUE(Contains(msg, "PROJECT:REGION:INSTANCE")) << bad;
    }
}

TEST(BuildDatabaseUrlTest, StrictRequiresEverySetting) {
    for (Environment app_env : {Environment::kStaging, Environment::kProduction}) {
        EXPECT_TRUE(Contains(BuildError(DatabaseEnv{}, app_env), "POSTGRES_HOST"));
        DatabaseEnv env = Strong();
        env.postgres_user.reset();
        EXPECT_TRUE(Contains(BuildError(env, app_env), "POSTGRES_USER"));
        env = Strong();
        env.postgres_password = "";
        EXPECT_TRUE(Contains(BuildError(env, app_env), "POSTGRES_PASSWORD"));
        env = Strong();
        env.postgres_db.reset();
        EXPECT_TRUE(Contains(BuildError(env, app_env), "POSTGRES_DB"));
    }
    DatabaseEnv env = Strong();
    env.postgres_user.reset();
    env.postgres_db.reset();
    std::string msg = BuildError(env, Environment::kStaging);
    EXPECT_TRUE(Contains(msg, "POSTGRES_USER"));
    EXPECT_TRUE(Contains(msg, "POSTGRES_DB"));
}

TEST(BuildDatabaseUrlTest, StrictRefusesWeakPasswords) {
    for (const char* weak : {"password", "Postgres", "ADMIN", "root", "123456", "changeme", "Secret"}) {
        DatabaseEnv env = Strong();
        env.postgres_password = weak;
        std::string msg = BuildError(env, Environment::kProduction);
        EXPECT_TRUE(Contains(msg, "POSTGRES_PASSWORD")) << weak;
        if (std::string(weak) != "password") {
            EXPECT_FALSE(Contains(msg, weak)) << "the message must not echo it";
        }
    }
    DatabaseEnv env = Strong();
    env.postgres_password = "Netra";  // same as the user
    EXPECT_TRUE(Contains(BuildError(env, Environment::kStaging), "POSTGRES_PASSWORD"));
    env.postgres_password = "password";
    EXPECT_TRUE(BuildDatabaseUrl(env, Environment::kDevelopment, "/d").ok()) << "development accepts anything";
}

TEST(BuildDatabaseUrlTest, StrictRefusesLoopbackUnlessAllowed) {
    for (const char* host : {"localhost", "LOCALHOST", "127.0.0.1", "::1", "[::1]", "127.0.1.1"}) {
        DatabaseEnv env = Strong();
        env.postgres_host = host;
        EXPECT_TRUE(Contains(BuildError(env, Environment::kStaging), "NETRA_ALLOW_LOCALHOST_DB")) << host;
        env.allow_localhost_db.emplace("1");  // emplace: GCC 12 -Wrestrict false positive on operator=
        EXPECT_TRUE(BuildDatabaseUrl(env, Environment::kStaging, "/d").ok()) << host;
    }
    DatabaseEnv env = Strong();
    env.postgres_host = "localhost";
    env.allow_localhost_db = "true";
    // An allowed local server is often without TLS; it is still used when offered.
    EXPECT_EQ(BuildOk(env, Environment::kProduction),
              "postgresql://netra:S3cure-Long-Pass@localhost:5432/netra_prod?sslmode=prefer");
    env.allow_localhost_db = "0";
    EXPECT_FALSE(BuildDatabaseUrl(env, Environment::kProduction, "/d").ok());
    env.allow_localhost_db = "maybe";
    EXPECT_TRUE(Contains(BuildError(env, Environment::kProduction), "NETRA_ALLOW_LOCALHOST_DB"));
}

TEST(BuildDatabaseUrlTest, BadPortIsRejected) {
    for (const char* bad : {"0", "65536", "abc", "54x", "-1"}) {
        DatabaseEnv env = Strong();
        env.postgres_port = bad;
        EXPECT_TRUE(Contains(BuildError(env, Environment::kDevelopment), "POSTGRES_PORT")) << bad;
    }
}

TEST(BuildDatabaseUrlTest, PartialPostgresConfigWithoutHostIsAnError) {
    DatabaseEnv env;
    env.postgres_user = "netra";
    EXPECT_TRUE(Contains(BuildError(env, Environment::kDevelopment), "POSTGRES_HOST"));
}

TEST(MaskDatabaseUrlTest, MasksUserinfoPassword) {
    EXPECT_EQ(MaskDatabaseUrl("postgresql://netra:s3cret@db:5432/netra?sslmode=require"),
              "postgresql://netra:***@db:5432/netra?sslmode=require");
    EXPECT_EQ(MaskDatabaseUrl("postgres://u:p%40ss@h/d"), "postgres://u:***@h/d");
    EXPECT_EQ(MaskDatabaseUrl("POSTGRESQL://u:p@h/d"), "POSTGRESQL://u:***@h/d");
}

TEST(MaskDatabaseUrlTest, MasksRawSpecialCharacters) {
    // Not well-formed, but must still never leak: the last '@' before the query ends the userinfo.
    EXPECT_EQ(MaskDatabaseUrl("postgresql://u:p@ss/w@host:5432/db"), "postgresql://u:***@host:5432/db");
}

TEST(MaskDatabaseUrlTest, MasksCloudSqlForm) {
    EXPECT_EQ(MaskDatabaseUrl("postgresql://netra:a%2Fb@/netra?host=/cloudsql/p:r:i"),
              "postgresql://netra:***@/netra?host=/cloudsql/p:r:i");
}

TEST(MaskDatabaseUrlTest, MasksQueryPassword) {
    EXPECT_EQ(MaskDatabaseUrl("postgresql://h/d?user=u&password=s3cret&sslmode=require"),
              "postgresql://h/d?user=u&password=***&sslmode=require");
    EXPECT_EQ(MaskDatabaseUrl("postgresql:///d?password=x"), "postgresql:///d?password=***");
    EXPECT_EQ(MaskDatabaseUrl("postgresql://u:a@h/d?password=b"), "postgresql://u:***@h/d?password=***");
    // Another parameter that merely ends in "password" is left alone.
    EXPECT_EQ(MaskDatabaseUrl("postgresql://h/d?application_name=password=x"),
              "postgresql://h/d?application_name=password=x");
}

TEST(MaskDatabaseUrlTest, MasksKeywordValueForm) {
    EXPECT_EQ(MaskDatabaseUrl("host=db user=u password=s3cret dbname=netra"),
              "host=db user=u password=*** dbname=netra");
    EXPECT_EQ(MaskDatabaseUrl("password='a b\\' c' host=db"), "password=*** host=db");
}

TEST(MaskDatabaseUrlTest, LeavesOtherUrlsAlone) {
    EXPECT_EQ(MaskDatabaseUrl("sqlite:///var/lib/netra/netra.db"), "sqlite:///var/lib/netra/netra.db");
    EXPECT_EQ(MaskDatabaseUrl("sqlite::memory:"), "sqlite::memory:");
    EXPECT_EQ(MaskDatabaseUrl("postgresql://u@h:5432/d"), "postgresql://u@h:5432/d");
    EXPECT_EQ(MaskDatabaseUrl("postgresql://h/d"), "postgresql://h/d");
    EXPECT_EQ(MaskDatabaseUrl(""), "");
    EXPECT_EQ(MaskDatabaseUrl("mysql://root:hunter2@h/d"), "mysql://root:***@h/d");
}

TEST(MaskDatabaseUrlTest, BuiltUrlsNeverLeakWhenMasked) {
    DatabaseEnv env = Strong();
    env.postgres_password = "p@ss:w/rd%#? x";
    std::string url = BuildOk(env, Environment::kStaging);
    std::string masked = MaskDatabaseUrl(url);
    EXPECT_EQ(masked, "postgresql://netra:***@db.internal:5432/netra_prod?sslmode=require");
}

TEST(PercentEncodeTest, KeepsUnreservedOnly) {
    EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
    EXPECT_EQ(PercentEncode("@:/%# "), "%40%3A%2F%25%23%20");
    EXPECT_EQ(PercentEncode(""), "");
}

}  // namespace
}  // namespace netra::config

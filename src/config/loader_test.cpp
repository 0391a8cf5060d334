#include "config/loader.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/ids.hpp"

namespace netra::config {
namespace {

namespace fs = std::filesystem;

constexpr const char* kStrongSecret = "0123456789abcdef0123456789abcdef-strong";

// A private temporary directory, removed afterwards: tests never touch the real environment or the cwd.
class LoaderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("netra-config-test-" + core::RandomHex(8));
        fs::create_directories(dir_);
        env_["NETRA_DATA_DIR"] = (dir_ / "data").string();
    }
    void TearDown() override {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }

    GetenvFn Env() const {
        return [this](const std::string& name) -> std::optional<std::string> {
            auto it = env_.find(name);
            return it == env_.end() ? std::nullopt : std::optional<std::string>(it->second);
        };
    }

    std::string WriteFile(const std::string& name, const std::string& content) {
        fs::path path = dir_ / name;
        std::ofstream(path) << content;
        return path.string();
    }

    Settings LoadOk(const CliOverrides& flags = {}) {
        auto result = LoadSettings(flags, Env());
        EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
        return result.ok() ? *result : Settings{};
    }

    std::string LoadError(const CliOverrides& flags = {}) {
        auto result = LoadSettings(flags, Env());
        EXPECT_FALSE(result.ok());
        if (result.ok()) return {};
        EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidRequest);
        return result.error().message;
    }

    void StrongStaging() {
        env_["NETRA_ENV"] = "staging";
        env_["JWT_SECRET"] = kStrongSecret;
        env_["POSTGRES_HOST"] = "db.internal";
        env_["POSTGRES_USER"] = "netra";
        env_["POSTGRES_PASSWORD"] = "Very-Strong-Pass-1";
        env_["POSTGRES_DB"] = "netra";
    }

    fs::path dir_;
    std::map<std::string, std::string> env_;
};

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST_F(LoaderTest, DefaultsInDevelopment) {
    Settings s = LoadOk();
    EXPECT_EQ(s.env, Environment::kDevelopment);
    EXPECT_EQ(s.host, "127.0.0.1");
    EXPECT_EQ(s.port, 8080);
    EXPECT_EQ(s.llm_provider, "builtin");
    EXPECT_EQ(s.jwt_issuer, "netra-auth-service");
    EXPECT_EQ(s.database_url, "sqlite://" + (dir_ / "data" / "netra.db").string());
    EXPECT_FALSE(s.fault_injection);
    EXPECT_TRUE(s.allowed_origins.empty());
    EXPECT_TRUE(s.config_file.empty());
    EXPECT_EQ(s.limits.max_concurrent_runs_per_user, 4);
    EXPECT_EQ(s.timeouts.shutdown_drain, std::chrono::milliseconds(20'000));
    EXPECT_EQ(s.refresh_reuse_grace, std::chrono::seconds(15));
}

TEST_F(LoaderTest, RefreshReuseGraceIsZeroToSixtySeconds) {
    env_["NETRA_REFRESH_REUSE_GRACE_S"] = "0";
    EXPECT_EQ(LoadOk().refresh_reuse_grace, std::chrono::seconds(0));
    env_["NETRA_REFRESH_REUSE_GRACE_S"] = "60";
    EXPECT_EQ(LoadOk().refresh_reuse_grace, std::chrono::seconds(60));
    for (const char* bad : {"61", "-1", "2.5"}) {
        env_["NETRA_REFRESH_REUSE_GRACE_S"] = bad;
        EXPECT_TRUE(Contains(LoadError(), "NETRA_REFRESH_REUSE_GRACE_S")) << bad;
    }
}

TEST_F(LoaderTest, PrecedenceFlagOverEnvOverFile) {
    std::string file = WriteFile("netra.toml", R"(
host = "10.0.0.1"
port = 7000
log_format = "json"
jwt_issuer = "from-file"
[limits]
max_concurrent_runs_per_user = 2
)");
    CliOverrides flags;
    flags.config_path = file;
    Settings s = LoadOk(flags);
    EXPECT_EQ(s.host, "10.0.0.1");
    EXPECT_EQ(s.port, 7000);
    EXPECT_EQ(s.log_format, "json");
    EXPECT_EQ(s.jwt_issuer, "from-file");
    EXPECT_EQ(s.limits.max_concurrent_runs_per_user, 2);
    EXPECT_EQ(s.config_file, file);

    env_["NETRA_HOST"] = "10.0.0.2";
    env_["NETRA_PORT"] = "7001";
    env_["NETRA_MAX_CONCURRENT_RUNS_PER_USER"] = "3";
    s = LoadOk(flags);
    EXPECT_EQ(s.host, "10.0.0.2");
    EXPECT_EQ(s.port, 7001);
    EXPECT_EQ(s.limits.max_concurrent_runs_per_user, 3);
    EXPECT_EQ(s.jwt_issuer, "from-file");

    flags.host = "10.0.0.3";
    flags.port = 7002;
    flags.log_format = "text";
    s = LoadOk(flags);
    EXPECT_EQ(s.host, "10.0.0.3");
    EXPECT_EQ(s.port, 7002);
    EXPECT_EQ(s.log_format, "text");
}

TEST_F(LoaderTest, ConfigPathFromEnvironmentAndFlagWins) {
    std::string a = WriteFile("a.toml", "host = \"1.1.1.1\"\n");
    std::string b = WriteFile("b.toml", "host = \"2.2.2.2\"\n");
    env_["NETRA_CONFIG"] = a;
    EXPECT_EQ(LoadOk().host, "1.1.1.1");
    CliOverrides flags;
    flags.config_path = b;
    EXPECT_EQ(LoadOk(flags).host, "2.2.2.2");
}

TEST_F(LoaderTest, DbFlagOverridesDatabaseUrlAndPostgresSettings) {
    env_["DATABASE_URL"] = "postgresql://u:p@envhost/db";
    EXPECT_EQ(LoadOk().database_url, "postgresql://u:p@envhost/db");
    CliOverrides flags;
    flags.db = "sqlite::memory:";
    EXPECT_EQ(LoadOk(flags).database_url, "sqlite::memory:");
}

TEST_F(LoaderTest, FullTomlFile) {
    std::string file = WriteFile("full.toml", R"(
env = "test"
host = "0.0.0.0"
port = 9000
postgres_host = "pg"
postgres_port = 6000
postgres_user = "me"
postgres_password = "pw"
postgres_db = "mine"
redis_url = "redis://:pw@cache:6379/0"
jwt_secret = "file-secret"
access_token_ttl_s = 60
refresh_token_ttl_s = 3600
llm_provider = "openai"
openai_base_url = "http://localhost:1234/v1"
openai_api_key = "sk-test"
llm_model = "gpt-x"
e2e_bypass_key = "bypass"
fault_injection = true
log_level = "debug"
allowed_origins = ["https://a.example", "https://b.example"]
io_threads = 3
worker_threads = 5
catalog = "/etc/netra/catalog.json"

[limits]
max_body_bytes = 2048
max_ws_frame_bytes = 4096
messages_per_minute = 10

[timeouts]
agent_step_ms = 1000
run_ms = 2000
http_read_ms = 3000
ws_ping_interval_ms = 4000
shutdown_drain_ms = 5000
)");
    CliOverrides flags;
    flags.config_path = file;
    Settings s = LoadOk(flags);
    EXPECT_EQ(s.env, Environment::kTest);
    EXPECT_EQ(s.host, "0.0.0.0");
    EXPECT_EQ(s.port, 9000);
    EXPECT_EQ(s.database_url, "postgresql://me:pw@pg:6000/mine");
    EXPECT_EQ(s.redis_url, "redis://:pw@cache:6379/0");
    EXPECT_EQ(s.jwt_secret, "file-secret");
    EXPECT_EQ(s.access_token_ttl, std::chrono::seconds(60));
    EXPECT_EQ(s.refresh_token_ttl, std::chrono::seconds(3600));
    EXPECT_EQ(s.llm_provider, "openai");
    EXPECT_EQ(s.openai_base_url, "http://localhost:1234/v1");
    EXPECT_EQ(s.openai_api_key, "sk-test");
    EXPECT_EQ(s.llm_model, "gpt-x");
    EXPECT_EQ(s.e2e_bypass_key, "bypass");
    EXPECT_TRUE(s.fault_injection);
    EXPECT_EQ(s.log_level, "debug");
    EXPECT_EQ(s.allowed_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
    EXPECT_EQ(s.io_threads, 3);
    EXPECT_EQ(s.worker_threads, 5);
    EXPECT_EQ(s.catalog_path, "/etc/netra/catalog.json");
    EXPECT_EQ(s.limits.max_body_bytes, 2048u);
    EXPECT_EQ(s.limits.max_ws_frame_bytes, 4096u);
    EXPECT_EQ(s.limits.messages_per_minute, 10);
    EXPECT_EQ(s.timeouts.agent_step, std::chrono::milliseconds(1000));
    EXPECT_EQ(s.timeouts.run, std::chrono::milliseconds(2000));
    EXPECT_EQ(s.timeouts.http_read, std::chrono::milliseconds(3000));
    EXPECT_EQ(s.timeouts.ws_ping_interval, std::chrono::milliseconds(4000));
    EXPECT_EQ(s.timeouts.shutdown_drain, std::chrono::milliseconds(5000));
    EXPECT_FALSE(fs::exists(dir_ / "data" / "jwt_secret")) << "a configured secret is not persisted";
}

TEST_F(LoaderTest, EnvironmentVariablesForEverything) {
    env_["NETRA_ENV"] = "test";
    env_["NETRA_ALLOWED_ORIGINS"] = " https://a.example , ,https://b.example";
    env_["NETRA_IO_THREADS"] = "1";
    env_["NETRA_WORKER_THREADS"] = "8";
    env_["NETRA_LOG_LEVEL"] = "WARNING";
    env_["NETRA_LOG_FORMAT"] = "JSON";
    env_["NETRA_FAULT_INJECTION"] = "1";
    env_["NETRA_E2E_BYPASS_KEY"] = "k";
    env_["REDIS_URL"] = "redis://cache:6379";
    env_["DATABASE_URL"] = "postgresql://netra:pw@db/netra";  // Redis needs PostgreSQL (see RedisNeedsPostgres)
    env_["NETRA_AGENT_STEP_TIMEOUT_MS"] = "111";
    env_["NETRA_RUN_TIMEOUT_MS"] = "222";
    env_["NETRA_HTTP_READ_TIMEOUT_MS"] = "333";
    env_["NETRA_WS_PING_INTERVAL_MS"] = "444";
    env_["NETRA_SHUTDOWN_DRAIN_MS"] = "555";
    env_["NETRA_ACCESS_TOKEN_TTL_S"] = "66";
    env_["NETRA_MAX_UPLOAD_BYTES"] = "1000000";
    env_["NETRA_WS_OUTBOUND_QUEUE_MESSAGES"] = "16";
    env_["NETRA_LOGIN_ATTEMPTS_PER_MINUTE"] = "5";
    env_["NETRA_CATALOG"] = "/tmp/c.json";
    Settings s = LoadOk();
    EXPECT_EQ(s.env, Environment::kTest);
    EXPECT_EQ(s.allowed_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
    EXPECT_EQ(s.io_threads, 1);
    EXPECT_EQ(s.worker_threads, 8);
    EXPECT_EQ(s.log_level, "warn");
    EXPECT_EQ(s.log_format, "json");
    EXPECT_TRUE(s.fault_injection);
    EXPECT_EQ(s.e2e_bypass_key, "k");
    EXPECT_EQ(s.redis_url, "redis://cache:6379");
    EXPECT_EQ(s.timeouts.agent_step.count(), 111);
    EXPECT_EQ(s.timeouts.run.count(), 222);
    EXPECT_EQ(s.timeouts.http_read.count(), 333);
    EXPECT_EQ(s.timeouts.ws_ping_interval.count(), 444);
    EXPECT_EQ(s.timeouts.shutdown_drain.count(), 555);
    EXPECT_EQ(s.access_token_ttl.count(), 66);
    EXPECT_EQ(s.limits.max_upload_bytes, 1000000u);
    EXPECT_EQ(s.limits.ws_outbound_queue_messages, 16u);
    EXPECT_EQ(s.limits.login_attempts_per_minute, 5);
    EXPECT_EQ(s.catalog_path, "/tmp/c.json");
}

TEST_F(LoaderTest, EmptyEnvironmentVariablesCountAsUnset) {
    env_["NETRA_PORT"] = "";
    env_["DATABASE_URL"] = "  ";
    env_["NETRA_ENV"] = "";
    Settings s = LoadOk();
    EXPECT_EQ(s.port, 8080);
    EXPECT_EQ(s.env, Environment::kDevelopment);
    EXPECT_EQ(s.database_url.rfind("sqlite:///", 0), 0u);
}

TEST_F(LoaderTest, UnknownTomlKeyFails) {
    CliOverrides flags;
    flags.config_path = WriteFile("bad.toml", "hots = \"x\"\n");
    std::string msg = LoadError(flags);
    EXPECT_TRUE(Contains(msg, "unknown setting 'hots'")) << msg;

    flags.config_path = WriteFile("bad2.toml", "[limits]\nmax_bodybytes = 3\n");
    EXPECT_TRUE(Contains(LoadError(flags), "limits.max_bodybytes"));

    flags.config_path = WriteFile("bad3.toml", "[server]\nport = 3\n");
    EXPECT_TRUE(Contains(LoadError(flags), "'server'"));
}

TEST_F(LoaderTest, WrongTomlTypesFail) {
    CliOverrides flags;
    flags.config_path = WriteFile("t1.toml", "port = \"8080\"\n");
    EXPECT_TRUE(Contains(LoadError(flags), "'port'"));
    flags.config_path = WriteFile("t2.toml", "host = 5\n");
    EXPECT_TRUE(Contains(LoadError(flags), "'host'"));
    flags.config_path = WriteFile("t3.toml", "fault_injection = \"yes\"\n");
    EXPECT_TRUE(Contains(LoadError(flags), "'fault_injection'"));
    flags.config_path = WriteFile("t4.toml", "allowed_origins = [1, 2]\n");
    EXPECT_TRUE(Contains(LoadError(flags), "'allowed_origins'"));
}

TEST_F(LoaderTest, InvalidTomlAndMissingFileFail) {
    CliOverrides flags;
    flags.config_path = WriteFile("broken.toml", "host = \n");
    std::string msg = LoadError(flags);
    EXPECT_TRUE(Contains(msg, "not valid TOML")) << msg;
    EXPECT_TRUE(Contains(msg, "line 1")) << msg;

    flags.config_path = (dir_ / "missing.toml").string();
    EXPECT_TRUE(Contains(LoadError(flags), "--config"));
    flags.config_path.reset();
    env_["NETRA_CONFIG"] = (dir_ / "missing.toml").string();
    EXPECT_TRUE(Contains(LoadError(flags), "NETRA_CONFIG"));
}

TEST_F(LoaderTest, InvalidValuesNameTheSetting) {
    struct Case {
        const char* var;
        const char* value;
    };
    for (Case c :
         {Case{"NETRA_PORT", "80a"}, Case{"NETRA_PORT", "70000"}, Case{"NETRA_PORT", "-1"}, Case{"NETRA_ENV", "qa"},
          Case{"NETRA_LLM_PROVIDER", "anthropic"}, Case{"NETRA_IO_THREADS", "0"}, Case{"NETRA_WORKER_THREADS", "many"},
          Case{"NETRA_FAULT_INJECTION", "maybe"}, Case{"NETRA_LOG_FORMAT", "xml"}, Case{"NETRA_LOG_LEVEL", "loud"},
          Case{"NETRA_MAX_BODY_BYTES", "0"}, Case{"NETRA_RUN_TIMEOUT_MS", "-5"},
          Case{"NETRA_ACCESS_TOKEN_TTL_S", "1.5"}, Case{"REDIS_URL", "http://cache"}, Case{"POSTGRES_PORT", "99999"},
          Case{"DATABASE_URL", "mysql://x"}, Case{"OPENAI_BASE_URL", "ftp://x"}}) {
        auto saved = env_;
        env_[c.var] = c.value;
        if (std::string(c.var) == "POSTGRES_PORT") env_["POSTGRES_HOST"] = "pg";
        std::string msg = LoadError();
        EXPECT_TRUE(Contains(msg, c.var)) << c.var << "=" << c.value << ": " << msg;
        env_ = saved;
    }
}

TEST_F(LoaderTest, FlagErrorsNameTheFlag) {
    CliOverrides flags;
    flags.port = 70000;
    EXPECT_TRUE(Contains(LoadError(flags), "--port"));
    flags = {};
    flags.db = "mysql://x";
    EXPECT_TRUE(Contains(LoadError(flags), "--db"));
}

TEST_F(LoaderTest, ReportsEveryErrorAtOnce) {
    env_["NETRA_PORT"] = "x";
    env_["NETRA_IO_THREADS"] = "0";
    std::string msg = LoadError();
    EXPECT_TRUE(Contains(msg, "NETRA_PORT"));
    EXPECT_TRUE(Contains(msg, "NETRA_IO_THREADS"));
}

TEST_F(LoaderTest, OpenAiProviderNeedsBaseUrl) {
    env_["NETRA_LLM_PROVIDER"] = "openai";
    EXPECT_TRUE(Contains(LoadError(), "OPENAI_BASE_URL"));
    env_["OPENAI_BASE_URL"] = "https://api.example.com/v1";
    EXPECT_EQ(LoadOk().llm_provider, "openai");
    env_["NETRA_LLM_PROVIDER"] = "OpenAI";
    EXPECT_EQ(LoadOk().llm_provider, "openai");
}

TEST_F(LoaderTest, FaultInjectionRefusedInProduction) {
    StrongStaging();
    env_["NETRA_FAULT_INJECTION"] = "1";
    EXPECT_TRUE(LoadOk().fault_injection) << "allowed in staging";
    env_["NETRA_ENV"] = "production";
    EXPECT_TRUE(Contains(LoadError(), "NETRA_FAULT_INJECTION"));
}

TEST_F(LoaderTest, DevSecretIsGeneratedPersistedAndReused) {
    fs::path secret_path = dir_ / "data" / "jwt_secret";
    ASSERT_FALSE(fs::exists(dir_ / "data"));
    Settings first = LoadOk();
    EXPECT_EQ(first.jwt_secret.size(), 64u);
    ASSERT_TRUE(fs::exists(secret_path));
    struct stat st {};
    ASSERT_EQ(::stat(secret_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600);
    Settings second = LoadOk();
    EXPECT_EQ(second.jwt_secret, first.jwt_secret);
    // No temporary files left behind.
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_ / "data")) ++entries;
    EXPECT_EQ(entries, 1);
}

TEST_F(LoaderTest, DevSecretFileIsRead) {
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data" / "jwt_secret") << "  operator-provided-secret\n";
    EXPECT_EQ(LoadOk().jwt_secret, "operator-provided-secret");
}

TEST_F(LoaderTest, EmptyDevSecretFileIsReplaced) {
    fs::create_directories(dir_ / "data");
    std::ofstream(dir_ / "data" / "jwt_secret") << "\n";
    EXPECT_EQ(LoadOk().jwt_secret.size(), 64u);
}

TEST_F(LoaderTest, ExplicitSecretWinsOverFileInDevelopment) {
    env_["JWT_SECRET"] = "short-is-fine-in-dev";
    EXPECT_EQ(LoadOk().jwt_secret, "short-is-fine-in-dev");
    EXPECT_FALSE(fs::exists(dir_ / "data" / "jwt_secret"));
}

TEST_F(LoaderTest, InvalidConfigWritesNothing) {
    env_["NETRA_PORT"] = "bad";
    (void)LoadError();
    EXPECT_FALSE(fs::exists(dir_ / "data"));
}

TEST_F(LoaderTest, StagingRequirements) {
    StrongStaging();
    Settings s = LoadOk();
    EXPECT_EQ(s.env, Environment::kStaging);
    EXPECT_EQ(s.jwt_secret, kStrongSecret);
    EXPECT_EQ(s.database_url, "postgresql://netra:Very-Strong-Pass-1@db.internal:5432/netra?sslmode=require");
    EXPECT_FALSE(fs::exists(dir_ / "data" / "jwt_secret")) << "staging never generates a secret";

    env_.erase("JWT_SECRET");
    EXPECT_TRUE(Contains(LoadError(), "JWT_SECRET"));
    env_["JWT_SECRET"] = "too-short";
    std::string msg = LoadError();
    EXPECT_TRUE(Contains(msg, "JWT_SECRET")) << msg;
    EXPECT_TRUE(Contains(msg, "32")) << msg;
    EXPECT_FALSE(Contains(msg, "too-short")) << "secrets are never echoed";
    env_["JWT_SECRET"] = kStrongSecret;

    env_["POSTGRES_PASSWORD"] = "postgres";
    EXPECT_TRUE(Contains(LoadError(), "POSTGRES_PASSWORD"));
    env_["POSTGRES_PASSWORD"] = "Very-Strong-Pass-1";

    env_["POSTGRES_HOST"] = "localhost";
    EXPECT_TRUE(Contains(LoadError(), "NETRA_ALLOW_LOCALHOST_DB"));
    env_["NETRA_ALLOW_LOCALHOST_DB"] = "1";
    EXPECT_TRUE(LoadSettings({}, Env()).ok());

    env_.erase("POSTGRES_HOST");
    EXPECT_TRUE(Contains(LoadError(), "POSTGRES_HOST"));
    env_["DATABASE_URL"] = "postgresql://netra:x@db/netra";
    EXPECT_TRUE(LoadSettings({}, Env()).ok());

    env_["NETRA_E2E_BYPASS_KEY"] = "short";
    EXPECT_TRUE(Contains(LoadError(), "NETRA_E2E_BYPASS_KEY"));
    env_["NETRA_E2E_BYPASS_KEY"] = "a-long-enough-bypass-key";
    EXPECT_TRUE(LoadSettings({}, Env()).ok());
}

TEST_F(LoaderTest, ProductionSecretFromFileCounts) {
    StrongStaging();
    env_["NETRA_ENV"] = "production";
    env_.erase("JWT_SECRET");
    CliOverrides flags;
    flags.config_path = WriteFile("prod.toml", std::string("jwt_secret = \"") + kStrongSecret + "\"\n");
    EXPECT_EQ(LoadOk(flags).jwt_secret, kStrongSecret);
}

TEST_F(LoaderTest, PortZeroMeansAnyFreePort) {
    CliOverrides flags;
    flags.port = 0;
    EXPECT_EQ(LoadOk(flags).port, 0);
}

// Redis connects instances that share one PostgreSQL: with the SQLite default it would be accepted and never used.
TEST_F(LoaderTest, RedisNeedsPostgres) {
    env_["REDIS_URL"] = "redis://cache:6379";
    std::string error = LoadError();
    EXPECT_TRUE(Contains(error, "REDIS_URL")) << error;
    EXPECT_TRUE(Contains(error, "SQLite")) << error;
    EXPECT_TRUE(Contains(error, "PostgreSQL")) << error;
    env_["DATABASE_URL"] = "postgresql://netra:pw@db/netra";
    EXPECT_EQ(LoadOk().redis_url, "redis://cache:6379");
}

TEST_F(LoaderTest, DescribeSettingsMasksSecrets) {
    env_["DATABASE_URL"] = "postgresql://netra:db-pass-123@db/netra";
    env_["REDIS_URL"] = "redis://:redis-pass-456@cache:6379/0";
    env_["JWT_SECRET"] = "jwt-secret-789";
    env_["NETRA_E2E_BYPASS_KEY"] = "bypass-key-000";
    env_["NETRA_LLM_PROVIDER"] = "openai";
    env_["OPENAI_BASE_URL"] = "https://api.example.com/v1";
    env_["OPENAI_API_KEY"] = "sk-api-key-111";
    std::string line = DescribeSettings(LoadOk());
    for (const char* secret : {"db-pass-123", "redis-pass-456", "jwt-secret-789", "bypass-key-000", "sk-api-key-111"}) {
        EXPECT_FALSE(Contains(line, secret)) << secret << " leaked: " << line;
    }
    EXPECT_TRUE(Contains(line, "postgresql://netra:***@db/netra")) << line;
    EXPECT_TRUE(Contains(line, "redis://:***@cache:6379/0")) << line;
    EXPECT_TRUE(Contains(line, "env=development")) << line;
    EXPECT_TRUE(Contains(line, "e2e_bypass=on")) << line;
    EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace netra::config

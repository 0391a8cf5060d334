#include "config/loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <vector>

#include "config/database_url.hpp"
#include "core/ids.hpp"

namespace netra::config {
namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using core::MakeError;

constexpr std::size_t kMinJwtSecretBytes = 32;
constexpr std::size_t kGeneratedJwtSecretBytes = 32;
constexpr std::size_t kMinStrictBypassKeyBytes = 16;
constexpr std::string_view kJwtSecretFile = "jwt_secret";
constexpr int kMaxIoThreads = 256;
constexpr int kMaxWorkerThreads = 1024;
constexpr int kMaxLlmRetries = 10;  // more only delays the fallback: the breaker exists for longer outages
// Longer windows weaken refresh-token theft detection for no client's benefit (Okta and Cognito also stop at 60 s).
constexpr int kMaxRefreshReuseGraceS = 60;
constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

enum class Kind { kString, kInt, kBool, kList };

// One setting as it is spelled in the environment and in the TOML file. The environment name doubles as the
// setting's identity inside the loader.
struct SettingDef {
    std::string_view env;
    std::string_view table;  // "" = top level, else "limits" / "timeouts"
    std::string_view key;
    Kind kind;
};

constexpr std::array kSettings = {
    SettingDef{"NETRA_ENV", "", "env", Kind::kString},
    SettingDef{"NETRA_HOST", "", "host", Kind::kString},
    SettingDef{"NETRA_PORT", "", "port", Kind::kInt},
    SettingDef{"NETRA_DATA_DIR", "", "data_dir", Kind::kString},
    SettingDef{"DATABASE_URL", "", "database_url", Kind::kString},
    SettingDef{"POSTGRES_HOST", "", "postgres_host", Kind::kString},
    SettingDef{"POSTGRES_PORT", "", "postgres_port", Kind::kInt},
    SettingDef{"POSTGRES_USER", "", "postgres_user", Kind::kString},
    SettingDef{"POSTGRES_PASSWORD", "", "postgres_password", Kind::kString},
    SettingDef{"POSTGRES_DB", "", "postgres_db", Kind::kString},
    SettingDef{"NETRA_ALLOW_LOCALHOST_DB", "", "allow_localhost_db", Kind::kBool},
    SettingDef{"REDIS_URL", "", "redis_url", Kind::kString},
    SettingDef{"JWT_SECRET", "", "jwt_secret", Kind::kString},
    SettingDef{"JWT_ISSUER", "", "jwt_issuer", Kind::kString},
    SettingDef{"NETRA_ACCESS_TOKEN_TTL_S", "", "access_token_ttl_s", Kind::kInt},
    SettingDef{"NETRA_REFRESH_TOKEN_TTL_S", "", "refresh_token_ttl_s", Kind::kInt},
    SettingDef{"NETRA_REFRESH_REUSE_GRACE_S", "", "refresh_reuse_grace_s", Kind::kInt},
    SettingDef{"NETRA_LLM_PROVIDER", "", "llm_provider", Kind::kString},
    SettingDef{"OPENAI_BASE_URL", "", "openai_base_url", Kind::kString},
    SettingDef{"OPENAI_API_KEY", "", "openai_api_key", Kind::kString},
    SettingDef{"NETRA_LLM_MODEL", "", "llm_model", Kind::kString},
    SettingDef{"NETRA_LLM_BREAKER_FAILURES", "", "llm_breaker_failures", Kind::kInt},
    SettingDef{"NETRA_LLM_BREAKER_OPEN_MS", "", "llm_breaker_open_ms", Kind::kInt},
    SettingDef{"NETRA_LLM_MAX_RETRIES", "", "llm_max_retries", Kind::kInt},
    SettingDef{"NETRA_LLM_BACKOFF_BASE_MS", "", "llm_backoff_base_ms", Kind::kInt},
    SettingDef{"NETRA_LLM_BACKOFF_MAX_MS", "", "llm_backoff_max_ms", Kind::kInt},
    SettingDef{"NETRA_E2E_BYPASS_KEY", "", "e2e_bypass_key", Kind::kString},
    SettingDef{"NETRA_FAULT_INJECTION", "", "fault_injection", Kind::kBool},
    SettingDef{"NETRA_MCP_CONFORMANCE_FIXTURES", "", "mcp_conformance_fixtures", Kind::kBool},
    SettingDef{"NETRA_LOG_FORMAT", "", "log_format", Kind::kString},
    SettingDef{"NETRA_LOG_LEVEL", "", "log_level", Kind::kString},
    SettingDef{"NETRA_ALLOWED_ORIGINS", "", "allowed_origins", Kind::kList},
    SettingDef{"NETRA_IO_THREADS", "", "io_threads", Kind::kInt},
    SettingDef{"NETRA_WORKER_THREADS", "", "worker_threads", Kind::kInt},
    SettingDef{"NETRA_RUN_THREADS", "", "run_threads", Kind::kInt},
    SettingDef{"NETRA_COMPUTE_THREADS", "", "compute_threads", Kind::kInt},
    SettingDef{"NETRA_CATALOG", "", "catalog", Kind::kString},
    SettingDef{"NETRA_MAX_HEADER_BYTES", "limits", "max_header_bytes", Kind::kInt},
    SettingDef{"NETRA_MAX_BODY_BYTES", "limits", "max_body_bytes", Kind::kInt},
    SettingDef{"NETRA_MAX_UPLOAD_BYTES", "limits", "max_upload_bytes", Kind::kInt},
    SettingDef{"NETRA_MAX_JSON_DEPTH", "limits", "max_json_depth", Kind::kInt},
    SettingDef{"NETRA_MAX_MESSAGE_BYTES", "limits", "max_message_bytes", Kind::kInt},
    SettingDef{"NETRA_MAX_WS_FRAME_BYTES", "limits", "max_ws_frame_bytes", Kind::kInt},
    SettingDef{"NETRA_WS_OUTBOUND_QUEUE_MESSAGES", "limits", "ws_outbound_queue_messages", Kind::kInt},
    SettingDef{"NETRA_WS_CONNECTIONS_PER_USER", "limits", "ws_connections_per_user", Kind::kInt},
    SettingDef{"NETRA_WS_FRAMES_PER_SECOND", "limits", "ws_frames_per_second", Kind::kInt},
    SettingDef{"NETRA_MESSAGES_PER_MINUTE", "limits", "messages_per_minute", Kind::kInt},
    SettingDef{"NETRA_RUNS_PER_MINUTE", "limits", "runs_per_minute", Kind::kInt},
    SettingDef{"NETRA_UPLOADS_PER_MINUTE", "limits", "uploads_per_minute", Kind::kInt},
    SettingDef{"NETRA_LOGIN_ATTEMPTS_PER_MINUTE", "limits", "login_attempts_per_minute", Kind::kInt},
    SettingDef{"NETRA_MAX_CONCURRENT_RUNS_PER_USER", "limits", "max_concurrent_runs_per_user", Kind::kInt},
    SettingDef{"NETRA_RUNS_PER_INSTANCE", "limits", "runs_per_instance", Kind::kInt},
    SettingDef{"NETRA_AGENT_STEP_TIMEOUT_MS", "timeouts", "agent_step_ms", Kind::kInt},
    SettingDef{"NETRA_RUN_TIMEOUT_MS", "timeouts", "run_ms", Kind::kInt},
    SettingDef{"NETRA_HTTP_READ_TIMEOUT_MS", "timeouts", "http_read_ms", Kind::kInt},
    SettingDef{"NETRA_WS_PING_INTERVAL_MS", "timeouts", "ws_ping_interval_ms", Kind::kInt},
    SettingDef{"NETRA_WS_HANDSHAKE_TIMEOUT_MS", "timeouts", "ws_handshake_ms", Kind::kInt},
    SettingDef{"NETRA_WS_CLOSE_GRACE_MS", "timeouts", "ws_close_grace_ms", Kind::kInt},
    SettingDef{"NETRA_WS_MESSAGE_TIMEOUT_MS", "timeouts", "ws_message_ms", Kind::kInt},
    SettingDef{"NETRA_SHUTDOWN_DRAIN_MS", "timeouts", "shutdown_drain_ms", Kind::kInt},
    SettingDef{"NETRA_DB_STARTUP_TIMEOUT_MS", "timeouts", "database_startup_ms", Kind::kInt},
    SettingDef{"NETRA_RUN_LEASE_MS", "timeouts", "run_lease_ms", Kind::kInt},
    SettingDef{"NETRA_RUN_LEASE_RENEW_MS", "timeouts", "run_lease_renew_ms", Kind::kInt},
    SettingDef{"NETRA_RUN_LEASE_CHECK_MS", "timeouts", "run_lease_check_ms", Kind::kInt},
    SettingDef{"NETRA_RUN_MAX_ATTEMPTS", "limits", "run_max_attempts", Kind::kInt},
};

std::string Lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string Trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return std::string(text);
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// A raw value and where it came from, so an error names the exact flag, variable or file key.
struct Raw {
    std::string text;
    std::string origin;
};

// Collects raw values layer by layer (file, then environment, then flags: later layers win) and converts them
// to typed values, gathering every error so one start-up attempt reports all of them.
class Resolver {
  public:
    void Set(std::string_view id, std::string text, std::string origin) {
        raw_[std::string(id)] = Raw{std::move(text), std::move(origin)};
    }
    void Fail(std::string message) { errors_.push_back(std::move(message)); }
    const std::vector<std::string>& errors() const { return errors_; }

    const Raw* Find(std::string_view id) const {
        auto it = raw_.find(std::string(id));
        return it == raw_.end() ? nullptr : &it->second;
    }
    std::optional<std::string> Text(std::string_view id) const {
        const Raw* raw = Find(id);
        return raw ? std::optional<std::string>(raw->text) : std::nullopt;
    }
    // Overwrites `out` when set; a blank string is an error (the setting must have a value).
    void String(std::string_view id, std::string& out) {
        const Raw* raw = Find(id);
        if (!raw) return;
        std::string value = Trim(raw->text);
        if (value.empty()) {
            Fail(raw->origin + " must not be empty");
            return;
        }
        out = value;
    }
    // Secrets are kept verbatim: surrounding blanks might be part of them.
    void Secret(std::string_view id, std::string& out) {
        if (const Raw* raw = Find(id)) out = raw->text;
    }
    std::optional<std::int64_t> Int(std::string_view id, std::int64_t min, std::int64_t max) {
        const Raw* raw = Find(id);
        if (!raw) return std::nullopt;
        std::string value = Trim(raw->text);
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (value.empty() || ec != std::errc{} || end != value.data() + value.size() || n < min || n > max) {
            Fail(raw->origin + " must be an integer from " + std::to_string(min) + " to " + std::to_string(max) +
                 ", got '" + raw->text + "'");
            return std::nullopt;
        }
        return n;
    }
    template <class T>
    void IntInto(std::string_view id, T& out, std::int64_t min, std::int64_t max) {
        if (auto n = Int(id, min, max)) out = static_cast<T>(*n);
    }
    template <class Duration>
    void DurationInto(std::string_view id, Duration& out) {
        if (auto n = Int(id, 1, kInt64Max / 1000)) out = Duration(*n);
    }
    void Bool(std::string_view id, bool& out) {
        const Raw* raw = Find(id);
        if (!raw) return;
        std::string value = Lower(Trim(raw->text));
        if (value == "1" || value == "true" || value == "yes" || value == "on") {
            out = true;
        } else if (value == "0" || value == "false" || value == "no" || value == "off") {
            out = false;
        } else {
            Fail(raw->origin + " must be 1/true/yes/on or 0/false/no/off, got '" + raw->text + "'");
        }
    }

  private:
    std::map<std::string, Raw> raw_;
    std::vector<std::string> errors_;
};

const SettingDef* FindDef(std::string_view table, std::string_view key) {
    for (const SettingDef& def : kSettings) {
        if (def.table == table && def.key == key) return &def;
    }
    return nullptr;
}

// Converts one TOML value to the raw text of its setting, checking the TOML type against the setting's kind.
void AddTomlValue(Resolver& resolver, const SettingDef& def, const toml::node& node, const std::string& origin) {
    switch (def.kind) {
        case Kind::kString:
            if (const toml::value<std::string>* text = node.as_string()) {
                resolver.Set(def.env, text->get(), origin);
                return;
            }
            resolver.Fail(origin + " must be a string");
            return;
        case Kind::kInt:
            if (node.is_integer()) {
                resolver.Set(def.env, std::to_string(node.as_integer()->get()), origin);
                return;
            }
            resolver.Fail(origin + " must be an integer");
            return;
        case Kind::kBool:
            if (node.is_boolean()) {
                resolver.Set(def.env, node.as_boolean()->get() ? "true" : "false", origin);
                return;
            }
            resolver.Fail(origin + " must be true or false");
            return;
        case Kind::kList:
            if (node.is_string()) {
                resolver.Set(def.env, node.as_string()->get(), origin);
                return;
            }
            if (const toml::array* array = node.as_array()) {
                std::string joined;
                for (const toml::node& item : *array) {
                    if (!item.is_string()) {
                        resolver.Fail(origin + " must be a list of strings");
                        return;
                    }
                    if (!joined.empty()) joined += ",";
                    joined += item.as_string()->get();
                }
                resolver.Set(def.env, joined, origin);
                return;
            }
            resolver.Fail(origin + " must be a list of strings");
            return;
    }
}

core::Status LoadTomlFile(const std::string& path, const std::string& named_by, Resolver& resolver) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
        return MakeError(ErrorCode::kInvalidRequest,
                         "config file '" + path + "' (from " + named_by + ") does not exist or is not a file");
    }
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        std::ostringstream msg;
        msg << "config file '" << path << "' is not valid TOML: " << e.description() << " (line "
            << e.source().begin.line << ", column " << e.source().begin.column << ")";
        return MakeError(ErrorCode::kInvalidRequest, msg.str());
    }
    auto origin = [&](std::string_view table, std::string_view key) {
        std::string name = table.empty() ? std::string(key) : std::string(table) + "." + std::string(key);
        return "setting '" + name + "' in " + path;
    };
    for (const auto& [key, node] : root) {
        std::string_view k = key.str();
        if ((k == "limits" || k == "timeouts") && node.is_table()) {
            for (const auto& [inner_key, inner] : *node.as_table()) {
                const SettingDef* def = FindDef(k, inner_key.str());
                if (!def) {
                    resolver.Fail("unknown " + origin(k, inner_key.str()));
                    continue;
                }
                AddTomlValue(resolver, *def, inner, origin(k, inner_key.str()));
            }
            continue;
        }
        const SettingDef* def = FindDef("", k);
        if (!def) {
            resolver.Fail("unknown " + origin("", k));
            continue;
        }
        AddTomlValue(resolver, *def, node, origin("", k));
    }
    return core::Ok();
}

std::vector<std::string> SplitList(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string item = Trim(text.substr(start, comma - start));
        if (!item.empty()) out.push_back(std::move(item));
        start = comma + 1;
    }
    return out;
}

core::Result<std::string> ReadSecretFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return MakeError(ErrorCode::kInvalidRequest, "cannot read " + path.string());
    std::ostringstream content;
    content << in.rdbuf();
    return Trim(content.str());
}

// Development/test: a secret persisted in the data dir, so tokens stay valid across restarts. Written to a
// private temporary file and hard-linked into place, so the file is never seen half-written and two processes
// starting at once agree on one secret (the loser of link() reads the winner's).
core::Result<std::string> LoadOrCreateDevJwtSecret(const std::string& data_dir) {
    fs::path dir(data_dir);
    fs::path path = dir / kJwtSecretFile;
    std::error_code ec;
    // A data directory Netra creates is its owner's only (it holds the secret and the database); one that exists
    // keeps the permissions its operator gave it.
    if (fs::create_directories(dir, ec) && !ec) fs::permissions(dir, fs::perms::owner_all, ec);
    if (ec) {
        return MakeError(ErrorCode::kInvalidRequest,
                         "NETRA_DATA_DIR '" + data_dir + "' cannot be created: " + ec.message());
    }
    if (fs::exists(path, ec)) {
        auto existing = ReadSecretFile(path);
        if (!existing) return existing.error();
        if (!existing->empty()) return existing;
        fs::remove(path, ec);  // an empty file holds no secret: replace it
    }
    std::string secret = core::RandomHex(kGeneratedJwtSecretBytes);
    fs::path tmp = dir / (std::string(kJwtSecretFile) + ".tmp." + core::RandomHex(8));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return MakeError(ErrorCode::kInvalidRequest, "cannot write " + tmp.string() + ": " + std::strerror(errno));
    }
    std::string content = secret + "\n";
    bool written = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    written = ::fsync(fd) == 0 && written;
    ::close(fd);
    if (!written) {
        fs::remove(tmp, ec);
        return MakeError(ErrorCode::kInvalidRequest, "cannot write " + tmp.string());
    }
    int linked = ::link(tmp.c_str(), path.c_str());
    int link_errno = errno;
    fs::remove(tmp, ec);
    if (linked != 0) {
        if (link_errno == EEXIST) {
            auto winner = ReadSecretFile(path);
            if (winner && !winner->empty()) return winner;
        }
        return MakeError(ErrorCode::kInvalidRequest,
                         "cannot create " + path.string() + ": " + std::strerror(link_errno));
    }
    return secret;
}

// Masks the password of any scheme://user:pass@host URL (Redis, an OpenAI-compatible proxy).
std::string MaskUrlCredentials(const std::string& url) {
    std::size_t scheme = url.find("://");
    if (scheme == std::string::npos) return url;
    std::size_t authority = scheme + 3;
    std::size_t end = url.find_first_of("?#", authority);
    if (end == std::string::npos) end = url.size();
    std::size_t at = url.rfind('@', end == 0 ? 0 : end - 1);
    if (at == std::string::npos || at < authority) return url;
    std::size_t colon = url.find(':', authority);
    if (colon == std::string::npos || colon > at) return url;
    std::string out = url;
    out.replace(colon + 1, at - colon - 1, "***");
    return out;
}

}  // namespace

GetenvFn ProcessEnvironment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): start-up, one thread
        return value ? std::optional<std::string>(value) : std::nullopt;
    };
}

core::Result<Settings> LoadSettings(const CliOverrides& flags, const GetenvFn& getenv_fn) {
    auto env_value = [&](std::string_view name) -> std::optional<std::string> {
        auto value = getenv_fn(std::string(name));
        if (!value || Trim(*value).empty()) return std::nullopt;  // empty = unset
        return value;
    };

    Settings settings;
    Resolver r;

    // Layer 1: the TOML file.
    std::optional<std::string> config_path = flags.config_path;
    std::string config_named_by = "--config";
    if (!config_path || Trim(*config_path).empty()) {
        config_path = env_value("NETRA_CONFIG");
        config_named_by = "NETRA_CONFIG";
    }
    if (config_path) {
        if (auto st = LoadTomlFile(*config_path, config_named_by, r); !st) return st.error();
        settings.config_file = *config_path;
    }
    // Layer 2: the environment.
    for (const SettingDef& def : kSettings) {
        if (auto value = env_value(def.env)) r.Set(def.env, *value, std::string(def.env));
    }
    // Layer 3: flags.
    if (flags.host) r.Set("NETRA_HOST", *flags.host, "--host");
    if (flags.port) r.Set("NETRA_PORT", std::to_string(*flags.port), "--port");
    if (flags.db) r.Set("DATABASE_URL", *flags.db, "--db");
    if (flags.data_dir) r.Set("NETRA_DATA_DIR", *flags.data_dir, "--data-dir");
    if (flags.log_format) r.Set("NETRA_LOG_FORMAT", *flags.log_format, "--log-format");
    if (flags.catalog) r.Set("NETRA_CATALOG", *flags.catalog, "--catalog");

    if (const Raw* raw = r.Find("NETRA_ENV")) {
        auto env = ParseEnvironment(Trim(raw->text));
        if (env) {
            settings.env = *env;
        } else {
            r.Fail(raw->origin + ": " + env.error().message);
        }
    }
    const bool strict = IsStrictEnvironment(settings.env);
    const std::string env_name = EnvironmentName(settings.env);

    r.String("NETRA_HOST", settings.host);
    // 0 asks the OS for a free port (integration tests); the server logs the one it got.
    r.IntInto("NETRA_PORT", settings.port, 0, 65535);
    r.String("NETRA_DATA_DIR", settings.data_dir);
    r.String("REDIS_URL", settings.redis_url);
    r.Secret("JWT_SECRET", settings.jwt_secret);
    r.String("JWT_ISSUER", settings.jwt_issuer);
    r.DurationInto("NETRA_ACCESS_TOKEN_TTL_S", settings.access_token_ttl);
    r.DurationInto("NETRA_REFRESH_TOKEN_TTL_S", settings.refresh_token_ttl);
    r.IntInto("NETRA_REFRESH_REUSE_GRACE_S", settings.refresh_reuse_grace, 0, kMaxRefreshReuseGraceS);
    r.String("NETRA_LLM_PROVIDER", settings.llm_provider);
    r.String("OPENAI_BASE_URL", settings.openai_base_url);
    r.Secret("OPENAI_API_KEY", settings.openai_api_key);
    r.String("NETRA_LLM_MODEL", settings.llm_model);
    r.IntInto("NETRA_LLM_BREAKER_FAILURES", settings.llm_breaker_failures, 1, kIntMax);
    r.DurationInto("NETRA_LLM_BREAKER_OPEN_MS", settings.llm_breaker_open);
    r.IntInto("NETRA_LLM_MAX_RETRIES", settings.llm_max_retries, 0, kMaxLlmRetries);
    r.DurationInto("NETRA_LLM_BACKOFF_BASE_MS", settings.llm_backoff_base);
    r.DurationInto("NETRA_LLM_BACKOFF_MAX_MS", settings.llm_backoff_max);
    r.Secret("NETRA_E2E_BYPASS_KEY", settings.e2e_bypass_key);
    r.Bool("NETRA_FAULT_INJECTION", settings.fault_injection);
    r.Bool("NETRA_MCP_CONFORMANCE_FIXTURES", settings.mcp_conformance_fixtures);
    if (auto text = r.Text("NETRA_LOG_FORMAT")) settings.log_format = Lower(Trim(*text));
    if (auto text = r.Text("NETRA_LOG_LEVEL")) settings.log_level = Lower(Trim(*text));
    if (auto text = r.Text("NETRA_ALLOWED_ORIGINS")) settings.allowed_origins = SplitList(*text);
    r.IntInto("NETRA_IO_THREADS", settings.io_threads, 1, kMaxIoThreads);
    r.IntInto("NETRA_WORKER_THREADS", settings.worker_threads, 1, kMaxWorkerThreads);
    r.IntInto("NETRA_RUN_THREADS", settings.run_threads, 1, kMaxWorkerThreads);
    r.IntInto("NETRA_COMPUTE_THREADS", settings.compute_threads, 1, kMaxWorkerThreads);
    r.String("NETRA_CATALOG", settings.catalog_path);

    Limits& l = settings.limits;
    r.IntInto("NETRA_MAX_HEADER_BYTES", l.max_header_bytes, 1024, kInt64Max);
    r.IntInto("NETRA_MAX_BODY_BYTES", l.max_body_bytes, 1, kInt64Max);
    r.IntInto("NETRA_MAX_UPLOAD_BYTES", l.max_upload_bytes, 1, kInt64Max);
    r.IntInto("NETRA_MAX_JSON_DEPTH", l.max_json_depth, 1, kIntMax);
    r.IntInto("NETRA_MAX_MESSAGE_BYTES", l.max_message_bytes, 1, kInt64Max);
    r.IntInto("NETRA_MAX_WS_FRAME_BYTES", l.max_ws_frame_bytes, 1, kInt64Max);
    r.IntInto("NETRA_WS_OUTBOUND_QUEUE_MESSAGES", l.ws_outbound_queue_messages, 1, kInt64Max);
    r.IntInto("NETRA_WS_CONNECTIONS_PER_USER", l.ws_connections_per_user, 1, kIntMax);
    r.IntInto("NETRA_WS_FRAMES_PER_SECOND", l.ws_frames_per_second, 1, kIntMax);
    r.IntInto("NETRA_MESSAGES_PER_MINUTE", l.messages_per_minute, 1, kIntMax);
    r.IntInto("NETRA_RUNS_PER_MINUTE", l.runs_per_minute, 1, kIntMax);
    r.IntInto("NETRA_UPLOADS_PER_MINUTE", l.uploads_per_minute, 1, kIntMax);
    r.IntInto("NETRA_RUN_MAX_ATTEMPTS", l.run_max_attempts, 1, 100);
    r.IntInto("NETRA_LOGIN_ATTEMPTS_PER_MINUTE", l.login_attempts_per_minute, 1, kIntMax);
    r.IntInto("NETRA_MAX_CONCURRENT_RUNS_PER_USER", l.max_concurrent_runs_per_user, 1, kIntMax);
    r.IntInto("NETRA_RUNS_PER_INSTANCE", l.runs_per_instance, 1, kIntMax);

    Timeouts& t = settings.timeouts;
    r.DurationInto("NETRA_AGENT_STEP_TIMEOUT_MS", t.agent_step);
    r.DurationInto("NETRA_RUN_TIMEOUT_MS", t.run);
    r.DurationInto("NETRA_HTTP_READ_TIMEOUT_MS", t.http_read);
    r.DurationInto("NETRA_WS_PING_INTERVAL_MS", t.ws_ping_interval);
    r.DurationInto("NETRA_WS_HANDSHAKE_TIMEOUT_MS", t.ws_handshake);
    r.DurationInto("NETRA_WS_CLOSE_GRACE_MS", t.ws_close_grace);
    r.DurationInto("NETRA_WS_MESSAGE_TIMEOUT_MS", t.ws_message);
    r.DurationInto("NETRA_SHUTDOWN_DRAIN_MS", t.shutdown_drain);
    r.DurationInto("NETRA_DB_STARTUP_TIMEOUT_MS", t.database_startup);
    r.DurationInto("NETRA_RUN_LEASE_MS", t.run_lease);
    r.DurationInto("NETRA_RUN_LEASE_RENEW_MS", t.run_lease_renew);
    r.DurationInto("NETRA_RUN_LEASE_CHECK_MS", t.run_lease_check);

    // Cross-field rules, each naming the setting (by where it was set when it was).
    auto origin_of = [&](std::string_view id) {
        const Raw* raw = r.Find(id);
        return raw ? raw->origin : std::string(id);
    };
    if (t.run_lease_renew >= t.run_lease) {
        r.Fail(origin_of("NETRA_RUN_LEASE_RENEW_MS") + " must be shorter than NETRA_RUN_LEASE_MS (" +
               std::to_string(t.run_lease.count()) + " ms): a lease renewed no faster than it expires is lost");
    }
    settings.llm_provider = Lower(settings.llm_provider);
    if (settings.llm_provider != "builtin" && settings.llm_provider != "openai") {
        r.Fail(origin_of("NETRA_LLM_PROVIDER") + " must be builtin or openai, got '" + settings.llm_provider + "'");
    } else if (settings.llm_provider == "openai") {
        if (settings.openai_base_url.empty()) {
            r.Fail("OPENAI_BASE_URL is required when NETRA_LLM_PROVIDER is openai");
        }
    }
    if (!settings.openai_base_url.empty() && !StartsWith(Lower(settings.openai_base_url), "http://") &&
        !StartsWith(Lower(settings.openai_base_url), "https://")) {
        r.Fail(origin_of("OPENAI_BASE_URL") + " must be an http:// or https:// URL");
    }
    if (!settings.redis_url.empty() && !StartsWith(Lower(settings.redis_url), "redis://")) {
        r.Fail(origin_of("REDIS_URL") + " must be a redis://[:password@]host[:port][/db] URL" +
               (StartsWith(Lower(settings.redis_url), "rediss://")
                    ? " (TLS to Redis, rediss://, is not supported: keep Redis on the private network)"
                    : ""));
    }
    if (settings.log_format == "auto") settings.log_format.clear();
    if (!settings.log_format.empty() && settings.log_format != "text" && settings.log_format != "json") {
        r.Fail(origin_of("NETRA_LOG_FORMAT") + " must be text or json, got '" + settings.log_format + "'");
    }
    if (settings.log_level == "warning") settings.log_level = "warn";
    static constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug",    "info", "warn",
                                                                "error", "critical", "off"};
    if (std::find(kLevels.begin(), kLevels.end(), settings.log_level) == kLevels.end()) {
        r.Fail(origin_of("NETRA_LOG_LEVEL") + " must be one of trace, debug, info, warn, error, critical, off, got '" +
               settings.log_level + "'");
    }
    if (settings.fault_injection && settings.env == Environment::kProduction) {
        r.Fail(origin_of("NETRA_FAULT_INJECTION") + " is refused in production");
    }
    if (settings.mcp_conformance_fixtures && settings.env == Environment::kProduction) {
        r.Fail(origin_of("NETRA_MCP_CONFORMANCE_FIXTURES") + " is refused in production");
    }
    if (strict) {
        // The bypass key mints tokens for any user: a guessable one on a shared deployment is an open door.
        if (!settings.e2e_bypass_key.empty() && settings.e2e_bypass_key.size() < kMinStrictBypassKeyBytes) {
            r.Fail(origin_of("NETRA_E2E_BYPASS_KEY") + " must be at least " + std::to_string(kMinStrictBypassKeyBytes) +
                   " bytes in " + env_name);
        }
        if (settings.jwt_secret.empty()) {
            r.Fail("JWT_SECRET is required in " + env_name + " (at least " + std::to_string(kMinJwtSecretBytes) +
                   " bytes)");
        } else if (settings.jwt_secret.size() < kMinJwtSecretBytes) {
            r.Fail(origin_of("JWT_SECRET") + " must be at least " + std::to_string(kMinJwtSecretBytes) + " bytes in " +
                   env_name + " (got " + std::to_string(settings.jwt_secret.size()) + ")");
        }
    }

    DatabaseEnv db;
    db.database_url = r.Text("DATABASE_URL");
    db.postgres_host = r.Text("POSTGRES_HOST");
    db.postgres_port = r.Text("POSTGRES_PORT");
    db.postgres_user = r.Text("POSTGRES_USER");
    db.postgres_password = r.Text("POSTGRES_PASSWORD");
    db.postgres_db = r.Text("POSTGRES_DB");
    db.allow_localhost_db = r.Text("NETRA_ALLOW_LOCALHOST_DB");
    if (auto url = BuildDatabaseUrl(db, settings.env, settings.data_dir)) {
        settings.database_url = *url;
    } else {
        std::string message = url.error().message;
        // The builder names DATABASE_URL; say so when it really came from --db or the file.
        if (const Raw* raw = r.Find("DATABASE_URL"); raw && raw->origin != "DATABASE_URL") {
            message += " (set by " + raw->origin + ")";
        }
        r.Fail(message);
    }
    // Redis carries live events between instances that share one PostgreSQL (§12); an SQLite file has one
    // instance, so a Redis there would be accepted and never used.
    if (!settings.redis_url.empty() && StartsWith(Lower(settings.database_url), "sqlite")) {
        r.Fail(origin_of("REDIS_URL") +
               " is set but the database is SQLite: Redis connects instances that share one PostgreSQL (set "
               "DATABASE_URL=postgresql://…), and SQLite runs one instance — unset REDIS_URL");
    }

    if (!r.errors().empty()) {
        std::string message = "invalid configuration: ";
        for (std::size_t i = 0; i < r.errors().size(); ++i) {
            if (i > 0) message += "; ";
            message += r.errors()[i];
        }
        return MakeError(ErrorCode::kInvalidRequest, message);
    }

    // Only now, with everything valid, touch the disk.
    if (settings.jwt_secret.empty()) {
        auto secret = LoadOrCreateDevJwtSecret(settings.data_dir);
        if (!secret) return MakeError(ErrorCode::kInvalidRequest, "invalid configuration: " + secret.error().message);
        settings.jwt_secret = *secret;
    }
    return settings;
}

std::string DescribeSettings(const Settings& s) {
    auto set_or_not = [](const std::string& value) { return value.empty() ? "unset" : "set"; };
    std::ostringstream out;
    out << "env=" << EnvironmentName(s.env) << " listen=" << s.host << ":" << s.port << " data_dir=" << s.data_dir
        << " db=" << MaskDatabaseUrl(s.database_url)
        << " redis=" << (s.redis_url.empty() ? std::string("off") : MaskUrlCredentials(s.redis_url))
        << " llm=" << s.llm_provider;
    if (s.llm_provider == "openai") {
        out << " openai_base_url=" << MaskUrlCredentials(s.openai_base_url)
            << " model=" << (s.llm_model.empty() ? std::string("default") : s.llm_model)
            << " openai_api_key=" << set_or_not(s.openai_api_key);
    }
    out << " jwt_issuer=" << s.jwt_issuer << " jwt_secret=" << set_or_not(s.jwt_secret)
        << " access_ttl_s=" << s.access_token_ttl.count() << " refresh_ttl_s=" << s.refresh_token_ttl.count()
        << " refresh_reuse_grace_s=" << s.refresh_reuse_grace.count()
        << " e2e_bypass=" << (s.e2e_bypass_key.empty() ? "off" : "on")
        << " fault_injection=" << (s.fault_injection ? "on" : "off")
        << " mcp_conformance_fixtures=" << (s.mcp_conformance_fixtures ? "on" : "off")
        << " log_format=" << (s.log_format.empty() ? std::string("auto") : s.log_format) << " log_level=" << s.log_level
        << " origins=";
    if (s.allowed_origins.empty()) {
        out << "any";
    } else {
        for (std::size_t i = 0; i < s.allowed_origins.size(); ++i) out << (i ? "," : "") << s.allowed_origins[i];
    }
    out << " io_threads=" << s.io_threads << " worker_threads=" << s.worker_threads << " run_threads=" << s.run_threads
        << " compute_threads=" << s.compute_threads
        << " catalog=" << (s.catalog_path.empty() ? std::string("bundled") : s.catalog_path)
        << " config=" << (s.config_file.empty() ? std::string("none") : s.config_file)
        << " max_concurrent_runs_per_user=" << s.limits.max_concurrent_runs_per_user
        << " runs_per_instance=" << s.limits.runs_per_instance << " run_timeout_ms=" << s.timeouts.run.count()
        << " shutdown_drain_ms=" << s.timeouts.shutdown_drain.count();
    return out.str();
}

}  // namespace netra::config

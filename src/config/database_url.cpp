#include "config/database_url.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <vector>

namespace netra::config {
namespace {

using core::ErrorCode;
using core::MakeError;

constexpr std::string_view kCloudSqlMarker = "/cloudsql/";
constexpr int kDefaultPostgresPort = 5432;
// Development defaults when only POSTGRES_HOST is given: the stock image's superuser and our database name.
constexpr std::string_view kDevDefaultUser = "postgres";
constexpr std::string_view kDevDefaultDb = "netra";

std::string Lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view Trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

// Unset and empty (or all-blank) are the same: "not configured".
std::optional<std::string> Value(const std::optional<std::string>& raw) {
    if (!raw) return std::nullopt;
    std::string_view trimmed = Trim(*raw);
    if (trimmed.empty()) return std::nullopt;
    return std::string(trimmed);
}

bool StartsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool IsPostgresUrl(std::string_view url) {
    std::string lower = Lower(url.substr(0, 16));
    return StartsWith(lower, "postgresql://") || StartsWith(lower, "postgres://");
}

bool IsLoopbackHost(std::string_view host) {
    std::string h = Lower(host);
    if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
    if (h == "localhost" || h == "::1" || h == "0:0:0:0:0:0:0:1") return true;
    if (h.size() > 10 && h.ends_with(".localhost")) return true;
    return StartsWith(h, "127.");
}

core::Result<bool> ParseFlag(const std::optional<std::string>& raw, const char* name) {
    auto v = Value(raw);
    if (!v) return false;
    std::string lower = Lower(*v);
    if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
    return MakeError(ErrorCode::kInvalidRequest,
                     std::string(name) + " must be 1/true/yes/on or 0/false/no/off, got '" + *v + "'");
}

core::Result<int> ParsePort(const std::optional<std::string>& raw) {
    auto v = Value(raw);
    if (!v) return kDefaultPostgresPort;
    int port = 0;
    auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), port);
    if (ec != std::errc{} || end != v->data() + v->size() || port < 1 || port > 65535) {
        return MakeError(ErrorCode::kInvalidRequest, "POSTGRES_PORT must be a port number 1-65535, got '" + *v + "'");
    }
    return port;
}

// userinfo: "user" or "user:password", both percent-encoded.
std::string UserInfo(const std::string& user, const std::optional<std::string>& password) {
    std::string out = PercentEncode(user);
    // Appended piecewise: `":" + std::string&&` trips GCC 12's -Wrestrict false positive at -O3.
    if (password) {
        out.push_back(':');
        out.append(PercentEncode(*password));
    }
    return out;
}

core::Status ValidateCloudSqlHost(const std::string& host) {
    std::string_view instance = std::string_view(host).substr(host.rfind(kCloudSqlMarker) + kCloudSqlMarker.size());
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t colon = instance.find(':', start);
        parts.push_back(
            instance.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    bool ok = parts.size() == 3;
    for (std::string_view part : parts) {
        if (part.empty() || part.find('/') != std::string_view::npos) ok = false;
    }
    if (!ok) {
        return MakeError(ErrorCode::kInvalidRequest, "POSTGRES_HOST '" + host +
                                                         "' is not a Cloud SQL socket directory of the form "
                                                         "/cloudsql/PROJECT:REGION:INSTANCE");
    }
    return core::Ok();
}

// Masks the value of every `password=` parameter. In a URL query the value ends at '&' or '#'; in a libpq
// keyword/value string at whitespace, or at the closing quote when the value is single-quoted.
std::string MaskPasswordParams(std::string text, bool url_query) {
    static constexpr std::string_view kKey = "password=";
    std::size_t search = 0;
    while (true) {
        std::string lower = Lower(text);
        std::size_t pos = lower.find(kKey, search);
        if (pos == std::string::npos) break;
        char before = pos == 0 ? ' ' : text[pos - 1];
        bool boundary = url_query ? (before == '?' || before == '&')
                                  : (pos == 0 || std::isspace(static_cast<unsigned char>(before)));
        std::size_t value_start = pos + kKey.size();
        if (!boundary) {
            search = value_start;
            continue;
        }
        std::size_t value_end = value_start;
        if (url_query) {
            value_end = text.find_first_of("&#", value_start);
            if (value_end == std::string::npos) value_end = text.size();
        } else if (value_start < text.size() && text[value_start] == '\'') {
            value_end = value_start + 1;
            while (value_end < text.size() && text[value_end] != '\'') {
                if (text[value_end] == '\\' && value_end + 1 < text.size()) ++value_end;
                ++value_end;
            }
            if (value_end < text.size()) ++value_end;  // include the closing quote
        } else {
            while (value_end < text.size() && !std::isspace(static_cast<unsigned char>(text[value_end]))) ++value_end;
        }
        text.replace(value_start, value_end - value_start, "***");
        search = value_start + 3;
    }
    return text;
}

}  // namespace

std::string PercentEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char ch : text) {
        auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0f]);
        }
    }
    return out;
}

bool IsWeakPassword(std::string_view password, std::string_view user) {
    // Defaults of images and tutorials, and the top of every leaked-password list.
    static constexpr std::array<std::string_view, 24> kWeak = {
        "password",         "postgres", "admin",     "root",     "123456",   "changeme",
        "secret",           "12345678", "123456789", "1234",     "12345",    "qwerty",
        "letmein",          "default",  "test",      "pass",     "passw0rd", "password1",
        "postgrespassword", "netra",    "example",   "changeit", "guest",    "toor"};
    std::string lower = Lower(password);
    for (std::string_view weak : kWeak) {
        if (lower == weak) return true;
    }
    return !user.empty() && lower == Lower(user);
}

core::Result<std::string> BuildDatabaseUrl(const DatabaseEnv& env, Environment app_env, const std::string& data_dir) {
    const bool strict = IsStrictEnvironment(app_env);

    if (auto url = Value(env.database_url)) {
        if (StartsWith(Lower(*url), "sqlite:") || IsPostgresUrl(*url)) return *url;
        return MakeError(ErrorCode::kInvalidRequest,
                         "DATABASE_URL must start with sqlite: or postgresql://, got '" + MaskDatabaseUrl(*url) + "'");
    }

    auto host = Value(env.postgres_host);
    auto user = Value(env.postgres_user);
    // The password is used verbatim (leading/trailing blanks may be intended); empty still means unset.
    std::optional<std::string> password;
    if (env.postgres_password && !env.postgres_password->empty()) password = env.postgres_password;
    auto db = Value(env.postgres_db);

    if (!host) {
        if (strict) {
            return MakeError(ErrorCode::kInvalidRequest,
                             std::string("no database configured: ") + EnvironmentName(app_env) +
                                 " requires DATABASE_URL or POSTGRES_HOST, POSTGRES_USER, POSTGRES_PASSWORD and "
                                 "POSTGRES_DB");
        }
        if (user || password || db || Value(env.postgres_port)) {
            // Half a PostgreSQL configuration is a mistake, not a request for SQLite.
            return MakeError(ErrorCode::kInvalidRequest,
                             "POSTGRES_HOST is not set but other POSTGRES_* settings are; set POSTGRES_HOST (or "
                             "DATABASE_URL)");
        }
        std::filesystem::path dir = std::filesystem::absolute(std::filesystem::path(data_dir)).lexically_normal();
        std::string path = (dir / "netra.db").string();
        return "sqlite://" + path;  // path is absolute, so this reads sqlite:///…
    }

    auto allow_localhost = ParseFlag(env.allow_localhost_db, "NETRA_ALLOW_LOCALHOST_DB");
    if (!allow_localhost) return allow_localhost.error();
    auto port = ParsePort(env.postgres_port);
    if (!port) return port.error();

    std::string h = *host;
    const bool cloud_sql = h.find(kCloudSqlMarker) != std::string::npos;
    if (cloud_sql) {
        while (h.size() > 1 && h.back() == '/') h.pop_back();
        if (auto st = ValidateCloudSqlHost(h); !st) return st.error();
    }

    if (strict) {
        std::string missing;
        if (!user) missing += "POSTGRES_USER ";
        if (!password) missing += "POSTGRES_PASSWORD ";
        if (!db) missing += "POSTGRES_DB ";
        if (!missing.empty()) {
            missing.pop_back();
            return MakeError(ErrorCode::kInvalidRequest,
                             std::string(EnvironmentName(app_env)) + " requires " + missing + " to be set");
        }
        if (IsWeakPassword(*password, *user)) {
            return MakeError(ErrorCode::kInvalidRequest, "POSTGRES_PASSWORD is a well-known weak password; " +
                                                             std::string(EnvironmentName(app_env)) +
                                                             " requires a strong one");
        }
        if (!cloud_sql && IsLoopbackHost(h) && !*allow_localhost) {
            return MakeError(ErrorCode::kInvalidRequest,
                             "POSTGRES_HOST '" + h + "' is a loopback address, refused in " + EnvironmentName(app_env) +
                                 " (set NETRA_ALLOW_LOCALHOST_DB=1 to allow it)");
        }
    }

    std::string userinfo = UserInfo(user.value_or(std::string(kDevDefaultUser)), password);
    std::string dbname = PercentEncode(db.value_or(std::string(kDevDefaultDb)));

    if (cloud_sql) {
        // A Unix socket: no TCP, so no TLS; libpq takes the socket directory from the host parameter.
        return "postgresql://" + userinfo + "@/" + dbname + "?host=" + h;
    }

    std::string url_host = h;
    if (url_host.find(':') != std::string::npos && url_host.front() != '[') {
        url_host.insert(url_host.begin(), '[');
        url_host.push_back(']');
    }
    std::string url = "postgresql://" + userinfo + "@" + url_host + ":" + std::to_string(*port) + "/" + dbname;
    if (strict) {
        // Traffic that leaves the machine must be encrypted. An explicitly allowed loopback database is often a
        // local server without TLS, where "require" would only make start-up fail; "prefer" still uses TLS if
        // the server offers it.
        url += IsLoopbackHost(h) ? "?sslmode=prefer" : "?sslmode=require";
    }
    return url;
}

std::string MaskDatabaseUrl(std::string_view url) {
    std::string out(url);
    if (StartsWith(Lower(url.substr(0, 7)), "sqlite:")) return out;
    if (url.find("://") == std::string_view::npos) {
        // A libpq keyword/value string ("host=… password=…"), or something unknown: mask any password=.
        return MaskPasswordParams(std::move(out), /*url_query=*/false);
    }
    // postgres[ql]:// and, to be safe, any other scheme://user:pass@ URL.
    std::size_t authority = out.find("://") + 3;
    // A well-formed URL percent-encodes '?', '#' and '@' in the password, so the userinfo ends at the last '@'
    // before the query. Searching for the *last* '@' also covers a password with a raw '@' or '/'.
    std::size_t query = out.find_first_of("?#", authority);
    std::size_t limit = query == std::string::npos ? out.size() : query;
    std::size_t at = out.rfind('@', limit == 0 ? 0 : limit - 1);
    if (at != std::string::npos && at >= authority) {
        std::size_t colon = out.find(':', authority);
        if (colon != std::string::npos && colon < at) {
            out.replace(colon + 1, at - colon - 1, "***");
            query = out.find_first_of("?#", authority);
        }
    }
    if (query != std::string::npos) {
        out = out.substr(0, query) + MaskPasswordParams(out.substr(query), /*url_query=*/true);
    }
    return out;
}

}  // namespace netra::config

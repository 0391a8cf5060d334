#include "storage/open_store.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "storage/postgres/postgres_store.hpp"
#include "storage/sqlite/sqlite_store.hpp"

namespace netra::storage {
namespace {

constexpr int kMaxSqliteReaders = 8;

SqliteOptions MemoryOptions() {
    SqliteOptions options;
    options.path = ":memory:";
    return options;
}

SqliteOptions FileOptions(std::string path, int pool_size) {
    SqliteOptions options;
    options.path = std::move(path);
    options.reader_connections = std::min(pool_size, kMaxSqliteReaders);
    return options;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

core::Result<std::shared_ptr<Store>> OpenStore(const std::string& url, int pool_size, AcquireHook hook) {
    if (pool_size < 1) return core::MakeError(core::ErrorCode::kInvalidRequest, "database pool size must be >= 1");
    const std::string_view u = url;
    if (u == "sqlite::memory:" || u == "sqlite://:memory:") {
        auto options = MemoryOptions();
        options.acquire_hook = std::move(hook);
        return OpenSqliteStore(options);
    }
    if (StartsWith(u, "sqlite://")) {
        // sqlite:///abs/path keeps its leading slash; sqlite://rel/path is relative to the working directory.
        std::string path(u.substr(std::string_view("sqlite://").size()));
        std::string query;
        if (auto q = path.find('?'); q != std::string::npos) {
            query = path.substr(q + 1);
            path.resize(q);
        }
        if (path.empty() || path == "/") {
            return core::MakeError(core::ErrorCode::kInvalidRequest, "SQLite URL has no database path");
        }
        auto options = FileOptions(std::move(path), pool_size);
        if (!query.empty()) {
            if (query.rfind("synchronous=", 0) != 0 || query.find('&') != std::string::npos) {
                return core::MakeError(core::ErrorCode::kInvalidRequest,
                                       "SQLite URL: the one parameter is synchronous=normal|full|extra");
            }
            options.synchronous = query.substr(std::string_view("synchronous=").size());
        }
        options.acquire_hook = std::move(hook);
        return OpenSqliteStore(options);
    }
    if (StartsWith(u, "postgres://") || StartsWith(u, "postgresql://")) {
        PostgresOptions options;
        options.conninfo = url;
        options.pool_size = pool_size;
        options.acquire_hook = std::move(hook);
        return OpenPostgresStore(options);
    }
    // Name the scheme only when it looks like one: the text before ':' could be a user name otherwise.
    const auto colon = u.find(':');
    std::string scheme =
        colon == std::string_view::npos || colon > 20 ? std::string() : std::string(u.substr(0, colon));
    if (!std::all_of(scheme.begin(), scheme.end(),
                     [](char c) { return std::isalpha(static_cast<unsigned char>(c)); })) {
        scheme.clear();
    }
    return core::MakeError(core::ErrorCode::kInvalidRequest,
                           "unsupported database URL" + (scheme.empty() ? std::string() : " scheme '" + scheme + "'") +
                               ": expected sqlite:///path.db, sqlite::memory: or postgresql://user:pass@host/db");
}

}  // namespace netra::storage

#include "storage/sqlite/sqlite_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string_view>
#include <unordered_map>

#include "storage/sql/conn_pool.hpp"
#include "storage/sql/sql_backend.hpp"
#include "storage/sql/sql_store.hpp"

// Concurrency model. A file database has exactly one writer connection (SQLite allows one writer at a time
// anyway; serialising in-process writers on our mutex avoids SQLITE_BUSY spins) and a few read-only
// connections, which WAL lets run concurrently with the writer. ":memory:" has no WAL and a private
// in-memory database exists per connection, so it uses the single writer connection for reads as well;
// that is the test/dev configuration, where throughput does not matter.

namespace netra::storage {
namespace {

using core::ErrorCode;
using core::MakeError;
using sql::SqlParam;
using sql::SqlParams;
using sql::SqlResult;

core::Error MapError(int rc, std::string_view what) {
    switch (rc) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
            return MakeError(ErrorCode::kConflict, "already exists");
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return MakeError(ErrorCode::kNotFound, "referenced row not found");
        case SQLITE_CONSTRAINT_CHECK:
        case SQLITE_CONSTRAINT_NOTNULL:
            return MakeError(ErrorCode::kInvalidRequest, "value rejected by the database");
        default:
            break;
    }
    const int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        return MakeError(ErrorCode::kServiceUnavailable, "database busy");
    }
    if (primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
        return MakeError(ErrorCode::kServiceUnavailable, std::string("database unavailable: ") + sqlite3_errstr(rc));
    }
    // sqlite3_errstr describes the code only; it never echoes SQL text or values.
    return MakeError(ErrorCode::kInternal, std::string(what) + ": " + sqlite3_errstr(rc));
}

class SqliteConnection final : public sql::SqlConnection {
  public:
    explicit SqliteConnection(sqlite3* db) : db_(db) {}
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
        sqlite3_close_v2(db_);
    }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    sqlite3* db() const { return db_; }

    core::Result<SqlResult> Exec(std::string_view sql, const SqlParams& params, bool cache) override {
        sqlite3_stmt* stmt = nullptr;
        if (cache) {
            auto it = cache_.find(std::string(sql));
            if (it != cache_.end()) stmt = it->second;
        }
        if (stmt == nullptr) {
            const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &stmt, nullptr);
            if (rc != SQLITE_OK) return MapError(sqlite3_extended_errcode(db_), "prepare failed");
            if (cache) cache_.emplace(std::string(sql), stmt);
        }
        // Finalizes uncached statements and resets cached ones on every path out.
        struct Cleanup {
            sqlite3_stmt* stmt;
            bool cached;
            ~Cleanup() {
                if (cached) {
                    sqlite3_reset(stmt);
                    sqlite3_clear_bindings(stmt);
                } else {
                    sqlite3_finalize(stmt);
                }
            }
        } cleanup{stmt, cache};

        for (std::size_t i = 0; i < params.size(); ++i) {
            const int idx = static_cast<int>(i) + 1;
            const SqlParam& p = params[i];
            int rc = SQLITE_OK;
            switch (p.kind) {
                case SqlParam::Kind::kNull:
                    rc = sqlite3_bind_null(stmt, idx);
                    break;
                case SqlParam::Kind::kInt:
                    rc = sqlite3_bind_int64(stmt, idx, p.i);
                    break;
                case SqlParam::Kind::kReal:
                    rc = sqlite3_bind_double(stmt, idx, p.d);
                    break;
                case SqlParam::Kind::kText:
                    rc = sqlite3_bind_text64(stmt, idx, p.s.data(), p.s.size(), SQLITE_STATIC, SQLITE_UTF8);
                    break;
            }
            if (rc != SQLITE_OK) return MapError(rc, "bind failed");
        }

        SqlResult result;
        const int ncols = sqlite3_column_count(stmt);
        for (;;) {
            const int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return MapError(sqlite3_extended_errcode(db_), "statement failed");
            sql::SqlRow row(static_cast<std::size_t>(ncols));
            for (int c = 0; c < ncols; ++c) {
                const int type = sqlite3_column_type(stmt, c);
                if (type == SQLITE_NULL) continue;
                if (type == SQLITE_FLOAT) {
                    // sqlite3_column_text renders 15 significant digits, which does not round-trip a double.
                    row[static_cast<std::size_t>(c)] = sql::RealToText(sqlite3_column_double(stmt, c));
                    continue;
                }
                const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                row[static_cast<std::size_t>(c)] =
                    std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)));
            }
            result.rows.push_back(std::move(row));
        }
        result.affected = ncols == 0 ? sqlite3_changes64(db_) : 0;
        return result;
    }

  private:
    sqlite3* db_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

core::Result<std::unique_ptr<SqliteConnection>> OpenConnection(const SqliteOptions& options, bool writer) {
    sqlite3* db = nullptr;
    // NOMUTEX: a connection is only ever used by the thread that borrowed it from the pool.
    // Readers open read-write but run with query_only: a WAL reader needs write access to the -shm index.
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_READWRITE;
    if (writer) flags |= SQLITE_OPEN_CREATE;
    const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = std::string("cannot open SQLite database: ") + sqlite3_errstr(rc);
        sqlite3_close_v2(db);
        return MakeError(ErrorCode::kServiceUnavailable, std::move(msg));
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, options.busy_timeout_ms);
    auto conn = std::make_unique<SqliteConnection>(db);
    const bool memory = options.path == ":memory:";
    std::vector<std::string_view> pragmas = {"PRAGMA foreign_keys = ON"};
    if (writer && !memory) pragmas.push_back("PRAGMA journal_mode = WAL");          // persistent; readers inherit it
    const std::string synchronous = "PRAGMA synchronous = " + options.synchronous;  // validated by OpenSqliteStore
    pragmas.push_back(synchronous);
    if (!writer) pragmas.push_back("PRAGMA query_only = ON");
    for (auto pragma : pragmas) {
        if (auto r = conn->Exec(pragma, {}, false); !r) return r.error();
    }
    return conn;
}

class SqliteBackend final : public sql::SqlBackend {
  public:
    std::string Name() const override { return "sqlite"; }
    std::string Durability() const override { return durability_; }
    sql::Dialect dialect() const override { return sql::Dialect::kSqlite; }
    std::string_view BeginWriteSql() const override { return "BEGIN IMMEDIATE"; }

    core::Status Open(const SqliteOptions& options) {
        auto writer = OpenConnection(options, true);
        if (!writer) return writer.error();
        writer_.Add(std::move(writer.value()));
        if (options.path == ":memory:") {
            durability_ = "in memory: nothing survives the process";
            return core::Ok();
        }
        durability_ = options.synchronous == "normal"
                          ? "SQLite WAL, synchronous=normal: a commit survives the process crashing or being killed; "
                            "the last commits before a power loss or an OS crash may be lost (never corrupted)"
                          : "SQLite WAL, synchronous=" + options.synchronous +
                                ": every commit is fsynced and survives power loss and OS crashes";
        for (int i = 0; i < options.reader_connections; ++i) {
            auto reader = OpenConnection(options, false);
            if (!reader) return reader.error();
            readers_.Add(std::move(reader.value()));
        }
        return core::Ok();
    }

    core::Result<sql::ConnLease> Acquire(bool write) override {
        const bool use_writer = write || readers_.empty();
        SqliteConnection* conn = use_writer ? writer_.Take() : readers_.Take();
        return sql::ConnLease(this, conn, use_writer);
    }

  protected:
    void Release(sql::SqlConnection* conn, bool write) override {
        auto* c = static_cast<SqliteConnection*>(conn);
        // A transaction left open by an error path must not leak into the next borrower.
        if (sqlite3_get_autocommit(c->db()) == 0) (void)c->Exec("ROLLBACK", {}, true);
        if (write) {
            writer_.Give(c);
        } else {
            readers_.Give(c);
        }
    }

  private:
    std::string durability_;
    sql::ConnPool<SqliteConnection> writer_;
    sql::ConnPool<SqliteConnection> readers_;
};

}  // namespace

core::Result<std::shared_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
    if (options.path.empty()) return MakeError(ErrorCode::kInvalidRequest, "SQLite database path is empty");
    if (options.synchronous != "normal" && options.synchronous != "full" && options.synchronous != "extra") {
        // off would let a crash corrupt the database: not offered.
        return MakeError(ErrorCode::kInvalidRequest, "SQLite synchronous must be normal, full or extra");
    }
    if (options.path != ":memory:" && options.create_parent_dirs) {
        std::error_code ec;
        const auto parent = std::filesystem::path(options.path).parent_path();
        if (!parent.empty() && std::filesystem::create_directories(parent, ec) && !ec) {
            std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);  // one we created: ours only
        }
        if (ec) {
            return MakeError(ErrorCode::kServiceUnavailable,
                             "cannot create the database directory " + parent.string() + ": " + ec.message());
        }
    }
    if (options.path != ":memory:") {
        // A new database file is created owner-only (0600) before SQLite opens it: SQLite gives its -wal and -shm
        // files the database file's permissions, so the whole database stays private. An existing file is left as
        // its operator set it.
        const int fd = ::open(options.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) ::close(fd);
    }
    auto backend = std::make_unique<SqliteBackend>();
    if (auto s = backend->Open(options); !s) return s.error();
    return std::shared_ptr<Store>(std::make_shared<sql::SqlStore>(std::move(backend), options.acquire_hook));
}

}  // namespace netra::storage

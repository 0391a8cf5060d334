#pragma once
// Internal to the storage module: the small seam between the backend-neutral SqlStore (all the queries and
// rules of store.hpp, written once) and a database driver (sqlite/, postgres/). A driver only knows how to
// hand out connections and run one parameterised statement; it never sees records.
//
// SQL given to Exec uses `?` placeholders and the portable subset of SQL understood by both SQLite and
// PostgreSQL (explicit CASTs where PostgreSQL cannot infer a parameter type). Drivers translate the
// placeholders when needed. User data only ever travels as bound parameters.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace netra::storage::sql {

enum class Dialect { kSqlite, kPostgres };

// One bound parameter: NULL, a 64-bit integer, a double or text.
struct SqlParam {
    enum class Kind { kNull, kInt, kReal, kText };
    Kind kind = Kind::kNull;
    std::int64_t i = 0;
    double d = 0;
    std::string s;

    SqlParam(std::nullptr_t) {}                                      // NOLINT
    SqlParam(std::int64_t v) : kind(Kind::kInt), i(v) {}             // NOLINT
    SqlParam(int v) : kind(Kind::kInt), i(v) {}                      // NOLINT
    SqlParam(double v) : kind(Kind::kReal), d(v) {}                  // NOLINT
    SqlParam(std::string v) : kind(Kind::kText), s(std::move(v)) {}  // NOLINT
    SqlParam(std::string_view v) : kind(Kind::kText), s(v) {}        // NOLINT
    SqlParam(const char* v) : kind(Kind::kText), s(v) {}             // NOLINT
    SqlParam(const std::optional<std::string>& v) {                  // NOLINT
        if (v) kind = Kind::kText, s = *v;
    }
    SqlParam(const std::optional<std::int64_t>& v) {  // NOLINT
        if (v) kind = Kind::kInt, i = *v;
    }
    SqlParam(const std::optional<double>& v) {  // NOLINT
        if (v) kind = Kind::kReal, d = *v;
    }
};

// Renders a double as the shortest text that parses back to exactly the same value (both drivers use it, so
// REAL columns round-trip bit-exactly through the text-only SqlRow).
std::string RealToText(double v);

using SqlParams = std::vector<SqlParam>;

// Every value comes back as text (or NULL); SqlStore converts. Simple and identical across drivers.
using SqlRow = std::vector<std::optional<std::string>>;

struct SqlResult {
    std::vector<SqlRow> rows;
    std::int64_t affected = 0;  // rows changed by INSERT/UPDATE/DELETE
};

// One database connection, used by one thread at a time (the pool guarantees it).
class SqlConnection {
  public:
    virtual ~SqlConnection() = default;
    // Runs one statement. `cache` keeps the prepared statement for reuse on this connection (every query the
    // store issues repeatedly); migrations' DDL runs uncached. Errors are already mapped to ErrorCodes and
    // their messages never contain SQL or parameter values.
    virtual core::Result<SqlResult> Exec(std::string_view sql, const SqlParams& params = {}, bool cache = true) = 0;

    // Bulk load through PostgreSQL's `COPY … FROM STDIN` (text format). `next` appends the next chunk of
    // encoded rows to its (cleared) argument and returns false once it has appended the last one. A driver
    // without COPY answers kServiceUnavailable; SqlStore only calls it on the PostgreSQL dialect.
    virtual core::Status CopyIn(std::string_view copy_sql, const std::function<bool(std::string& chunk)>& next);
};

class SqlBackend;

// A connection borrowed from a backend's pool; returned on destruction.
class ConnLease {
  public:
    ConnLease(SqlBackend* backend, SqlConnection* conn, bool write) : backend_(backend), conn_(conn), write_(write) {}
    ConnLease(ConnLease&& other) noexcept
        : backend_(other.backend_), conn_(std::exchange(other.conn_, nullptr)), write_(other.write_) {}
    ConnLease& operator=(ConnLease&&) = delete;
    ConnLease(const ConnLease&) = delete;
    ConnLease& operator=(const ConnLease&) = delete;
    ~ConnLease();

    SqlConnection* operator->() const { return conn_; }
    SqlConnection& operator*() const { return *conn_; }

  private:
    SqlBackend* backend_;
    SqlConnection* conn_;
    bool write_;
};

class SqlBackend {
  public:
    virtual ~SqlBackend() = default;
    virtual std::string Name() const = 0;        // "sqlite" | "postgresql"
    virtual std::string Durability() const = 0;  // see Store::Durability
    virtual Dialect dialect() const = 0;
    // Borrows a connection, blocking until one is free. `write` asks for a connection allowed to write
    // (SQLite has exactly one); kServiceUnavailable when the database cannot be reached.
    virtual core::Result<ConnLease> Acquire(bool write) = 0;
    // The statement opening a write transaction ("BEGIN IMMEDIATE" on SQLite takes the write lock up front
    // so a transaction never fails half-way with SQLITE_BUSY).
    virtual std::string_view BeginWriteSql() const = 0;

  protected:
    friend class ConnLease;
    // Takes a connection back; a driver rolls back a transaction left open by an early error return.
    virtual void Release(SqlConnection* conn, bool write) = 0;
};

inline core::Status SqlConnection::CopyIn(std::string_view, const std::function<bool(std::string&)>&) {
    return core::MakeError(core::ErrorCode::kServiceUnavailable, "COPY is not supported by this database driver");
}

inline ConnLease::~ConnLease() {
    if (conn_ != nullptr) backend_->Release(conn_, write_);
}

}  // namespace netra::storage::sql

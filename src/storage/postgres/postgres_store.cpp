#include "storage/postgres/postgres_store.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <unordered_map>

#include "storage/sql/conn_pool.hpp"
#include "storage/sql/sql_backend.hpp"
#include "storage/sql/sql_store.hpp"

namespace netra::storage {
namespace {

using core::ErrorCode;
using core::MakeError;
using sql::SqlParam;
using sql::SqlParams;
using sql::SqlResult;

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// `?` placeholders → `$1, $2, …` (outside quoted literals and identifiers).
std::string NumberPlaceholders(std::string_view sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    char quote = 0;
    for (char c : sql) {
        if (quote != 0) {
            if (c == quote) quote = 0;
            out.push_back(c);
        } else if (c == '\'' || c == '"') {
            quote = c;
            out.push_back(c);
        } else if (c == '?') {
            out += '$' + std::to_string(++n);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string FirstLine(const char* text) {
    std::string s = text != nullptr ? text : "";
    if (auto nl = s.find('\n'); nl != std::string::npos) s.resize(nl);
    return s;
}

void IgnoreNotice(void*, const char*) {}  // "relation already exists, skipping" and friends are not news

class PgConnection final : public sql::SqlConnection {
  public:
    // `losses` counts connections found broken across the pool (see Validate).
    PgConnection(const PostgresOptions& options, std::atomic<std::uint64_t>& losses)
        : options_(options), losses_(losses) {}
    ~PgConnection() override {
        if (conn_ != nullptr) PQfinish(conn_);
    }
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // (Re)connects when never connected or marked broken by a failed call; prepared statements are per
    // session, so they are forgotten with the old session and prepared again on first use.
    core::Status EnsureConnected() {
        if (conn_ != nullptr && !broken_ && PQstatus(conn_) == CONNECTION_OK) return core::Ok();
        if (conn_ != nullptr) PQfinish(conn_);
        prepared_.clear();
        broken_ = false;
        const std::string timeout = std::to_string(options_.connect_timeout_s);
        // Defaults first: values expanded from the URL (dbname) override them.
        const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
        const char* values[] = {timeout.c_str(), "netra", options_.conninfo.c_str(), nullptr};
        conn_ = PQconnectdbParams(keys, values, 1);
        if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
            // libpq's message names host/port and the reason, never the password.
            std::string reason = conn_ != nullptr ? FirstLine(PQerrorMessage(conn_)) : "out of memory";
            if (conn_ != nullptr) PQfinish(conn_);
            conn_ = nullptr;
            return MakeError(ErrorCode::kServiceUnavailable, "cannot connect to PostgreSQL: " + reason);
        }
        PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
        return core::Ok();
    }

    // Before a borrower's statement: a connection whose server closed it is reopened; and after any connection of
    // the pool was found broken (a restarted or failed-over server breaks them all at once), each connection proves
    // itself with one round trip at its next checkout instead of failing the borrower's first statement: requests
    // after an outage do not get 503s the pool could have avoided.
    void Validate() {
        // A server that shut down or restarted sent its idle sessions a FATAL message and closed them. An idle
        // session has nothing to read (we use no LISTEN), so a readable or hung-up socket (one poll, no wait) means
        // it is gone: found here, before the borrower's statement would fail on it.
        if (conn_ != nullptr && !broken_) {
            pollfd p{PQsocket(conn_), POLLIN, 0};
            if (PQstatus(conn_) != CONNECTION_OK || p.fd < 0 || ::poll(&p, 1, 0) != 0) {
                broken_ = true;
                ++losses_;
            }
        }
        const std::uint64_t losses = losses_.load();
        if (validated_ == losses) return;
        validated_ = losses;
        if (conn_ == nullptr || broken_) return;
        ResultPtr r(PQexec(conn_, "SELECT 1"));
        if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK) broken_ = true;
    }

    // Ends a transaction an error path left open so the next borrower starts clean.
    void ResetTransaction() {
        if (conn_ == nullptr || broken_) return;
        if (PQstatus(conn_) != CONNECTION_OK) {
            broken_ = true;
            return;
        }
        if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return;
        ResultPtr r(PQexec(conn_, "ROLLBACK"));
        if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) broken_ = true;
    }

    core::Result<SqlResult> Exec(std::string_view sql, const SqlParams& params, bool cache) override {
        if (conn_ == nullptr || broken_) return MakeError(ErrorCode::kServiceUnavailable, "database connection lost");
        std::vector<const char*> values;
        std::vector<std::string> ints;  // storage for numbers rendered as text
        ints.reserve(params.size());
        values.reserve(params.size());
        for (const SqlParam& p : params) {
            switch (p.kind) {
                case SqlParam::Kind::kNull:
                    values.push_back(nullptr);
                    break;
                case SqlParam::Kind::kInt:
                    ints.push_back(std::to_string(p.i));
                    values.push_back(ints.back().c_str());
                    break;
                case SqlParam::Kind::kReal:
                    ints.push_back(sql::RealToText(p.d));
                    values.push_back(ints.back().c_str());
                    break;
                case SqlParam::Kind::kText:
                    values.push_back(p.s.c_str());
                    break;
            }
        }
        const int n = static_cast<int>(values.size());
        ResultPtr res;
        if (cache) {
            std::string key(sql);
            auto it = prepared_.find(key);
            if (it == prepared_.end()) {
                std::string name = "netra_" + std::to_string(++next_stmt_);
                ResultPtr prep(PQprepare(conn_, name.c_str(), NumberPlaceholders(sql).c_str(), n, nullptr));
                if (!prep || PQresultStatus(prep.get()) != PGRES_COMMAND_OK) return Fail(prep.get());
                it = prepared_.emplace(std::move(key), std::move(name)).first;
            }
            res.reset(PQexecPrepared(conn_, it->second.c_str(), n, values.data(), nullptr, nullptr, 0));
        } else {
            res.reset(
                PQexecParams(conn_, NumberPlaceholders(sql).c_str(), n, nullptr, values.data(), nullptr, nullptr, 0));
        }
        const ExecStatusType st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Fail(res.get());

        SqlResult out;
        const int rows = PQntuples(res.get());
        const int cols = PQnfields(res.get());
        out.rows.reserve(static_cast<std::size_t>(rows));
        for (int r = 0; r < rows; ++r) {
            sql::SqlRow row(static_cast<std::size_t>(cols));
            for (int c = 0; c < cols; ++c) {
                if (PQgetisnull(res.get(), r, c)) continue;
                row[static_cast<std::size_t>(c)] =
                    std::string(PQgetvalue(res.get(), r, c), static_cast<std::size_t>(PQgetlength(res.get(), r, c)));
            }
            out.rows.push_back(std::move(row));
        }
        const char* affected = PQcmdTuples(res.get());
        out.affected = (affected != nullptr && *affected != '\0') ? std::strtoll(affected, nullptr, 10) : 0;
        return out;
    }

    core::Status CopyIn(std::string_view copy_sql, const std::function<bool(std::string&)>& next) override {
        if (conn_ == nullptr || broken_) return MakeError(ErrorCode::kServiceUnavailable, "database connection lost");
        {
            ResultPtr start(PQexec(conn_, std::string(copy_sql).c_str()));
            if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN) return Fail(start.get());
        }
        std::string chunk;
        bool more = true;
        while (more) {
            chunk.clear();
            more = next(chunk);
            if (!chunk.empty() && PQputCopyData(conn_, chunk.data(), static_cast<int>(chunk.size())) != 1) break;
        }
        // A server-side failure (bad value, missing dataset) surfaces only here, after the end of the data: the
        // server discards the rest of the stream once it has failed, so the loop above cannot detect it early.
        if (PQputCopyEnd(conn_, more ? "client aborted the copy" : nullptr) != 1) return Fail(nullptr);
        core::Status status = core::Ok();
        bool first = true;
        while (PGresult* raw = PQgetResult(conn_)) {
            ResultPtr res(raw);
            if (first && PQresultStatus(res.get()) != PGRES_COMMAND_OK) status = Fail(res.get());
            first = false;
        }
        return status;
    }

  private:
    // Maps a failed result to an ErrorCode. Messages carry the SQLSTATE, never SQL or parameter values.
    core::Error Fail(const PGresult* res) {
        const char* state_c = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
        const std::string state = state_c != nullptr ? state_c : "";
        if (PQstatus(conn_) != CONNECTION_OK || state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" ||
            state == "57P03") {
            broken_ = true;
            validated_ = ++losses_;  // the others are suspect now; this one reconnects anyway
            spdlog::warn("storage: PostgreSQL connection lost ({}); it will be re-opened on next use",
                         FirstLine(PQerrorMessage(conn_)));
            return MakeError(ErrorCode::kServiceUnavailable, "database connection lost");
        }
        if (state == "23505") return MakeError(ErrorCode::kConflict, "already exists");
        if (state == "23503") return MakeError(ErrorCode::kNotFound, "referenced row not found");
        if (state == "23502" || state == "23514" || state.rfind("22", 0) == 0) {
            return MakeError(ErrorCode::kInvalidRequest, "value rejected by the database (SQLSTATE " + state + ")");
        }
        if (state == "40001" || state == "40P01" || state == "55P03" || state == "53300") {
            return MakeError(ErrorCode::kServiceUnavailable, "database busy (SQLSTATE " + state + "), retry");
        }
        const char* primary = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
        spdlog::error("storage: PostgreSQL error SQLSTATE {}: {}", state, primary != nullptr ? primary : "?");
        return MakeError(ErrorCode::kInternal, "database error (SQLSTATE " + (state.empty() ? "?" : state) + ")");
    }

    const PostgresOptions& options_;
    std::atomic<std::uint64_t>& losses_;
    std::uint64_t validated_ = 0;  // the pool's loss count when this connection last proved itself
    PGconn* conn_ = nullptr;
    bool broken_ = false;
    std::unordered_map<std::string, std::string> prepared_;  // SQL text → statement name
    int next_stmt_ = 0;
};

class PostgresBackend final : public sql::SqlBackend {
  public:
    explicit PostgresBackend(PostgresOptions options) : options_(std::move(options)) {
        for (int i = 0; i < options_.pool_size; ++i) pool_.Add(std::make_unique<PgConnection>(options_, losses_));
    }

    std::string Name() const override { return "postgresql"; }
    std::string Durability() const override { return durability_; }
    sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }

    // What the server's synchronous_commit (for this user and database, or the URL's options=-c…) promises.
    void DescribeDurability(const std::string& setting) {
        if (setting == "off") {
            durability_ =
                "PostgreSQL synchronous_commit=off: a commit is acknowledged before its WAL is flushed; a database "
                "server crash or power loss can lose the last commits (up to 3 x wal_writer_delay), never corrupt";
        } else if (setting == "local" || setting == "on" || setting == "remote_write" || setting == "remote_apply") {
            durability_ =
                "PostgreSQL synchronous_commit=" + setting +
                ": a commit is acknowledged after its WAL is flushed on the primary; it survives a database "
                "server crash and power loss" +
                (setting == "local" ? std::string() : std::string(" (and reaches synchronous standbys, if any)"));
        } else {
            durability_ = "PostgreSQL synchronous_commit=" + setting;
        }
    }
    std::string_view BeginWriteSql() const override { return "BEGIN"; }

    core::Result<sql::ConnLease> Acquire(bool write) override {
        PgConnection* conn = pool_.Take();
        // Validating and connecting happen outside the pool mutex: only this borrower waits for them.
        conn->Validate();
        if (auto s = conn->EnsureConnected(); !s) {
            pool_.Give(conn);
            return s.error();
        }
        return sql::ConnLease(this, conn, write);
    }

  protected:
    void Release(sql::SqlConnection* conn, bool) override {
        auto* c = static_cast<PgConnection*>(conn);
        c->ResetTransaction();
        pool_.Give(c);
    }

  private:
    std::string durability_ = "PostgreSQL synchronous_commit unknown";
    PostgresOptions options_;
    std::atomic<std::uint64_t> losses_{0};  // connections found broken, ever (PgConnection::Validate)
    sql::ConnPool<PgConnection> pool_;
};

}  // namespace

core::Result<std::shared_ptr<Store>> OpenPostgresStore(const PostgresOptions& options) {
    char* err = nullptr;
    PQconninfoOption* parsed = PQconninfoParse(options.conninfo.c_str(), &err);
    if (parsed == nullptr) {
        // The parser's message quotes at most an option name; the URL itself (with its password) is not echoed.
        std::string reason = err != nullptr ? FirstLine(err) : "unparseable";
        PQfreemem(err);
        return MakeError(ErrorCode::kInvalidRequest, "invalid PostgreSQL URL: " + reason);
    }
    PQconninfoFree(parsed);
    if (options.pool_size < 1) return MakeError(ErrorCode::kInvalidRequest, "database pool size must be >= 1");

    auto backend = std::make_unique<PostgresBackend>(options);
    {
        auto probe = backend->Acquire(false);
        if (!probe) return probe.error();
        auto shown = (*probe)->Exec("SHOW synchronous_commit", {}, false);
        if (shown && !shown->rows.empty() && !shown->rows[0].empty() && shown->rows[0][0]) {
            backend->DescribeDurability(*shown->rows[0][0]);
        }
    }
    return std::shared_ptr<Store>(std::make_shared<sql::SqlStore>(std::move(backend), options.acquire_hook));
}

}  // namespace netra::storage

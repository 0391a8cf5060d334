#include "storage/sql/sql_store.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <utility>

#include "storage/migrations.hpp"

namespace netra::storage::sql {
namespace {

using core::ErrorCode;
using core::MakeError;

constexpr int kMaxPageSize = 200;
constexpr int kDefaultEventLimit = 10000;

std::int64_t ToInt(const std::optional<std::string>& v) {
    std::int64_t out = 0;
    if (v) std::from_chars(v->data(), v->data() + v->size(), out);
    return out;
}
std::optional<std::int64_t> ToOptInt(const std::optional<std::string>& v) {
    if (!v) return std::nullopt;
    return ToInt(v);
}
std::string ToStr(const std::optional<std::string>& v) { return v.value_or(std::string()); }

std::string LowerAscii(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

std::string PermissionsToJson(const std::vector<std::string>& permissions) {
    boost::json::array arr;
    for (const auto& p : permissions) arr.emplace_back(p);
    return boost::json::serialize(arr);
}

std::vector<std::string> PermissionsFromJson(const std::string& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec || !value.is_array()) return out;  // a damaged column degrades to "no permissions", never a crash
    for (const auto& v : value.as_array()) {
        if (v.is_string()) out.emplace_back(v.as_string());
    }
    return out;
}

int ClampPageSize(int limit) { return std::clamp(limit, 1, kMaxPageSize); }

// Replaces the driver's generic message for an expected failure with one meaningful to the caller.
core::Error Rename(core::Error err, ErrorCode code, std::string message) {
    if (err.code == code) err.message = std::move(message);
    return err;
}

// --- column lists and row mapping -------------------------------------------------------------------------

constexpr std::string_view kUserCols = "id, email, name, password_hash, permissions, created_at";
User UserFromRow(const SqlRow& r) {
    return User{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), ToStr(r[3]), PermissionsFromJson(ToStr(r[4])), ToInt(r[5])};
}

constexpr std::string_view kTokenCols = "id, user_id, family_id, token_hash, expires_at, revoked_at, replaced_by";
RefreshToken TokenFromRow(const SqlRow& r) {
    return RefreshToken{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), ToStr(r[3]), ToInt(r[4]), ToOptInt(r[5]), r[6]};
}

constexpr std::string_view kThreadCols = "id, user_id, title, created_at, updated_at";
Thread ThreadFromRow(const SqlRow& r) {
    return Thread{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), ToInt(r[3]), ToInt(r[4])};
}

constexpr std::string_view kMessageCols = "id, thread_id, user_id, role, content, run_id, dataset_id, created_at";
Message MessageFromRow(const SqlRow& r) {
    return Message{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), ToStr(r[3]), ToStr(r[4]), r[5], r[6], ToInt(r[7])};
}

constexpr std::string_view kRunCols =
    "id, thread_id, user_id, status, policy, error, created_at, started_at, finished_at, owner_instance, "
    "lease_until, attempt, request";
Run RunFromRow(const SqlRow& r) {
    Run run;
    run.id = ToStr(r[0]);
    run.thread_id = ToStr(r[1]);
    run.user_id = ToStr(r[2]);
    run.status = ToStr(r[3]);
    run.policy = ToStr(r[4]);
    run.error = r[5];
    run.created_at = ToInt(r[6]);
    run.started_at = ToOptInt(r[7]);
    run.finished_at = ToOptInt(r[8]);
    run.owner_instance = r[9];
    run.lease_until = ToOptInt(r[10]);
    run.attempt = static_cast<int>(ToInt(r[11]));
    run.request = ToStr(r[12]);
    return run;
}

constexpr std::string_view kEventCols = "run_id, seq, type, agent_name, payload, created_at";
RunEvent EventFromRow(const SqlRow& r) {
    return RunEvent{ToStr(r[0]), ToInt(r[1]), ToStr(r[2]), ToStr(r[3]), ToStr(r[4]), ToInt(r[5])};
}

std::string Sql(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts) out += p;
    return out;
}

// --- statements shared by several methods -----------------------------------------------------------------

// Moves a thread's updated_at forward (never back) when it is the user's live thread; 0 rows = not found.
constexpr std::string_view kBumpThread =
    "UPDATE threads SET updated_at = CASE WHEN updated_at < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) "
    "ELSE updated_at END WHERE id = ? AND user_id = ? AND deleted_at IS NULL";

const std::string& InsertMessageSql() {
    static const std::string sql = Sql({"INSERT INTO messages (", kMessageCols, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"});
    return sql;
}
SqlParams MessageParams(const Message& m) {
    return {m.id, m.thread_id, m.user_id, m.role, m.content, m.run_id, m.dataset_id, m.created_at};
}

const std::string& InsertEventSql() {
    static const std::string sql = Sql({"INSERT INTO run_events (", kEventCols, ") VALUES (?, ?, ?, ?, ?, ?)"});
    return sql;
}
SqlParams EventParams(const RunEvent& e) {
    return {e.run_id, e.seq, e.type, e.agent_name, e.payload.empty() ? std::string("{}") : e.payload, e.created_at};
}

core::Status BumpThread(SqlConnection& c, const std::string& thread_id, const std::string& user_id, Millis now) {
    auto r = c.Exec(kBumpThread, {now, now, thread_id, user_id});
    if (!r) return r.error();
    if (r->affected == 0) return MakeError(ErrorCode::kNotFound, "thread not found");
    return core::Ok();
}

core::Status InsertMessageRow(SqlConnection& c, const Message& m) {
    auto r = c.Exec(InsertMessageSql(), MessageParams(m));
    if (!r) return Rename(r.error(), ErrorCode::kConflict, "message id already exists");
    return core::Ok();
}

core::Status InsertEventRows(SqlConnection& c, const std::vector<RunEvent>& events) {
    for (const auto& e : events) {
        auto r = c.Exec(InsertEventSql(), EventParams(e));
        if (!r) {
            auto err = Rename(r.error(), ErrorCode::kConflict, "run event seq already exists");
            return Rename(std::move(err), ErrorCode::kNotFound, "run not found");
        }
    }
    return core::Ok();
}

Result<bool> ThreadVisible(SqlConnection& c, const std::string& user_id, const std::string& thread_id) {
    auto r = c.Exec("SELECT 1 FROM threads WHERE id = ? AND user_id = ? AND deleted_at IS NULL", {thread_id, user_id});
    if (!r) return r.error();
    return !r->rows.empty();
}

}  // namespace

// --- cursor -----------------------------------------------------------------------------------------------

std::string EncodeCursor(Millis ms, const std::string& id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    const std::string raw = std::to_string(ms) + ":" + id;
    std::string out;
    out.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 0x0f]);
    }
    return out;
}

std::optional<std::pair<Millis, std::string>> DecodeCursor(const std::string& cursor) {
    if (cursor.empty() || cursor.size() % 2 != 0 || cursor.size() > 1024) return std::nullopt;
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::string raw;
    for (std::size_t i = 0; i < cursor.size(); i += 2) {
        const int hi = nibble(cursor[i]);
        const int lo = nibble(cursor[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        raw.push_back(static_cast<char>(hi * 16 + lo));
    }
    const auto colon = raw.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == raw.size()) return std::nullopt;
    Millis ms = 0;
    auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + colon, ms);
    if (ec != std::errc() || ptr != raw.data() + colon) return std::nullopt;
    return std::make_pair(ms, raw.substr(colon + 1));
}

// --- store ------------------------------------------------------------------------------------------------

namespace {

// Runs `body` inside a write transaction on a write connection: committed when it returns Ok, rolled back
// otherwise (and on a failed COMMIT).
template <class Body>
core::Status InWriteTx(SqlBackend& backend, Body&& body) {
    auto lease = backend.Acquire(true);
    if (!lease) return lease.error();
    SqlConnection& c = **lease;
    if (auto begin = c.Exec(backend.BeginWriteSql()); !begin) return begin.error();
    core::Status status = body(c);
    if (!status.ok()) {
        (void)c.Exec("ROLLBACK");
        return status;
    }
    if (auto commit = c.Exec("COMMIT"); !commit) {
        (void)c.Exec("ROLLBACK");
        return commit.error();
    }
    return core::Ok();
}

Result<SqlResult> Read(SqlBackend& backend, std::string_view sql, const SqlParams& params) {
    auto lease = backend.Acquire(false);
    if (!lease) return lease.error();
    return (*lease)->Exec(sql, params);
}

Result<SqlResult> Write(SqlBackend& backend, std::string_view sql, const SqlParams& params) {
    auto lease = backend.Acquire(true);
    if (!lease) return lease.error();
    return (*lease)->Exec(sql, params);
}

}  // namespace

SqlStore::SqlStore(std::unique_ptr<SqlBackend> backend) : backend_(std::move(backend)) {}
SqlStore::~SqlStore() = default;

std::string SqlStore::BackendName() const { return backend_->Name(); }

Status SqlStore::Migrate() { return ApplyMigrations(*backend_); }

Result<int> SqlStore::SchemaVersion() { return AppliedSchemaVersion(*backend_); }

Status SqlStore::Ping() {
    auto r = Read(*backend_, "SELECT 1", {});
    if (!r) return r.error();
    return core::Ok();
}

// --- users ------------------------------------------------------------------------------------------------

Status SqlStore::CreateUser(const User& user) {
    static const std::string sql = Sql({"INSERT INTO users (", kUserCols, ") VALUES (?, ?, ?, ?, ?, ?)"});
    auto r = Write(*backend_, sql,
                   {user.id, LowerAscii(user.email), user.name, user.password_hash, PermissionsToJson(user.permissions),
                    user.created_at});
    if (!r) return Rename(r.error(), ErrorCode::kConflict, "a user with this email already exists");
    return core::Ok();
}

Result<std::optional<User>> SqlStore::FindUserByEmail(const std::string& email) {
    static const std::string sql = Sql({"SELECT ", kUserCols, " FROM users WHERE email = ?"});
    auto r = Read(*backend_, sql, {LowerAscii(email)});
    if (!r) return r.error();
    if (r->rows.empty()) return std::optional<User>();
    return std::optional<User>(UserFromRow(r->rows[0]));
}

Result<std::optional<User>> SqlStore::FindUserById(const std::string& id) {
    static const std::string sql = Sql({"SELECT ", kUserCols, " FROM users WHERE id = ?"});
    auto r = Read(*backend_, sql, {id});
    if (!r) return r.error();
    if (r->rows.empty()) return std::optional<User>();
    return std::optional<User>(UserFromRow(r->rows[0]));
}

Result<User> SqlStore::EnsureUser(const User& user) {
    static const std::string insert =
        Sql({"INSERT INTO users (", kUserCols, ") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"});
    static const std::string select = Sql({"SELECT ", kUserCols, " FROM users WHERE id = ?"});
    // Both statements on the write connection: the row read back is the one that won any race on the id.
    auto lease = backend_->Acquire(true);
    if (!lease) return lease.error();
    auto ins = (*lease)->Exec(insert, {user.id, LowerAscii(user.email), user.name, user.password_hash,
                                       PermissionsToJson(user.permissions), user.created_at});
    if (!ins) return Rename(ins.error(), ErrorCode::kConflict, "the email belongs to another user");
    auto r = (*lease)->Exec(select, {user.id});
    if (!r) return r.error();
    if (r->rows.empty()) return MakeError(ErrorCode::kInternal, "user vanished after insert");
    return UserFromRow(r->rows[0]);
}

// --- refresh tokens ---------------------------------------------------------------------------------------

Status SqlStore::InsertRefreshToken(const RefreshToken& token) {
    static const std::string sql = Sql({"INSERT INTO refresh_tokens (", kTokenCols, ") VALUES (?, ?, ?, ?, ?, ?, ?)"});
    auto r = Write(*backend_, sql,
                   {token.id, token.user_id, token.family_id, token.token_hash, token.expires_at, token.revoked_at,
                    token.replaced_by});
    if (!r) return Rename(r.error(), ErrorCode::kNotFound, "user not found");
    return core::Ok();
}

Result<std::optional<RefreshToken>> SqlStore::FindRefreshTokenByHash(const std::string& token_hash) {
    static const std::string sql = Sql({"SELECT ", kTokenCols, " FROM refresh_tokens WHERE token_hash = ?"});
    auto r = Read(*backend_, sql, {token_hash});
    if (!r) return r.error();
    if (r->rows.empty()) return std::optional<RefreshToken>();
    return std::optional<RefreshToken>(TokenFromRow(r->rows[0]));
}

Result<bool> SqlStore::SpendRefreshToken(const std::string& id, const std::string& replaced_by, Millis now) {
    // The revoked_at IS NULL guard makes this a compare-and-set: of two concurrent refreshes exactly one wins.
    auto r = Write(*backend_,
                   "UPDATE refresh_tokens SET revoked_at = ?, replaced_by = ? WHERE id = ? AND revoked_at IS NULL",
                   {now, replaced_by, id});
    if (!r) return r.error();
    return r->affected == 1;
}

Status SqlStore::RevokeRefreshFamily(const std::string& family_id, Millis now) {
    auto r = Write(*backend_, "UPDATE refresh_tokens SET revoked_at = ? WHERE family_id = ? AND revoked_at IS NULL",
                   {now, family_id});
    if (!r) return r.error();
    return core::Ok();
}

// --- threads ----------------------------------------------------------------------------------------------

Status SqlStore::CreateThread(const Thread& thread) {
    static const std::string sql = Sql({"INSERT INTO threads (", kThreadCols, ") VALUES (?, ?, ?, ?, ?)"});
    auto r = Write(*backend_, sql, {thread.id, thread.user_id, thread.title, thread.created_at, thread.updated_at});
    if (!r) {
        return Rename(Rename(r.error(), ErrorCode::kNotFound, "user not found"), ErrorCode::kConflict,
                      "thread id already exists");
    }
    return core::Ok();
}

Result<std::optional<Thread>> SqlStore::GetThread(const std::string& user_id, const std::string& thread_id) {
    static const std::string sql =
        Sql({"SELECT ", kThreadCols, " FROM threads WHERE id = ? AND user_id = ? AND deleted_at IS NULL"});
    auto r = Read(*backend_, sql, {thread_id, user_id});
    if (!r) return r.error();
    if (r->rows.empty()) return std::optional<Thread>();
    return std::optional<Thread>(ThreadFromRow(r->rows[0]));
}

Result<Page<Thread>> SqlStore::ListThreads(const std::string& user_id, int limit,
                                           const std::optional<std::string>& cursor) {
    static const std::string first = Sql({"SELECT ", kThreadCols,
                                          " FROM threads WHERE user_id = ? AND deleted_at IS NULL"
                                          " ORDER BY updated_at DESC, id DESC LIMIT ?"});
    static const std::string next = Sql({"SELECT ", kThreadCols,
                                         " FROM threads WHERE user_id = ? AND deleted_at IS NULL"
                                         " AND (updated_at < CAST(? AS BIGINT)"
                                         " OR (updated_at = CAST(? AS BIGINT) AND id < ?))"
                                         " ORDER BY updated_at DESC, id DESC LIMIT ?"});
    const int page = ClampPageSize(limit);
    Result<SqlResult> r = MakeError(ErrorCode::kInternal, "unreachable");
    if (cursor) {
        auto pos = DecodeCursor(*cursor);
        if (!pos) return MakeError(ErrorCode::kInvalidRequest, "invalid cursor");
        r = Read(*backend_, next, {user_id, pos->first, pos->first, pos->second, page + 1});
    } else {
        r = Read(*backend_, first, {user_id, page + 1});
    }
    if (!r) return r.error();
    Page<Thread> out;
    for (const auto& row : r->rows) out.data.push_back(ThreadFromRow(row));
    if (out.data.size() > static_cast<std::size_t>(page)) {
        out.data.pop_back();
        out.next_cursor = EncodeCursor(out.data.back().updated_at, out.data.back().id);
    }
    return out;
}

Result<bool> SqlStore::UpdateThreadTitle(const std::string& user_id, const std::string& thread_id,
                                         const std::string& title, Millis now) {
    auto r = Write(*backend_,
                   "UPDATE threads SET title = ?, updated_at = CASE WHEN updated_at < CAST(? AS BIGINT)"
                   " THEN CAST(? AS BIGINT) ELSE updated_at END"
                   " WHERE id = ? AND user_id = ? AND deleted_at IS NULL",
                   {title, now, now, thread_id, user_id});
    if (!r) return r.error();
    return r->affected > 0;
}

Result<bool> SqlStore::DeleteThread(const std::string& user_id, const std::string& thread_id) {
    bool found = false;
    // Explicit deletes (children first) rather than relying on ON DELETE CASCADE alone: the outcome does not
    // depend on a connection's foreign_keys setting, and all of it commits or none.
    auto status = InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        auto visible = ThreadVisible(c, user_id, thread_id);
        if (!visible) return visible.error();
        if (!*visible) return core::Ok();
        found = true;
        static constexpr std::string_view kSteps[] = {
            "DELETE FROM run_events WHERE run_id IN (SELECT id FROM runs WHERE thread_id = ?)",
            "DELETE FROM messages WHERE thread_id = ?",
            "DELETE FROM runs WHERE thread_id = ?",
            "UPDATE datasets SET thread_id = NULL WHERE thread_id = ?",
            "DELETE FROM threads WHERE id = ?",
        };
        for (auto step : kSteps) {
            if (auto r = c.Exec(step, {thread_id}); !r) return r.error();
        }
        return core::Ok();
    });
    if (!status) return status.error();
    return found;
}

// --- messages ---------------------------------------------------------------------------------------------

Status SqlStore::InsertMessage(const Message& message) {
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        if (auto s = BumpThread(c, message.thread_id, message.user_id, message.created_at); !s) return s;
        return InsertMessageRow(c, message);
    });
}

Result<Page<Message>> SqlStore::ListMessages(const std::string& user_id, const std::string& thread_id, int limit,
                                             const std::optional<std::string>& cursor) {
    static const std::string first =
        Sql({"SELECT ", kMessageCols, " FROM messages WHERE thread_id = ? ORDER BY created_at ASC, id ASC LIMIT ?"});
    static const std::string next = Sql({"SELECT ", kMessageCols,
                                         " FROM messages WHERE thread_id = ?"
                                         " AND (created_at > CAST(? AS BIGINT)"
                                         " OR (created_at = CAST(? AS BIGINT) AND id > ?))"
                                         " ORDER BY created_at ASC, id ASC LIMIT ?"});
    const int page = ClampPageSize(limit);
    std::optional<std::pair<Millis, std::string>> pos;
    if (cursor) {
        pos = DecodeCursor(*cursor);
        if (!pos) return MakeError(ErrorCode::kInvalidRequest, "invalid cursor");
    }
    auto lease = backend_->Acquire(false);
    if (!lease) return lease.error();
    auto visible = ThreadVisible(**lease, user_id, thread_id);
    if (!visible) return visible.error();
    if (!*visible) return MakeError(ErrorCode::kNotFound, "thread not found");
    auto r = pos ? (*lease)->Exec(next, {thread_id, pos->first, pos->first, pos->second, page + 1})
                 : (*lease)->Exec(first, {thread_id, page + 1});
    if (!r) return r.error();
    Page<Message> out;
    for (const auto& row : r->rows) out.data.push_back(MessageFromRow(row));
    if (out.data.size() > static_cast<std::size_t>(page)) {
        out.data.pop_back();
        out.next_cursor = EncodeCursor(out.data.back().created_at, out.data.back().id);
    }
    return out;
}

Status SqlStore::InsertMessageAndRun(const Message& message, const Run& run) {
    static const std::string insert_run =
        Sql({"INSERT INTO runs (", kRunCols, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"});
    if (run.thread_id != message.thread_id || run.user_id != message.user_id) {
        return MakeError(ErrorCode::kInvalidRequest, "run and message belong to different threads or users");
    }
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        if (auto s = BumpThread(c, message.thread_id, message.user_id, message.created_at); !s) return s;
        if (auto s = InsertMessageRow(c, message); !s) return s;
        auto r = c.Exec(insert_run, {run.id, run.thread_id, run.user_id, run.status, run.policy, run.error,
                                     run.created_at, run.started_at, run.finished_at, run.owner_instance,
                                     run.lease_until, run.attempt, run.request});
        if (!r) return Rename(r.error(), ErrorCode::kConflict, "run id already exists");
        return core::Ok();
    });
}

// --- runs -------------------------------------------------------------------------------------------------

Result<std::optional<Run>> SqlStore::GetRun(const std::string& user_id, const std::string& run_id) {
    static const std::string sql = Sql({"SELECT ", kRunCols, " FROM runs WHERE id = ? AND user_id = ?"});
    auto r = Read(*backend_, sql, {run_id, user_id});
    if (!r) return r.error();
    if (r->rows.empty()) return std::optional<Run>();
    return std::optional<Run>(RunFromRow(r->rows[0]));
}

Result<std::optional<Run>> SqlStore::GetRunById(const std::string& run_id) {
    static const std::string sql = Sql({"SELECT ", kRunCols, " FROM runs WHERE id = ?"});
    auto r = Read(*backend_, sql, {run_id});
    if (!r) return r.error();
    if (r->rows.empty()) return std::optional<Run>();
    return std::optional<Run>(RunFromRow(r->rows[0]));
}

Result<std::vector<Run>> SqlStore::ListThreadRuns(const std::string& user_id, const std::string& thread_id) {
    static const std::string sql =
        Sql({"SELECT ", kRunCols, " FROM runs WHERE thread_id = ? AND user_id = ? ORDER BY created_at ASC, id ASC"});
    auto lease = backend_->Acquire(false);
    if (!lease) return lease.error();
    auto visible = ThreadVisible(**lease, user_id, thread_id);
    if (!visible) return visible.error();
    if (!*visible) return MakeError(ErrorCode::kNotFound, "thread not found");
    auto r = (*lease)->Exec(sql, {thread_id, user_id});
    if (!r) return r.error();
    std::vector<Run> out;
    for (const auto& row : r->rows) out.push_back(RunFromRow(row));
    return out;
}

Result<std::vector<Run>> SqlStore::ListRunsByStatus(const std::string& status) {
    static const std::string sql =
        Sql({"SELECT ", kRunCols, " FROM runs WHERE status = ? ORDER BY created_at ASC, id ASC"});
    auto r = Read(*backend_, sql, {status});
    if (!r) return r.error();
    std::vector<Run> out;
    for (const auto& row : r->rows) out.push_back(RunFromRow(row));
    return out;
}

Status SqlStore::UpdateRunStatus(const std::string& run_id, const std::string& status,
                                 const std::optional<std::string>& error, std::optional<Millis> started_at,
                                 std::optional<Millis> finished_at) {
    auto r = Write(*backend_,
                   "UPDATE runs SET status = ?, error = COALESCE(CAST(? AS TEXT), error),"
                   " started_at = COALESCE(CAST(? AS BIGINT), started_at),"
                   " finished_at = COALESCE(CAST(? AS BIGINT), finished_at) WHERE id = ?",
                   {status, error, started_at, finished_at, run_id});
    if (!r) return Rename(r.error(), ErrorCode::kInvalidRequest, "invalid run status");
    if (r->affected == 0) return MakeError(ErrorCode::kNotFound, "run not found");
    return core::Ok();
}

// --- run events -------------------------------------------------------------------------------------------

Status SqlStore::AppendEvents(const std::vector<RunEvent>& events) {
    if (events.empty()) return core::Ok();
    return InWriteTx(*backend_, [&](SqlConnection& c) { return InsertEventRows(c, events); });
}

Result<std::vector<RunEvent>> SqlStore::ListEvents(const std::string& run_id, const EventFilter& filter) {
    static const std::string sql = Sql({"SELECT ", kEventCols,
                                        " FROM run_events WHERE run_id = ? AND seq > CAST(? AS BIGINT)"
                                        " AND (CAST(? AS TEXT) IS NULL OR type = ?)"
                                        " AND (CAST(? AS TEXT) IS NULL OR agent_name = ?)"
                                        " ORDER BY seq ASC LIMIT ?"});
    const int limit = filter.limit > 0 ? filter.limit : kDefaultEventLimit;
    auto r = Read(*backend_, sql,
                  {run_id, filter.after_seq, filter.type, filter.type, filter.agent_name, filter.agent_name, limit});
    if (!r) return r.error();
    std::vector<RunEvent> out;
    out.reserve(r->rows.size());
    for (const auto& row : r->rows) out.push_back(EventFromRow(row));
    return out;
}

Result<std::int64_t> SqlStore::LastEventSeq(const std::string& run_id) {
    auto r = Read(*backend_, "SELECT COALESCE(MAX(seq), 0) FROM run_events WHERE run_id = ?", {run_id});
    if (!r) return r.error();
    return ToInt(r->rows.at(0).at(0));
}

Status SqlStore::FinishRun(const std::string& run_id, const std::string& status,
                           const std::optional<std::string>& error, Millis finished_at,
                           const std::optional<Message>& assistant_message, const std::vector<RunEvent>& final_events) {
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        auto r = c.Exec(
            "UPDATE runs SET status = ?, error = COALESCE(CAST(? AS TEXT), error), finished_at = ?"
            " WHERE id = ?",
            {status, error, finished_at, run_id});
        if (!r) return Rename(r.error(), ErrorCode::kInvalidRequest, "invalid run status");
        if (r->affected == 0) return MakeError(ErrorCode::kNotFound, "run not found");
        if (assistant_message) {
            const Message& m = *assistant_message;
            if (auto s = BumpThread(c, m.thread_id, m.user_id, m.created_at); !s) return s;
            if (auto s = InsertMessageRow(c, m); !s) return s;
        }
        return InsertEventRows(c, final_events);
    });
}

}  // namespace netra::storage::sql

#include "storage/sql/sql_store.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <utility>

#include "core/json_write.hpp"
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

std::string StringsToJson(const std::vector<std::string>& permissions) {
    boost::json::array arr;
    for (const auto& p : permissions) arr.emplace_back(p);
    return core::JsonText(arr);
}

std::vector<std::string> StringsFromJson(const std::string& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec || !value.is_array()) return out;  // a damaged column degrades to an empty list, never a crash
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
    return User{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), ToStr(r[3]), StringsFromJson(ToStr(r[4])), ToInt(r[5])};
}

constexpr std::string_view kTokenCols = "id, user_id, family_id, token_hash, expires_at, revoked_at, replaced_by";
RefreshToken TokenFromRow(const SqlRow& r) {
    return RefreshToken{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), ToStr(r[3]), ToInt(r[4]), ToOptInt(r[5]), r[6]};
}

constexpr std::string_view kThreadCols = "id, user_id, title, created_at, updated_at";
Thread ThreadFromRow(const SqlRow& r) {
    return Thread{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), ToInt(r[3]), ToInt(r[4])};
}

// A stored name outside its set is a corrupt row (the schema's CHECK constraints keep them out): it fails the
// call that read it instead of becoming some default value.
template <class E>
E Decode(std::optional<E> value, std::string_view what, const std::string& text) {
    if (!value) throw std::runtime_error("corrupt row: " + std::string(what) + " '" + text + "'");
    return *value;
}

constexpr std::string_view kMessageCols = "id, thread_id, user_id, role, content, run_id, dataset_id, created_at";
Message MessageFromRow(const SqlRow& r) {
    std::string role = ToStr(r[3]);
    return Message{ToStr(r[0]), ToStr(r[1]), ToStr(r[2]), Decode(domain::ParseMessageRole(role), "message role", role),
                   ToStr(r[4]), r[5],        r[6],        ToInt(r[7])};
}

constexpr std::string_view kRunCols =
    "id, thread_id, user_id, status, policy, error, created_at, started_at, finished_at, owner_instance, "
    "lease_until, attempt, request, agent";
Run RunFromRow(const SqlRow& r) {
    Run run;
    run.id = ToStr(r[0]);
    run.thread_id = ToStr(r[1]);
    run.user_id = ToStr(r[2]);
    std::string status = ToStr(r[3]), policy = ToStr(r[4]);
    run.status = Decode(domain::ParseRunStatus(status), "run status", status);
    run.policy = Decode(domain::ParseDoubleTextPolicy(policy), "run policy", policy);
    run.error = r[5];
    run.created_at = ToInt(r[6]);
    run.started_at = ToOptInt(r[7]);
    run.finished_at = ToOptInt(r[8]);
    run.owner_instance = r[9];
    run.lease_until = ToOptInt(r[10]);
    run.attempt = static_cast<int>(ToInt(r[11]));
    run.request = ToStr(r[12]);
    run.agent = ToStr(r[13]);
    return run;
}

constexpr std::string_view kEventCols = "run_id, seq, type, agent_name, payload, created_at";
RunEvent EventFromRow(const SqlRow& r) {
    std::string type = ToStr(r[2]);
    return RunEvent{ToStr(r[0]), ToInt(r[1]), Decode(domain::ParseEventType(type), "event type", type),
                    ToStr(r[3]), ToStr(r[4]), ToInt(r[5])};
}

constexpr std::string_view kDatasetCols =
    "id, user_id, thread_id, name, format, \"rows\", rejected_rows, \"columns\", profile, created_at, "
    "source_format, grain";
Dataset DatasetFromRow(const SqlRow& r) {
    Dataset d;
    d.id = ToStr(r[0]);
    d.user_id = ToStr(r[1]);
    d.thread_id = r[2];
    d.name = ToStr(r[3]);
    d.format = ToStr(r[4]);
    d.rows = ToInt(r[5]);
    d.rejected_rows = ToInt(r[6]);
    d.columns = StringsFromJson(ToStr(r[7]));
    d.profile = r[8] ? *r[8] : std::string("{}");
    d.created_at = ToInt(r[9]);
    d.source_format = ToStr(r[10]);
    d.grain = ToStr(r[11]);
    return d;
}

// The usage_records columns written by the bulk paths, in this order (the surrogate id is generated). Keep
// AppendCopyRow, AppendUsageParams and UsageFromRow in step with these lists.
constexpr std::string_view kUsageInsertCols =
    "dataset_id, ts, model, provider, input_tokens, output_tokens, cached_tokens, latency_ms, cost_usd, "
    "prompt_hash, prefix_hash, feature, batchable, status, cache_write_5m_tokens, cache_write_1h_tokens, "
    "reasoning_tokens, request_count, list_cost_usd, cost_from_file, batched, long_context, user_ref, team, "
    "api_key, project, tags";
constexpr std::size_t kUsageInsertColCount = 27;
// Read back with the id first: it breaks ties between equal timestamps (insertion order) and is the keyset.
constexpr std::string_view kUsageReadCols =
    "id, ts, model, provider, input_tokens, output_tokens, cached_tokens, latency_ms, cost_usd, prompt_hash, "
    "prefix_hash, feature, batchable, status, cache_write_5m_tokens, cache_write_1h_tokens, reasoning_tokens, "
    "request_count, list_cost_usd, cost_from_file, batched, long_context, user_ref, team, api_key, project, tags";

std::optional<double> ToOptReal(const std::optional<std::string>& v) {
    if (!v) return std::nullopt;
    double out = 0;
    std::from_chars(v->data(), v->data() + v->size(), out);
    return out;
}

UsageRecord UsageFromRow(const SqlRow& r) {
    UsageRecord u;
    u.ts = ToInt(r[1]);
    u.model = ToStr(r[2]);
    u.provider = ToStr(r[3]);
    u.input_tokens = ToInt(r[4]);
    u.output_tokens = ToInt(r[5]);
    u.cached_tokens = ToInt(r[6]);
    u.latency_ms = ToOptReal(r[7]);
    u.cost_usd = ToOptReal(r[8]);
    u.prompt_hash = ToStr(r[9]);
    u.prefix_hash = ToStr(r[10]);
    u.feature = ToStr(r[11]);
    u.batchable = ToInt(r[12]) != 0;
    u.success = ToStr(r[13]) == "ok";
    u.cache_write_5m_tokens = ToInt(r[14]);
    u.cache_write_1h_tokens = ToInt(r[15]);
    u.reasoning_tokens = ToInt(r[16]);
    u.request_count = ToInt(r[17]);
    u.list_cost_usd = ToOptReal(r[18]);
    u.cost_from_file = ToInt(r[19]) != 0;
    u.batched = ToInt(r[20]) != 0;
    u.long_context = ToInt(r[21]) != 0;
    u.user = ToStr(r[22]);
    u.team = ToStr(r[23]);
    u.api_key = ToStr(r[24]);
    u.project = ToStr(r[25]);
    u.tags = ToStr(r[26]);
    return u;
}

// Optional text columns hold NULL rather than '' so that analysis queries (COUNT(DISTINCT …)) see "absent".
SqlParam TextOrNull(std::string_view s) { return s.empty() ? SqlParam(nullptr) : SqlParam(s); }

const char* StatusText(const UsageRecord& r) { return r.success ? "ok" : "error"; }

// SQLite binds NaN as NULL and PostgreSQL would store it: refuse non-finite numbers so both backends hold the
// same values (the ingest never produces them; this guards other callers).
core::Status CheckFinite(const std::vector<UsageRecord>& records) {
    for (const auto& r : records) {
        if ((r.latency_ms && !std::isfinite(*r.latency_ms)) || (r.cost_usd && !std::isfinite(*r.cost_usd)) ||
            (r.list_cost_usd && !std::isfinite(*r.list_cost_usd))) {
            return MakeError(ErrorCode::kInvalidRequest, "usage record with a non-finite latency or cost");
        }
    }
    return core::Ok();
}

// --- PostgreSQL COPY text format ----------------------------------------------------------------------------

void AppendCopyText(std::string& out, std::string_view s) {
    // Backslash starts an escape and tab/newline/CR delimit fields and rows: those four must be escaped.
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const char* esc = nullptr;
        switch (c) {
            case '\\':
                esc = "\\\\";
                break;
            case '\t':
                esc = "\\t";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            default:
                continue;
        }
        out.append(s.data() + start, i - start);
        out.append(esc);
        start = i + 1;
    }
    out.append(s.data() + start, s.size() - start);
}

void AppendCopyTextOrNull(std::string& out, std::string_view s) {
    if (s.empty()) {
        out.append("\\N");
    } else {
        AppendCopyText(out, s);
    }
}

void AppendCopyInt(std::string& out, std::int64_t v) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, res.ptr);
}

void AppendCopyReal(std::string& out, const std::optional<double>& v) {
    if (!v) {
        out.append("\\N");
        return;
    }
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof(buf), *v);  // shortest exact representation
    out.append(buf, res.ptr);
}

void AppendCopyRow(std::string& out, std::string_view dataset_id_escaped, const UsageRecord& r) {
    out.append(dataset_id_escaped);
    out.push_back('\t');
    AppendCopyInt(out, r.ts);
    out.push_back('\t');
    AppendCopyText(out, r.model);
    out.push_back('\t');
    AppendCopyText(out, r.provider);
    out.push_back('\t');
    AppendCopyInt(out, r.input_tokens);
    out.push_back('\t');
    AppendCopyInt(out, r.output_tokens);
    out.push_back('\t');
    AppendCopyInt(out, r.cached_tokens);
    out.push_back('\t');
    AppendCopyReal(out, r.latency_ms);
    out.push_back('\t');
    AppendCopyReal(out, r.cost_usd);
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.prompt_hash);
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.prefix_hash);
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.feature);
    out.push_back('\t');
    out.push_back(r.batchable ? '1' : '0');
    out.push_back('\t');
    out.append(StatusText(r));
    out.push_back('\t');
    AppendCopyInt(out, r.cache_write_5m_tokens);
    out.push_back('\t');
    AppendCopyInt(out, r.cache_write_1h_tokens);
    out.push_back('\t');
    AppendCopyInt(out, r.reasoning_tokens);
    out.push_back('\t');
    AppendCopyInt(out, r.request_count);
    out.push_back('\t');
    AppendCopyReal(out, r.list_cost_usd);
    out.push_back('\t');
    out.push_back(r.cost_from_file ? '1' : '0');
    out.push_back('\t');
    out.push_back(r.batched ? '1' : '0');
    out.push_back('\t');
    out.push_back(r.long_context ? '1' : '0');
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.user);
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.team);
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.api_key);
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.project);
    out.push_back('\t');
    AppendCopyTextOrNull(out, r.tags);
    out.push_back('\n');
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
    return {m.id,      m.thread_id, m.user_id,    std::string(domain::Name(m.role)),
            m.content, m.run_id,    m.dataset_id, m.created_at};
}

const std::string& InsertEventSql() {
    static const std::string sql = Sql({"INSERT INTO run_events (", kEventCols, ") VALUES (?, ?, ?, ?, ?, ?)"});
    return sql;
}
SqlParams EventParams(const RunEvent& e) {
    return {e.run_id,
            e.seq,
            std::string(domain::Name(e.type)),
            e.agent_name,
            e.payload.empty() ? std::string("{}") : e.payload,
            e.created_at};
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

std::string RealToText(double v) {
    char buf[32];
    auto res = std::to_chars(buf, buf + sizeof(buf), v);  // shortest text that parses back to the same double
    return std::string(buf, res.ptr);
}

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

// The first row of a query as a record, or nullopt when there is none.
template <class T, class FromRow>
Result<std::optional<T>> ReadOne(SqlBackend& backend, std::string_view sql, const SqlParams& params, FromRow from_row) {
    auto r = Read(backend, sql, params);
    if (!r) return r.error();
    if (r->rows.empty()) return std::optional<T>();
    return std::optional<T>(from_row(r->rows[0]));
}

Result<SqlResult> Write(SqlBackend& backend, std::string_view sql, const SqlParams& params) {
    auto lease = backend.Acquire(true);
    if (!lease) return lease.error();
    return (*lease)->Exec(sql, params);
}

}  // namespace

namespace {

// Consults the hook before each borrow; the lease itself is the wrapped backend's (its Release takes it back).
class HookedBackend final : public SqlBackend {
  public:
    HookedBackend(std::unique_ptr<SqlBackend> inner, AcquireHook hook)
        : inner_(std::move(inner)), hook_(std::move(hook)) {}
    std::string Name() const override { return inner_->Name(); }
    std::string Durability() const override { return inner_->Durability(); }
    Dialect dialect() const override { return inner_->dialect(); }
    std::string_view BeginWriteSql() const override { return inner_->BeginWriteSql(); }
    core::Result<ConnLease> Acquire(bool write) override {
        if (auto s = hook_(write); !s.ok()) return s.error();
        return inner_->Acquire(write);
    }

  protected:
    void Release(SqlConnection*, bool) override {}  // never: leases belong to the inner backend

  private:
    std::unique_ptr<SqlBackend> inner_;
    AcquireHook hook_;
};

}  // namespace

SqlStore::SqlStore(std::unique_ptr<SqlBackend> backend, AcquireHook hook)
    : backend_(hook ? std::make_unique<HookedBackend>(std::move(backend), std::move(hook)) : std::move(backend)) {}
SqlStore::~SqlStore() = default;

std::string SqlStore::BackendName() const { return backend_->Name(); }
std::string SqlStore::Durability() const { return backend_->Durability(); }

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
                   {user.id, LowerAscii(user.email), user.name, user.password_hash, StringsToJson(user.permissions),
                    user.created_at});
    if (!r) return Rename(r.error(), ErrorCode::kConflict, "a user with this email already exists");
    return core::Ok();
}

Result<std::optional<User>> SqlStore::FindUserByEmail(const std::string& email) {
    static const std::string sql = Sql({"SELECT ", kUserCols, " FROM users WHERE email = ?"});
    return ReadOne<User>(*backend_, sql, {LowerAscii(email)}, UserFromRow);
}

Result<std::optional<User>> SqlStore::FindUserById(const std::string& id) {
    static const std::string sql = Sql({"SELECT ", kUserCols, " FROM users WHERE id = ?"});
    return ReadOne<User>(*backend_, sql, {id}, UserFromRow);
}

Result<User> SqlStore::EnsureUser(const User& user) {
    static const std::string insert =
        Sql({"INSERT INTO users (", kUserCols, ") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"});
    static const std::string select = Sql({"SELECT ", kUserCols, " FROM users WHERE id = ?"});
    // Both statements on the write connection: the row read back is the one that won any race on the id.
    auto lease = backend_->Acquire(true);
    if (!lease) return lease.error();
    auto ins = (*lease)->Exec(insert, {user.id, LowerAscii(user.email), user.name, user.password_hash,
                                       StringsToJson(user.permissions), user.created_at});
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
    return ReadOne<RefreshToken>(*backend_, sql, {token_hash}, TokenFromRow);
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
    return ReadOne<Thread>(*backend_, sql, {thread_id, user_id}, ThreadFromRow);
}

namespace {

// Turns up to `page + 1` rows into a page: the extra row only says that another page exists.
template <class T, class FromRow, class Key>
Page<T> FinishPage(const SqlResult& result, int page, FromRow from_row, Key key) {
    Page<T> out;
    for (const auto& row : result.rows) out.data.push_back(from_row(row));
    if (out.data.size() > static_cast<std::size_t>(page)) {
        out.data.pop_back();
        const auto& last = out.data.back();
        out.next_cursor = EncodeCursor(key(last), last.id);
    }
    return out;
}

// Keyset pagination by (time, id) over one user's rows: `first` binds (user_id, limit), `next` binds
// (user_id, time, time, id, limit) from the cursor.
template <class T, class FromRow, class Key>
Result<Page<T>> UserKeysetPage(SqlBackend& backend, const std::string& first, const std::string& next,
                               const std::string& user_id, int limit, const std::optional<std::string>& cursor,
                               FromRow from_row, Key key) {
    const int page = ClampPageSize(limit);
    Result<SqlResult> r = MakeError(ErrorCode::kInternal, "unreachable");
    if (cursor) {
        auto pos = DecodeCursor(*cursor);
        if (!pos) return MakeError(ErrorCode::kInvalidRequest, "invalid cursor");
        r = Read(backend, next, {user_id, pos->first, pos->first, pos->second, page + 1});
    } else {
        r = Read(backend, first, {user_id, page + 1});
    }
    if (!r) return r.error();
    return FinishPage<T>(*r, page, from_row, key);
}

}  // namespace

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
    return UserKeysetPage<Thread>(*backend_, first, next, user_id, limit, cursor, ThreadFromRow,
                                  [](const Thread& t) { return t.updated_at; });
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
    return FinishPage<Message>(*r, page, MessageFromRow, [](const Message& m) { return m.created_at; });
}

Status SqlStore::InsertMessageAndRun(const Message& message, const Run& run) {
    static const std::string insert_run =
        Sql({"INSERT INTO runs (", kRunCols, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"});
    if (run.thread_id != message.thread_id || run.user_id != message.user_id) {
        return MakeError(ErrorCode::kInvalidRequest, "run and message belong to different threads or users");
    }
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        if (auto s = BumpThread(c, message.thread_id, message.user_id, message.created_at); !s) return s;
        if (auto s = InsertMessageRow(c, message); !s) return s;
        auto r = c.Exec(insert_run,
                        {run.id, run.thread_id, run.user_id, std::string(domain::Name(run.status)),
                         std::string(domain::Name(run.policy)), run.error, run.created_at, run.started_at,
                         run.finished_at, run.owner_instance, run.lease_until, run.attempt, run.request, run.agent});
        if (!r) return Rename(r.error(), ErrorCode::kConflict, "run id already exists");
        return core::Ok();
    });
}

// --- runs -------------------------------------------------------------------------------------------------

Result<std::optional<Run>> SqlStore::GetRun(const std::string& user_id, const std::string& run_id) {
    static const std::string sql = Sql({"SELECT ", kRunCols, " FROM runs WHERE id = ? AND user_id = ?"});
    return ReadOne<Run>(*backend_, sql, {run_id, user_id}, RunFromRow);
}

Result<std::optional<Run>> SqlStore::GetRunById(const std::string& run_id) {
    static const std::string sql = Sql({"SELECT ", kRunCols, " FROM runs WHERE id = ?"});
    return ReadOne<Run>(*backend_, sql, {run_id}, RunFromRow);
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

Result<std::vector<Run>> SqlStore::ListRunsByStatus(domain::RunStatus status) {
    static const std::string sql =
        Sql({"SELECT ", kRunCols, " FROM runs WHERE status = ? ORDER BY created_at ASC, id ASC"});
    auto r = Read(*backend_, sql, {std::string(domain::Name(status))});
    if (!r) return r.error();
    std::vector<Run> out;
    for (const auto& row : r->rows) out.push_back(RunFromRow(row));
    return out;
}

Status SqlStore::UpdateRunStatus(const std::string& run_id, domain::RunStatus status,
                                 const std::optional<std::string>& error, std::optional<Millis> started_at,
                                 std::optional<Millis> finished_at) {
    auto r = Write(*backend_,
                   "UPDATE runs SET status = ?, error = COALESCE(CAST(? AS TEXT), error),"
                   " started_at = COALESCE(CAST(? AS BIGINT), started_at),"
                   " finished_at = COALESCE(CAST(? AS BIGINT), finished_at) WHERE id = ?",
                   {std::string(domain::Name(status)), error, started_at, finished_at, run_id});
    if (!r) return Rename(r.error(), ErrorCode::kInvalidRequest, "invalid run status");
    if (r->affected == 0) return MakeError(ErrorCode::kNotFound, "run not found");
    return core::Ok();
}

Result<bool> SqlStore::ClaimRun(const std::string& run_id, const std::string& owner, Millis lease_until, Millis now) {
    auto r = Write(*backend_,
                   "UPDATE runs SET status = 'running', owner_instance = ?, lease_until = ?, attempt = attempt + 1,"
                   " started_at = COALESCE(started_at, CAST(? AS BIGINT))"
                   " WHERE id = ? AND status IN ('queued', 'interrupted')",
                   {owner, lease_until, now, run_id});
    if (!r) return r.error();
    return r->affected == 1;
}

Result<bool> SqlStore::ReleaseClaim(const std::string& run_id, const std::string& owner) {
    // The right-hand sides read the row as it was: `attempt = 1` means the claim being undone was its first.
    auto r = Write(*backend_,
                   "UPDATE runs SET status = CASE WHEN attempt = 1 THEN 'queued' ELSE 'interrupted' END,"
                   " started_at = CASE WHEN attempt = 1 THEN NULL ELSE started_at END, attempt = attempt - 1"
                   " WHERE id = ? AND owner_instance = ? AND status = 'running'",
                   {run_id, owner});
    if (!r) return r.error();
    return r->affected == 1;
}

Result<bool> SqlStore::HandBackRun(const std::string& run_id, const std::string& owner, const std::string& error) {
    auto r = Write(*backend_,
                   "UPDATE runs SET status = 'interrupted', error = ?, attempt = attempt - 1"
                   " WHERE id = ? AND owner_instance = ? AND status = 'running'",
                   {error, run_id, owner});
    if (!r) return r.error();
    return r->affected == 1;
}

Result<std::vector<Store::HeldLease>> SqlStore::RenewLeases(const std::string& owner,
                                                            const std::vector<std::string>& run_ids,
                                                            Millis lease_until) {
    if (run_ids.empty()) return std::vector<HeldLease>{};
    // A handful of ids (the runs this process executes): one statement, its placeholders built per call.
    std::string sql = "UPDATE runs SET lease_until = ? WHERE owner_instance = ? AND status = 'running' AND id IN (";
    SqlParams params{lease_until, owner};
    for (std::size_t i = 0; i < run_ids.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
        params.emplace_back(run_ids[i]);
    }
    sql += ") RETURNING id, cancel_requested_at";
    auto lease = backend_->Acquire(true);
    if (!lease) return lease.error();
    auto r = (*lease)->Exec(sql, params, /*cache=*/false);  // the statement's shape varies with the count
    if (!r) return r.error();
    std::vector<HeldLease> renewed;
    for (const auto& row : r->rows) renewed.push_back(HeldLease{row.at(0).value_or(""), row.at(1).has_value()});
    return renewed;
}

Result<bool> SqlStore::RequestCancel(const std::string& run_id, Millis now) {
    auto r = Write(*backend_,
                   "UPDATE runs SET cancel_requested_at = COALESCE(cancel_requested_at, CAST(? AS BIGINT))"
                   " WHERE id = ? AND status = 'running'",
                   {now, run_id});
    if (!r) return r.error();
    return r->affected == 1;
}

Result<std::vector<Run>> SqlStore::ClaimNextRuns(const std::string& owner, Millis lease_until, Millis now,
                                                 int per_user_limit, int max_runs) {
    const bool postgres = backend_->dialect() == Dialect::kPostgres;
    // One statement picks and claims: the waiting runs in age order (the partial index runs_waiting), skipping
    // threads with a running run and users at their limit — both sets come from the running runs, a few hundred
    // rows read once per claim (hashed), not once per candidate — and runs with an older waiting run on their
    // thread (an index lookup on runs (thread_id, created_at)). The first candidate left is claimed. A deep queue
    // of one user's blocked runs costs a cheap skip each.
    static const std::string pick =
        "SELECT r.id FROM runs r"
        " WHERE r.status IN ('queued', 'interrupted')"
        " AND r.thread_id NOT IN (SELECT a.thread_id FROM runs a WHERE a.status = 'running')"
        " AND r.user_id NOT IN (SELECT u.user_id FROM runs u WHERE u.status = 'running'"
        "   GROUP BY u.user_id HAVING COUNT(*) >= ?)"
        " AND NOT EXISTS (SELECT 1 FROM runs e WHERE e.thread_id = r.thread_id"
        "   AND e.status IN ('queued', 'interrupted')"
        "   AND (e.created_at < r.created_at OR (e.created_at = r.created_at AND e.id < r.id)))"
        " ORDER BY r.created_at, r.id LIMIT 1";
    static const std::string claim_pg =
        Sql({"UPDATE runs SET status = 'running', owner_instance = ?, lease_until = ?, attempt = attempt + 1,"
             " started_at = COALESCE(started_at, CAST(? AS BIGINT)) WHERE id = (",
             pick, " FOR UPDATE OF r SKIP LOCKED) RETURNING ", kRunCols});
    static const std::string claim_sqlite =
        Sql({"UPDATE runs SET status = 'running', owner_instance = ?, lease_until = ?, attempt = attempt + 1,"
             " started_at = COALESCE(started_at, CAST(? AS BIGINT)) WHERE id = (",
             pick, ") RETURNING ", kRunCols});
    std::vector<Run> claimed;
    auto status = InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        if (postgres) {
            // Every instance's claims queue here for the few milliseconds one batch takes (the lock ends with the
            // transaction); SQLite's write transaction already serializes them.
            if (auto lock = c.Exec("SELECT pg_advisory_xact_lock(7264091)"); !lock) return lock.error();
        }
        // One statement per run, each seeing the claims before it: a batch costs one lock and one commit, and the
        // statement stays the simple one that stops at the first run that may start.
        for (int i = 0; i < max_runs; ++i) {
            auto r = c.Exec(postgres ? claim_pg : claim_sqlite,
                            {owner, lease_until, now, static_cast<std::int64_t>(per_user_limit)});
            if (!r) return r.error();
            if (r->rows.empty()) break;
            claimed.push_back(RunFromRow(r->rows.front()));
        }
        return core::Ok();
    });
    if (!status.ok()) return status.error();
    return claimed;
}

Result<std::optional<Run>> SqlStore::ActiveRunOfThread(const std::string& thread_id) {
    static const std::string sql =
        Sql({"SELECT ", kRunCols,
             " FROM runs WHERE thread_id = ? AND status IN ('running', 'queued', 'interrupted')"
             " ORDER BY CASE status WHEN 'running' THEN 0 ELSE 1 END, created_at ASC, id ASC LIMIT 1"});
    return ReadOne<Run>(*backend_, sql, {thread_id}, RunFromRow);
}

Result<std::vector<Run>> SqlStore::ListUserRunsSince(const std::string& user_id, Millis since) {
    static const std::string sql =
        Sql({"SELECT ", kRunCols,
             " FROM runs WHERE user_id = ? AND (status IN ('queued', 'running', 'interrupted')"
             " OR finished_at >= CAST(? AS BIGINT)) ORDER BY created_at ASC, id ASC"});
    auto r = Read(*backend_, sql, {user_id, since});
    if (!r) return r.error();
    std::vector<Run> out;
    for (const auto& row : r->rows) out.push_back(RunFromRow(row));
    return out;
}

Result<std::vector<Run>> SqlStore::ListExpiredLeases(Millis now) {
    static const std::string sql =
        Sql({"SELECT ", kRunCols,
             " FROM runs WHERE status = 'running' AND (lease_until IS NULL OR lease_until < CAST(? AS BIGINT))"
             " ORDER BY created_at ASC, id ASC"});
    auto r = Read(*backend_, sql, {now});
    if (!r) return r.error();
    std::vector<Run> out;
    for (const auto& row : r->rows) out.push_back(RunFromRow(row));
    return out;
}

Result<bool> SqlStore::InterruptExpired(const std::string& run_id, Millis now, const std::string& error) {
    auto r = Write(*backend_,
                   "UPDATE runs SET status = 'interrupted', error = ? WHERE id = ? AND status = 'running'"
                   " AND (lease_until IS NULL OR lease_until < CAST(? AS BIGINT))",
                   {error, run_id, now});
    if (!r) return r.error();
    return r->affected == 1;
}

// --- run events -------------------------------------------------------------------------------------------

Status SqlStore::AppendEvents(const std::vector<RunEvent>& events) {
    if (events.empty()) return core::Ok();
    return InWriteTx(*backend_, [&](SqlConnection& c) { return InsertEventRows(c, events); });
}

Status SqlStore::AppendOwnedEvents(const std::vector<RunEvent>& events, const std::string& owner) {
    if (events.empty()) return core::Ok();
    // One statement per batch names its runs (a batch holds the events of up to hundreds of runs: a statement per run
    // made 1000 concurrent runs on PostgreSQL 30 % slower; docs/performance.md). No row lock (FOR SHARE writes every
    // row it locks, and measured slower): a take-over that commits between this check and the insert meets these events
    // through (run_id, seq)'s uniqueness instead — the new attempt continues after the last stored seq, so the two
    // writers clash on the same seq and one of them fails, never interleaving.
    std::vector<std::string_view> runs;
    for (const auto& e : events)
        if (std::find(runs.begin(), runs.end(), e.run_id) == runs.end()) runs.push_back(e.run_id);
    std::string sql = "SELECT id FROM runs WHERE owner_instance = ? AND status = 'running' AND id IN (";
    SqlParams params{owner};
    for (std::size_t i = 0; i < runs.size(); ++i) {
        sql += i == 0 ? "?" : ", ?";
        params.emplace_back(std::string(runs[i]));
    }
    sql += ")";
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        auto held = c.Exec(sql, params, /*cache=*/false);  // the statement's shape varies with the count
        if (!held) return held.error();
        if (held->rows.size() != runs.size()) {
            for (auto run : runs) {
                const bool found = std::any_of(held->rows.begin(), held->rows.end(),
                                               [&](const auto& row) { return row.at(0) == std::string(run); });
                if (!found) {
                    return MakeError(ErrorCode::kConflict,
                                     "run " + std::string(run) + " is no longer held by this instance");
                }
            }
        }
        return InsertEventRows(c, events);
    });
}

Result<std::vector<RunEvent>> SqlStore::ListEvents(const std::string& run_id, const EventFilter& filter) {
    static const std::string sql = Sql({"SELECT ", kEventCols,
                                        " FROM run_events WHERE run_id = ? AND seq > CAST(? AS BIGINT)"
                                        " AND (CAST(? AS TEXT) IS NULL OR type = ?)"
                                        " AND (CAST(? AS TEXT) IS NULL OR agent_name = ?)"
                                        " ORDER BY seq ASC LIMIT ?"});
    const int limit = filter.limit > 0 ? filter.limit : kDefaultEventLimit;
    std::optional<std::string> type;
    if (filter.type) type = std::string(domain::Name(*filter.type));
    auto r = Read(*backend_, sql, {run_id, filter.after_seq, type, type, filter.agent_name, filter.agent_name, limit});
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

Status SqlStore::FinishRun(const std::string& run_id, domain::RunStatus status, const std::optional<std::string>& error,
                           Millis finished_at, const std::optional<Message>& assistant_message,
                           const std::vector<RunEvent>& final_events, const std::optional<std::string>& owner) {
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        const std::string status_name(domain::Name(status));
        // Fenced by owner; and a run whose cancel was recorded (RequestCancel) does not complete: its canceller was
        // answered `cancelling`.
        auto r = c.Exec(
            "UPDATE runs SET status = ?, error = COALESCE(CAST(? AS TEXT), error), finished_at = ?"
            " WHERE id = ? AND (CAST(? AS TEXT) IS NULL OR (owner_instance = ? AND status = 'running'"
            " AND (cancel_requested_at IS NULL OR CAST(? AS TEXT) <> 'completed')))",
            {status_name, error, finished_at, run_id, owner, owner, status_name});
        if (!r) return Rename(r.error(), ErrorCode::kInvalidRequest, "invalid run status");
        if (r->affected == 0 && owner) {
            auto row = c.Exec("SELECT owner_instance, status, cancel_requested_at FROM runs WHERE id = ?", {run_id});
            if (row && !row->rows.empty()) {
                const auto& f = row->rows.front();
                if (f.at(0) == owner && f.at(1) == std::optional<std::string>("running") && f.at(2).has_value()) {
                    return MakeError(ErrorCode::kCancelled, "run " + run_id + " was cancelled before it completed");
                }
                return MakeError(ErrorCode::kConflict, "run " + run_id +
                                                           " is no longer this instance's: its lease was "
                                                           "taken over");
            }
        }
        if (r->affected == 0) return MakeError(ErrorCode::kNotFound, "run not found");
        if (assistant_message) {
            const Message& m = *assistant_message;
            if (auto s = BumpThread(c, m.thread_id, m.user_id, m.created_at); !s) return s;
            if (auto s = InsertMessageRow(c, m); !s) return s;
        }
        return InsertEventRows(c, final_events);
    });
}

// --- datasets ---------------------------------------------------------------------------------------------

namespace {

// Rows per multi-row INSERT on SQLite: 27 parameters each (6912 a statement) stays far below SQLite's 32766-variable
// limit, and larger batches gain nothing measurable (the per-statement overhead is already amortised).
constexpr std::size_t kInsertBatchRows = 256;
// Bytes of COPY text handed to libpq per call.
constexpr std::size_t kCopyChunkBytes = 1 << 20;
// Usage records fetched per round trip by LoadUsageRecords.
constexpr int kLoadPageRows = 8192;

std::string UsageInsertSql(std::size_t rows) {
    std::string sql = Sql({"INSERT INTO usage_records (", kUsageInsertCols, ") VALUES "});
    sql.reserve(sql.size() + rows * (kUsageInsertColCount * 3 + 3));
    for (std::size_t i = 0; i < rows; ++i) {
        sql += i == 0 ? "(" : ",(";
        for (std::size_t c = 0; c < kUsageInsertColCount; ++c) sql += c == 0 ? "?" : ", ?";
        sql += ")";
    }
    return sql;
}

void AppendUsageParams(SqlParams& params, const std::string& dataset_id, const UsageRecord& r) {
    params.emplace_back(dataset_id);
    params.emplace_back(r.ts);
    params.emplace_back(std::string_view(r.model));
    params.emplace_back(std::string_view(r.provider));
    params.emplace_back(r.input_tokens);
    params.emplace_back(r.output_tokens);
    params.emplace_back(r.cached_tokens);
    params.emplace_back(r.latency_ms);
    params.emplace_back(r.cost_usd);
    params.push_back(TextOrNull(r.prompt_hash));
    params.push_back(TextOrNull(r.prefix_hash));
    params.push_back(TextOrNull(r.feature));
    params.emplace_back(r.batchable ? 1 : 0);
    params.emplace_back(StatusText(r));
    params.emplace_back(r.cache_write_5m_tokens);
    params.emplace_back(r.cache_write_1h_tokens);
    params.emplace_back(r.reasoning_tokens);
    params.emplace_back(r.request_count);
    params.emplace_back(r.list_cost_usd);
    params.emplace_back(r.cost_from_file ? 1 : 0);
    params.emplace_back(r.batched ? 1 : 0);
    params.emplace_back(r.long_context ? 1 : 0);
    params.push_back(TextOrNull(r.user));
    params.push_back(TextOrNull(r.team));
    params.push_back(TextOrNull(r.api_key));
    params.push_back(TextOrNull(r.project));
    params.push_back(TextOrNull(r.tags));
}

}  // namespace

Status SqlStore::CreateDataset(const Dataset& dataset) {
    static const std::string sql =
        Sql({"INSERT INTO datasets (", kDatasetCols, ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"});
    if (dataset.format != "csv" && dataset.format != "jsonl" && dataset.format != "json") {
        return MakeError(ErrorCode::kInvalidRequest, "dataset format must be csv, jsonl or json");
    }
    // Unset source format and grain take the schema's defaults (a Netra-format request log).
    const std::string source_format = dataset.source_format.empty() ? std::string("netra") : dataset.source_format;
    const std::string grain = dataset.grain.empty() ? std::string("request") : dataset.grain;
    if (grain != "request" && grain != "aggregate") {
        return MakeError(ErrorCode::kInvalidRequest, "dataset grain must be request or aggregate");
    }
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        // A dataset may only be attached to one of its owner's live threads.
        if (dataset.thread_id) {
            auto visible = ThreadVisible(c, dataset.user_id, *dataset.thread_id);
            if (!visible) return visible.error();
            if (!*visible) return MakeError(ErrorCode::kNotFound, "thread not found");
        }
        auto r = c.Exec(sql, {dataset.id, dataset.user_id, dataset.thread_id, dataset.name, dataset.format,
                              dataset.rows, dataset.rejected_rows, StringsToJson(dataset.columns),
                              dataset.profile.empty() ? std::string("{}") : dataset.profile, dataset.created_at,
                              source_format, grain});
        if (!r) {
            return Rename(Rename(r.error(), ErrorCode::kNotFound, "user not found"), ErrorCode::kConflict,
                          "dataset id already exists");
        }
        return core::Ok();
    });
}

Status SqlStore::InsertUsageRecordsBatched(SqlConnection& c, const std::string& dataset_id,
                                           const std::vector<UsageRecord>& records) {
    static const std::string full_batch = UsageInsertSql(kInsertBatchRows);
    SqlParams params;
    params.reserve(kInsertBatchRows * kUsageInsertColCount);
    for (std::size_t begin = 0; begin < records.size(); begin += kInsertBatchRows) {
        const std::size_t end = std::min(records.size(), begin + kInsertBatchRows);
        params.clear();
        for (std::size_t i = begin; i < end; ++i) AppendUsageParams(params, dataset_id, records[i]);
        const bool full = end - begin == kInsertBatchRows;
        // Full batches reuse one cached prepared statement; the single short tail is prepared once, uncached,
        // so the statement cache does not grow with every distinct tail length.
        auto r = full ? c.Exec(full_batch, params) : c.Exec(UsageInsertSql(end - begin), params, false);
        if (!r) return Rename(r.error(), ErrorCode::kNotFound, "dataset not found");
    }
    return core::Ok();
}

Status SqlStore::CopyUsageRecords(SqlConnection& c, const std::string& dataset_id,
                                  const std::vector<UsageRecord>& records) {
    static const std::string copy = Sql({"COPY usage_records (", kUsageInsertCols, ") FROM STDIN"});
    std::string id_escaped;
    AppendCopyText(id_escaped, dataset_id);
    std::size_t next = 0;
    auto produce = [&](std::string& chunk) {
        while (next < records.size() && chunk.size() < kCopyChunkBytes)
            AppendCopyRow(chunk, id_escaped, records[next++]);
        return next < records.size();
    };
    auto status = c.CopyIn(copy, produce);
    if (!status) return Rename(status.error(), ErrorCode::kNotFound, "dataset not found");
    return core::Ok();
}

Status SqlStore::InsertUsageRecords(const std::string& dataset_id, const std::vector<UsageRecord>& records) {
    if (records.empty()) return core::Ok();
    if (auto s = CheckFinite(records); !s) return s;
    const bool postgres = backend_->dialect() == Dialect::kPostgres;
    return InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        if (!postgres) return InsertUsageRecordsBatched(c, dataset_id, records);  // the foreign key checks the id
        // PostgreSQL has no foreign key here (migration 3): the dataset must exist, and the KEY SHARE lock keeps
        // a concurrent DeleteDataset waiting until these records are committed (it then deletes them too).
        auto exists = c.Exec("SELECT 1 FROM datasets WHERE id = ? FOR KEY SHARE", {dataset_id});
        if (!exists) return exists.error();
        if (exists->rows.empty()) return MakeError(ErrorCode::kNotFound, "dataset not found");
        return CopyUsageRecords(c, dataset_id, records);
    });
}

Status SqlStore::FinalizeDataset(const std::string& dataset_id, std::int64_t rows, std::int64_t rejected_rows,
                                 const std::vector<std::string>& columns, const std::string& profile_json) {
    auto r = Write(*backend_,
                   "UPDATE datasets SET \"rows\" = ?, rejected_rows = ?, \"columns\" = ?, profile = ? WHERE id = ?",
                   {rows, rejected_rows, StringsToJson(columns),
                    profile_json.empty() ? std::string("{}") : profile_json, dataset_id});
    if (!r) return r.error();
    if (r->affected == 0) return MakeError(ErrorCode::kNotFound, "dataset not found");
    return core::Ok();
}

Result<std::optional<Dataset>> SqlStore::GetDataset(const std::string& user_id, const std::string& dataset_id) {
    static const std::string sql = Sql({"SELECT ", kDatasetCols, " FROM datasets WHERE id = ? AND user_id = ?"});
    return ReadOne<Dataset>(*backend_, sql, {dataset_id, user_id}, DatasetFromRow);
}

Result<Page<Dataset>> SqlStore::ListDatasets(const std::string& user_id, int limit,
                                             const std::optional<std::string>& cursor) {
    static const std::string first =
        Sql({"SELECT ", kDatasetCols, " FROM datasets WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?"});
    static const std::string next = Sql({"SELECT ", kDatasetCols,
                                         " FROM datasets WHERE user_id = ?"
                                         " AND (created_at < CAST(? AS BIGINT)"
                                         " OR (created_at = CAST(? AS BIGINT) AND id < ?))"
                                         " ORDER BY created_at DESC, id DESC LIMIT ?"});
    return UserKeysetPage<Dataset>(*backend_, first, next, user_id, limit, cursor, DatasetFromRow,
                                   [](const Dataset& d) { return d.created_at; });
}

Result<std::vector<Dataset>> SqlStore::ListThreadDatasets(const std::string& user_id, const std::string& thread_id) {
    static const std::string sql = Sql({"SELECT ", kDatasetCols,
                                        " FROM datasets WHERE thread_id = ? AND user_id = ?"
                                        " ORDER BY created_at ASC, id ASC"});
    auto lease = backend_->Acquire(false);
    if (!lease) return lease.error();
    auto visible = ThreadVisible(**lease, user_id, thread_id);
    if (!visible) return visible.error();
    if (!*visible) return MakeError(ErrorCode::kNotFound, "thread not found");
    auto r = (*lease)->Exec(sql, {thread_id, user_id});
    if (!r) return r.error();
    std::vector<Dataset> out;
    for (const auto& row : r->rows) out.push_back(DatasetFromRow(row));
    return out;
}

Result<bool> SqlStore::DeleteDataset(const std::string& user_id, const std::string& dataset_id) {
    bool found = false;
    // Explicit child delete, as for threads: independent of the foreign_keys setting, all or nothing.
    auto status = InWriteTx(*backend_, [&](SqlConnection& c) -> Status {
        auto owned = c.Exec("SELECT 1 FROM datasets WHERE id = ? AND user_id = ?", {dataset_id, user_id});
        if (!owned) return owned.error();
        if (owned->rows.empty()) return core::Ok();
        found = true;
        // The dataset row first: on PostgreSQL this waits for any insert holding its KEY SHARE lock, so the
        // records statement that follows (a fresh snapshot under READ COMMITTED) sees that insert's rows too.
        if (auto r = c.Exec("DELETE FROM datasets WHERE id = ?", {dataset_id}); !r) return r.error();
        if (auto r = c.Exec("DELETE FROM usage_records WHERE dataset_id = ?", {dataset_id}); !r) return r.error();
        return core::Ok();
    });
    if (!status) return status.error();
    return found;
}

Result<std::vector<UsageRecord>> SqlStore::LoadUsageRecords(const std::string& dataset_id) {
    static const std::string first =
        Sql({"SELECT ", kUsageReadCols, " FROM usage_records WHERE dataset_id = ? ORDER BY ts ASC, id ASC LIMIT ?"});
    static const std::string next = Sql({"SELECT ", kUsageReadCols,
                                         " FROM usage_records WHERE dataset_id = ?"
                                         " AND (ts > CAST(? AS BIGINT) OR (ts = CAST(? AS BIGINT) AND id > ?))"
                                         " ORDER BY ts ASC, id ASC LIMIT ?"});
    auto lease = backend_->Acquire(false);
    if (!lease) return lease.error();
    SqlConnection& c = **lease;
    // Pages (keyset on (ts, id)) bound the memory of one result; one read transaction gives them one snapshot.
    const std::string_view begin =
        backend_->dialect() == Dialect::kPostgres ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" : "BEGIN";
    if (auto b = c.Exec(begin); !b) return b.error();
    std::vector<UsageRecord> out;
    std::int64_t last_ts = 0;
    std::int64_t last_id = 0;
    for (bool more = true; more;) {
        auto r = out.empty() ? c.Exec(first, {dataset_id, kLoadPageRows})
                             : c.Exec(next, {dataset_id, last_ts, last_ts, last_id, kLoadPageRows});
        if (!r) return r.error();  // the lease's release rolls the read transaction back
        more = r->rows.size() == static_cast<std::size_t>(kLoadPageRows);
        for (const auto& row : r->rows) out.push_back(UsageFromRow(row));
        if (!r->rows.empty()) {
            last_ts = out.back().ts;
            last_id = ToInt(r->rows.back()[0]);
        }
    }
    if (auto e = c.Exec("COMMIT"); !e) return e.error();
    return out;
}

}  // namespace netra::storage::sql

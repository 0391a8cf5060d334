// One suite for every Store backend: SQLite (temp file and :memory:) always, PostgreSQL when
// NETRA_TEST_PG_URL names a server (scripts/pg-test-server.sh). Each PostgreSQL test runs in a fresh schema.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/ids.hpp"
#include "storage/migrations.hpp"
#include "storage/open_store.hpp"
#include "storage/sql/sql_store.hpp"

namespace netra::storage {
namespace {

using core::ErrorCode;

using RunRecord = domain::Run;  // testing::Test::Run would shadow the record type in fixtures

enum class Backend { kSqliteFile, kSqliteMemory, kPostgres };

std::string BackendLabel(const ::testing::TestParamInfo<Backend>& info) {
    switch (info.param) {
        case Backend::kSqliteFile:
            return "SqliteFile";
        case Backend::kSqliteMemory:
            return "SqliteMemory";
        case Backend::kPostgres:
            return "Postgres";
    }
    return "Unknown";
}

std::string PgUrl() {
    const char* url = std::getenv("NETRA_TEST_PG_URL");
    return url != nullptr ? url : "";
}

// Runs one admin statement on the test server (schema setup/teardown only; fixed SQL, no user data).
bool PgAdmin(const std::string& sql) {
    PGconn* conn = PQconnectdb(PgUrl().c_str());
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
        PQsetNoticeProcessor(
            conn, [](void*, const char*) {}, nullptr);  // "drop cascades to …"
        PGresult* r = PQexec(conn, sql.c_str());
        ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        if (!ok) ADD_FAILURE() << PQresultErrorMessage(r);
        PQclear(r);
    } else {
        ADD_FAILURE() << PQerrorMessage(conn);
    }
    PQfinish(conn);
    return ok;
}

// Adds libpq URL query parameters.
std::string WithParams(const std::string& url, const std::string& params) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + params;
}

// Rows of a raw query as text, NULL as nullopt.
using RawRows = std::vector<std::vector<std::optional<std::string>>>;

// Runs SQL (one or more statements) on a SQLite file behind the store's back: schema set-up and checks of what
// the columns hold. Returns the rows of the statements that produce some.
RawRows RawSqlite(const std::filesystem::path& file, const std::string& sql) {
    RawRows rows;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sqlite3_errmsg(db);
        sqlite3_close(db);
        return rows;
    }
    sqlite3_busy_timeout(db, 5000);
    const char* tail = sql.c_str();
    while (*tail != '\0') {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, tail, -1, &stmt, &tail) != SQLITE_OK) {
            ADD_FAILURE() << sqlite3_errmsg(db);
            break;
        }
        if (stmt == nullptr) continue;  // trailing whitespace
        int rc = SQLITE_ROW;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            auto& row = rows.emplace_back();
            for (int c = 0; c < sqlite3_column_count(stmt); ++c) {
                const unsigned char* text = sqlite3_column_text(stmt, c);
                row.push_back(text != nullptr ? std::optional<std::string>(reinterpret_cast<const char*>(text))
                                              : std::nullopt);
            }
        }
        if (rc != SQLITE_DONE) ADD_FAILURE() << sqlite3_errmsg(db);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return rows;
}

// The same on PostgreSQL (`url` carries the test's search_path); the rows of the last statement.
RawRows RawPostgres(const std::string& url, const std::string& sql) {
    RawRows rows;
    PGconn* conn = PQconnectdb(url.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        ADD_FAILURE() << PQerrorMessage(conn);
        PQfinish(conn);
        return rows;
    }
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);
    PGresult* r = PQexec(conn, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); ++i) {
            auto& row = rows.emplace_back();
            for (int c = 0; c < PQnfields(r); ++c) {
                row.push_back(PQgetisnull(r, i, c) != 0 ? std::nullopt
                                                        : std::optional<std::string>(PQgetvalue(r, i, c)));
            }
        }
    } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        ADD_FAILURE() << PQresultErrorMessage(r);
    }
    PQclear(r);
    PQfinish(conn);
    return rows;
}

class StoreTest : public ::testing::TestWithParam<Backend> {
  protected:
    void SetUp() override {
        switch (GetParam()) {
            case Backend::kSqliteFile:
                dir_ = std::filesystem::temp_directory_path() / ("netra-store-test-" + core::RandomHex(8));
                url_ = "sqlite://" + SqliteFile().string();  // absolute: sqlite:///tmp/...
                break;
            case Backend::kSqliteMemory:
                url_ = "sqlite::memory:";
                break;
            case Backend::kPostgres:
                if (PgUrl().empty()) GTEST_SKIP() << "NETRA_TEST_PG_URL not set: no PostgreSQL server";
                schema_ = "netra_test_" + core::RandomHex(6);
                ASSERT_TRUE(PgAdmin("CREATE SCHEMA " + schema_));
                url_ = WithParams(PgUrl(), "options=-c%20search_path%3D" + schema_);
                break;
        }
        auto store = OpenStore(url_, 4);
        ASSERT_TRUE(store.ok()) << store.error().message;
        store_ = store.value();
        auto migrated = store_->Migrate();
        ASSERT_TRUE(migrated.ok()) << migrated.error().message;
        now_ = 1'700'000'000'000;
    }

    void TearDown() override {
        store_.reset();
        if (!schema_.empty()) PgAdmin("DROP SCHEMA " + schema_ + " CASCADE");
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }

    User MakeUser(const std::string& email) {
        User u{core::NewId(), email, "Name", "hash", {"read", "write"}, ++now_};
        auto s = store_->CreateUser(u);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return u;
    }

    Thread MakeThread(const User& user, Millis updated_at = 0) {
        const Millis t = updated_at != 0 ? updated_at : ++now_;
        Thread th{core::NewId(), user.id, "title", t, t};
        auto s = store_->CreateThread(th);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return th;
    }

    Message MakeMessage(const Thread& th, const std::string& content, Millis at = 0) {
        return Message{core::NewId(), th.id,        th.user_id,   domain::MessageRole::kUser,
                       content,       std::nullopt, std::nullopt, at != 0 ? at : ++now_};
    }

    RunRecord MakeRun(const Thread& th, const std::string& request) {
        RunRecord run;
        run.id = core::NewId();
        run.thread_id = th.id;
        run.user_id = th.user_id;
        run.status = domain::RunStatus::kQueued;
        run.policy = domain::DoubleTextPolicy::kEnqueue;
        run.created_at = ++now_;
        run.request = request;
        return run;
    }

    // A thread with one message and its queued run.
    RunRecord StartRun(const Thread& th, const std::string& request = "hello") {
        RunRecord run = MakeRun(th, request);
        Message m = MakeMessage(th, request);
        m.run_id = run.id;
        auto s = store_->InsertMessageAndRun(m, run);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return run;
    }

    // SQL run on the store's database outside the store; not for :memory:, which only the store can reach.
    bool HasRawAccess() const { return GetParam() != Backend::kSqliteMemory; }
    std::filesystem::path SqliteFile() const { return dir_ / "nested" / "test.db"; }
    RawRows Raw(const std::string& sql) const {
        return GetParam() == Backend::kPostgres ? RawPostgres(url_, sql) : RawSqlite(SqliteFile(), sql);
    }

    static RunEvent Event(const std::string& run_id, std::int64_t seq, const std::string& type,
                          const std::string& agent = "") {
        // Names that are not event types ("x", "dup" in the conflict tests) are ordinary agent_thinking events.
        return RunEvent{run_id,
                        seq,
                        domain::ParseEventType(type).value_or(domain::EventType::kAgentThinking),
                        agent,
                        R"({"n":)" + std::to_string(seq) + "}",
                        1000 + seq};
    }

    std::filesystem::path dir_;
    std::string schema_;
    std::string url_;
    std::shared_ptr<Store> store_;
    Millis now_ = 0;
};

// --- schema -------------------------------------------------------------------------------------------------

TEST_P(StoreTest, MigrationsAreIdempotent) {
    auto version = store_->SchemaVersion();
    ASSERT_TRUE(version.ok()) << version.error().message;
    EXPECT_EQ(*version, LatestSchemaVersion());
    EXPECT_GE(*version, 1);

    User u = MakeUser("keep@example.com");
    ASSERT_TRUE(store_->Migrate().ok());
    ASSERT_TRUE(store_->Migrate().ok());
    EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());
    auto found = store_->FindUserById(u.id);
    ASSERT_TRUE(found.ok());
    EXPECT_TRUE(found->has_value());

    // Instances starting together migrate concurrently; every one must succeed.
    std::atomic<int> failures{0};
    std::vector<std::thread> starters;
    for (int i = 0; i < 4; ++i) {
        starters.emplace_back([&] {
            if (!store_->Migrate().ok()) ++failures;
        });
    }
    for (auto& t : starters) t.join();
    EXPECT_EQ(failures.load(), 0);
}

TEST_P(StoreTest, FreshDatabaseReportsVersionZeroBeforeMigrating) {
    if (GetParam() == Backend::kPostgres) GTEST_SKIP() << "covered by the SQLite variants";
    auto fresh = OpenStore("sqlite::memory:");
    ASSERT_TRUE(fresh.ok());
    auto version = (*fresh)->SchemaVersion();
    ASSERT_TRUE(version.ok()) << version.error().message;
    EXPECT_EQ(*version, 0);
}

TEST_P(StoreTest, PingAndBackendName) {
    EXPECT_TRUE(store_->Ping().ok());
    EXPECT_EQ(store_->BackendName(), GetParam() == Backend::kPostgres ? "postgresql" : "sqlite");
}

// --- users --------------------------------------------------------------------------------------------------

TEST_P(StoreTest, UsersAreFoundCaseInsensitivelyAndEmailsAreUnique) {
    User u{core::NewId(), "Alice@Example.COM", "Alice", "argon-hash", {"admin", "read"}, 42};
    ASSERT_TRUE(store_->CreateUser(u).ok());

    auto by_email = store_->FindUserByEmail("alice@example.com");
    ASSERT_TRUE(by_email.ok());
    ASSERT_TRUE(by_email->has_value());
    const User& got = **by_email;
    EXPECT_EQ(got.id, u.id);
    EXPECT_EQ(got.email, "alice@example.com");  // stored lower-cased
    EXPECT_EQ(got.name, "Alice");
    EXPECT_EQ(got.password_hash, "argon-hash");
    EXPECT_EQ(got.permissions, (std::vector<std::string>{"admin", "read"}));
    EXPECT_EQ(got.created_at, 42);

    auto by_id = store_->FindUserById(u.id);
    ASSERT_TRUE(by_id.ok() && by_id->has_value());
    EXPECT_EQ((*by_id)->email, "alice@example.com");

    auto dup = store_->CreateUser(User{core::NewId(), "ALICE@example.com", "", "", {}, 43});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

    auto missing = store_->FindUserByEmail("nobody@example.com");
    ASSERT_TRUE(missing.ok());
    EXPECT_FALSE(missing->has_value());
    auto missing_id = store_->FindUserById("no-such-id");
    ASSERT_TRUE(missing_id.ok());
    EXPECT_FALSE(missing_id->has_value());
}

TEST_P(StoreTest, EnsureUserInsertsOnceAndRejectsForeignEmail) {
    User ext{"ext-user-1", "Ext@Example.com", "External", "", {"read"}, 7};
    auto first = store_->EnsureUser(ext);
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->id, "ext-user-1");
    EXPECT_EQ(first->email, "ext@example.com");

    User again = ext;
    again.name = "Renamed";
    auto second = store_->EnsureUser(again);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->name, "External");  // the stored row, unchanged

    auto clash = store_->EnsureUser(User{"ext-user-2", "EXT@example.com", "", "", {}, 8});
    ASSERT_FALSE(clash.ok());
    EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
}

// --- refresh tokens -----------------------------------------------------------------------------------------

TEST_P(StoreTest, RefreshTokenIsSpentOnlyOnce) {
    User u = MakeUser("r@example.com");
    RefreshToken t{core::NewId(), u.id, "fam-1", core::Sha256Hex("tok-1"), now_ + 1000, std::nullopt, std::nullopt};
    ASSERT_TRUE(store_->InsertRefreshToken(t).ok());

    auto found = store_->FindRefreshTokenByHash(t.token_hash);
    ASSERT_TRUE(found.ok() && found->has_value());
    EXPECT_EQ((*found)->id, t.id);
    EXPECT_EQ((*found)->family_id, "fam-1");
    EXPECT_EQ((*found)->expires_at, t.expires_at);
    EXPECT_FALSE((*found)->revoked_at.has_value());

    auto spent = store_->SpendRefreshToken(t.id, "next-id", 5000);
    ASSERT_TRUE(spent.ok());
    EXPECT_TRUE(*spent);
    auto again = store_->SpendRefreshToken(t.id, "other-id", 6000);
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(*again);

    auto after = store_->FindRefreshTokenByHash(t.token_hash);
    ASSERT_TRUE(after.ok() && after->has_value());
    EXPECT_EQ((*after)->revoked_at, 5000);
    EXPECT_EQ((*after)->replaced_by, "next-id");

    auto dup_hash = store_->InsertRefreshToken(
        RefreshToken{core::NewId(), u.id, "fam-9", t.token_hash, now_, std::nullopt, std::nullopt});
    ASSERT_FALSE(dup_hash.ok());
    EXPECT_EQ(dup_hash.error().code, ErrorCode::kConflict);

    auto none = store_->FindRefreshTokenByHash("nope");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
}

TEST_P(StoreTest, ConcurrentSpendHasExactlyOneWinner) {
    User u = MakeUser("race@example.com");
    RefreshToken t{core::NewId(), u.id, "fam", core::Sha256Hex("race"), now_ + 1000, std::nullopt, std::nullopt};
    ASSERT_TRUE(store_->InsertRefreshToken(t).ok());
    std::atomic<int> winners{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&, i] {
            auto r = store_->SpendRefreshToken(t.id, "by-" + std::to_string(i), 100 + i);
            if (!r.ok()) {
                ++errors;
            } else if (*r) {
                ++winners;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(winners.load(), 1);
}

TEST_P(StoreTest, RevokeFamilyRevokesOnlyThatFamily) {
    User u = MakeUser("fam@example.com");
    RefreshToken a{core::NewId(), u.id, "fam-a", "hash-a1", now_ + 1000, std::nullopt, std::nullopt};
    RefreshToken b{core::NewId(), u.id, "fam-a", "hash-a2", now_ + 1000, std::nullopt, std::nullopt};
    RefreshToken c{core::NewId(), u.id, "fam-b", "hash-b1", now_ + 1000, std::nullopt, std::nullopt};
    for (const auto& t : {a, b, c}) ASSERT_TRUE(store_->InsertRefreshToken(t).ok());
    ASSERT_TRUE(*store_->SpendRefreshToken(a.id, b.id, 10));

    ASSERT_TRUE(store_->RevokeRefreshFamily("fam-a", 20).ok());
    EXPECT_EQ((*store_->FindRefreshTokenByHash("hash-a1"))->revoked_at, 10);  // earlier revocation kept
    EXPECT_EQ((*store_->FindRefreshTokenByHash("hash-a2"))->revoked_at, 20);
    EXPECT_FALSE((*store_->FindRefreshTokenByHash("hash-b1"))->revoked_at.has_value());
    EXPECT_FALSE(*store_->SpendRefreshToken(b.id, "x", 30));
}

// --- threads ------------------------------------------------------------------------------------------------

TEST_P(StoreTest, ThreadCrudIsScopedByUser) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    Thread th = MakeThread(alice);

    auto got = store_->GetThread(alice.id, th.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->title, "title");
    EXPECT_EQ((*got)->created_at, th.created_at);

    auto foreign = store_->GetThread(bob.id, th.id);
    ASSERT_TRUE(foreign.ok());
    EXPECT_FALSE(foreign->has_value());

    EXPECT_FALSE(*store_->UpdateThreadTitle(bob.id, th.id, "hijack", th.updated_at + 5));
    EXPECT_TRUE(*store_->UpdateThreadTitle(alice.id, th.id, "renamed", th.updated_at + 5));
    got = store_->GetThread(alice.id, th.id);
    EXPECT_EQ((*got)->title, "renamed");
    EXPECT_EQ((*got)->updated_at, th.updated_at + 5);
    EXPECT_FALSE(*store_->UpdateThreadTitle(alice.id, "missing", "x", 1));

    EXPECT_FALSE(*store_->DeleteThread(bob.id, th.id));
    EXPECT_TRUE(store_->GetThread(alice.id, th.id)->has_value());
    EXPECT_TRUE(*store_->DeleteThread(alice.id, th.id));
    EXPECT_FALSE(store_->GetThread(alice.id, th.id)->has_value());
    EXPECT_FALSE(*store_->DeleteThread(alice.id, th.id));

    auto dup = store_->CreateThread(Thread{core::NewId(), "no-such-user", "t", 1, 1});
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, ListThreadsPagesNewestFirstWithoutGapsOrDuplicates) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    std::vector<Thread> made;
    for (int i = 0; i < 23; ++i) made.push_back(MakeThread(alice, 5000 + i / 3));  // ties on updated_at
    MakeThread(bob);

    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    int pages = 0;
    Millis last_updated = INT64_MAX;
    do {
        auto page = store_->ListThreads(alice.id, 10, cursor);
        ASSERT_TRUE(page.ok()) << page.error().message;
        ++pages;
        for (const auto& t : page->data) {
            EXPECT_EQ(t.user_id, alice.id);
            EXPECT_LE(t.updated_at, last_updated);
            last_updated = t.updated_at;
            seen.push_back(t.id);
        }
        EXPECT_EQ(page->data.size(), pages < 3 ? 10u : 3u);
        cursor = page->next_cursor;
    } while (cursor && pages < 10);
    EXPECT_EQ(pages, 3);
    EXPECT_EQ(seen.size(), 23u);
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 23u);

    auto exact = store_->ListThreads(bob.id, 1, std::nullopt);
    ASSERT_TRUE(exact.ok());
    EXPECT_EQ(exact->data.size(), 1u);
    EXPECT_FALSE(exact->next_cursor.has_value());  // no more rows: no cursor

    auto clamped_low = store_->ListThreads(alice.id, 0, std::nullopt);
    EXPECT_EQ(clamped_low->data.size(), 1u);
    auto clamped_high = store_->ListThreads(alice.id, 100000, std::nullopt);
    EXPECT_EQ(clamped_high->data.size(), 23u);

    auto bad = store_->ListThreads(alice.id, 10, std::string("not-a-cursor"));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidRequest);

    auto nobody = store_->ListThreads("nobody", 10, std::nullopt);
    ASSERT_TRUE(nobody.ok());
    EXPECT_TRUE(nobody->data.empty());
}

// --- messages -----------------------------------------------------------------------------------------------

TEST_P(StoreTest, ListMessagesPagesOldestFirstAndIsScoped) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    Thread th = MakeThread(alice);
    for (int i = 0; i < 7; ++i)
        ASSERT_TRUE(store_->InsertMessage(MakeMessage(th, "m" + std::to_string(i), 100 + i / 2)).ok());

    std::vector<Message> all;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
        auto page = store_->ListMessages(alice.id, th.id, 3, cursor);
        ASSERT_TRUE(page.ok()) << page.error().message;
        all.insert(all.end(), page->data.begin(), page->data.end());
        cursor = page->next_cursor;
        ++pages;
    } while (cursor && pages < 10);
    EXPECT_EQ(pages, 3);
    ASSERT_EQ(all.size(), 7u);
    for (std::size_t i = 1; i < all.size(); ++i) {
        EXPECT_TRUE(all[i - 1].created_at < all[i].created_at ||
                    (all[i - 1].created_at == all[i].created_at && all[i - 1].id < all[i].id));
    }
    std::set<std::string> contents;
    for (const auto& m : all) contents.insert(m.content);
    EXPECT_EQ(contents.size(), 7u);

    auto foreign = store_->ListMessages(bob.id, th.id, 10, std::nullopt);
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);

    Message sneaky = MakeMessage(th, "sneaky");
    sneaky.user_id = bob.id;
    auto ins = store_->InsertMessage(sneaky);
    ASSERT_FALSE(ins.ok());
    EXPECT_EQ(ins.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, InsertMessageAndRunIsAtomic) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    Thread th = MakeThread(alice, 10);

    RunRecord run = MakeRun(th, "cut my costs");
    Message m = MakeMessage(th, "cut my costs", 500);
    m.run_id = run.id;
    ASSERT_TRUE(store_->InsertMessageAndRun(m, run).ok());

    auto stored = store_->GetRun(alice.id, run.id);
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->request, "cut my costs");
    EXPECT_EQ((*stored)->status, domain::RunStatus::kQueued);
    EXPECT_EQ((*stored)->policy, domain::DoubleTextPolicy::kEnqueue);
    EXPECT_EQ((*stored)->attempt, 0);
    EXPECT_FALSE((*stored)->started_at.has_value());
    EXPECT_EQ((*store_->GetThread(alice.id, th.id))->updated_at, 500);  // bumped
    auto msgs = store_->ListMessages(alice.id, th.id, 50, std::nullopt);
    ASSERT_EQ(msgs->data.size(), 1u);
    EXPECT_EQ(msgs->data[0].run_id, run.id);

    // The run insert fails (duplicate id): the message must not be persisted either.
    Message m2 = MakeMessage(th, "second");
    auto clash = store_->InsertMessageAndRun(m2, run);
    ASSERT_FALSE(clash.ok());
    EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
    EXPECT_EQ(store_->ListMessages(alice.id, th.id, 50, std::nullopt)->data.size(), 1u);

    // Another user's thread: not found, nothing written.
    RunRecord foreign_run = MakeRun(th, "x");
    foreign_run.user_id = bob.id;
    Message foreign_msg = MakeMessage(th, "x");
    foreign_msg.user_id = bob.id;
    auto foreign = store_->InsertMessageAndRun(foreign_msg, foreign_run);
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
    EXPECT_FALSE(store_->GetRunById(foreign_run.id)->has_value());
}

// --- runs ---------------------------------------------------------------------------------------------------

TEST_P(StoreTest, RunStatusUpdatesAndQueries) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    Thread th = MakeThread(alice);
    RunRecord r1 = StartRun(th, "one");
    RunRecord r2 = StartRun(th, "two");

    ASSERT_TRUE(store_->UpdateRunStatus(r1.id, domain::RunStatus::kRunning, std::nullopt, 111, std::nullopt).ok());
    auto got = store_->GetRunById(r1.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->status, domain::RunStatus::kRunning);
    EXPECT_EQ((*got)->started_at, 111);
    EXPECT_FALSE((*got)->finished_at.has_value());

    ASSERT_TRUE(
        store_->UpdateRunStatus(r1.id, domain::RunStatus::kFailed, std::string("TIMEOUT"), std::nullopt, 222).ok());
    got = store_->GetRun(alice.id, r1.id);
    EXPECT_EQ((*got)->status, domain::RunStatus::kFailed);
    EXPECT_EQ((*got)->started_at, 111);  // kept: not given
    EXPECT_EQ((*got)->finished_at, 222);
    EXPECT_EQ((*got)->error, "TIMEOUT");

    auto missing = store_->UpdateRunStatus("no-run", domain::RunStatus::kRunning, std::nullopt, 1, std::nullopt);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

    EXPECT_FALSE(store_->GetRun(bob.id, r1.id)->has_value());
    auto queued = store_->ListRunsByStatus(domain::RunStatus::kQueued);
    ASSERT_TRUE(queued.ok());
    ASSERT_EQ(queued->size(), 1u);
    EXPECT_EQ((*queued)[0].id, r2.id);
    EXPECT_EQ(store_->ListRunsByStatus(domain::RunStatus::kFailed)->size(), 1u);

    auto runs = store_->ListThreadRuns(alice.id, th.id);
    ASSERT_TRUE(runs.ok());
    ASSERT_EQ(runs->size(), 2u);
    EXPECT_EQ((*runs)[0].id, r1.id);
    EXPECT_EQ((*runs)[1].id, r2.id);
    auto foreign = store_->ListThreadRuns(bob.id, th.id);
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
}

// Leases (§7): one conditional UPDATE each, so exactly one instance claims or takes over a run.
TEST_P(StoreTest, RunLeasesAreClaimedRenewedExpiredAndTakenOverOnce) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = StartRun(th, "lease me");

    auto a = store_->ClaimRun(run.id, "instance-a", 10'000, 1'000);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_TRUE(*a);
    auto b = store_->ClaimRun(run.id, "instance-b", 10'000, 1'000);  // already running: nobody else claims it
    ASSERT_TRUE(b.ok());
    EXPECT_FALSE(*b);
    auto got = store_->GetRunById(run.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->status, domain::RunStatus::kRunning);
    EXPECT_EQ((*got)->owner_instance, "instance-a");
    EXPECT_EQ((*got)->lease_until, 10'000);
    EXPECT_EQ((*got)->attempt, 1);
    EXPECT_EQ((*got)->started_at, 1'000);
    EXPECT_EQ((*got)->agent, "supervisor");  // as StartRun stored it

    // Renewed by its owner only; not expired while held.
    auto not_owner = store_->RenewLeases("instance-b", {run.id}, 50'000);
    ASSERT_TRUE(not_owner.ok());
    EXPECT_TRUE(not_owner->empty());  // nothing renewed: instance-b must not go on with it
    EXPECT_EQ((*store_->GetRunById(run.id))->lease_until, 10'000);
    ASSERT_TRUE(store_->RenewLeases("instance-a", {"another-run"}, 50'000).ok());  // only the runs named
    EXPECT_EQ((*store_->GetRunById(run.id))->lease_until, 10'000);
    auto renewed = store_->RenewLeases("instance-a", {"another-run", run.id}, 20'000);
    ASSERT_TRUE(renewed.ok());
    ASSERT_EQ(renewed->size(), 1u);
    EXPECT_EQ((*renewed)[0].run_id, run.id);
    EXPECT_FALSE((*renewed)[0].cancel_requested);
    // A cancel asked for through another instance reaches the owner with its next renewal.
    EXPECT_FALSE(*store_->RequestCancel("another-run", 15'000));
    EXPECT_TRUE(*store_->RequestCancel(run.id, 15'000));
    renewed = store_->RenewLeases("instance-a", {run.id}, 20'000);
    ASSERT_TRUE(renewed.ok() && renewed->size() == 1u);
    EXPECT_TRUE((*renewed)[0].cancel_requested);
    EXPECT_EQ((*store_->GetRunById(run.id))->lease_until, 20'000);
    EXPECT_TRUE(store_->ListExpiredLeases(19'999)->empty());
    auto taken_early = store_->InterruptExpired(run.id, 19'999, "too early");
    ASSERT_TRUE(taken_early.ok());
    EXPECT_FALSE(*taken_early);

    // Expired: listed, interrupted exactly once, then claimable again as a new attempt.
    auto expired = store_->ListExpiredLeases(20'001);
    ASSERT_TRUE(expired.ok());
    ASSERT_EQ(expired->size(), 1u);
    EXPECT_EQ((*expired)[0].id, run.id);
    auto first = store_->InterruptExpired(run.id, 20'001, "lease expired");
    auto second = store_->InterruptExpired(run.id, 20'001, "lease expired");
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_TRUE(*first);
    EXPECT_FALSE(*second);
    got = store_->GetRunById(run.id);
    EXPECT_EQ((*got)->status, domain::RunStatus::kInterrupted);
    EXPECT_EQ((*got)->error, "lease expired");
    auto again = store_->ClaimRun(run.id, "instance-b", 60'000, 30'000);
    ASSERT_TRUE(again.ok());
    EXPECT_TRUE(*again);
    got = store_->GetRunById(run.id);
    EXPECT_EQ((*got)->owner_instance, "instance-b");
    EXPECT_EQ((*got)->attempt, 2);
    EXPECT_EQ((*got)->started_at, 1'000);  // the first start is kept

    // The first owner, back after an outage, finds it is no longer its run: its finish is refused, nothing changes.
    EXPECT_TRUE(store_->RenewLeases("instance-a", {run.id}, 90'000)->empty());
    auto late = store_->FinishRun(run.id, domain::RunStatus::kFailed, std::string("late"), 40'000, std::nullopt,
                                  {Event(run.id, 1, "run_failed")}, std::string("instance-a"));
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, ErrorCode::kConflict);
    EXPECT_EQ((*store_->GetRunById(run.id))->status, domain::RunStatus::kRunning);
    EXPECT_EQ(*store_->LastEventSeq(run.id), 0);
    // A cancel recorded through another instance keeps it from completing; it can end cancelled.
    EXPECT_TRUE(*store_->RequestCancel(run.id, 40'500));
    auto completed = store_->FinishRun(run.id, domain::RunStatus::kCompleted, std::nullopt, 41'000, std::nullopt,
                                       {Event(run.id, 1, "run_completed")}, std::string("instance-b"));
    ASSERT_FALSE(completed.ok());
    EXPECT_EQ(completed.error().code, ErrorCode::kCancelled);
    EXPECT_TRUE(store_
                    ->FinishRun(run.id, domain::RunStatus::kCancelled, std::nullopt, 41'000, std::nullopt,
                                {Event(run.id, 1, "run_cancelled")}, std::string("instance-b"))
                    .ok());
    EXPECT_FALSE(*store_->RequestCancel(run.id, 42'000));  // ended: nothing to cancel
}

// A claim made as the instance began to shut down is undone: the run waits as before and the attempt is not counted.
TEST_P(StoreTest, AReleasedClaimLeavesTheRunWaitingAsBeforeWithoutAnAttempt) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = StartRun(th, "claimed at shutdown");

    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-a", 10'000, 1'000));
    EXPECT_FALSE(*store_->ReleaseClaim(run.id, "instance-b"));  // not its claim
    ASSERT_TRUE(*store_->ReleaseClaim(run.id, "instance-a"));
    auto got = store_->GetRunById(run.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->status, domain::RunStatus::kQueued);  // its first claim: it never ran
    EXPECT_EQ((*got)->attempt, 0);
    EXPECT_FALSE((*got)->started_at.has_value());
    EXPECT_FALSE(*store_->ReleaseClaim(run.id, "instance-a"));  // not running any more

    // A run that ran once and was interrupted goes back to interrupted, its first start and attempt kept.
    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-a", 10'000, 2'000));
    ASSERT_TRUE(*store_->InterruptExpired(run.id, 10'001, "lease expired"));
    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-b", 20'000, 11'000));
    ASSERT_TRUE(*store_->ReleaseClaim(run.id, "instance-b"));
    got = store_->GetRunById(run.id);
    EXPECT_EQ((*got)->status, domain::RunStatus::kInterrupted);
    EXPECT_EQ((*got)->attempt, 1);
    EXPECT_EQ((*got)->started_at, 2'000);
    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-a", 30'000, 21'000));  // claimable again as its second attempt
    EXPECT_EQ((*store_->GetRunById(run.id))->attempt, 2);
}

// An executor's events are stored only while its instance holds the run (a lapsed lease taken over, a finished run:
// refused, nothing written).
TEST_P(StoreTest, OwnedEventsAreStoredOnlyWhileTheInstanceHoldsTheRun) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = StartRun(th, "fenced events");
    auto queued = store_->AppendOwnedEvents({Event(run.id, 1, "run_started")}, "instance-a");
    ASSERT_FALSE(queued.ok());  // not claimed yet
    EXPECT_EQ(queued.error().code, ErrorCode::kConflict);

    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-a", 10'000, 1'000));
    ASSERT_TRUE(
        store_->AppendOwnedEvents({Event(run.id, 1, "run_started"), Event(run.id, 2, "agent_started")}, "instance-a")
            .ok());
    EXPECT_FALSE(store_->AppendOwnedEvents({Event(run.id, 3, "agent_thinking")}, "instance-b").ok());

    ASSERT_TRUE(*store_->InterruptExpired(run.id, 10'001, "lease expired"));
    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-b", 20'000, 10'002));
    auto stale = store_->AppendOwnedEvents({Event(run.id, 3, "agent_thinking")}, "instance-a");
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
    EXPECT_EQ(*store_->LastEventSeq(run.id), 2);
    ASSERT_TRUE(store_->AppendOwnedEvents({Event(run.id, 3, "run_resumed")}, "instance-b").ok());

    ASSERT_TRUE(store_
                    ->FinishRun(run.id, domain::RunStatus::kCompleted, std::nullopt, 12'000, std::nullopt,
                                {Event(run.id, 4, "run_completed")}, std::string("instance-b"))
                    .ok());
    EXPECT_FALSE(store_->AppendOwnedEvents({Event(run.id, 5, "agent_thinking")}, "instance-b").ok());
    EXPECT_EQ(*store_->LastEventSeq(run.id), 4);
}

// A graceful shutdown hands its running runs back without counting the attempt, and never touches a run that ended.
TEST_P(StoreTest, AHandedBackRunIsInterruptedWithoutAnAttemptAndAnEndedOneStaysEnded) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = StartRun(th, "handed back");
    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-a", 10'000, 1'000));
    EXPECT_FALSE(*store_->HandBackRun(run.id, "instance-b", "server shut down"));  // not its run
    ASSERT_TRUE(*store_->HandBackRun(run.id, "instance-a", "server shut down"));
    auto got = store_->GetRunById(run.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->status, domain::RunStatus::kInterrupted);
    EXPECT_EQ((*got)->error, "server shut down");
    EXPECT_EQ((*got)->attempt, 0);
    EXPECT_EQ((*got)->started_at, 1'000);

    // Its end stored just before the shutdown reached it: left completed.
    ASSERT_TRUE(*store_->ClaimRun(run.id, "instance-b", 20'000, 11'000));
    ASSERT_TRUE(store_
                    ->FinishRun(run.id, domain::RunStatus::kCompleted, std::nullopt, 12'000, std::nullopt,
                                {Event(run.id, 1, "run_completed")}, std::string("instance-b"))
                    .ok());
    EXPECT_FALSE(*store_->HandBackRun(run.id, "instance-b", "server shut down"));
    EXPECT_EQ((*store_->GetRunById(run.id))->status, domain::RunStatus::kCompleted);
}

// The run queue of a cluster (§7, §12): what may start is decided by the claim itself, across instances.
TEST_P(StoreTest, ClaimNextRunKeepsThreadOrderAndThePerUserLimit) {
    User alice = MakeUser("q-alice@example.com");
    User bob = MakeUser("q-bob@example.com");
    Thread a1 = MakeThread(alice), a2 = MakeThread(alice), a3 = MakeThread(alice), b1 = MakeThread(bob);
    RunRecord first = StartRun(a1, "first");
    RunRecord second = StartRun(a1, "second");  // waits for `first`: same thread
    RunRecord other = StartRun(a2, "other thread");
    RunRecord third = StartRun(a3, "third thread");
    RunRecord bobs = StartRun(b1, "bob");

    // Limit 2 per user: the oldest that may start, in turn — alice's first, her other thread's (her first thread is
    // busy), then bob's (alice is at her limit, so her third waits however old it is).
    std::vector<std::string> claimed;
    for (int i = 0; i < 10; ++i) {
        auto c = store_->ClaimNextRun(i % 2 ? "instance-b" : "instance-a", now_ + 30'000, now_, 2);
        ASSERT_TRUE(c.ok()) << c.error().message;
        if (!*c) break;
        EXPECT_EQ((*c)->status, domain::RunStatus::kRunning);
        EXPECT_EQ((*c)->attempt, 1);
        EXPECT_TRUE((*c)->owner_instance.has_value());
        claimed.push_back((*c)->id);
    }
    ASSERT_EQ(claimed.size(), 3u);
    EXPECT_EQ(claimed[0], first.id);
    EXPECT_EQ(claimed[1], other.id);
    EXPECT_EQ(claimed[2], bobs.id);
    auto busy = store_->ActiveRunOfThread(a1.id);
    ASSERT_TRUE(busy.ok() && busy->has_value());
    EXPECT_EQ((*busy)->id, first.id);

    // `first` ends: its thread's next run and nothing else of alice's (still two running: second and other).
    ASSERT_TRUE(
        store_->FinishRun(first.id, domain::RunStatus::kCompleted, std::nullopt, ++now_, std::nullopt, {}, std::nullopt)
            .ok());
    auto next = store_->ClaimNextRun("instance-a", now_ + 30'000, now_, 2);
    ASSERT_TRUE(next.ok() && next->has_value());
    EXPECT_EQ((*next)->id, second.id);
    EXPECT_FALSE(store_->ClaimNextRun("instance-a", now_ + 30'000, now_, 2)->has_value());
    EXPECT_EQ(store_->GetRunById(third.id)->value().status, domain::RunStatus::kQueued);

    // An interrupted run waits in the queue too, and goes before later runs of its thread.
    ASSERT_TRUE(store_
                    ->UpdateRunStatus(other.id, domain::RunStatus::kInterrupted, std::string("stopped"), std::nullopt,
                                      std::nullopt)
                    .ok());
    RunRecord after_other = StartRun(a2, "after the interrupted one");
    auto resumed = store_->ClaimNextRun("instance-b", now_ + 30'000, now_, 3);
    ASSERT_TRUE(resumed.ok() && resumed->has_value());
    EXPECT_EQ((*resumed)->id, other.id);
    EXPECT_EQ((*resumed)->attempt, 2);
    EXPECT_EQ((*resumed)->owner_instance, "instance-b");
    auto last = store_->ClaimNextRun("instance-b", now_ + 30'000, now_, 3);
    ASSERT_TRUE(last.ok() && last->has_value());
    EXPECT_EQ((*last)->id, third.id);  // a2 is busy again; a3's run was the one left
    EXPECT_EQ(store_->GetRunById(after_other.id)->value().status, domain::RunStatus::kQueued);

    auto listed = store_->ListUserRunsSince(alice.id, now_ + 1);  // only what waits or runs
    ASSERT_TRUE(listed.ok());
    EXPECT_EQ(listed->size(), 4u);                         // second, other, third running; after_other queued
    auto recent = store_->ListUserRunsSince(alice.id, 0);  // and what finished since then
    ASSERT_TRUE(recent.ok());
    EXPECT_EQ(recent->size(), 5u);
}

TEST_P(StoreTest, ClaimNextRunsTakesABatchByTheSameRules) {
    User alice = MakeUser("b-alice@example.com");
    User bob = MakeUser("b-bob@example.com");
    Thread a1 = MakeThread(alice), a2 = MakeThread(alice), a3 = MakeThread(alice), b1 = MakeThread(bob);
    RunRecord first = StartRun(a1, "first");
    StartRun(a1, "second");  // its thread's first is claimed in the same batch: it waits
    RunRecord other = StartRun(a2, "other");
    StartRun(a3, "third");  // alice reaches her limit of 2 within the batch
    RunRecord bobs = StartRun(b1, "bob");
    auto batch = store_->ClaimNextRuns("instance-a", now_ + 30'000, now_, 2, 10);
    ASSERT_TRUE(batch.ok()) << batch.error().message;
    ASSERT_EQ(batch->size(), 3u);
    EXPECT_EQ((*batch)[0].id, first.id);
    EXPECT_EQ((*batch)[1].id, other.id);
    EXPECT_EQ((*batch)[2].id, bobs.id);
    EXPECT_TRUE(store_->ClaimNextRuns("instance-b", now_ + 30'000, now_, 2, 10)->empty());
    EXPECT_EQ(store_->ClaimNextRuns("instance-b", now_ + 30'000, now_, 2, 0)->size(), 0u);
}

TEST_P(StoreTest, ConcurrentClaimsNeverBreakTheRules) {
    // Six claimers (two "instances" of three threads each) race over 40 runs of 4 users on 8 threads: no run is
    // claimed twice, no thread ever has two running runs, and no user more than the limit.
    constexpr int kLimit = 2;
    std::vector<Thread> threads;
    for (int u = 0; u < 4; ++u) {
        User user = MakeUser("race-q" + std::to_string(u) + "@example.com");
        threads.push_back(MakeThread(user));
        threads.push_back(MakeThread(user));
    }
    for (int i = 0; i < 40; ++i) StartRun(threads[i % threads.size()], "r" + std::to_string(i));
    std::mutex mu;
    std::set<std::string> seen;
    std::atomic<int> duplicates{0}, errors{0};
    std::vector<std::thread> claimers;
    for (int c = 0; c < 6; ++c) {
        claimers.emplace_back([&, c] {
            for (int i = 0; i < 20; ++i) {
                auto r = store_->ClaimNextRun(c < 3 ? "a" : "b", 1'000'000, 1, kLimit);
                if (!r.ok()) {
                    ++errors;
                    continue;
                }
                if (!*r) continue;
                std::lock_guard lock(mu);
                if (!seen.insert((*r)->id).second) ++duplicates;
            }
        });
    }
    for (auto& t : claimers) t.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(duplicates.load(), 0);
    auto running = store_->ListRunsByStatus(domain::RunStatus::kRunning);
    ASSERT_TRUE(running.ok());
    EXPECT_EQ(running->size(), seen.size());
    std::map<std::string, int> per_thread, per_user;
    for (const auto& r : *running) {
        ++per_thread[r.thread_id];
        ++per_user[r.user_id];
    }
    for (const auto& [thread, n] : per_thread) EXPECT_EQ(n, 1) << "thread " << thread;
    for (const auto& [user, n] : per_user) EXPECT_EQ(n, kLimit) << "user " << user;
    EXPECT_EQ(per_user.size(), 4u);
}

TEST_P(StoreTest, ARunKeepsTheAgentItWasAskedToRun) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = MakeRun(th, "just the data agent");
    run.agent = "data";
    Message m = MakeMessage(th, run.request);
    m.run_id = run.id;
    ASSERT_TRUE(store_->InsertMessageAndRun(m, run).ok());
    EXPECT_EQ((*store_->GetRunById(run.id))->agent, "data");
}

// --- events -------------------------------------------------------------------------------------------------

TEST_P(StoreTest, AppendEventsContiguousAndDuplicateSeqConflicts) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = StartRun(th);
    EXPECT_EQ(*store_->LastEventSeq(run.id), 0);
    EXPECT_TRUE(store_->AppendEvents({}).ok());

    ASSERT_TRUE(
        store_->AppendEvents({Event(run.id, 1, "run_started"), Event(run.id, 2, "agent_started", "triage")}).ok());
    ASSERT_TRUE(store_->AppendEvents({Event(run.id, 3, "agent_completed", "triage")}).ok());
    EXPECT_EQ(*store_->LastEventSeq(run.id), 3);

    // Batch with a clash: nothing of it is stored.
    auto clash = store_->AppendEvents({Event(run.id, 4, "x"), Event(run.id, 2, "dup")});
    ASSERT_FALSE(clash.ok());
    EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
    EXPECT_EQ(*store_->LastEventSeq(run.id), 3);

    auto events = store_->ListEvents(run.id, EventFilter{});
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->size(), 3u);
    for (std::size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ((*events)[1].agent_name, "triage");
    EXPECT_EQ((*events)[1].payload, R"({"n":2})");
    EXPECT_EQ((*events)[1].created_at, 1002);
    EXPECT_EQ((*events)[0].agent_name, "");

    auto orphan = store_->AppendEvents({Event("no-such-run", 1, "x")});
    ASSERT_FALSE(orphan.ok());
    EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, ListEventsFilters) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = StartRun(th);
    RunRecord other = StartRun(th);
    ASSERT_TRUE(store_
                    ->AppendEvents({Event(run.id, 1, "run_started"), Event(run.id, 2, "agent_started", "triage"),
                                    Event(run.id, 3, "stream_chunk", "triage"),
                                    Event(run.id, 4, "agent_started", "data"), Event(run.id, 5, "stream_chunk", "data"),
                                    Event(run.id, 6, "run_completed"), Event(other.id, 1, "run_started")})
                    .ok());

    auto seqs = [](const Result<std::vector<RunEvent>>& r) {
        std::vector<std::int64_t> out;
        for (const auto& e : *r) out.push_back(e.seq);
        return out;
    };
    auto filter = [](std::int64_t after, std::optional<std::string> type, std::optional<std::string> agent,
                     int limit = 10000) {
        EventFilter f;
        f.after_seq = after;
        if (type) f.type = domain::ParseEventType(*type);
        f.agent_name = std::move(agent);
        f.limit = limit;
        return f;
    };
    using Seqs = std::vector<std::int64_t>;
    EXPECT_EQ(seqs(store_->ListEvents(run.id, filter(4, std::nullopt, std::nullopt))), (Seqs{5, 6}));
    EXPECT_EQ(seqs(store_->ListEvents(run.id, filter(0, "agent_started", std::nullopt))), (Seqs{2, 4}));
    EXPECT_EQ(seqs(store_->ListEvents(run.id, filter(0, std::nullopt, "data"))), (Seqs{4, 5}));
    EXPECT_EQ(seqs(store_->ListEvents(run.id, filter(2, "stream_chunk", "triage"))), (Seqs{3}));
    EXPECT_EQ(seqs(store_->ListEvents(run.id, filter(0, std::nullopt, std::nullopt, 2))), (Seqs{1, 2}));
    EXPECT_EQ(seqs(store_->ListEvents(other.id, EventFilter{})), (std::vector<std::int64_t>{1}));
    EXPECT_TRUE(store_->ListEvents("no-such-run", EventFilter{})->empty());
}

TEST_P(StoreTest, FinishRunIsAtomic) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    RunRecord run = StartRun(th);
    ASSERT_TRUE(store_->AppendEvents({Event(run.id, 1, "run_started")}).ok());

    Message reply{core::NewId(), th.id,  alice.id,     domain::MessageRole::kAssistant,
                  "report",      run.id, std::nullopt, now_ + 100};
    // A clashing terminal event: nothing of the finish may be visible.
    auto clash = store_->FinishRun(run.id, domain::RunStatus::kCompleted, std::nullopt, now_ + 100, reply,
                                   {Event(run.id, 1, "run_completed")}, std::nullopt);
    ASSERT_FALSE(clash.ok());
    EXPECT_EQ(clash.error().code, ErrorCode::kConflict);
    EXPECT_EQ((*store_->GetRunById(run.id))->status, domain::RunStatus::kQueued);
    EXPECT_EQ(store_->ListMessages(alice.id, th.id, 50, std::nullopt)->data.size(), 1u);

    ASSERT_TRUE(store_
                    ->FinishRun(run.id, domain::RunStatus::kCompleted, std::nullopt, now_ + 100, reply,
                                {Event(run.id, 2, "run_completed")}, std::nullopt)
                    .ok());
    auto done = store_->GetRunById(run.id);
    EXPECT_EQ((*done)->status, domain::RunStatus::kCompleted);
    EXPECT_EQ((*done)->finished_at, now_ + 100);
    auto msgs = store_->ListMessages(alice.id, th.id, 50, std::nullopt);
    ASSERT_EQ(msgs->data.size(), 2u);
    EXPECT_EQ(msgs->data[1].role, domain::MessageRole::kAssistant);
    EXPECT_EQ(msgs->data[1].content, "report");
    EXPECT_EQ(*store_->LastEventSeq(run.id), 2);
    EXPECT_EQ((*store_->GetThread(alice.id, th.id))->updated_at, now_ + 100);

    // Without a message, with an error.
    RunRecord failed = StartRun(th);
    ASSERT_TRUE(store_
                    ->FinishRun(failed.id, domain::RunStatus::kFailed, std::string("TIMEOUT"), 9, std::nullopt,
                                {Event(failed.id, 1, "run_failed")}, std::nullopt)
                    .ok());
    EXPECT_EQ((*store_->GetRunById(failed.id))->error, "TIMEOUT");

    auto missing = store_->FinishRun("no-such-run", domain::RunStatus::kCompleted, std::nullopt, 1, std::nullopt, {},
                                     std::nullopt);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, DeleteThreadCascades) {
    User alice = MakeUser("alice@example.com");
    Thread doomed = MakeThread(alice);
    Thread kept = MakeThread(alice);
    RunRecord run = StartRun(doomed);
    RunRecord kept_run = StartRun(kept);
    ASSERT_TRUE(store_->AppendEvents({Event(run.id, 1, "run_started"), Event(run.id, 2, "run_completed")}).ok());
    ASSERT_TRUE(store_->AppendEvents({Event(kept_run.id, 1, "run_started")}).ok());

    ASSERT_TRUE(*store_->DeleteThread(alice.id, doomed.id));
    EXPECT_FALSE(store_->GetRunById(run.id)->has_value());
    EXPECT_EQ(*store_->LastEventSeq(run.id), 0);
    EXPECT_TRUE(store_->ListEvents(run.id, EventFilter{})->empty());
    auto msgs = store_->ListMessages(alice.id, doomed.id, 50, std::nullopt);
    ASSERT_FALSE(msgs.ok());
    EXPECT_EQ(msgs.error().code, ErrorCode::kNotFound);
    EXPECT_TRUE(store_->ListRunsByStatus(domain::RunStatus::kQueued)->size() == 1u);

    EXPECT_TRUE(store_->GetRunById(kept_run.id)->has_value());
    EXPECT_EQ(*store_->LastEventSeq(kept_run.id), 1);
    EXPECT_EQ(store_->ListMessages(alice.id, kept.id, 50, std::nullopt)->data.size(), 1u);
}

// --- datasets -----------------------------------------------------------------------------------------------

// Deterministic, awkward usage records: every COPY escape (tab, newline, CR, backslash, a literal "\N"),
// non-ASCII text, absent and present optional numbers, doubles that 15 digits would not round-trip, and
// repeated timestamps (ties must come back in insertion order).
std::vector<UsageRecord> MakeUsageRecords(std::size_t n, std::uint64_t seed) {
    static const char* kModels[] = {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-pro", "mistral\tlarge"};
    static const char* kFeatures[] = {
        "", "chat", "search\nsummary", "back\\slash", "\\N", "caf\xc3\xa9 \xe2\x82\xac", "quote'\"", "cr\rlf"};
    std::uint64_t x = seed;
    auto next = [&x] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    std::vector<UsageRecord> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        UsageRecord r;
        r.ts = 1'700'000'000'000 + static_cast<Millis>(next() % (n / 2 + 1)) * 7;  // ~2 records per timestamp
        r.model = kModels[next() % 5];
        r.provider = (next() % 4 == 0) ? "" : "openai";
        r.input_tokens = static_cast<std::int64_t>(next() % 200'000);
        r.output_tokens = static_cast<std::int64_t>(next() % 8'000);
        r.cached_tokens = static_cast<std::int64_t>(next() % 3) == 0 ? r.input_tokens / 2 : 0;
        if (next() % 5 != 0) r.latency_ms = static_cast<double>(next() % 100'000) / 7.0;
        if (next() % 6 != 0) r.cost_usd = static_cast<double>(next() % 1'000'000) * 1e-9 / 3.0;
        if (next() % 3 != 0) r.prompt_hash = "p" + std::to_string(next() % 1000);
        if (next() % 2 != 0) r.prefix_hash = "x" + std::to_string(next() % 50);
        r.feature = kFeatures[next() % 8];
        r.batchable = next() % 2 == 0;
        r.success = next() % 10 != 0;
        // The version-4 columns: cache writes within the input, reasoning within the output, aggregate-sized
        // request counts (0 = unknown), the list price, attribution with the same awkward text.
        if (next() % 4 == 0) r.cache_write_5m_tokens = r.input_tokens / 5;
        if (next() % 4 == 0) r.cache_write_1h_tokens = r.input_tokens / 7;
        if (next() % 3 == 0) r.reasoning_tokens = r.output_tokens / 2;
        r.request_count = static_cast<std::int64_t>(next() % 4 == 0 ? next() % 100'000 : 1);
        if (next() % 3 != 0) r.list_cost_usd = static_cast<double>(next() % 1'000'000) * 1e-9 / 7.0;
        r.cost_from_file = next() % 2 == 0;
        r.batched = next() % 5 == 0;
        r.long_context = next() % 7 == 0;
        if (next() % 2 == 0) r.user = "u" + std::to_string(next() % 300);
        if (next() % 3 == 0) r.team = kFeatures[next() % 8];
        if (next() % 2 == 0) r.api_key = "key_" + std::to_string(next() % 20);
        if (next() % 3 == 0) r.project = "proj\t" + std::to_string(next() % 9);
        if (next() % 4 == 0) r.tags = "a,b\\c";
        out.push_back(std::move(r));
    }
    return out;
}

bool SameRecord(const UsageRecord& a, const UsageRecord& b) {
    return a.ts == b.ts && a.model == b.model && a.provider == b.provider && a.input_tokens == b.input_tokens &&
           a.output_tokens == b.output_tokens && a.cached_tokens == b.cached_tokens && a.latency_ms == b.latency_ms &&
           a.cost_usd == b.cost_usd && a.prompt_hash == b.prompt_hash && a.prefix_hash == b.prefix_hash &&
           a.feature == b.feature && a.batchable == b.batchable && a.success == b.success &&
           a.cache_write_5m_tokens == b.cache_write_5m_tokens && a.cache_write_1h_tokens == b.cache_write_1h_tokens &&
           a.reasoning_tokens == b.reasoning_tokens && a.request_count == b.request_count &&
           a.cost_from_file == b.cost_from_file && a.list_cost_usd == b.list_cost_usd && a.user == b.user &&
           a.team == b.team && a.api_key == b.api_key && a.project == b.project && a.tags == b.tags &&
           a.batched == b.batched && a.long_context == b.long_context;
}

Dataset MakeDatasetRecord(const User& user, std::optional<std::string> thread_id, Millis created_at) {
    Dataset d;
    d.id = core::NewId();
    d.user_id = user.id;
    d.thread_id = std::move(thread_id);
    d.name = "usage.csv";
    d.format = "csv";
    d.created_at = created_at;
    return d;
}

TEST_P(StoreTest, DatasetCreateFinalizeGetAreScopedByUser) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    Thread th = MakeThread(alice);
    Dataset d = MakeDatasetRecord(alice, th.id, ++now_);
    ASSERT_TRUE(store_->CreateDataset(d).ok());

    auto got = store_->GetDataset(alice.id, d.id);
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->thread_id, th.id);
    EXPECT_EQ((*got)->name, "usage.csv");
    EXPECT_EQ((*got)->format, "csv");
    EXPECT_EQ((*got)->rows, 0);
    EXPECT_EQ((*got)->profile, "{}");
    EXPECT_EQ((*got)->created_at, d.created_at);
    EXPECT_FALSE(store_->GetDataset(bob.id, d.id)->has_value());

    const std::string profile = R"({"rows":3,"models":{"gpt-4o":2}})";
    ASSERT_TRUE(store_->FinalizeDataset(d.id, 3, 2, {"timestamp", "model", "input_tokens"}, profile).ok());
    got = store_->GetDataset(alice.id, d.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->rows, 3);
    EXPECT_EQ((*got)->rejected_rows, 2);
    EXPECT_EQ((*got)->columns, (std::vector<std::string>{"timestamp", "model", "input_tokens"}));
    EXPECT_EQ((*got)->profile, profile);

    auto missing = store_->FinalizeDataset("no-such-dataset", 1, 0, {}, "{}");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

    auto dup = store_->CreateDataset(d);
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::kConflict);

    // Another user's thread is "not found", exactly like a missing one.
    auto foreign = store_->CreateDataset(MakeDatasetRecord(bob, th.id, ++now_));
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);

    Dataset bad_format = MakeDatasetRecord(alice, std::nullopt, ++now_);
    bad_format.format = "xlsx";
    auto rejected = store_->CreateDataset(bad_format);
    ASSERT_FALSE(rejected.ok());
    EXPECT_EQ(rejected.error().code, ErrorCode::kInvalidRequest);

    User ghost{core::NewId(), "ghost@example.com", "", "", {}, 0};
    auto orphan = store_->CreateDataset(MakeDatasetRecord(ghost, std::nullopt, ++now_));
    ASSERT_FALSE(orphan.ok());
    EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, BulkInsertOf100kRecordsRoundTripsExactly) {
    User alice = MakeUser("alice@example.com");
    Dataset d = MakeDatasetRecord(alice, std::nullopt, ++now_);
    ASSERT_TRUE(store_->CreateDataset(d).ok());
    // Two calls (a dataset is usually stored in chunks), neither a multiple of any batch size.
    const auto records = MakeUsageRecords(100'000, 42);
    const std::vector<UsageRecord> head(records.begin(), records.begin() + 61'237);
    const std::vector<UsageRecord> tail(records.begin() + 61'237, records.end());
    auto s1 = store_->InsertUsageRecords(d.id, head);
    ASSERT_TRUE(s1.ok()) << s1.error().message;
    auto s2 = store_->InsertUsageRecords(d.id, tail);
    ASSERT_TRUE(s2.ok()) << s2.error().message;

    auto expected = records;
    std::stable_sort(expected.begin(), expected.end(),
                     [](const UsageRecord& a, const UsageRecord& b) { return a.ts < b.ts; });
    auto loaded = store_->LoadUsageRecords(d.id);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_EQ(loaded->size(), expected.size());
    std::size_t mismatches = 0;
    std::size_t first_mismatch = expected.size();
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (!SameRecord((*loaded)[i], expected[i])) {
            if (mismatches++ == 0) first_mismatch = i;
        }
    }
    EXPECT_EQ(mismatches, 0u) << "first mismatch at index " << first_mismatch;
}

std::optional<std::uint64_t> Bits(const std::optional<double>& v) {
    if (!v) return std::nullopt;
    return std::bit_cast<std::uint64_t>(*v);
}

// Every field of a usage record set, at the edges where it can be (the whole BIGINT range, a double that needs 17
// digits and a subnormal one, text with every COPY escape and COPY's own NULL marker), beside a record left at
// its defaults and one whose request count is unknown (0 must not come back as the default 1).
TEST_P(StoreTest, UsageRecordEveryFieldRoundTripsExactly) {
    User alice = MakeUser("alice@example.com");
    Dataset d = MakeDatasetRecord(alice, std::nullopt, ++now_);
    ASSERT_TRUE(store_->CreateDataset(d).ok());

    UsageRecord full;
    full.ts = 1'700'000'000'001;
    full.model = "claude-sonnet-4-5";
    full.provider = "anthropic";
    full.input_tokens = 1'200'000;
    full.output_tokens = 9'000;
    full.cached_tokens = 400'000;
    full.cache_write_5m_tokens = 300'000;
    full.cache_write_1h_tokens = 200'000;
    full.reasoning_tokens = 4'500;
    full.request_count = std::numeric_limits<std::int64_t>::max();
    full.latency_ms = 1234.5;
    full.cost_usd = 0.1 + 0.2;  // 0.30000000000000004
    full.cost_from_file = true;
    full.list_cost_usd = 1.0 / 3.0;
    full.prompt_hash = "p1";
    full.prefix_hash = "x1";
    full.feature = "chat";
    full.user = "user\twith\\backslash";
    full.team = "\xc3\xa9quipe\nline";
    full.api_key = "\\N";
    full.project = "proj\r1";
    full.tags = "prod,eu,long-context";
    full.batchable = true;
    full.batched = true;
    full.long_context = true;
    full.success = false;

    UsageRecord defaults;
    defaults.ts = 1'700'000'000'002;
    defaults.model = "gpt-4o";

    UsageRecord unknown_count = defaults;
    unknown_count.ts = 1'700'000'000'003;
    unknown_count.request_count = 0;
    unknown_count.cost_usd = 1e300;
    unknown_count.list_cost_usd = std::numeric_limits<double>::denorm_min();

    auto inserted = store_->InsertUsageRecords(d.id, {full, defaults, unknown_count});
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
    auto loaded = store_->LoadUsageRecords(d.id);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_EQ(loaded->size(), 3u);

    const UsageRecord& a = (*loaded)[0];
    EXPECT_EQ(a.input_tokens, full.input_tokens);
    EXPECT_EQ(a.output_tokens, full.output_tokens);
    EXPECT_EQ(a.cached_tokens, full.cached_tokens);
    EXPECT_EQ(a.cache_write_5m_tokens, full.cache_write_5m_tokens);
    EXPECT_EQ(a.cache_write_1h_tokens, full.cache_write_1h_tokens);
    EXPECT_EQ(a.reasoning_tokens, full.reasoning_tokens);
    EXPECT_EQ(a.request_count, full.request_count);
    EXPECT_EQ(Bits(a.latency_ms), Bits(full.latency_ms));
    EXPECT_EQ(Bits(a.cost_usd), Bits(full.cost_usd));
    EXPECT_EQ(Bits(a.list_cost_usd), Bits(full.list_cost_usd));
    EXPECT_TRUE(a.cost_from_file);
    EXPECT_EQ(a.user, full.user);
    EXPECT_EQ(a.team, full.team);
    EXPECT_EQ(a.api_key, full.api_key);
    EXPECT_EQ(a.project, full.project);
    EXPECT_EQ(a.tags, full.tags);
    EXPECT_TRUE(a.batchable);
    EXPECT_TRUE(a.batched);
    EXPECT_TRUE(a.long_context);
    EXPECT_FALSE(a.success);
    EXPECT_TRUE(SameRecord(a, full));

    const UsageRecord& b = (*loaded)[1];
    EXPECT_EQ(b.request_count, 1);
    EXPECT_EQ(b.cache_write_5m_tokens, 0);
    EXPECT_EQ(b.cache_write_1h_tokens, 0);
    EXPECT_EQ(b.reasoning_tokens, 0);
    EXPECT_FALSE(b.cost_usd.has_value());
    EXPECT_FALSE(b.list_cost_usd.has_value());
    EXPECT_FALSE(b.cost_from_file || b.batched || b.long_context || b.batchable);
    EXPECT_TRUE(b.user.empty() && b.team.empty() && b.api_key.empty() && b.project.empty() && b.tags.empty());
    EXPECT_TRUE(SameRecord(b, defaults));

    const UsageRecord& c = (*loaded)[2];
    EXPECT_EQ(c.request_count, 0);
    EXPECT_EQ(Bits(c.cost_usd), Bits(unknown_count.cost_usd));
    EXPECT_EQ(Bits(c.list_cost_usd), Bits(unknown_count.list_cost_usd));
    EXPECT_TRUE(SameRecord(c, unknown_count));

    // Absent attribution is NULL in the table, like the hashes and the feature, and so is an absent list price.
    if (HasRawAccess()) {
        const auto nulls =
            Raw("SELECT COUNT(*) FROM usage_records WHERE dataset_id = '" + d.id +
                "' AND user_ref IS NULL AND team IS NULL AND api_key IS NULL AND project IS NULL AND tags IS NULL"
                " AND list_cost_usd IS NULL");
        ASSERT_EQ(nulls.size(), 1u);
        EXPECT_EQ(nulls[0][0], "1");
    }
}

// A database an older Netra left at schema version 3, with data: migration 4 keeps its rows, which read back with
// the new fields at their defaults (a request-grain "netra" dataset, one call per row).
TEST_P(StoreTest, MigrationFourGivesExistingRowsTheDefaults) {
    if (!HasRawAccess()) GTEST_SKIP() << "needs the database outside the store";
    store_.reset();
    const bool postgres = GetParam() == Backend::kPostgres;
    if (postgres) {
        ASSERT_TRUE(PgAdmin("DROP SCHEMA " + schema_ + " CASCADE"));
        ASSERT_TRUE(PgAdmin("CREATE SCHEMA " + schema_));
    } else {
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(SqliteFile().string() + suffix);
    }
    std::string script =
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT "
        "NULL);";
    for (const auto& m : Migrations(postgres ? sql::Dialect::kPostgres : sql::Dialect::kSqlite)) {
        if (m.version > 3) break;
        for (const auto& stmt : m.statements) script += stmt + ";";
        script += "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 'old', 0);";
    }
    script +=
        "INSERT INTO users (id, email, created_at) VALUES ('u-old', 'old@example.com', 1);"
        "INSERT INTO datasets (id, user_id, name, format, created_at) VALUES ('d-old', 'u-old', 'old.csv', 'csv', 2);"
        "INSERT INTO usage_records (dataset_id, ts, model, provider, input_tokens, output_tokens, cached_tokens,"
        " latency_ms, cost_usd, prompt_hash, batchable, status)"
        " VALUES ('d-old', 3, 'gpt-4o', 'openai', 100, 20, 10, 12.5, 0.25, 'p1', 1, 'ok');";
    Raw(script);

    auto reopened = OpenStore(url_, 4);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    store_ = *reopened;
    ASSERT_EQ(*store_->SchemaVersion(), 3);
    auto migrated = store_->Migrate();
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    EXPECT_EQ(*store_->SchemaVersion(), LatestSchemaVersion());

    auto d = store_->GetDataset("u-old", "d-old");
    ASSERT_TRUE(d.ok() && d->has_value());
    EXPECT_EQ((*d)->source_format, "netra");
    EXPECT_EQ((*d)->grain, "request");
    auto loaded = store_->LoadUsageRecords("d-old");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    ASSERT_EQ(loaded->size(), 1u);
    const UsageRecord& r = (*loaded)[0];
    EXPECT_EQ(r.ts, 3);
    EXPECT_EQ(r.model, "gpt-4o");
    EXPECT_EQ(r.input_tokens, 100);
    EXPECT_EQ(r.cached_tokens, 10);
    EXPECT_EQ(r.cost_usd, 0.25);
    EXPECT_EQ(r.prompt_hash, "p1");
    EXPECT_TRUE(r.batchable);
    EXPECT_EQ(r.request_count, 1);
    EXPECT_EQ(r.cache_write_5m_tokens + r.cache_write_1h_tokens + r.reasoning_tokens, 0);
    EXPECT_FALSE(r.list_cost_usd.has_value());
    EXPECT_FALSE(r.cost_from_file || r.batched || r.long_context);
    EXPECT_TRUE(r.user.empty() && r.team.empty() && r.api_key.empty() && r.project.empty() && r.tags.empty());

    // The upgraded table takes new records beside the old one.
    UsageRecord fresh;
    fresh.ts = 4;
    fresh.model = "gpt-4o-mini";
    fresh.request_count = 12;
    fresh.team = "search";
    ASSERT_TRUE(store_->InsertUsageRecords("d-old", {fresh}).ok());
    loaded = store_->LoadUsageRecords("d-old");
    ASSERT_TRUE(loaded.ok() && loaded->size() == 2u);
    EXPECT_TRUE(SameRecord((*loaded)[1], fresh));
}

TEST_P(StoreTest, DatasetSourceFormatAndGrainRoundTrip) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    Dataset aggregate = MakeDatasetRecord(alice, th.id, ++now_);
    aggregate.name = "usage.json";
    aggregate.format = "json";
    aggregate.source_format = "openai_usage";
    aggregate.grain = "aggregate";
    ASSERT_TRUE(store_->CreateDataset(aggregate).ok());
    Dataset plain = MakeDatasetRecord(alice, th.id, ++now_);  // neither set: a Netra-format request log
    ASSERT_TRUE(store_->CreateDataset(plain).ok());

    auto got = store_->GetDataset(alice.id, aggregate.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->format, "json");
    EXPECT_EQ((*got)->source_format, "openai_usage");
    EXPECT_EQ((*got)->grain, "aggregate");
    got = store_->GetDataset(alice.id, plain.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_EQ((*got)->source_format, "netra");
    EXPECT_EQ((*got)->grain, "request");

    ASSERT_TRUE(store_->FinalizeDataset(aggregate.id, 5, 0, {"model"}, "{}").ok());
    auto page = store_->ListDatasets(alice.id, 10, std::nullopt);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->data.size(), 2u);
    EXPECT_EQ(page->data[0].id, plain.id);
    EXPECT_EQ(page->data[0].grain, "request");
    EXPECT_EQ(page->data[1].source_format, "openai_usage");
    EXPECT_EQ(page->data[1].grain, "aggregate");
    EXPECT_EQ(page->data[1].rows, 5);
    auto in_thread = store_->ListThreadDatasets(alice.id, th.id);
    ASSERT_TRUE(in_thread.ok());
    ASSERT_EQ(in_thread->size(), 2u);
    EXPECT_EQ((*in_thread)[0].source_format, "openai_usage");
    EXPECT_EQ((*in_thread)[1].source_format, "netra");

    Dataset bad_grain = MakeDatasetRecord(alice, std::nullopt, ++now_);
    bad_grain.grain = "hourly";
    auto rejected = store_->CreateDataset(bad_grain);
    ASSERT_FALSE(rejected.ok());
    EXPECT_EQ(rejected.error().code, ErrorCode::kInvalidRequest);
}

TEST_P(StoreTest, UsageRecordsNeedAnExistingDatasetAndFiniteNumbers) {
    User alice = MakeUser("alice@example.com");
    auto records = MakeUsageRecords(10, 7);
    auto orphan = store_->InsertUsageRecords("no-such-dataset", records);
    ASSERT_FALSE(orphan.ok());
    EXPECT_EQ(orphan.error().code, ErrorCode::kNotFound);

    Dataset d = MakeDatasetRecord(alice, std::nullopt, ++now_);
    ASSERT_TRUE(store_->CreateDataset(d).ok());
    EXPECT_TRUE(store_->InsertUsageRecords(d.id, {}).ok());
    records[7].cost_usd = std::numeric_limits<double>::quiet_NaN();
    auto nan = store_->InsertUsageRecords(d.id, records);
    ASSERT_FALSE(nan.ok());
    EXPECT_EQ(nan.error().code, ErrorCode::kInvalidRequest);
    records[7].cost_usd = 1.0;
    records[3].list_cost_usd = std::numeric_limits<double>::infinity();
    auto inf = store_->InsertUsageRecords(d.id, records);
    ASSERT_FALSE(inf.ok());
    EXPECT_EQ(inf.error().code, ErrorCode::kInvalidRequest);
    EXPECT_TRUE(store_->LoadUsageRecords(d.id)->empty());  // all or nothing
    EXPECT_TRUE(store_->LoadUsageRecords("no-such-dataset")->empty());
}

TEST_P(StoreTest, ListDatasetsPagesNewestFirstWithoutGapsOrDuplicates) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    std::vector<std::string> ids;
    for (int i = 0; i < 7; ++i) {
        Dataset d = MakeDatasetRecord(alice, std::nullopt, 5000 + i / 2);  // pairs share created_at
        ASSERT_TRUE(store_->CreateDataset(d).ok());
        ids.push_back(d.id);
    }
    ASSERT_TRUE(store_->CreateDataset(MakeDatasetRecord(bob, std::nullopt, 9999)).ok());

    std::vector<Dataset> seen;
    std::optional<std::string> cursor;
    int pages = 0;
    do {
        auto page = store_->ListDatasets(alice.id, 3, cursor);
        ASSERT_TRUE(page.ok()) << page.error().message;
        for (auto& d : page->data) seen.push_back(d);
        cursor = page->next_cursor;
        ASSERT_LT(++pages, 10);
    } while (cursor);
    ASSERT_EQ(seen.size(), 7u);
    EXPECT_EQ(pages, 3);
    std::set<std::string> unique;
    for (std::size_t i = 0; i < seen.size(); ++i) {
        EXPECT_EQ(seen[i].user_id, alice.id);
        unique.insert(seen[i].id);
        if (i > 0) {
            const bool ordered = seen[i - 1].created_at > seen[i].created_at ||
                                 (seen[i - 1].created_at == seen[i].created_at && seen[i - 1].id > seen[i].id);
            EXPECT_TRUE(ordered) << "position " << i;
        }
    }
    EXPECT_EQ(unique, std::set<std::string>(ids.begin(), ids.end()));

    auto bad = store_->ListDatasets(alice.id, 3, std::string("zz"));
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kInvalidRequest);
}

TEST_P(StoreTest, ListThreadDatasetsIsScoped) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    Thread th = MakeThread(alice);
    Thread other = MakeThread(alice);
    Dataset first = MakeDatasetRecord(alice, th.id, 100);
    Dataset second = MakeDatasetRecord(alice, th.id, 200);
    ASSERT_TRUE(store_->CreateDataset(second).ok());
    ASSERT_TRUE(store_->CreateDataset(first).ok());
    ASSERT_TRUE(store_->CreateDataset(MakeDatasetRecord(alice, other.id, 150)).ok());
    ASSERT_TRUE(store_->CreateDataset(MakeDatasetRecord(alice, std::nullopt, 150)).ok());

    auto listed = store_->ListThreadDatasets(alice.id, th.id);
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].id, first.id);  // oldest first
    EXPECT_EQ((*listed)[1].id, second.id);

    auto foreign = store_->ListThreadDatasets(bob.id, th.id);
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreTest, DeleteDatasetCascadesAndIsScoped) {
    User alice = MakeUser("alice@example.com");
    User bob = MakeUser("bob@example.com");
    Dataset doomed = MakeDatasetRecord(alice, std::nullopt, ++now_);
    Dataset kept = MakeDatasetRecord(alice, std::nullopt, ++now_);
    ASSERT_TRUE(store_->CreateDataset(doomed).ok());
    ASSERT_TRUE(store_->CreateDataset(kept).ok());
    ASSERT_TRUE(store_->InsertUsageRecords(doomed.id, MakeUsageRecords(1000, 1)).ok());
    ASSERT_TRUE(store_->InsertUsageRecords(kept.id, MakeUsageRecords(300, 2)).ok());

    auto by_bob = store_->DeleteDataset(bob.id, doomed.id);
    ASSERT_TRUE(by_bob.ok());
    EXPECT_FALSE(*by_bob);
    EXPECT_EQ(store_->LoadUsageRecords(doomed.id)->size(), 1000u);

    auto deleted = store_->DeleteDataset(alice.id, doomed.id);
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_TRUE(*deleted);
    EXPECT_FALSE(store_->GetDataset(alice.id, doomed.id)->has_value());
    EXPECT_TRUE(store_->LoadUsageRecords(doomed.id)->empty());
    EXPECT_FALSE(*store_->DeleteDataset(alice.id, doomed.id));

    EXPECT_TRUE(store_->GetDataset(alice.id, kept.id)->has_value());
    EXPECT_EQ(store_->LoadUsageRecords(kept.id)->size(), 300u);
}

TEST_P(StoreTest, DeleteDatasetDuringConcurrentInsertsLeavesNoOrphans) {
    User alice = MakeUser("alice@example.com");
    Dataset d = MakeDatasetRecord(alice, std::nullopt, ++now_);
    ASSERT_TRUE(store_->CreateDataset(d).ok());
    const auto batch = MakeUsageRecords(500, 9);
    std::atomic<int> inserted{0};
    std::atomic<int> unexpected{0};
    std::vector<std::thread> writers;
    for (int w = 0; w < 3; ++w) {
        writers.emplace_back([&] {
            // Insert until the dataset is gone; every failure must be exactly "not found".
            for (;;) {
                auto s = store_->InsertUsageRecords(d.id, batch);
                if (!s.ok()) {
                    if (s.error().code != ErrorCode::kNotFound) ++unexpected;
                    return;
                }
                ++inserted;
            }
        });
    }
    while (inserted.load() < 6) std::this_thread::yield();
    auto deleted = store_->DeleteDataset(alice.id, d.id);
    for (auto& t : writers) t.join();
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_TRUE(*deleted);
    EXPECT_EQ(unexpected.load(), 0);
    EXPECT_TRUE(store_->LoadUsageRecords(d.id)->empty()) << "records outlived their dataset";
}

TEST_P(StoreTest, DeleteThreadKeepsItsDatasetsUnlinked) {
    User alice = MakeUser("alice@example.com");
    Thread th = MakeThread(alice);
    StartRun(th);
    Dataset d = MakeDatasetRecord(alice, th.id, ++now_);
    ASSERT_TRUE(store_->CreateDataset(d).ok());
    ASSERT_TRUE(store_->InsertUsageRecords(d.id, MakeUsageRecords(50, 3)).ok());

    auto deleted = store_->DeleteThread(alice.id, th.id);
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_TRUE(*deleted);
    auto got = store_->GetDataset(alice.id, d.id);
    ASSERT_TRUE(got.ok() && got->has_value());
    EXPECT_FALSE((*got)->thread_id.has_value());
    EXPECT_EQ(store_->LoadUsageRecords(d.id)->size(), 50u);
}

// --- concurrency --------------------------------------------------------------------------------------------

TEST_P(StoreTest, ConcurrentWritersAndReaders) {
    User alice = MakeUser("alice@example.com");
    constexpr int kWriters = 6;
    constexpr int kRunsEach = 15;
    std::vector<Thread> threads;
    for (int i = 0; i < kWriters; ++i) threads.push_back(MakeThread(alice));
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < kWriters; ++w) {
        workers.emplace_back([&, w] {
            const Thread& th = threads[static_cast<std::size_t>(w)];
            for (int i = 0; i < kRunsEach; ++i) {
                RunRecord run;
                run.id = core::NewId();
                run.thread_id = th.id;
                run.user_id = th.user_id;
                run.status = domain::RunStatus::kQueued;
                run.policy = domain::DoubleTextPolicy::kEnqueue;
                run.created_at = 1000 + i;
                Message m{core::NewId(), th.id,  th.user_id,   domain::MessageRole::kUser,
                          "msg",         run.id, std::nullopt, 1000 + i};
                if (!store_->InsertMessageAndRun(m, run).ok()) ++failures;
                std::vector<RunEvent> batch;
                for (int s = 1; s <= 4; ++s) batch.push_back(Event(run.id, s, "e"));
                if (!store_->AppendEvents(batch).ok()) ++failures;
                if (*store_->LastEventSeq(run.id) != 4) ++failures;
                if (!store_->ListThreads(alice.id, 5, std::nullopt).ok()) ++failures;
            }
        });
    }
    for (auto& w : workers) w.join();
    EXPECT_EQ(failures.load(), 0);
    for (const auto& th : threads) {
        EXPECT_EQ(store_->ListMessages(alice.id, th.id, 200, std::nullopt)->data.size(),
                  static_cast<std::size_t>(kRunsEach));
        EXPECT_EQ(store_->ListThreadRuns(alice.id, th.id)->size(), static_cast<std::size_t>(kRunsEach));
    }
    EXPECT_EQ(store_->ListRunsByStatus(domain::RunStatus::kQueued)->size(),
              static_cast<std::size_t>(kWriters * kRunsEach));
}

// --- backend-specific ---------------------------------------------------------------------------------------

TEST_P(StoreTest, FileDatabaseSurvivesReopen) {
    if (GetParam() != Backend::kSqliteFile) GTEST_SKIP() << "only meaningful for a SQLite file";
    User u = MakeUser("persist@example.com");
    store_.reset();
    auto reopened = OpenStore(url_);
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    store_ = *reopened;
    ASSERT_TRUE(store_->Migrate().ok());
    EXPECT_TRUE(store_->FindUserById(u.id)->has_value());
}

TEST_P(StoreTest, PostgresReopensATerminatedSessionBeforeUsingIt) {
    if (GetParam() != Backend::kPostgres) GTEST_SKIP() << "PostgreSQL only";
    const std::string app = "netra_test_" + core::RandomHex(6);
    auto opened = OpenStore(WithParams(url_, "application_name=" + app), 1);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    auto store = *opened;
    ASSERT_TRUE(store->Ping().ok());
    // The timeout makes PostgreSQL (14+) wait until the backend has exited, so its goodbye is on the socket.
    ASSERT_TRUE(
        PgAdmin("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = '" + app + "'"));
    // The terminated session is found at checkout (its socket reads the server's goodbye) and reopened before the
    // call's statement: the next call succeeds instead of failing on the dead connection.
    auto after = store->Ping();
    EXPECT_TRUE(after.ok()) << after.error().message;
    EXPECT_TRUE(store->FindUserByEmail("x@example.com").ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest,
                         ::testing::Values(Backend::kSqliteFile, Backend::kSqliteMemory, Backend::kPostgres),
                         BackendLabel);

// --- not parameterised --------------------------------------------------------------------------------------

TEST(OpenStoreTest, RejectsUnknownSchemesWithoutEchoingTheUrl) {
    auto r = OpenStore("mysql://root:s3cret@db/app");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
    EXPECT_NE(r.error().message.find("mysql"), std::string::npos);
    EXPECT_EQ(r.error().message.find("s3cret"), std::string::npos);
    EXPECT_FALSE(OpenStore("sqlite://").ok());
    EXPECT_FALSE(OpenStore("").ok());
    EXPECT_FALSE(OpenStore("sqlite::memory:", 0).ok());
}

TEST(OpenStoreTest, UnreachablePostgresIsUnavailable) {
    // Port 1 on loopback: nothing listens there; connection refused immediately.
    auto r = OpenStore("postgresql://netra:secret@127.0.0.1:1/netra?connect_timeout=2");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kServiceUnavailable);
    EXPECT_EQ(r.error().message.find("secret"), std::string::npos);
}

TEST(OpenStoreTest, RelativeSqlitePath) {
    const auto dir = std::filesystem::temp_directory_path() / ("netra-rel-" + core::RandomHex(6));
    std::filesystem::create_directories(dir);
    const auto old = std::filesystem::current_path();
    std::filesystem::current_path(dir);
    {
        auto r = OpenStore("sqlite://sub/rel.db");
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_TRUE((*r)->Migrate().ok());
    }
    EXPECT_TRUE(std::filesystem::exists(dir / "sub" / "rel.db"));
    std::filesystem::current_path(old);
    std::filesystem::remove_all(dir);
}

TEST(OpenStoreTest, SqliteDurabilityIsChosenInTheUrlAndReported) {
    const auto dir = std::filesystem::temp_directory_path() / ("netra-sync-" + core::RandomHex(6));
    {
        auto normal = OpenStore("sqlite://" + (dir / "a.db").string());
        ASSERT_TRUE(normal.ok()) << normal.error().message;
        EXPECT_NE((*normal)->Durability().find("synchronous=normal"), std::string::npos);
        EXPECT_NE((*normal)->Durability().find("power loss"), std::string::npos);
        auto full = OpenStore("sqlite://" + (dir / "b.db").string() + "?synchronous=full");
        ASSERT_TRUE(full.ok()) << full.error().message;
        EXPECT_NE((*full)->Durability().find("synchronous=full"), std::string::npos);
        EXPECT_TRUE((*full)->Migrate().ok());
        EXPECT_TRUE(std::filesystem::exists(dir / "b.db"));  // the query is not part of the file name
        EXPECT_FALSE(OpenStore("sqlite://" + (dir / "c.db").string() + "?synchronous=off").ok());
        EXPECT_FALSE(OpenStore("sqlite://" + (dir / "c.db").string() + "?cache=shared").ok());
        auto memory = OpenStore("sqlite::memory:");
        ASSERT_TRUE(memory.ok());
        EXPECT_NE((*memory)->Durability().find("nothing survives"), std::string::npos);
    }
    std::filesystem::remove_all(dir);
}

TEST(OpenStoreTest, ANewSqliteDatabaseIsOwnerOnly) {
    const auto dir = std::filesystem::temp_directory_path() / ("netra-perm-" + core::RandomHex(6)) / "data";
    {
        auto store = OpenStore("sqlite://" + (dir / "netra.db").string());
        ASSERT_TRUE(store.ok()) << store.error().message;
        ASSERT_TRUE((*store)->Migrate().ok());
        using std::filesystem::perms;
        const auto group_other = perms::group_all | perms::others_all;
        for (const char* name : {"netra.db", "netra.db-wal", "netra.db-shm"}) {
            ASSERT_TRUE(std::filesystem::exists(dir / name)) << name;
            EXPECT_EQ(std::filesystem::status(dir / name).permissions() & group_other, perms::none) << name;
        }
        EXPECT_EQ(std::filesystem::status(dir).permissions() & group_other, perms::none);  // created by the store
    }
    std::filesystem::remove_all(dir.parent_path());
}

TEST(OpenStoreTest, PostgresDurabilityFollowsSynchronousCommit) {
    const char* url = std::getenv("NETRA_TEST_PG_URL");
    if (url == nullptr || *url == '\0') GTEST_SKIP() << "NETRA_TEST_PG_URL not set: no PostgreSQL to ask";
    // What the server is configured with is reported (the throwaway test server runs with it off, for speed)…
    auto configured = OpenStore(url, 1);
    ASSERT_TRUE(configured.ok()) << configured.error().message;
    EXPECT_NE((*configured)->Durability().find("synchronous_commit="), std::string::npos);
    // …and libpq's options parameter chooses it for Netra's sessions only.
    const std::string sep = std::string(url).find('?') == std::string::npos ? "?" : "&";
    auto on = OpenStore(std::string(url) + sep + "options=-csynchronous_commit%3Don", 1);
    ASSERT_TRUE(on.ok()) << on.error().message;
    EXPECT_NE((*on)->Durability().find("synchronous_commit=on"), std::string::npos) << (*on)->Durability();
    auto off = OpenStore(std::string(url) + sep + "options=-csynchronous_commit%3Doff", 1);
    ASSERT_TRUE(off.ok()) << off.error().message;
    EXPECT_NE((*off)->Durability().find("synchronous_commit=off"), std::string::npos) << (*off)->Durability();
}

TEST(CursorTest, RoundTripsAndRejectsGarbage) {
    const std::string c = sql::EncodeCursor(1700000000123, "abc-def");
    auto d = sql::DecodeCursor(c);
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(d->first, 1700000000123);
    EXPECT_EQ(d->second, "abc-def");
    EXPECT_FALSE(sql::DecodeCursor("").has_value());
    EXPECT_FALSE(sql::DecodeCursor("zz").has_value());
    EXPECT_FALSE(sql::DecodeCursor("abc").has_value());
    EXPECT_FALSE(sql::DecodeCursor(sql::EncodeCursor(1, "").substr(0, 2)).has_value());
}

}  // namespace
}  // namespace netra::storage

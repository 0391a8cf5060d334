#pragma once
// Internal to the storage module: the Store contract implemented once over an SqlBackend. The queries use the
// SQL subset both SQLite and PostgreSQL understand, so the two backends cannot drift apart in semantics.
#include <memory>
#include <optional>
#include <string>

#include "storage/sql/sql_backend.hpp"
#include "storage/store.hpp"

namespace netra::storage::sql {

// The opaque pagination cursor: "<ms>:<id>" hex-encoded. Exposed for tests.
std::string EncodeCursor(Millis ms, const std::string& id);
std::optional<std::pair<Millis, std::string>> DecodeCursor(const std::string& cursor);

class SqlStore final : public Store {
  public:
    // `hook`, when given, is consulted before every connection is borrowed (fault injection).
    explicit SqlStore(std::unique_ptr<SqlBackend> backend, AcquireHook hook = {});
    ~SqlStore() override;

    std::string BackendName() const override;
    std::string Durability() const override;
    Status Migrate() override;
    Result<int> SchemaVersion() override;
    Status Ping() override;

    Status CreateUser(const User& user) override;
    Result<std::optional<User>> FindUserByEmail(const std::string& email) override;
    Result<std::optional<User>> FindUserById(const std::string& id) override;
    Result<User> EnsureUser(const User& user) override;

    Status InsertRefreshToken(const RefreshToken& token) override;
    Result<std::optional<RefreshToken>> FindRefreshTokenByHash(const std::string& token_hash) override;
    Result<bool> SpendRefreshToken(const std::string& id, const std::string& replaced_by, Millis now) override;
    Status RevokeRefreshFamily(const std::string& family_id, Millis now) override;

    Status CreateThread(const Thread& thread) override;
    Result<std::optional<Thread>> GetThread(const std::string& user_id, const std::string& thread_id) override;
    Result<Page<Thread>> ListThreads(const std::string& user_id, int limit,
                                     const std::optional<std::string>& cursor) override;
    Result<bool> UpdateThreadTitle(const std::string& user_id, const std::string& thread_id, const std::string& title,
                                   Millis now) override;
    Result<bool> DeleteThread(const std::string& user_id, const std::string& thread_id) override;

    Status InsertMessage(const Message& message) override;
    Result<Page<Message>> ListMessages(const std::string& user_id, const std::string& thread_id, int limit,
                                       const std::optional<std::string>& cursor) override;
    Status InsertMessageAndRun(const Message& message, const Run& run) override;

    Result<std::optional<Run>> GetRun(const std::string& user_id, const std::string& run_id) override;
    Result<std::optional<Run>> GetRunById(const std::string& run_id) override;
    Result<std::vector<Run>> ListThreadRuns(const std::string& user_id, const std::string& thread_id) override;
    Result<std::vector<Run>> ListRunsByStatus(domain::RunStatus status) override;
    Result<std::vector<Run>> ClaimNextRuns(const std::string& owner, Millis lease_until, Millis now, int per_user_limit,
                                           int max_runs) override;
    Result<std::optional<Run>> ActiveRunOfThread(const std::string& thread_id) override;
    Result<std::vector<Run>> ListUserRunsSince(const std::string& user_id, Millis since) override;
    Status UpdateRunStatus(const std::string& run_id, domain::RunStatus status, const std::optional<std::string>& error,
                           std::optional<Millis> started_at, std::optional<Millis> finished_at) override;
    Result<bool> ClaimRun(const std::string& run_id, const std::string& owner, Millis lease_until, Millis now) override;
    Result<bool> ReleaseClaim(const std::string& run_id, const std::string& owner) override;
    Result<bool> HandBackRun(const std::string& run_id, const std::string& owner, const std::string& error) override;
    Result<std::vector<HeldLease>> RenewLeases(const std::string& owner, const std::vector<std::string>& run_ids,
                                               Millis lease_until) override;
    Result<bool> RequestCancel(const std::string& run_id, Millis now) override;
    Result<std::vector<Run>> ListExpiredLeases(Millis now) override;
    Result<bool> InterruptExpired(const std::string& run_id, Millis now, const std::string& error) override;

    Status AppendEvents(const std::vector<RunEvent>& events) override;
    Status AppendOwnedEvents(const std::vector<RunEvent>& events, const std::string& owner) override;
    Result<std::vector<RunEvent>> ListEvents(const std::string& run_id, const EventFilter& filter) override;
    Result<std::int64_t> LastEventSeq(const std::string& run_id) override;
    Status FinishRun(const std::string& run_id, domain::RunStatus status, const std::optional<std::string>& error,
                     Millis finished_at, const std::optional<Message>& assistant_message,
                     const std::vector<RunEvent>& final_events, const std::optional<std::string>& owner) override;

    Status CreateDataset(const Dataset& dataset) override;
    Status InsertUsageRecords(const std::string& dataset_id, const std::vector<UsageRecord>& records) override;
    Status FinalizeDataset(const std::string& dataset_id, std::int64_t rows, std::int64_t rejected_rows,
                           const std::vector<std::string>& columns, const std::string& profile_json) override;
    Result<std::optional<Dataset>> GetDataset(const std::string& user_id, const std::string& dataset_id) override;
    Result<Page<Dataset>> ListDatasets(const std::string& user_id, int limit,
                                       const std::optional<std::string>& cursor) override;
    Result<std::vector<Dataset>> ListThreadDatasets(const std::string& user_id, const std::string& thread_id) override;
    Result<bool> DeleteDataset(const std::string& user_id, const std::string& dataset_id) override;
    Result<std::vector<UsageRecord>> LoadUsageRecords(const std::string& dataset_id) override;

  private:
    Status InsertUsageRecordsBatched(SqlConnection& c, const std::string& dataset_id,
                                     const std::vector<UsageRecord>& records);
    Status CopyUsageRecords(SqlConnection& c, const std::string& dataset_id, const std::vector<UsageRecord>& records);

    std::unique_ptr<SqlBackend> backend_;
};

}  // namespace netra::storage::sql

#pragma once
// The storage contract. Both backends (sqlite/, postgres/) implement it with the same semantics and are
// checked by one shared test suite. Every method is synchronous and thread-safe; callers run it on the
// storage worker pool, never on a network I/O thread. Every query touching user data is scoped by user_id:
// a row of another user is reported exactly like a missing row (nullopt / kNotFound).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "domain/records.hpp"

namespace netra::storage {

// Called before every borrow of a database connection (`write`: for a write). A non-OK status is the call's
// answer instead; the hook may also wait. The server passes one only with fault injection on (target
// "database", §11), so every read and write of every caller meets the fault.
using AcquireHook = std::function<core::Status(bool write)>;

using core::Millis;
using core::Result;
using core::Status;
// The records are the domain's; storage keeps them under their plain names.
using domain::Dataset;
using domain::EventFilter;
using domain::Message;
using domain::Page;
using domain::RefreshToken;
using domain::Run;
using domain::RunEvent;
using domain::Thread;
using domain::UsageRecord;
using domain::User;

// The answer of a backend that lacks an optional capability.
inline core::Error Unsupported(const char* what) {
    return core::MakeError(core::ErrorCode::kServiceUnavailable,
                           std::string(what) + " are not supported by this store");
}

// What readiness needs of the database, and nothing more: health checks see this, never the whole store.
class DatabaseHealth {
  public:
    virtual ~DatabaseHealth() = default;
    virtual std::string BackendName() const = 0;  // "sqlite" | "postgresql"
    // What a committed write survives with the settings in force, in words (docs/operations.md): read once at open.
    virtual std::string Durability() const = 0;
    // A cheap round trip (SELECT 1) for readiness checks.
    virtual Status Ping() = 0;
};

class Store : public DatabaseHealth {
  public:
    // Applies pending versioned migrations (idempotent; recorded in schema_migrations).
    virtual Status Migrate() = 0;
    // Returns the applied schema version.
    virtual Result<int> SchemaVersion() = 0;

    // Users. CreateUser fails with kConflict when the email (case-insensitive) exists.
    virtual Status CreateUser(const User& user) = 0;
    virtual Result<std::optional<User>> FindUserByEmail(const std::string& email) = 0;
    virtual Result<std::optional<User>> FindUserById(const std::string& id) = 0;
    // Inserts the user when its id is unknown (tokens from an external identity service); returns the
    // stored row either way. An email that belongs to another id fails with kConflict.
    virtual Result<User> EnsureUser(const User& user) = 0;

    // Refresh tokens.
    virtual Status InsertRefreshToken(const RefreshToken& token) = 0;
    virtual Result<std::optional<RefreshToken>> FindRefreshTokenByHash(const std::string& token_hash) = 0;
    // Atomically marks the token spent (revoked_at = now, replaced_by) only if it is not revoked yet.
    // Returns true when this call spent it, false when it was already spent/revoked.
    virtual Result<bool> SpendRefreshToken(const std::string& id, const std::string& replaced_by, Millis now) = 0;
    virtual Status RevokeRefreshFamily(const std::string& family_id, Millis now) = 0;

    // Threads (soft-deleted threads are invisible).
    virtual Status CreateThread(const Thread& thread) = 0;
    virtual Result<std::optional<Thread>> GetThread(const std::string& user_id, const std::string& thread_id) = 0;
    // Newest updated first; cursor is opaque.
    virtual Result<Page<Thread>> ListThreads(const std::string& user_id, int limit,
                                             const std::optional<std::string>& cursor) = 0;
    // Returns false when the thread is not the user's (or missing).
    virtual Result<bool> UpdateThreadTitle(const std::string& user_id, const std::string& thread_id,
                                           const std::string& title, Millis now) = 0;
    // Deletes the thread with its messages, runs and run events. False when not found.
    virtual Result<bool> DeleteThread(const std::string& user_id, const std::string& thread_id) = 0;

    // Messages. Oldest first.
    virtual Status InsertMessage(const Message& message) = 0;
    virtual Result<Page<Message>> ListMessages(const std::string& user_id, const std::string& thread_id, int limit,
                                               const std::optional<std::string>& cursor) = 0;
    // The user message and the run it starts, in one transaction (the `ack` is sent after this commits).
    // Also bumps the thread's updated_at.
    virtual Status InsertMessageAndRun(const Message& message, const Run& run) = 0;

    // Runs.
    virtual Result<std::optional<Run>> GetRun(const std::string& user_id, const std::string& run_id) = 0;
    virtual Result<std::optional<Run>> GetRunById(const std::string& run_id) = 0;  // internal (scheduler)
    virtual Result<std::vector<Run>> ListThreadRuns(const std::string& user_id, const std::string& thread_id) = 0;
    virtual Result<std::vector<Run>> ListRunsByStatus(domain::RunStatus status) = 0;
    // Sets status and optional fields; started_at/finished_at are only written when given.
    virtual Status UpdateRunStatus(const std::string& run_id, domain::RunStatus status,
                                   const std::optional<std::string>& error, std::optional<Millis> started_at,
                                   std::optional<Millis> finished_at) = 0;

    // Leases (§7): the instance that executes a run holds its lease and renews it; a run whose lease ran out was
    // left by an instance that stopped, and any instance may take it over. Each call is one conditional UPDATE, so
    // two instances never both win.
    // queued or interrupted → running, owned by `owner` until `lease_until`, attempt + 1; false when the run is in
    // no such state (another instance claimed it, or it ended).
    virtual Result<bool> ClaimRun(const std::string& run_id, const std::string& owner, Millis lease_until,
                                  Millis now) = 0;
    // Undoes a claim that never started the run (claimed just as its instance began to shut down): waiting again as
    // before the claim — queued if this was its first claim, interrupted otherwise — and the attempt not counted.
    // Only while `owner` holds it running; false otherwise.
    virtual Result<bool> ReleaseClaim(const std::string& run_id, const std::string& owner) = 0;
    // A running run its owner stops at a graceful shutdown: interrupted with `error`, to resume elsewhere or at the
    // next start, and the attempt not counted (the attempt limit is for runs whose servers die under them, not for
    // rolling restarts). Only while `owner` holds it running — a run that ended meanwhile is left as it ended; false
    // otherwise.
    virtual Result<bool> HandBackRun(const std::string& run_id, const std::string& owner, const std::string& error) = 0;
    // Extends the leases of `run_ids` that `owner` holds and that are still running. Only the runs the owner is
    // really executing are named: a run whose end could not be stored lets its lease run out and is taken over.
    // Returns the leases it renewed: a named run missing from them is no longer the owner's (its lease lapsed and
    // another instance took it over, or it ended) and must stop without writing anything more; one with
    // `cancel_requested` was cancelled through another instance (RequestCancel).
    struct HeldLease {
        std::string run_id;
        bool cancel_requested = false;
    };
    virtual Result<std::vector<HeldLease>> RenewLeases(const std::string& owner,
                                                       const std::vector<std::string>& run_ids, Millis lease_until) = 0;
    // Marks a running run as to be cancelled, for its owner to find at its next renewal; false when it is not
    // running.
    virtual Result<bool> RequestCancel(const std::string& run_id, Millis now) = 0;
    // The run queue of a cluster (§7, §12): claims the oldest run that may start — queued or interrupted, the oldest
    // waiting run of its thread, its thread has no running run, its user has fewer than `per_user_limit` running
    // (so no user holds more than that many slots however many runs it queued: fairness). Claimed as ClaimRun does;
    // nullopt when nothing may start. On PostgreSQL the claims of all instances are serialized by a transaction-scoped
    // advisory lock (the per-thread and per-user rules span rows, which row locks alone cannot guard) and rows
    // another transaction holds are skipped (FOR UPDATE SKIP LOCKED).
    Result<std::optional<Run>> ClaimNextRun(const std::string& owner, Millis lease_until, Millis now,
                                            int per_user_limit) {
        auto claimed = ClaimNextRuns(owner, lease_until, now, per_user_limit, 1);
        if (!claimed.ok()) return claimed.error();
        if (claimed->empty()) return std::optional<Run>{};
        return std::optional<Run>(std::move(claimed->front()));
    }
    // Up to `max_runs` claims in one transaction (one lock, one commit), each by the rule above and seeing the ones
    // before it; oldest first. An instance asks for as many as it has free slots.
    virtual Result<std::vector<Run>> ClaimNextRuns(const std::string& owner, Millis lease_until, Millis now,
                                                   int per_user_limit, int max_runs) = 0;
    // Whether the thread has a run that is queued, running or interrupted (waiting to resume).
    virtual Result<std::optional<Run>> ActiveRunOfThread(const std::string& thread_id) = 0;
    // The user's runs that are waiting or running, or that finished at or after `since` (live delivery's fallback
    // while Redis is down polls these).
    virtual Result<std::vector<Run>> ListUserRunsSince(const std::string& user_id, Millis since) = 0;
    // Running runs whose lease ran out before `now` (or that never had one), oldest first.
    virtual Result<std::vector<Run>> ListExpiredLeases(Millis now) = 0;
    // running with an expired lease → interrupted with `error`; false when the lease was renewed or taken meanwhile.
    virtual Result<bool> InterruptExpired(const std::string& run_id, Millis now, const std::string& error) = 0;

    // Run events. AppendEvents inserts in one transaction; (run_id, seq) is unique (kConflict on clash).
    virtual Status AppendEvents(const std::vector<RunEvent>& events) = 0;
    // The same, fenced like FinishRun: only while `owner` holds each event's run and it is running (kConflict
    // otherwise). An executor whose lease lapsed while it was still alive (a stall longer than the lease) must not
    // write into a run another instance took over, or interleave its events with the new attempt's.
    virtual Status AppendOwnedEvents(const std::vector<RunEvent>& events, const std::string& owner) = 0;
    virtual Result<std::vector<RunEvent>> ListEvents(const std::string& run_id, const EventFilter& filter) = 0;
    virtual Result<std::int64_t> LastEventSeq(const std::string& run_id) = 0;  // 0 when none
    // Ends a run atomically: the assistant message (if any), the terminal event(s) and the run status. With
    // `owner`, only while that instance holds the run and it is running (kConflict otherwise: another instance took
    // it over after its lease lapsed, or it was interrupted, and the late finisher must not overwrite that); and a
    // run whose cancel was recorded (RequestCancel) cannot complete then: kCancelled, for the caller to end it
    // cancelled instead.
    virtual Status FinishRun(const std::string& run_id, domain::RunStatus status,
                             const std::optional<std::string>& error, Millis finished_at,
                             const std::optional<Message>& assistant_message, const std::vector<RunEvent>& final_events,
                             const std::optional<std::string>& owner) = 0;

    // Usage datasets (§9). Defaults answer kServiceUnavailable so a backend without dataset support says so. A dataset
    // is created, its records inserted in bulk (COPY on PostgreSQL, batched prepared inserts in one transaction on
    // SQLite), then finalised with its counts and profile.
    virtual Status CreateDataset(const Dataset& /*dataset*/) { return Unsupported("datasets"); }
    virtual Status InsertUsageRecords(const std::string& /*dataset_id*/, const std::vector<UsageRecord>& /*records*/) {
        return Unsupported("datasets");
    }
    virtual Status FinalizeDataset(const std::string& /*dataset_id*/, std::int64_t /*rows*/,
                                   std::int64_t /*rejected_rows*/, const std::vector<std::string>& /*columns*/,
                                   const std::string& /*profile_json*/) {
        return Unsupported("datasets");
    }
    virtual Result<std::optional<Dataset>> GetDataset(const std::string& /*user_id*/,
                                                      const std::string& /*dataset_id*/) {
        return Unsupported("datasets");
    }
    virtual Result<Page<Dataset>> ListDatasets(const std::string& /*user_id*/, int /*limit*/,
                                               const std::optional<std::string>& /*cursor*/) {
        return Unsupported("datasets");
    }
    virtual Result<std::vector<Dataset>> ListThreadDatasets(const std::string& /*user_id*/,
                                                            const std::string& /*thread_id*/) {
        return Unsupported("datasets");
    }
    // Deletes the dataset and its usage records. False when not the user's (or missing).
    virtual Result<bool> DeleteDataset(const std::string& /*user_id*/, const std::string& /*dataset_id*/) {
        return Unsupported("datasets");
    }
    // Every record of the dataset in timestamp order (the caller checked ownership with GetDataset).
    virtual Result<std::vector<UsageRecord>> LoadUsageRecords(const std::string& /*dataset_id*/) {
        return Unsupported("datasets");
    }
};

}  // namespace netra::storage

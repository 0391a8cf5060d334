#pragma once
// RunService holds the rules of runs (§7): a message becomes durable together with its run, the scheduler
// decides when it starts, the supervisor executes it on the worker pool, and every event is stored with
// the next seq before it is fanned out. Methods are synchronous; callers invoke them on the worker pool.
#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agents/data_access.hpp"
#include "agents/supervisor.hpp"
#include "analysis/catalog.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"
#include "core/faults.hpp"
#include "core/rate_limiter.hpp"
#include "llm/provider.hpp"
#include "runs/cluster_signals.hpp"
#include "runs/event_publisher.hpp"
#include "runs/event_writer.hpp"
#include "runs/scheduler.hpp"
#include "storage/store.hpp"

namespace netra::runs {

struct SubmitRequest {
    std::string user_id;
    std::optional<std::string> thread_id;  // new thread when absent
    std::string content;
    std::optional<std::string> dataset_id;
    std::string policy = "enqueue";  // enqueue | reject | interrupt
    std::string agent = "supervisor";
};

struct SubmitResult {
    domain::Message message;
    domain::Run run;
};

struct RunStatusInfo {
    std::string run_id;
    std::string thread_id;
    domain::RunStatus status = domain::RunStatus::kQueued;
    std::string current_agent;
    std::int64_t seq = 0;
};

// A run as clients read it back: the stored row and the seq of its last stored event.
struct RunView {
    domain::Run run;
    std::int64_t last_seq = 0;
};

// Where queued runs wait (§7, §12). In process: this instance's Scheduler (SQLite, one instance). Database: the
// runs table is the queue of every instance sharing the PostgreSQL (Store::ClaimNextRuns), and a claim is woken by
// this instance's submissions and finishes, by other instances' work signals, and by the lease keeper's tick.
enum class QueueMode { kInProcess, kDatabase };

class RunService final : public SignalListener {
  public:
    // Everything a run needs, given once: the agents price with `catalog` (the operator's --catalog, else the
    // bundled one) and write their prose with `llm`; `datasets` serves usage logs; `faults` is consulted only
    // when fault injection is on. Runs are coroutines on strands of `run_pool` (which only waits and routes);
    // storage calls go to `pools.blocking`, analysis to `pools.compute`. A waiting run holds no thread.
    // `instance_id` names this process as the owner of the leases of the runs it executes (§7; /health shows it).
    // `signals` carries work and cancel signals to the other instances (LocalSignals for one instance); the
    // service registers itself as their listener. `shared_limits` makes the per-user allowances cluster-wide.
    RunService(const config::Settings& settings, std::string instance_id, QueueMode queue,
               std::shared_ptr<storage::Store> store, EventPublisher& publisher, ClusterSignals& signals,
               core::SharedRateLimits& shared_limits, agents::DataAccess& datasets, const analysis::Catalog& catalog,
               llm::Provider& llm, core::FaultRegistry& faults, boost::asio::thread_pool& run_pool,
               agents::Pools pools);
    ~RunService() override;

    // From other instances: a run was queued or a slot freed (claim), or a run executing here is to stop.
    void OnWorkSignal() override;
    void OnCancelSignal(const std::string& run_id) override;

    // Validates and stores the message with its queued run in one transaction (the message is durable when
    // this returns). The run starts only after Schedule, so a transport can send its `ack` before any event.
    core::Result<SubmitResult> Submit(const SubmitRequest& request);
    // Hands a submitted run to the scheduler. Cheap and non-blocking (in-memory bookkeeping, then a post).
    void Schedule(const std::string& run_id);
    // Idempotent: a finished run answers its final state; a queued run is cancelled at once; a running
    // run is flagged and stops at its next event boundary ("cancelling").
    core::Result<domain::Run> Cancel(const std::string& user_id, const std::string& run_id);
    // Active (queued or running) runs of the user, or the one run asked for (kNotFound if not the user's).
    core::Result<std::vector<RunStatusInfo>> Status(const std::string& user_id,
                                                    const std::optional<std::string>& run_id);
    // Cancels the thread's active and queued runs (before a thread delete).
    void CancelThreadRuns(const std::string& user_id, const std::string& thread_id);
    // Start-up recovery (§7): queued runs are scheduled again; interrupted runs, and running runs whose lease ran
    // out, are resumed from their last completed agent (up to settings.limits.run_max_attempts, then failed).
    // Running runs whose lease is still held (another instance, or a process that stopped moments ago) are left
    // to the lease keeper. Then starts the lease keeper: every run_lease_renew this instance renews the leases
    // of its runs, every run_lease_check it takes over runs whose lease ran out.
    core::Status Recover();
    // Shutdown: stop starting runs and the lease keeper, wait up to `drain` for running ones, mark the rest
    // interrupted (their leases handed back: the next start, here or elsewhere, resumes them).
    void Drain(std::chrono::milliseconds drain);
    // This process's identity as a lease owner (runs.owner_instance).
    const std::string& InstanceId() const { return instance_id_; }

    // The user's run with its last seq (kNotFound for another user's).
    core::Result<RunView> Get(const std::string& user_id, const std::string& run_id);

    // Runs executing in this process, and runs submitted here that wait for a slot.
    std::size_t RunningCount() const;
    std::size_t QueuedCount() const;
    QueueMode Queue() const { return queue_; }
    std::uint64_t CompletedCount() const { return completed_; }
    std::uint64_t FailedCount() const { return failed_; }
    std::uint64_t CancelledCount() const { return cancelled_; }

  private:
    struct ActiveRun;
    class Sink;

    void DispatchStartable();
    // Database queue: claims runs while this instance has slots (one claimer at a time; a wake while it runs
    // makes it go round once more).
    void WakeDispatcher();
    boost::asio::awaitable<void> ClaimFromQueue();
    void StartClaimed(const domain::Run& run);
    void Spawn(std::shared_ptr<ActiveRun> run);
    // Removes the run's entry if it is still this one (a newer claim of the same run may have replaced it).
    void Forget(const ActiveRun& run);
    // A started run is over here: its scheduler slot or instance slot is free again.
    void ReleaseSlot(const ActiveRun& run);
    std::optional<std::string> ActiveRunOfThread(const std::string& thread_id);
    bool ThreadHasWork(const std::string& thread_id);
    boost::asio::awaitable<void> Execute(std::shared_ptr<ActiveRun> run);
    static core::Result<agents::RunInput> LoadRunInput(storage::Store& store, const ActiveRun& run);
    boost::asio::awaitable<void> FinishActive(std::shared_ptr<ActiveRun> run, domain::RunStatus status,
                                              std::optional<core::Error> error, std::optional<std::string> report,
                                              boost::json::object result);
    core::Result<domain::Run> CancelLiveRun(const std::string& user_id, const std::string& run_id);
    core::Status FinishNotStarted(const domain::Run& run, domain::RunStatus status, const std::string& error);
    // Where an interrupted run's stored events leave it: the agent it was in (empty: none), whether that agent had
    // thought yet, and the tool call open inside it (empty: none).
    struct OpenStep {
        std::string agent;
        bool thought = false;
        std::string tool;
    };
    core::Result<OpenStep> OpenAgentAndTool(const std::string& run_id);
    // Queues a stored run again (queued, or interrupted and resumable); fails it when it used all its attempts.
    core::Status Requeue(const domain::Run& run);
    // Interrupts and requeues the runs whose lease ran out (blocking: storage).
    core::Status TakeOverExpired();
    boost::asio::awaitable<void> KeepLeases();
    // The run is no longer this instance's to finish (its lease was lost): it stops and writes nothing more.
    void LoseRun(const std::string& run_id, const std::string& why);

    const config::Settings& settings_;
    const QueueMode queue_;
    std::shared_ptr<storage::Store> store_;
    EventPublisher& publisher_;
    ClusterSignals& signals_;
    agents::DataAccess& datasets_;
    core::FaultRegistry& faults_;
    boost::asio::thread_pool& run_pool_;
    agents::Pools pools_;
    Scheduler scheduler_;
    core::RateLimiter message_limiter_;  // per user: messages per minute
    core::RateLimiter run_limiter_;      // per user: runs started per minute
    agents::Supervisor supervisor_;
    EventWriter event_writer_;  // group commit of the runs' events

    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<ActiveRun>> active_;  // queued or running, by run id
    // Database queue: cancels of running runs not (yet) in active_, for StartClaimed to apply; pruned after a minute.
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> cancels_in_flight_;
    std::atomic<bool> draining_{false};
    const std::string instance_id_;
    boost::asio::steady_timer lease_timer_;  // the lease keeper's wait; cancelled by Drain
    boost::asio::strand<boost::asio::thread_pool::executor_type> claim_strand_;
    std::atomic<bool> claiming_{false}, claim_again_{false};
    std::atomic<bool> keeping_leases_{false};  // the lease keeper's coroutine is alive (Drain waits for it to end)
    std::atomic<int> running_here_{0};         // database queue: runs executing in this process
    std::atomic<std::uint64_t> completed_{0}, failed_{0}, cancelled_{0};
};

}  // namespace netra::runs

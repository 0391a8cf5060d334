#pragma once
// RunService holds the rules of runs (§7): a message becomes durable together with its run, the scheduler
// decides when it starts, the supervisor executes it on the worker pool, and every event is stored with
// the next seq before it is fanned out. Methods are synchronous; callers invoke them on the worker pool.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agents/supervisor.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"
#include "core/faults.hpp"
#include "core/rate_limiter.hpp"
#include "llm/provider.hpp"
#include "runs/event_bus.hpp"
#include "runs/scheduler.hpp"
#include "runs/store_data_access.hpp"
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
    storage::Message message;
    storage::Run run;
};

struct RunStatusInfo {
    std::string run_id;
    std::string thread_id;
    std::string status;
    std::string current_agent;
    std::int64_t seq = 0;
};

class RunService {
  public:
    // `post` runs a task on the worker pool (runs execute there, never on network threads).
    RunService(const config::Settings& settings, std::shared_ptr<storage::Store> store, EventBus& bus,
               std::function<void(std::function<void()>)> post);
    ~RunService();

    // Validates and stores the message with its queued run in one transaction (the message is durable when
    // this returns). The run starts only after Schedule, so a transport can send its `ack` before any event.
    core::Result<SubmitResult> Submit(const SubmitRequest& request);
    // Hands a submitted run to the scheduler. Cheap and non-blocking (in-memory bookkeeping, then a post).
    void Schedule(const std::string& run_id);
    // Idempotent: a finished run answers its final state; a queued run is cancelled at once; a running
    // run is flagged and stops at its next event boundary ("cancelling").
    core::Result<storage::Run> Cancel(const std::string& user_id, const std::string& run_id);
    // Active (queued or running) runs of the user, or the one run asked for (kNotFound if not the user's).
    core::Result<std::vector<RunStatusInfo>> Status(const std::string& user_id,
                                                    const std::optional<std::string>& run_id);
    // Cancels the thread's active and queued runs (before a thread delete).
    void CancelThreadRuns(const std::string& user_id, const std::string& thread_id);
    // Start-up recovery: runs left `running` or `queued` by a previous process become `interrupted` and
    // then `failed` with a terminal event, so nothing is left `running`.
    core::Status RecoverInterrupted();
    // Shutdown: stop starting runs, wait up to `drain` for running ones, mark the rest interrupted.
    void Drain(std::chrono::milliseconds drain);

    // Test deployments only: faults consulted at tool calls and event writes (§11). Null = none.
    void SetFaults(core::FaultRegistry* faults) { faults_ = faults; }
    // The LLM provider agents use for prose (null = builtin text only). Set once at start-up.
    void SetLlm(std::shared_ptr<llm::Provider> provider) { llm_ = std::move(provider); }
    // The supply catalog the agents price with (the operator's --catalog, else the bundled one).
    void SetCatalog(const analysis::Catalog* catalog) { supervisor_ = agents::Supervisor(catalog); }

    // Hands freshly uploaded records to the dataset cache (datasets are immutable once stored).
    void RememberDataset(const std::string& dataset_id,
                         std::shared_ptr<const std::vector<storage::UsageRecord>> records) {
        data_access_.Remember(dataset_id, std::move(records));
    }

    std::size_t RunningCount() const { return scheduler_.RunningCount(); }
    std::size_t QueuedCount() const { return scheduler_.QueuedCount(); }
    std::uint64_t CompletedCount() const { return completed_; }
    std::uint64_t FailedCount() const { return failed_; }
    std::uint64_t CancelledCount() const { return cancelled_; }

  private:
    struct ActiveRun;
    class Sink;

    void DispatchStartable();
    void Execute(std::shared_ptr<ActiveRun> run);
    void FinishActive(const std::shared_ptr<ActiveRun>& run, const std::string& status,
                      const std::optional<core::Error>& error, const std::optional<std::string>& report,
                      const boost::json::object& result);
    core::Status FinishNotStarted(const storage::Run& run, const std::string& status, const std::string& error);

    const config::Settings& settings_;
    std::shared_ptr<storage::Store> store_;
    EventBus& bus_;
    std::function<void(std::function<void()>)> post_;
    Scheduler scheduler_;
    core::RateLimiter message_limiter_;  // per user: messages and runs submitted per minute
    agents::Supervisor supervisor_;

    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::shared_ptr<ActiveRun>> active_;  // queued or running, by run id
    std::atomic<bool> draining_{false};
    core::FaultRegistry* faults_ = nullptr;
    std::shared_ptr<llm::Provider> llm_;
    StoreDataAccess data_access_;
    std::atomic<std::uint64_t> completed_{0}, failed_{0}, cancelled_{0};
};

}  // namespace netra::runs

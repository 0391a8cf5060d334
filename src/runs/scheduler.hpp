#pragma once
// Decides which queued run starts next (§7): one active run per thread (later messages wait in order),
// at most `per_user_limit` running runs per user, and users served round-robin so one busy user cannot
// starve the others. Pure bookkeeping under a mutex: no I/O, so it is unit-testable.
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace netra::runs {

struct QueuedRun {
    std::string run_id;
    std::string thread_id;
    std::string user_id;
};

class Scheduler {
  public:
    explicit Scheduler(int per_user_limit) : per_user_limit_(per_user_limit) {}

    void Enqueue(const QueuedRun& run);
    // Removes a run that has not started; false when it is not queued.
    bool RemoveQueued(const std::string& run_id);
    // Returns the runs that may start now and marks them running.
    std::vector<QueuedRun> TakeStartable();
    // Marks a running run finished, freeing its thread and user slot.
    void Finished(const QueuedRun& run);

    std::optional<std::string> ActiveRunOfThread(const std::string& thread_id) const;
    bool ThreadHasWork(const std::string& thread_id) const;  // running or queued
    std::size_t QueuedCount() const;
    std::size_t RunningCount() const;

  private:
    mutable std::mutex mutex_;
    int per_user_limit_;
    std::unordered_map<std::string, std::deque<QueuedRun>> queued_by_thread_;
    std::unordered_map<std::string, std::vector<std::string>> threads_by_user_;  // threads with queued runs
    std::deque<std::string> user_order_;                                         // round-robin over users
    std::unordered_map<std::string, std::string> active_by_thread_;              // thread -> run
    std::unordered_map<std::string, int> running_by_user_;
    std::size_t queued_ = 0;
};

}  // namespace netra::runs

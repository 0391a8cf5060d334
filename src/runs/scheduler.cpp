#include "runs/scheduler.hpp"

#include <algorithm>

namespace netra::runs {

void Scheduler::Enqueue(const QueuedRun& run) {
    std::lock_guard lock(mutex_);
    auto& q = queued_by_thread_[run.thread_id];
    if (q.empty()) {
        auto& threads = threads_by_user_[run.user_id];
        threads.push_back(run.thread_id);
        if (std::find(user_order_.begin(), user_order_.end(), run.user_id) == user_order_.end()) {
            user_order_.push_back(run.user_id);
        }
    }
    q.push_back(run);
    ++queued_;
}

bool Scheduler::RemoveQueued(const std::string& run_id) {
    std::lock_guard lock(mutex_);
    for (auto it = queued_by_thread_.begin(); it != queued_by_thread_.end(); ++it) {
        auto& q = it->second;
        auto pos = std::find_if(q.begin(), q.end(), [&](const QueuedRun& r) { return r.run_id == run_id; });
        if (pos == q.end()) continue;
        std::string user = pos->user_id;
        std::string thread = pos->thread_id;
        q.erase(pos);
        --queued_;
        if (q.empty()) {
            queued_by_thread_.erase(it);
            auto& threads = threads_by_user_[user];
            threads.erase(std::remove(threads.begin(), threads.end(), thread), threads.end());
            if (threads.empty()) {
                threads_by_user_.erase(user);
                user_order_.erase(std::remove(user_order_.begin(), user_order_.end(), user), user_order_.end());
            }
        }
        return true;
    }
    return false;
}

std::vector<QueuedRun> Scheduler::TakeStartable() {
    std::lock_guard lock(mutex_);
    std::vector<QueuedRun> out;
    bool progress = true;
    // Each pass gives every user with work at most one start, in round-robin order, until nothing can start.
    while (progress && !user_order_.empty()) {
        progress = false;
        std::size_t users = user_order_.size();
        for (std::size_t i = 0; i < users && !user_order_.empty(); ++i) {
            std::string user = user_order_.front();
            user_order_.pop_front();
            auto& threads = threads_by_user_[user];
            bool started = false;
            if (running_by_user_[user] < per_user_limit_) {
                for (auto t = threads.begin(); t != threads.end(); ++t) {
                    if (active_by_thread_.count(*t)) continue;
                    auto& q = queued_by_thread_[*t];
                    QueuedRun run = q.front();
                    q.pop_front();
                    --queued_;
                    active_by_thread_[run.thread_id] = run.run_id;
                    ++running_by_user_[user];
                    if (q.empty()) {
                        queued_by_thread_.erase(*t);
                        threads.erase(t);
                    }
                    out.push_back(std::move(run));
                    started = true;
                    break;
                }
            }
            if (threads.empty()) {
                threads_by_user_.erase(user);
            } else {
                user_order_.push_back(user);  // back of the line, fair to the others
            }
            progress = progress || started;
        }
    }
    return out;
}

void Scheduler::Finished(const QueuedRun& run) {
    std::lock_guard lock(mutex_);
    auto it = active_by_thread_.find(run.thread_id);
    if (it != active_by_thread_.end() && it->second == run.run_id) active_by_thread_.erase(it);
    auto u = running_by_user_.find(run.user_id);
    if (u != running_by_user_.end() && --u->second <= 0) running_by_user_.erase(u);
}

std::optional<std::string> Scheduler::ActiveRunOfThread(const std::string& thread_id) const {
    std::lock_guard lock(mutex_);
    auto it = active_by_thread_.find(thread_id);
    if (it == active_by_thread_.end()) return std::nullopt;
    return it->second;
}

bool Scheduler::ThreadHasWork(const std::string& thread_id) const {
    std::lock_guard lock(mutex_);
    return active_by_thread_.count(thread_id) > 0 || queued_by_thread_.count(thread_id) > 0;
}

std::size_t Scheduler::QueuedCount() const {
    std::lock_guard lock(mutex_);
    return queued_;
}

std::size_t Scheduler::RunningCount() const {
    std::lock_guard lock(mutex_);
    return active_by_thread_.size();
}

}  // namespace netra::runs

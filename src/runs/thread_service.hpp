#pragma once
// Thread rules: titles validated, everything scoped to the user, delete cancels the thread's runs first and
// then removes its messages, runs and events. Synchronous; callers use the worker pool.
#include <memory>
#include <optional>
#include <string>

#include "core/error.hpp"
#include "runs/run_service.hpp"
#include "storage/store.hpp"

namespace netra::runs {

class ThreadService {
  public:
    ThreadService(std::shared_ptr<storage::Store> store, RunService& runs) : store_(std::move(store)), runs_(runs) {}

    // `id`: a client's own id for the thread (protocol adapters: LangGraph's `thread_id`, AG-UI's `threadId`), 1–64
    // characters of [A-Za-z0-9_-]; one that exists already is kConflict. Absent: a new UUIDv7.
    core::Result<domain::Thread> Create(const std::string& user_id, const std::optional<std::string>& title,
                                        const std::optional<std::string>& id = std::nullopt);
    core::Result<domain::Thread> Get(const std::string& user_id, const std::string& thread_id);
    core::Result<domain::Page<domain::Thread>> List(const std::string& user_id, int limit,
                                                    const std::optional<std::string>& cursor);
    core::Result<domain::Thread> Rename(const std::string& user_id, const std::string& thread_id,
                                        const std::string& title);
    core::Status Delete(const std::string& user_id, const std::string& thread_id);
    core::Result<domain::Page<domain::Message>> Messages(const std::string& user_id, const std::string& thread_id,
                                                         int limit, const std::optional<std::string>& cursor);
    core::Result<std::vector<domain::Run>> Runs(const std::string& user_id, const std::string& thread_id);

  private:
    std::shared_ptr<storage::Store> store_;
    RunService& runs_;
};

}  // namespace netra::runs

#pragma once
// The open WebSocket sessions: how many each user has (the per-user connection limit) and, at shutdown, who
// must be told the server is going away (1001).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace netra::net::ws {

class GoingAway {
  public:
    virtual ~GoingAway() = default;
    // Closes with 1001 from the session's own executor; callable from any thread.
    virtual void CloseGoingAway() = 0;
};

class WsSessionRegistry {
  public:
    // Registers a session unless its user already has `limit` open here; the user's count here after it, or
    // nullopt when over the limit.
    std::optional<int> Add(std::uint64_t id, const std::string& user_id, const std::weak_ptr<GoingAway>& session,
                           int limit);
    // The user's count here after it.
    int Remove(std::uint64_t id, const std::string& user_id);
    void CloseAll();
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::weak_ptr<GoingAway>> sessions_;
    std::unordered_map<std::string, int> per_user_;
};

}  // namespace netra::net::ws

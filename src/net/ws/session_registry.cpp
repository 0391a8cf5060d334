#include "net/ws/session_registry.hpp"

#include <vector>

namespace netra::net::ws {

std::optional<int> WsSessionRegistry::Add(std::uint64_t id, const std::string& user_id,
                                          const std::weak_ptr<GoingAway>& session, int limit) {
    std::lock_guard lock(mutex_);
    int& count = per_user_[user_id];
    if (count >= limit) return std::nullopt;
    ++count;
    sessions_[id] = session;
    return count;
}

int WsSessionRegistry::Remove(std::uint64_t id, const std::string& user_id) {
    std::lock_guard lock(mutex_);
    auto it = per_user_.find(user_id);
    if (sessions_.erase(id) == 0) return it == per_user_.end() ? 0 : it->second;
    if (it == per_user_.end()) return 0;
    if (--it->second > 0) return it->second;
    per_user_.erase(it);
    return 0;
}

std::size_t WsSessionRegistry::size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
}

void WsSessionRegistry::CloseAll() {
    std::vector<std::shared_ptr<GoingAway>> open;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, weak] : sessions_) {
            if (auto s = weak.lock()) open.push_back(std::move(s));
        }
    }
    for (auto& s : open) s->CloseGoingAway();
}

}  // namespace netra::net::ws

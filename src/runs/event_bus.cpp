#include "runs/event_bus.hpp"

#include <algorithm>

namespace netra::runs {

EventBus::SubscriptionId EventBus::Subscribe(const std::string& user_id, std::weak_ptr<EventListener> listener) {
    std::lock_guard lock(mutex_);
    SubscriptionId id = next_id_++;
    auto& entries = by_user_[user_id];
    entries.push_back(Entry{id, std::move(listener)});
    if (entries.size() == 1 && observer_) observer_->OnWatched(user_id);
    return id;
}

void EventBus::Unsubscribe(const std::string& user_id, SubscriptionId id) {
    std::lock_guard lock(mutex_);
    auto it = by_user_.find(user_id);
    if (it == by_user_.end()) return;
    auto& entries = it->second;
    entries.erase(std::remove_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.id == id; }),
                  entries.end());
    if (entries.empty()) {
        by_user_.erase(it);
        if (observer_) observer_->OnUnwatched(user_id);
    }
}

void EventBus::SetWatchObserver(WatchObserver* observer) {
    std::lock_guard lock(mutex_);
    observer_ = observer;
}

std::vector<std::string> EventBus::WatchedUsers() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> users;
    users.reserve(by_user_.size());
    for (const auto& [user, entries] : by_user_) users.push_back(user);
    return users;
}

void EventBus::Publish(const std::shared_ptr<const LiveEvent>& event) {
    // Collect the live listeners under the lock, call them outside it: a listener only posts to its strand,
    // but keeping the lock short keeps publishers of different users from queueing behind each other.
    std::vector<std::shared_ptr<EventListener>> targets;
    {
        std::lock_guard lock(mutex_);
        ++published_;
        auto it = by_user_.find(event->user_id);
        if (it == by_user_.end()) return;
        targets.reserve(it->second.size());
        for (const auto& entry : it->second) {
            if (auto l = entry.listener.lock()) targets.push_back(std::move(l));
        }
    }
    for (const auto& l : targets) l->OnEvent(event);
}

std::size_t EventBus::ListenerCount(const std::string& user_id) const {
    std::lock_guard lock(mutex_);
    auto it = by_user_.find(user_id);
    return it == by_user_.end() ? 0 : it->second.size();
}

std::size_t EventBus::TotalListeners() const {
    std::lock_guard lock(mutex_);
    std::size_t n = 0;
    for (const auto& [user, entries] : by_user_) n += entries.size();
    return n;
}

std::uint64_t EventBus::EventsPublished() const {
    std::lock_guard lock(mutex_);
    return published_;
}

}  // namespace netra::runs

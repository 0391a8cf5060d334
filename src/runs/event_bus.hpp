#pragma once
// In-process live fan-out of run events to the connections of the run's user (§6: every connection of a
// user receives the live events of every run of that user, and nothing of another user). Listeners are
// called on the publishing thread and must hand the event to their own executor without blocking.
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runs/event_publisher.hpp"

namespace netra::runs {

class EventListener {
  public:
    virtual ~EventListener() = default;
    virtual void OnEvent(const std::shared_ptr<const LiveEvent>& event) = 0;
};

// Hears when a user gains their first listener on this instance and loses their last: a cluster transport
// subscribes to that user's events only while someone here listens.
class WatchObserver {
  public:
    virtual ~WatchObserver() = default;
    // Called under the bus's lock, in order; must only post (never block, never call back into the bus).
    virtual void OnWatched(const std::string& user_id) = 0;
    virtual void OnUnwatched(const std::string& user_id) = 0;
};

class EventBus final : public EventPublisher {
  public:
    using SubscriptionId = std::uint64_t;

    // A cluster transport registers itself when it is built (and unregisters with nullptr when destroyed).
    void SetWatchObserver(WatchObserver* observer);
    // The users with a listener here now (a transport that reconnects, or polls, asks).
    std::vector<std::string> WatchedUsers() const;

    SubscriptionId Subscribe(const std::string& user_id, std::weak_ptr<EventListener> listener);
    void Unsubscribe(const std::string& user_id, SubscriptionId id);
    void Publish(const std::shared_ptr<const LiveEvent>& event) override;
    std::size_t ListenerCount(const std::string& user_id) const;
    std::size_t TotalListeners() const;
    std::uint64_t EventsPublished() const;

  private:
    struct Entry {
        SubscriptionId id;
        std::weak_ptr<EventListener> listener;
    };
    mutable std::mutex mutex_;
    std::unordered_map<std::string, std::vector<Entry>> by_user_;
    SubscriptionId next_id_ = 1;
    WatchObserver* observer_ = nullptr;
    std::uint64_t published_ = 0;
};

}  // namespace netra::runs

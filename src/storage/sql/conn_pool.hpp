#pragma once
// A fixed set of connections handed out under a mutex/condvar (internal to the storage module). Callers block
// while every connection is borrowed: the pool size bounds the database load, never the callers' threads.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace netra::storage::sql {

template <class Conn>
class ConnPool {
  public:
    ConnPool() = default;
    ConnPool(const ConnPool&) = delete;
    ConnPool& operator=(const ConnPool&) = delete;

    void Add(std::unique_ptr<Conn> conn) {
        std::lock_guard lock(mu_);
        free_.push_back(conn.get());
        all_.push_back(std::move(conn));
    }
    bool empty() const { return all_.empty(); }
    std::size_t size() const { return all_.size(); }

    Conn* Take() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return !free_.empty(); });
        Conn* conn = free_.back();
        free_.pop_back();
        return conn;
    }

    void Give(Conn* conn) {
        {
            std::lock_guard lock(mu_);
            free_.push_back(conn);
        }
        cv_.notify_one();
    }

    // Only when no connection is borrowed (construction / destruction).
    const std::vector<std::unique_ptr<Conn>>& all() const { return all_; }

  private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<Conn*> free_;
    std::vector<std::unique_ptr<Conn>> all_;
};

}  // namespace netra::storage::sql

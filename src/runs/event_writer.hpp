#pragma once
// Group commit for run events (SPEC §7: events are durable before they are delivered; group commit allowed).
// Each run awaits its event's write as a coroutine. One batch is written at a time, on the blocking pool, in one
// transaction; events that arrive while it is written form the next batch. An idle server writes an event at
// once; under load one transaction stores the events of many runs, instead of one transaction and one pool hop
// per event.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "domain/records.hpp"
#include "storage/store.hpp"

namespace netra::runs {

class EventWriter {
  public:
    // `owner`: the instance whose runs' events these are; each is stored only while it holds its run
    // (Store::AppendOwnedEvents).
    EventWriter(std::shared_ptr<storage::Store> store, boost::asio::thread_pool& pool, std::string owner,
                std::size_t max_batch = 512);

    // Completes once `event` is committed (Ok) or could not be (its own error: a batch that fails is retried
    // event by event, so one bad event never fails another run's; a run no longer held is kConflict).
    boost::asio::awaitable<core::Status> Write(domain::RunEvent event);

    std::uint64_t Batches() const;  // transactions written so far (for tests and metrics)

  private:
    struct Pending {
        domain::RunEvent event;
        std::function<void(core::Status)> done;  // posts the result to the waiting run's executor
    };
    void Enqueue(Pending pending);
    void Drain();  // on the pool: writes batches until the queue is empty

    std::shared_ptr<storage::Store> store_;
    boost::asio::thread_pool& pool_;
    const std::string owner_;
    const std::size_t max_batch_;
    mutable std::mutex mutex_;
    std::vector<Pending> queue_;
    bool draining_ = false;
    std::uint64_t batches_ = 0;
};

}  // namespace netra::runs

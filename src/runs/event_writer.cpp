#include "runs/event_writer.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace netra::runs {
namespace asio = boost::asio;

EventWriter::EventWriter(std::shared_ptr<storage::Store> store, asio::thread_pool& pool, std::string owner,
                         std::size_t max_batch)
    : store_(std::move(store)),
      pool_(pool),
      owner_(std::move(owner)),
      max_batch_(std::max<std::size_t>(max_batch, 1)) {}

asio::awaitable<core::Status> EventWriter::Write(domain::RunEvent event) {
    auto initiate = [this, event = std::move(event)](auto handler) mutable {
        // Handlers are move-only; the queue holds them behind a shared_ptr.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        Enqueue(Pending{std::move(event), [shared](core::Status status) {
                            auto executor = asio::get_associated_executor(*shared);
                            asio::post(executor, [shared, status = std::move(status)]() mutable {
                                (*shared)(std::optional<core::Status>(std::move(status)));
                            });
                        }});
    };
    std::optional<core::Status> result =
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::optional<core::Status>)>(
            std::move(initiate), asio::use_awaitable);
    co_return std::move(*result);
}

void EventWriter::Enqueue(Pending pending) {
    bool start = false;
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(pending));
        if (!draining_) start = draining_ = true;
    }
    if (start) asio::post(pool_, [this] { Drain(); });
}

void EventWriter::Drain() {
    for (;;) {
        std::vector<Pending> batch;
        {
            std::lock_guard lock(mutex_);
            if (queue_.empty()) {
                draining_ = false;
                return;
            }
            if (queue_.size() <= max_batch_) {
                batch.swap(queue_);
            } else {
                batch.assign(std::make_move_iterator(queue_.begin()),
                             std::make_move_iterator(queue_.begin() + static_cast<long>(max_batch_)));
                queue_.erase(queue_.begin(), queue_.begin() + static_cast<long>(max_batch_));
            }
            ++batches_;
        }
        std::vector<domain::RunEvent> events;
        events.reserve(batch.size());
        for (const auto& p : batch) events.push_back(p.event);
        auto status = store_->AppendOwnedEvents(events, owner_);
        if (status.ok() || batch.size() == 1) {
            for (auto& p : batch) p.done(status);
            continue;
        }
        // One event spoiled the transaction (a run deleted or taken over meanwhile, a duplicate seq): each gets its own
        // answer.
        for (auto& p : batch) p.done(store_->AppendOwnedEvents({p.event}, owner_));
    }
}

std::uint64_t EventWriter::Batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
}

}  // namespace netra::runs

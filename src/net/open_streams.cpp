#include "net/open_streams.hpp"

#include <utility>
#include <vector>

namespace netra::net {

OpenStreams::Registration::Registration(OpenStreams& streams, Stop stop) : streams_(streams), id_(0) {
    {
        std::lock_guard lock(streams_.mutex_);
        if (!streams_.stopped_) {
            id_ = streams_.next_id_++;
            streams_.stops_.emplace(id_, std::move(stop));
            return;
        }
    }
    stop();  // opened while the server was already stopping them
}

OpenStreams::Registration::~Registration() {
    if (id_ == 0) return;
    std::lock_guard lock(streams_.mutex_);
    streams_.stops_.erase(id_);
}

void OpenStreams::StopAll() {
    std::vector<Stop> stops;
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
        stops.reserve(stops_.size());
        for (auto& [id, stop] : stops_) stops.push_back(stop);
    }
    for (const auto& stop : stops) stop();
}

std::size_t OpenStreams::size() const {
    std::lock_guard lock(mutex_);
    return stops_.size();
}

}  // namespace netra::net

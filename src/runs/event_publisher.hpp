#pragma once
// The seam run events leave through once they are stored (§7: durable before delivered). The in-process
// EventBus implements it today; a cluster-wide publisher (Redis pub/sub, SPEC §12) is one more implementation
// wired in app/, with no change to the run service or the transports.
#include <cstdint>
#include <memory>
#include <string>

#include "domain/values.hpp"

namespace netra::runs {

struct LiveEvent {
    std::string user_id;
    std::string run_id;
    std::string thread_id;
    std::int64_t seq = 0;
    domain::EventType type = domain::EventType::kRunStarted;
    std::shared_ptr<const std::string> frame;  // the serialized envelope, shared by every connection
};

class EventPublisher {
  public:
    virtual ~EventPublisher() = default;
    // Called once per stored event, in seq order per run, on the run's thread; must not block.
    virtual void Publish(const std::shared_ptr<const LiveEvent>& event) = 0;
};

}  // namespace netra::runs

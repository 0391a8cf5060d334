#pragma once
// What instances of one deployment tell each other about runs (§12): "a run was queued or a slot freed" (work:
// another instance may claim it) and "cancel run R" (only the instance executing R can stop it). A single
// instance needs neither: LocalSignals drops them. The Redis implementation (cluster/) carries them between
// instances; the run service is their listener on the receiving side.
#include <string>

namespace netra::runs {

class SignalListener {
  public:
    virtual ~SignalListener() = default;
    // Called on the transport's thread; must not block.
    virtual void OnWorkSignal() = 0;
    virtual void OnCancelSignal(const std::string& run_id) = 0;
};

class ClusterSignals {
  public:
    virtual ~ClusterSignals() = default;
    virtual void SignalWork() = 0;
    virtual void SignalCancel(const std::string& run_id) = 0;
    // The run service registers itself (its constructor) and unregisters (its destructor, with nullptr).
    virtual void Listen(SignalListener* listener) = 0;
};

// One instance: nobody else to tell.
class LocalSignals final : public ClusterSignals {
  public:
    void SignalWork() override {}
    void SignalCancel(const std::string&) override {}
    void Listen(SignalListener*) override {}
};

}  // namespace netra::runs

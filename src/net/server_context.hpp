#pragma once
// Everything a request handler or WebSocket session needs, built once by app/ and shared.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/catalog.hpp"
#include "auth/auth_service.hpp"
#include "config/settings.hpp"
#include "core/faults.hpp"
#include "llm/provider.hpp"
#include "net/metrics.hpp"
#include "runs/event_bus.hpp"
#include "runs/run_service.hpp"
#include "runs/thread_service.hpp"
#include "storage/store.hpp"

namespace boost::asio {
class thread_pool;
}

namespace netra::net {

// Start-up progress shown by readiness (§10).
class StartupState {
  public:
    void PhaseDone(const std::string& phase, double duration_ms);
    void SetPhase(const std::string& phase);
    void MarkReady(double total_ms);
    bool ready() const { return ready_.load(); }
    std::string phase() const;
    std::vector<std::pair<std::string, double>> completed() const;
    double total_ms() const;

  private:
    mutable std::mutex mutex_;
    std::string phase_ = "config";
    std::vector<std::pair<std::string, double>> completed_;
    double total_ms_ = 0;
    std::atomic<bool> ready_{false};
};

namespace ws {
class WsSessionRegistry;
}

struct ServerContext {
    const config::Settings* settings = nullptr;
    std::shared_ptr<storage::Store> store;
    std::shared_ptr<auth::AuthService> auth;
    std::shared_ptr<runs::RunService> runs;
    std::shared_ptr<runs::ThreadService> threads;
    runs::EventBus* bus = nullptr;
    boost::asio::thread_pool* workers = nullptr;
    std::shared_ptr<const analysis::Catalog> catalog;
    std::shared_ptr<llm::Provider> llm;
    std::shared_ptr<Metrics> metrics;
    std::shared_ptr<core::FaultRegistry> faults;  // set only when fault injection is enabled
    std::shared_ptr<StartupState> startup;
    std::shared_ptr<ws::WsSessionRegistry> sessions;
    std::string version;
    std::string instance_id;
    std::chrono::steady_clock::time_point started_at;
    std::atomic<bool> shutting_down{false};
};

}  // namespace netra::net

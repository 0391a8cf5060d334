#pragma once
// What a request handler or WebSocket session sees. Two parts, both built by app/:
//  - ServerContext: the server itself (settings, worker pool, metrics, start-up state, open sessions), there
//    from the first accepted connection so liveness answers during start-up;
//  - Services: every domain service, built once with all it needs (references, never null) once the
//    database is up, and handed to the server in one step (`Open`). Handlers reach services, never the store.
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/catalog.hpp"
#include "auth/auth_service.hpp"
#include "config/settings.hpp"
#include "core/faults.hpp"
#include "datasets/dataset_service.hpp"
#include "llm/provider.hpp"
#include "net/metrics.hpp"
#include "net/open_streams.hpp"
#include "runs/event_bus.hpp"
#include "runs/event_replay.hpp"
#include "runs/run_service.hpp"
#include "runs/thread_service.hpp"
#include "storage/store.hpp"

namespace boost::asio {
class thread_pool;
}

namespace netra::cluster {
class RedisCluster;
}

namespace netra::net {

// Start-up progress shown by readiness (§10).
class StartupState {
  public:
    void PhaseDone(const std::string& phase, double duration_ms);
    void SetPhase(const std::string& phase);
    std::string phase() const;
    std::vector<std::pair<std::string, double>> completed() const;
    double total_ms() const;

  private:
    friend class ServerContext;
    void MarkReady(double total_ms);

    mutable std::mutex mutex_;
    std::string phase_ = "config";
    std::vector<std::pair<std::string, double>> completed_;
    double total_ms_ = 0;
};

struct Services {
    auth::AuthService& auth;
    runs::RunService& runs;
    runs::ThreadService& threads;
    datasets::DatasetService& datasets;
    runs::EventBus& bus;        // live delivery: sessions and SSE streams subscribe here
    runs::EventReader& events;  // stored events, for replays and listings
    const analysis::Catalog& catalog;
    const llm::Provider& llm;
    core::FaultRegistry& faults;  // consulted only when settings.fault_injection is on
    storage::DatabaseHealth& database;
    cluster::RedisCluster* redis;  // null: one instance, no Redis (SQLite, or PostgreSQL without REDIS_URL)
};

namespace ws {
class WsSessionRegistry;
}

class ServerContext {
    std::unique_ptr<ws::WsSessionRegistry> sessions_owned_;  // first: `sessions` below refers to it

  public:
    ServerContext(const config::Settings& settings, boost::asio::thread_pool& workers, std::string version);
    ~ServerContext();

    // The server becomes ready by being given its services: from here on every route answers. Called once.
    void Open(std::shared_ptr<const Services> services, double startup_total_ms);
    // Null until Open: only the health routes answer before (everything else 503).
    std::shared_ptr<const Services> services() const {
        return opened_.load(std::memory_order_acquire) ? services_ : nullptr;
    }
    bool ready() const { return services() != nullptr; }
    // Ready and not shutting down.
    bool accepting() const { return ready() && !shutting_down; }

    const config::Settings& settings;
    boost::asio::thread_pool& workers;
    Metrics metrics;
    StartupState startup;
    ws::WsSessionRegistry& sessions;
    OpenStreams open_streams;  // SSE streams and waits for a run's end, ended at shutdown
    const std::string version;
    const std::string instance_id;
    const std::chrono::steady_clock::time_point started_at;
    std::atomic<bool> shutting_down{false};

  private:
    // Published once: written by Open before `opened_` is set (release), read only after it is seen (acquire), never
    // changed again, so readers copy it without a lock. Not std::atomic<std::shared_ptr>: GCC 12's load unlocks its
    // spin lock with a relaxed store, so the pointer it read is not ordered before a later store's write (a data race
    // by the memory model; ThreadSanitizer reports it on every request racing Open).
    std::shared_ptr<const Services> services_;
    std::atomic<bool> opened_{false};
};

}  // namespace netra::net

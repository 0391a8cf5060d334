#include "app/server_app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fstream>
#include <future>
#include <iostream>
#include <thread>

#include "analysis/catalog.hpp"
#include "auth/auth_service.hpp"
#include "cluster/redis_cluster.hpp"
#include "cluster/redis_url.hpp"
#include "config/database_url.hpp"
#include "config/loader.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"
#include "datasets/dataset_service.hpp"
#include "llm/factory.hpp"
#include "llm/fault_hook.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/listener.hpp"
#include "net/ws/session_registry.hpp"
#include "runs/event_bus.hpp"
#include "runs/run_service.hpp"
#include "runs/thread_service.hpp"
#include "storage/open_store.hpp"

namespace netra::app {
namespace asio = boost::asio;

namespace {

constexpr const char* kVersion = "0.1.0";

// Connects with retry and exponential backoff (a database that starts together with us is normal in
// deployments), then migrates.
// A database that is not there yet (a container still starting, a failover) is waited for with backoff up to
// timeouts.database_startup; meanwhile /health answers and everything else is 503.
core::Result<std::shared_ptr<storage::Store>> OpenDatabase(const config::Settings& settings,
                                                           const storage::AcquireHook& hook) {
    auto delay = std::chrono::milliseconds(200);
    const auto deadline = std::chrono::steady_clock::now() + settings.timeouts.database_startup;
    for (int attempt = 1;; ++attempt) {
        auto store = storage::OpenStore(settings.database_url, std::max(settings.worker_threads + 2, 4), hook);
        if (store.ok()) {
            if (auto s = (*store)->Migrate(); !s.ok()) return s.error();
            return store;
        }
        if (store.error().code != core::ErrorCode::kServiceUnavailable ||
            std::chrono::steady_clock::now() + delay > deadline) {
            return store.error();
        }
        spdlog::warn("database not reachable ({}), attempt {}; retrying in {} ms", store.error().message, attempt,
                     delay.count());
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, std::chrono::milliseconds(5000));
    }
}

// §11 target "database": every read and write of the store meets it. error: 503 (kServiceUnavailable), or 500 with
// error "internal" (a statement that fails, as on a full disk or a corrupt page); latency: the
// call waits latency_ms; timeout: it waits as a database that does not answer would (latency_ms, 5 s by default),
// then fails as unavailable. Storage runs on the worker and blocking pools, never on an I/O thread, so waiting here
// holds no network thread.
storage::AcquireHook DatabaseFaultHook(core::FaultRegistry& faults) {
    return [&faults](bool) -> core::Status {
        auto fault = faults.Check("database");
        if (!fault) return core::Ok();
        if (fault->mode == "error" && fault->error == "internal")
            return core::MakeError(core::ErrorCode::kInternal, "injected fault: database statement failed");
        if (fault->mode == "error")
            return core::MakeError(core::ErrorCode::kServiceUnavailable, "injected fault: database");
        const int wait_ms = fault->latency_ms > 0 ? fault->latency_ms : 5000;
        std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));
        if (fault->mode == "timeout") {
            return core::MakeError(core::ErrorCode::kServiceUnavailable, "injected fault: database timeout");
        }
        return core::Ok();
    };
}

// Every domain service, built once with all it needs, in dependency order. Members are references or owned
// objects, never null: a service that lacks a dependency does not compile.
//
// Modes (§12): SQLite is one instance (runs wait in this process's scheduler). PostgreSQL is a cluster of any size:
// runs wait in the database's queue, and with REDIS_URL events, work and cancel signals travel between instances
// through Redis (without it, an instance on PostgreSQL is a cluster of one).
struct AppServices {
    AppServices(const config::Settings& settings, const std::string& instance_id, core::FaultRegistry& faults_in,
                std::shared_ptr<storage::Store> store_in, std::shared_ptr<const analysis::Catalog> catalog_in,
                asio::io_context& ioc, asio::thread_pool& run_pool, agents::Pools pools,
                const std::optional<cluster::RedisEndpoint>& redis_endpoint)
        : faults(faults_in),
          store(std::move(store_in)),
          catalog(std::move(catalog_in)),
          llm(llm::MakeProvider(settings,
                                settings.fault_injection ? llm::FaultHookFromRegistry(faults) : llm::FaultHook{})),
          events(store),
          redis(redis_endpoint ? std::make_unique<cluster::RedisCluster>(ioc, *redis_endpoint, instance_id, bus, events,
                                                                         store, pools.blocking)
                               : nullptr),
          auth(settings, store, SharedLimits()),
          datasets(store, *catalog, settings.limits.uploads_per_minute, SharedLimits()),
          runs(settings, instance_id,
               store->BackendName() == std::string_view("sqlite") ? runs::QueueMode::kInProcess
                                                                  : runs::QueueMode::kDatabase,
               store, redis ? static_cast<runs::EventPublisher&>(*redis) : bus,
               redis ? static_cast<runs::ClusterSignals&>(*redis) : local_signals, SharedLimits(), datasets, *catalog,
               *llm, faults, run_pool, pools),
          threads(store, runs),
          view{auth, runs, threads, datasets, bus, events, *catalog, *llm, faults, *store, redis.get()} {}

    // Redis's buckets in a cluster, this instance's own otherwise.
    core::SharedRateLimits& SharedLimits() { return redis ? static_cast<core::SharedRateLimits&>(*redis) : no_shared; }

    core::FaultRegistry& faults;  // also consulted by the store (see DatabaseFaultHook): it outlives the services
    runs::EventBus bus;
    runs::LocalSignals local_signals;
    core::NoSharedRateLimits no_shared;
    std::shared_ptr<storage::Store> store;
    std::shared_ptr<const analysis::Catalog> catalog;
    std::shared_ptr<llm::Provider> llm;
    runs::StoreEventReader events;
    std::unique_ptr<cluster::RedisCluster> redis;  // null without REDIS_URL
    auth::AuthService auth;                        // after redis: its login throttle is the cluster's
    datasets::DatasetService datasets;
    runs::RunService runs;
    runs::ThreadService threads;
    net::Services view;  // what handlers see
};

// An io_context or thread_pool whose pending handlers can be destroyed before the context itself is. Its destructor
// does the same first (execution_context::shutdown), then frees the context's services: the timers, strands and
// sockets of every object still bound to it must be gone by then. Shutting down is idempotent.
template <class Context>
class OwnedContext final : public Context {
  public:
    using Context::Context;
    // Destroys every handler still queued or waiting for I/O or a timer, without running it. Only once no thread runs
    // the context (after stop and join).
    void DestroyPendingHandlers() { this->shutdown(); }
};

// The operator's --catalog, else the bundled one.
core::Result<std::shared_ptr<const analysis::Catalog>> LoadConfiguredCatalog(const config::Settings& settings) {
    if (settings.catalog_path.empty()) {
        return std::shared_ptr<const analysis::Catalog>(&analysis::BundledCatalog(), [](const analysis::Catalog*) {});
    }
    std::ifstream in(settings.catalog_path, std::ios::binary);
    if (!in) return core::MakeError(core::ErrorCode::kInvalidRequest, "cannot read " + settings.catalog_path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto catalog = analysis::LoadCatalog(text);
    if (!catalog.ok()) return catalog.error();
    return std::make_shared<const analysis::Catalog>(std::move(*catalog));
}

}  // namespace

int RunServer(const config::Settings& settings, double config_phase_ms) {
    auto start = core::MonoNow();
    spdlog::info("netra {} starting: {}", kVersion, config::DescribeSettings(settings));
    if (settings.fault_injection) {
        spdlog::warn("fault injection is ENABLED (/api/admin/faults): never do this in production");
    }
    core::FaultRegistry faults;  // before the store: its hook consults it (target "database")

    // Declared before everything that uses them: they are destroyed last (see stop_io).
    OwnedContext<asio::io_context> ioc(settings.io_threads);
    OwnedContext<asio::thread_pool> workers(static_cast<std::size_t>(settings.worker_threads));
    OwnedContext<asio::thread_pool> run_pool(static_cast<std::size_t>(settings.run_threads));
    OwnedContext<asio::thread_pool> compute_pool(static_cast<std::size_t>(settings.compute_threads));
    auto server = std::make_shared<net::ServerContext>(settings, workers, kVersion);
    server->startup.PhaseDone("config", config_phase_ms);

    // The port opens first so liveness answers during start-up; everything else answers 503 until ready.
    net::http::Listener listener(ioc, server, net::http::BuildRouter());
    if (auto s = listener.Bind(settings.host, settings.port); !s.ok()) {
        spdlog::critical("{}", s.error().message);
        return 1;
    }
    listener.Start();
    std::vector<std::thread> io_threads;
    for (int i = 0; i < settings.io_threads; ++i) io_threads.emplace_back([&ioc] { ioc.run(); });
    std::shared_ptr<AppServices> services;
    // Stops every thread, then destroys every handler still pending while the services and the contexts all exist.
    // Pending handlers own the server or the services: a keep-alive connection waiting for its next request and a
    // WebSocket session hold the ServerContext (which holds the services), an event delivery posted after the I/O
    // threads stopped holds its session, Redis's coroutines use the cluster. Left to the contexts' destructors, they
    // were destroyed only when the io_context was, after the thread pools, so the last reference to the services
    // went there and ~RunService destroyed its lease timer and claim strand on an already destroyed run pool (a
    // use-after-free: the SIGSEGV after SIGTERM). Once this returns only this function's locals hold the server and
    // the services, and they are destroyed (in reverse declaration order) before the contexts.
    auto stop_io = [&] {
        ioc.stop();
        for (auto& t : io_threads) t.join();
        // Each waits until its work runs out: the run pool for every run, claimer and lease keeper coroutine (a
        // co_spawn holds work until the coroutine ends), while the pools those wait on still run.
        run_pool.join();
        compute_pool.join();
        workers.join();
        // Twice: destroying a suspended coroutine hands its unwinding to its executor, which a context already shut
        // down queues instead of running (a strand's is destroyed at once); the second pass destroys those.
        for (int pass = 0; pass < 2; ++pass) {
            ioc.DestroyPendingHandlers();
            run_pool.DestroyPendingHandlers();
            compute_pool.DestroyPendingHandlers();
            workers.DestroyPendingHandlers();
        }
    };

    auto phase = [&](const char* name, auto&& fn) -> bool {
        server->startup.SetPhase(name);
        auto t0 = core::MonoNow();
        bool ok = fn();
        double ms = core::ElapsedMs(t0);
        if (ok) {
            server->startup.PhaseDone(name, ms);
            spdlog::info("start-up phase {} done in {:.1f} ms", name, ms);
        }
        return ok;
    };

    std::shared_ptr<storage::Store> store;
    bool started = phase("database", [&] {
        auto opened =
            OpenDatabase(settings, settings.fault_injection ? DatabaseFaultHook(faults) : storage::AcquireHook{});
        if (!opened.ok()) {
            spdlog::critical("database {}: {}", config::MaskDatabaseUrl(settings.database_url), opened.error().message);
            return false;
        }
        store = *opened;
        return true;
    });
    std::optional<cluster::RedisEndpoint> redis_endpoint;
    started = started && phase("cache", [&] {
                  if (settings.redis_url.empty()) return true;
                  auto endpoint = cluster::ParseRedisUrl(settings.redis_url);
                  if (!endpoint.ok()) {
                      spdlog::critical("{}", endpoint.error().message);
                      return false;
                  }
                  // Not waited for: an instance serves without Redis (delivery polls the database) and the
                  // connections keep redialling; /api/health shows the state.
                  redis_endpoint = *endpoint;
                  return true;
              });
    started = started && phase("services", [&] {
                  auto catalog = LoadConfiguredCatalog(settings);
                  if (!catalog.ok()) {
                      spdlog::critical("catalog {}: {}", settings.catalog_path, catalog.error().message);
                      return false;
                  }
                  spdlog::info("supply catalog: {} models, as of {}", (*catalog)->Models().size(), (*catalog)->AsOf());
                  try {
                      services =
                          std::make_shared<AppServices>(settings, server->instance_id, faults, store, *catalog, ioc,
                                                        run_pool, agents::Pools{compute_pool, workers}, redis_endpoint);
                  } catch (const std::exception& e) {
                      spdlog::critical("services: {}", e.what());
                      return false;
                  }
                  if (services->redis) services->redis->Start();
                  auto llm = services->llm->Health();
                  spdlog::info("llm provider: {}{}", llm.provider, llm.model.empty() ? "" : " (" + llm.model + ")");
                  if (auto s = services->runs.Recover(); !s.ok()) {
                      spdlog::critical("recovering runs: {}", s.error().message);
                      return false;
                  }
                  return true;
              });
    started = started && phase("listeners", [&] { return true; });
    if (!started) {
        // Runs a failed recovery already started stop at once (the next start resumes them).
        if (services) services->runs.Drain(std::chrono::milliseconds(0));
        if (services && services->redis) services->redis->Stop();  // its handlers must not outlive the io_context
        stop_io();
        return 1;
    }
    double total = core::ElapsedMs(start) + config_phase_ms;
    // Services live in `services` until after the I/O threads are joined; the shared view never outlives them.
    server->Open(std::shared_ptr<const net::Services>(services, &services->view), total);
    spdlog::info("ready in {:.1f} ms: http://{}:{} (WebSocket /api/v1/websocket), database {}", total, settings.host,
                 listener.port(), store->BackendName());
    std::cout << "netra listening on http://" << settings.host << ":" << listener.port() << std::endl;

    std::promise<int> stop_signal;
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
        if (!ec) stop_signal.set_value(sig);
    });
    int sig = stop_signal.get_future().get();
    spdlog::info("signal {}: shutting down", sig);

    // Stop accepting, tell WebSocket clients we are going away (1001), end the SSE streams and the waits for a run's
    // end, let runs drain, then stop.
    server->shutting_down = true;
    listener.Stop();
    server->sessions.CloseAll();
    server->open_streams.StopAll();
    services->runs.Drain(settings.timeouts.shutdown_drain);
    if (services->redis) services->redis->Stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let close frames flush
    stop_io();
    spdlog::info("stopped cleanly");
    return 0;
}

int RunMigrate(const config::Settings& settings) {
    auto store = storage::OpenStore(settings.database_url, 1);
    if (!store.ok()) {
        std::cerr << "cannot open database: " << store.error().message << "\n";
        return 1;
    }
    if (auto s = (*store)->Migrate(); !s.ok()) {
        std::cerr << "migration failed: " << s.error().message << "\n";
        return 1;
    }
    auto version = (*store)->SchemaVersion();
    std::cout << "schema version " << (version.ok() ? *version : -1) << " on " << (*store)->BackendName() << "\n";
    return 0;
}

int RunToken(const config::Settings& settings, const std::string& email, long long expires_in_s) {
    auto store = storage::OpenStore(settings.database_url, 1);
    if (!store.ok() || !(*store)->Migrate().ok()) {
        std::cerr << "cannot open database: " << (store.ok() ? "migration failed" : store.error().message) << "\n";
        return 1;
    }
    auto user = (*store)->FindUserByEmail(email);
    if (!user.ok()) {
        std::cerr << user.error().message << "\n";
        return 1;
    }
    domain::User u;
    if (*user) {
        u = **user;
    } else {
        u.id = core::NewId();
        u.email = email;
        u.name = email.substr(0, email.find('@'));
        u.permissions = {"user"};
        u.created_at = core::NowMs();
        auto created = (*store)->EnsureUser(u);
        if (!created.ok()) {
            std::cerr << created.error().message << "\n";
            return 1;
        }
        u = *created;
    }
    auth::JwtCodec jwt(settings.jwt_secret, settings.jwt_issuer, settings.access_token_ttl);
    std::int64_t now = core::NowMs() / 1000;
    std::cout << jwt.IssueAt(u.id, u.email, u.permissions, now, now + expires_in_s) << "\n";
    return 0;
}

}  // namespace netra::app

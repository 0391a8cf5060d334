#include <boost/json.hpp>

#include "cluster/redis_cluster.hpp"
#include "core/offload.hpp"
#include "core/time.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/process_stats.hpp"

namespace netra::net::http {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

asio::awaitable<Response> Liveness(RequestContext& ctx) {
    double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - ctx.server.started_at).count();
    co_return JsonResponse(ctx, bhttp::status::ok,
                           json::object{{"status", "healthy"},
                                        {"service", "netra-backend"},
                                        {"version", ctx.server.version},
                                        {"instance_id", ctx.server.instance_id},
                                        {"uptime_s", uptime}});
}

// The LLM provider, its model and circuit breaker (§8). Runs still complete on the builtin fallback when it
// fails, so this never makes readiness fail.
json::object LlmCheck(const llm::Provider& provider) {
    auto h = provider.Health();
    return json::object{{"status", h.status},
                        {"provider", h.provider},
                        {"model", h.model},
                        {"breaker", h.breaker_state},
                        {"consecutive_failures", h.consecutive_failures},
                        {"last_error", h.last_error.empty() ? json::value(nullptr) : json::value(h.last_error)}};
}

// Redis (§12): its real state and PING latency. Live delivery degrades to database polling while it is down, so a
// lost Redis marks the instance degraded, not unready: taking every instance out of the balancer would turn a
// slower delivery into an outage.
json::object RedisCheck(const cluster::RedisCluster* redis) {
    if (!redis) return json::object{{"status", "disabled"}, {"mode", "single instance"}};
    auto h = redis->Health();
    json::object check{{"status", h.up ? "up" : "down"},
                       {"latency_ms", h.latency_ms < 0 ? json::value(nullptr) : json::value(h.latency_ms)},
                       {"events_published", h.published},
                       {"publish_failures", h.publish_failures},
                       {"messages_received", h.received},
                       {"events_filled_from_database", h.filled_from_database}};
    if (!h.up) {
        check["error"] = h.error;
        check["delivery"] = "database polling";
    }
    return check;
}

// Where runs wait and how many this instance executes (§7, §12): with the database queue, `capacity` is how many
// it takes on at once before the other instances get the rest.
json::object RunsCheck(const config::Settings& settings, const runs::RunService& runs) {
    const bool database = runs.Queue() == runs::QueueMode::kDatabase;
    return json::object{{"queue", database ? "database" : "in-process"},
                        {"executing", runs.RunningCount()},
                        // In-process queue only: the database queue's waiting runs belong to no instance.
                        {"waiting_here", database ? json::value(nullptr) : json::value(runs.QueuedCount())},
                        {"capacity", database ? json::value(settings.limits.runs_per_instance) : json::value(nullptr)},
                        {"per_user_limit", settings.limits.max_concurrent_runs_per_user}};
}

// Readiness: the database answers and start-up has finished (§4, §10).
asio::awaitable<Response> Readiness(RequestContext& ctx) {
    auto services = ctx.server.services();  // null while starting
    struct DbCheck {
        bool up = false;
        double latency_ms = 0;
        std::string error;
    };
    DbCheck db;
    if (services) {
        auto ping = [services] {
            DbCheck c;
            auto start = core::MonoNow();
            auto s = services->database.Ping();
            c.latency_ms = core::ElapsedMs(start);
            c.up = s.ok();
            if (!s.ok()) c.error = s.error().message;
            return c;
        };
        db = co_await core::Offload(ctx.server.workers, std::move(ping));
    }
    const auto& startup = ctx.server.startup;
    bool healthy = db.up && ctx.server.accepting();
    const bool redis_down = services && services->redis && !services->redis->Health().up;
    json::object database{{"status", db.up ? "up" : "down"}, {"latency_ms", db.latency_ms}};
    if (services) {
        database["backend"] = services->database.BackendName();
        database["durability"] = services->database.Durability();
    }
    if (!db.error.empty()) database["error"] = db.error;
    json::array phases;
    for (const auto& [name, ms] : startup.completed())
        phases.push_back(json::object{{"phase", name}, {"duration_ms", ms}});
    json::object body{
        {"status", !healthy     ? "unhealthy"
                   : redis_down ? "degraded"
                                : "healthy"},
        {"service", "netra-backend"},
        {"version", ctx.server.version},
        {"instance_id", ctx.server.instance_id},
        {"checks",
         json::object{{"database", std::move(database)},
                      {"redis", services ? RedisCheck(services->redis) : json::object{{"status", "starting"}}},
                      {"llm", services ? LlmCheck(services->llm) : json::object{{"status", "starting"}}}}},
        {"runs", services ? RunsCheck(ctx.server.settings, services->runs) : json::object{}},
        {"startup", json::object{{"phase", startup.phase()},
                                 {"completed_phases", std::move(phases)},
                                 {"duration_ms", startup.total_ms()}}}};
    co_return JsonResponse(ctx, healthy ? bhttp::status::ok : bhttp::status::service_unavailable, body);
}

asio::awaitable<Response> MetricsText(RequestContext& ctx) {
    Metrics::Gauges g;
    if (auto services = ctx.server.services()) {  // /metrics answers during start-up too
        g.runs_running = services->runs.RunningCount();
        g.runs_queued = services->runs.QueuedCount();
        g.runs_completed = services->runs.CompletedCount();
        g.runs_failed = services->runs.FailedCount();
        g.runs_cancelled = services->runs.CancelledCount();
        g.events_published = services->bus.EventsPublished();
    }
    g.db_pool_size = ctx.server.settings.worker_threads;
    g.process = co_await core::Offload(ctx.server.workers, ReadProcessStats);  // a file read: not on this thread
    co_return TextResponse(ctx, bhttp::status::ok, ctx.server.metrics.RenderPrometheus(g),
                           "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace

void AddHealthRoutes(Router& router) {
    router.Add(bhttp::verb::get, "/health", Liveness);
    router.Add(bhttp::verb::get, "/health/live", Liveness);
    router.Add(bhttp::verb::get, "/health/ready", Readiness);
    router.Add(bhttp::verb::get, "/api/health", Readiness);
    router.Add(bhttp::verb::get, "/metrics", MetricsText);
}

}  // namespace netra::net::http

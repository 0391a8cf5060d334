#pragma once
// Redis carries what is live between the instances of one deployment (§12); PostgreSQL holds everything else.
//
//   - Run events: each stored event is handed to the local EventBus and PUBLISHed on `netra:user:{user_id}` (one
//     channel per user: every consumer of a run — a WebSocket, an SSE stream — is its user's). An instance
//     SUBSCRIBEs to a user's channel only while one of that user's connections is open here.
//   - Received events go through a per-run sequencer: each is delivered to the local bus once, in seq order; a
//     gap (a message lost while a connection dropped, or a run first heard of mid-way) is filled from the
//     database before anything after it goes out. Events are stored before they are published, so a published
//     seq k means 1..k are readable.
//   - Redis lost: /api/health shows it, publishing fails fast (the events are stored), and delivery degrades to
//     polling the database for the watched users' runs; when Redis answers again a last poll closes the window.
//   - Signals on `netra:signals`: "work" (a run was queued or a slot freed: claim from the run queue) and
//     "cancel {run_id}" (the instance executing it stops it).
// No user data is kept in Redis: messages pass through pub/sub and are not stored.
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "cluster/redis_connection.hpp"
#include "core/rate_limiter.hpp"
#include "core/time.hpp"
#include "runs/cluster_signals.hpp"
#include "runs/event_bus.hpp"
#include "runs/event_replay.hpp"
#include "storage/store.hpp"

namespace netra::cluster {

struct RedisHealth {
    bool up = false;         // both connections answer
    double latency_ms = -1;  // the last PING's round trip; -1 before the first
    std::string error;       // why it is down
    std::uint64_t published = 0, publish_failures = 0, received = 0, filled_from_database = 0;
};

class RedisCluster final : public runs::EventPublisher,
                           public runs::ClusterSignals,
                           public runs::WatchObserver,
                           public core::SharedRateLimits {
  public:
    // `local` is this instance's bus (sessions and SSE streams listen there); `reader` and `store` fill gaps and
    // poll while Redis is down, on `blocking`.
    RedisCluster(boost::asio::io_context& ioc, const RedisEndpoint& endpoint, std::string instance_id,
                 runs::EventBus& local, runs::EventReader& reader, std::shared_ptr<storage::Store> store,
                 boost::asio::thread_pool& blocking);
    ~RedisCluster() override;

    void Start();
    // Stops ticking and both connections. Their handlers (bound to this object) may still run on the io_context
    // after it returns: destroy the object only once no thread runs that io_context (the server joins its I/O
    // threads first).
    void Stop();

    void Publish(const std::shared_ptr<const runs::LiveEvent>& event) override;
    void SignalWork() override;
    void SignalCancel(const std::string& run_id) override;
    void Listen(runs::SignalListener* listener) override;
    void OnWatched(const std::string& user_id) override;
    void OnUnwatched(const std::string& user_id) override;

    RedisHealth Health() const;

    // Per-user allowances across the cluster: one token bucket per scope and user in Redis (a Lua script, so a
    // take is atomic), keyed by a hash of the key. Blocking up to a short deadline; nullopt when Redis does not
    // answer in time (the caller's local bucket decides).
    std::optional<core::RateDecision> Take(std::string_view scope, const std::string& key, int per_minute) override;
    // The login throttle's windows across the cluster: a sorted set of attempts per key (hashed) in Redis, checked
    // and written by one Lua script; blocking up to the same deadline, nullopt when Redis does not answer in time.
    std::optional<core::RateDecision> TryAttempt(const std::vector<std::string>& keys, int limit,
                                                 std::int64_t window_ms, const std::string& attempt_id) override;
    void ForgetAttempt(const std::vector<std::string>& keys, const std::string& attempt_id) override;

    // Per-user WebSocket connections across the cluster. Each instance records how many the user has open on it
    // (absolute counts, so a lost update is corrected by the next); counts of instances whose heartbeat lapsed
    // (a crash) are dropped. Admitted when the cluster total with this one stays within `limit`; nullopt when
    // Redis is unavailable.
    boost::asio::awaitable<std::optional<bool>> AdmitConnection(std::string user_id, int here_after, int limit);
    void ReportConnections(const std::string& user_id, int here);

  private:
    struct RemoteRun {
        std::string user_id;
        std::int64_t last = 0;  // every seq up to it went to the local bus
        bool filling = false;
        bool ended = false;
        std::chrono::steady_clock::time_point touched;
        std::map<std::int64_t, std::shared_ptr<const runs::LiveEvent>> waiting;
    };

    void OnMessage(const std::string& channel, const std::string& payload);
    void OnSubscriberState(bool connected);
    // Strand-only: the sequencer.
    void Accept(const std::shared_ptr<const runs::LiveEvent>& event);
    void Drain(const std::string& run_id);
    void Fill(const std::string& run_id, const std::string& user_id);
    boost::asio::awaitable<void> FillFromDatabase(std::string run_id, std::string user_id, std::int64_t after);
    boost::asio::awaitable<void> Tick();
    boost::asio::awaitable<void> PollUsers(std::vector<std::string> users, core::Millis since);
    void Signal(const std::string& message);

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    const std::string instance_id_;
    runs::EventBus& local_;
    runs::EventReader& reader_;
    std::shared_ptr<storage::Store> store_;
    boost::asio::thread_pool& blocking_;
    std::shared_ptr<RedisConnection> commands_;
    std::shared_ptr<RedisConnection> subscriber_;
    boost::asio::steady_timer tick_timer_;
    std::atomic<bool> stopped_{false};

    std::unordered_map<std::string, RemoteRun> runs_;  // strand-only
    bool poll_after_reconnect_ = false;                // strand-only

    std::mutex listener_mutex_;
    runs::SignalListener* listener_ = nullptr;

    std::atomic<double> latency_ms_{-1};
    std::atomic<core::Millis> heartbeat_heard_{0};  // when the subscriber last heard this instance's heartbeat
    std::atomic<std::uint64_t> published_{0}, publish_failures_{0}, received_{0}, filled_{0};
};

}  // namespace netra::cluster

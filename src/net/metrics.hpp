#pragma once
// Process metrics for GET /metrics in the Prometheus text format. Lock-free counters on the hot path.
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "net/process_stats.hpp"

namespace netra::net {

class Metrics {
  public:
    // Request latency histogram buckets, in seconds.
    static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.002, 0.005, 0.01, 0.025,
                                                        0.05,   0.1,   0.25,  0.5,   1.0,  5.0};

    void ObserveRequest(int status, double seconds);
    void ConnectionOpened(bool websocket);
    void ConnectionClosed(bool websocket);
    void WsFrameReceived() { ws_frames_in_.fetch_add(1, std::memory_order_relaxed); }
    void WsFrameSent() { ws_frames_out_.fetch_add(1, std::memory_order_relaxed); }
    void ErrorReturned() { errors_.fetch_add(1, std::memory_order_relaxed); }

    struct Gauges {
        std::uint64_t runs_running = 0, runs_queued = 0, runs_completed = 0, runs_failed = 0, runs_cancelled = 0;
        std::uint64_t events_published = 0;
        int db_pool_size = 0;
        std::optional<ProcessStats> process;  // read off the I/O threads by the handler
    };
    std::string RenderPrometheus(const Gauges& gauges) const;

  private:
    std::array<std::atomic<std::uint64_t>, kBuckets.size() + 1> latency_buckets_{};
    std::atomic<std::uint64_t> latency_sum_us_{0};
    std::array<std::atomic<std::uint64_t>, 6> requests_by_class_{};  // index = status / 100
    std::atomic<std::int64_t> http_open_{0}, ws_open_{0};
    std::atomic<std::uint64_t> ws_frames_in_{0}, ws_frames_out_{0}, errors_{0};
};

}  // namespace netra::net

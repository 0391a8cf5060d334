#include "net/metrics.hpp"

#include <fmt/format.h>

namespace netra::net {

void Metrics::ObserveRequest(int status, double seconds) {
    std::size_t cls = static_cast<std::size_t>(status / 100);
    if (cls < requests_by_class_.size()) requests_by_class_[cls].fetch_add(1, std::memory_order_relaxed);
    std::size_t i = 0;
    while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
    latency_buckets_[i].fetch_add(1, std::memory_order_relaxed);
    latency_sum_us_.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    if (status >= 400) errors_.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::ConnectionOpened(bool websocket) { (websocket ? ws_open_ : http_open_).fetch_add(1); }
void Metrics::ConnectionClosed(bool websocket) { (websocket ? ws_open_ : http_open_).fetch_sub(1); }

std::string Metrics::RenderPrometheus(const Gauges& g) const {
    std::string out;
    out +=
        "# HELP netra_http_requests_total HTTP requests by status class.\n# TYPE netra_http_requests_total counter\n";
    for (std::size_t c = 1; c < requests_by_class_.size(); ++c) {
        out += fmt::format("netra_http_requests_total{{code=\"{}xx\"}} {}\n", c, requests_by_class_[c].load());
    }
    out +=
        "# HELP netra_http_request_duration_seconds HTTP request latency.\n"
        "# TYPE netra_http_request_duration_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += latency_buckets_[i].load();
        out += fmt::format("netra_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[i], cumulative);
    }
    cumulative += latency_buckets_[kBuckets.size()].load();
    out += fmt::format("netra_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
    out += fmt::format("netra_http_request_duration_seconds_sum {}\n", latency_sum_us_.load() / 1e6);
    out += fmt::format("netra_http_request_duration_seconds_count {}\n", cumulative);
    out += "# TYPE netra_open_connections gauge\n";
    out += fmt::format("netra_open_connections{{kind=\"http\"}} {}\n", http_open_.load());
    out += fmt::format("netra_open_connections{{kind=\"websocket\"}} {}\n", ws_open_.load());
    out += "# TYPE netra_websocket_frames_total counter\n";
    out += fmt::format("netra_websocket_frames_total{{direction=\"in\"}} {}\n", ws_frames_in_.load());
    out += fmt::format("netra_websocket_frames_total{{direction=\"out\"}} {}\n", ws_frames_out_.load());
    out += "# TYPE netra_runs gauge\n";
    out += fmt::format("netra_runs{{status=\"running\"}} {}\n", g.runs_running);
    out += fmt::format("netra_runs{{status=\"queued\"}} {}\n", g.runs_queued);
    out += "# TYPE netra_runs_finished_total counter\n";
    out += fmt::format("netra_runs_finished_total{{status=\"completed\"}} {}\n", g.runs_completed);
    out += fmt::format("netra_runs_finished_total{{status=\"failed\"}} {}\n", g.runs_failed);
    out += fmt::format("netra_runs_finished_total{{status=\"cancelled\"}} {}\n", g.runs_cancelled);
    out += "# TYPE netra_events_published_total counter\n";
    out += fmt::format("netra_events_published_total {}\n", g.events_published);
    out += "# TYPE netra_db_pool_size gauge\n";
    out += fmt::format("netra_db_pool_size {}\n", g.db_pool_size);
    out += "# TYPE netra_errors_total counter\n";
    out += fmt::format("netra_errors_total {}\n", errors_.load());
    if (g.process) {
        out += "# HELP process_resident_memory_bytes Resident memory size in bytes.\n";
        out += "# TYPE process_resident_memory_bytes gauge\n";
        out += fmt::format("process_resident_memory_bytes {}\n", g.process->resident_bytes);
        out += "# HELP process_threads Threads of the process.\n# TYPE process_threads gauge\n";
        out += fmt::format("process_threads {}\n", g.process->threads);
        out += "# HELP process_cpu_seconds_total User and system CPU time spent in seconds.\n";
        out += "# TYPE process_cpu_seconds_total counter\n";
        out += fmt::format("process_cpu_seconds_total {}\n", g.process->cpu_seconds);
        if (g.process->heap_in_use_bytes && g.process->heap_free_bytes) {
            out +=
                "# HELP netra_malloc_in_use_bytes Bytes the process holds from malloc (all arenas, mmapped "
                "blocks).\n";
            out += "# TYPE netra_malloc_in_use_bytes gauge\n";
            out += fmt::format("netra_malloc_in_use_bytes {}\n", *g.process->heap_in_use_bytes);
            out += "# HELP netra_malloc_free_bytes Bytes malloc keeps free inside its arenas.\n";
            out += "# TYPE netra_malloc_free_bytes gauge\n";
            out += fmt::format("netra_malloc_free_bytes {}\n", *g.process->heap_free_bytes);
        }
    }
    return out;
}

}  // namespace netra::net

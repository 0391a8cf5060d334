#pragma once
// The process's own resource use as the kernel reports it (/proc/self): resident memory, threads, CPU time. For
// /metrics (process_* series, as Prometheus' process collector names them), which `netra bench` samples over a run.
#include <cstdint>
#include <optional>

namespace netra::net {

struct ProcessStats {
    std::uint64_t resident_bytes = 0;  // VmRSS
    std::uint64_t threads = 0;         // Threads
    double cpu_seconds = 0;            // utime + stime
};

// Reads /proc/self/status and /proc/self/stat (a file read: call it off the I/O threads). nullopt without /proc.
std::optional<ProcessStats> ReadProcessStats();

}  // namespace netra::net

#pragma once
// The process's own resource use as the kernel reports it (/proc/self): resident memory, threads, CPU time; and
// malloc's own account of the heap. For
// /metrics (process_* series, as Prometheus' process collector names them), which `netra bench` samples over a run.
#include <cstdint>
#include <optional>

namespace netra::net {

struct ProcessStats {
    std::uint64_t resident_bytes = 0;  // VmRSS
    std::uint64_t threads = 0;         // Threads
    double cpu_seconds = 0;            // utime + stime
    // glibc malloc over all arenas (mallinfo2): what the program holds (small blocks plus mmapped large ones) and
    // what malloc keeps free inside its arenas. Resident memory growing while `heap_in_use` stays flat is
    // fragmentation or arenas, not a leak.
    std::optional<std::uint64_t> heap_in_use_bytes;  // nullopt without glibc's mallinfo2 (2.33+)
    std::optional<std::uint64_t> heap_free_bytes;
};

// Reads /proc/self/status and /proc/self/stat (a file read: call it off the I/O threads). nullopt without /proc.
std::optional<ProcessStats> ReadProcessStats();

}  // namespace netra::net

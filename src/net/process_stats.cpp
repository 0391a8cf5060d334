#include "net/process_stats.hpp"

#include <malloc.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace netra::net {

std::optional<ProcessStats> ReadProcessStats() {
    std::ifstream status("/proc/self/status");
    if (!status) return std::nullopt;
    ProcessStats stats;
    std::string line;
    while (std::getline(status, line)) {
        std::istringstream in(line);
        std::string key;
        in >> key;
        if (key == "VmRSS:") {
            std::uint64_t kib = 0;
            in >> kib;
            stats.resident_bytes = kib * 1024;
        } else if (key == "Threads:") {
            in >> stats.threads;
        }
    }
    // /proc/self/stat: the command name (field 2) may hold spaces, so fields are counted after its closing ')'.
    // utime and stime are fields 14 and 15, in clock ticks.
    std::ifstream stat("/proc/self/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    if (auto close = text.rfind(')'); close != std::string::npos) {
        std::istringstream in(text.substr(close + 2));
        std::string field;
        std::uint64_t utime = 0, stime = 0;
        for (int i = 3; i <= 15 && in >> field; ++i) {
            if (i == 14) utime = std::stoull(field);
            if (i == 15) stime = std::stoull(field);
        }
        const long ticks = sysconf(_SC_CLK_TCK);
        if (ticks > 0) stats.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    // Walks every arena under its lock: microseconds, on the worker pool like the file reads above.
    const struct mallinfo2 heap = mallinfo2();
    stats.heap_in_use_bytes = heap.uordblks + heap.hblkhd;
    stats.heap_free_bytes = heap.fordblks;
#endif
    return stats;
}

}  // namespace netra::net

#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace netra::core {

// Wall-clock times are stored and passed as UTC milliseconds since the Unix epoch.
using Millis = std::int64_t;

Millis NowMs();
// RFC 3339 with millisecond precision and a `Z` suffix: 2026-11-25T00:33:24.123Z
std::string FormatRfc3339Ms(Millis ms);
// Accepts RFC 3339 (`Z` or ±hh:mm offsets, optional fraction) and epoch seconds, milliseconds, microseconds or
// nanoseconds (told apart by magnitude).
std::optional<Millis> ParseTimestamp(std::string_view text);

// Monotonic clock for durations.
inline std::chrono::steady_clock::time_point MonoNow() { return std::chrono::steady_clock::now(); }
inline double ElapsedMs(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace netra::core

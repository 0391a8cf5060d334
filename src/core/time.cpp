#include "core/time.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace netra::core {

Millis NowMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string FormatRfc3339Ms(Millis ms) {
    std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = static_cast<int>(ms - static_cast<Millis>(secs) * 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return buf;
}

namespace {

bool ReadInt(std::string_view s, std::size_t pos, std::size_t len, int& out) {
    if (pos + len > s.size()) return false;
    for (std::size_t i = pos; i < pos + len; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
    return ec == std::errc{};
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm): avoids timegm's
// dependence on the process time zone.
std::int64_t DaysFromCivil(int y, int m, int d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<Millis> ParseTimestamp(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    if (text.empty()) return std::nullopt;
    bool all_digits = true;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') all_digits = false;
    }
    if (all_digits) {
        // Integers exactly (a nanosecond count exceeds a double's 53 bits); fractions through a double.
        std::int64_t whole = 0;
        auto [ip, iec] = std::from_chars(text.data(), text.data() + text.size(), whole);
        if (iec == std::errc{} && ip == text.data() + text.size()) {
            if (whole >= 100'000'000'000'000'000) return whole / 1'000'000;
            if (whole >= 100'000'000'000'000) return whole / 1'000;
            return whole >= 100'000'000'000 ? whole : whole * 1000;
        }
        double v = 0;
        auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (ec != std::errc{} || p != text.data() + text.size()) return std::nullopt;
        // Past ~9.2e24 (nanoseconds) the milliseconds do not fit an int64: casting them would be undefined.
        if (v >= 9e24) return std::nullopt;
        // Epoch seconds until year ~5138; then milliseconds, microseconds and nanoseconds (OTLP's
        // *UnixNano) by magnitude.
        if (v >= 1e17) return static_cast<Millis>(v / 1e6);
        if (v >= 1e14) return static_cast<Millis>(v / 1e3);
        return v >= 1e11 ? static_cast<Millis>(v) : static_cast<Millis>(v * 1000.0);
    }
    int y, mo, d, h = 0, mi = 0, sec = 0;
    if (!ReadInt(text, 0, 4, y) || text.size() < 10 || text[4] != '-' || !ReadInt(text, 5, 2, mo) || text[7] != '-' ||
        !ReadInt(text, 8, 2, d)) {
        return std::nullopt;
    }
    std::size_t pos = 10;
    if (pos < text.size()) {
        if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
        if (!ReadInt(text, pos + 1, 2, h) || text.size() < pos + 9 || text[pos + 3] != ':' ||
            !ReadInt(text, pos + 4, 2, mi) || text[pos + 6] != ':' || !ReadInt(text, pos + 7, 2, sec)) {
            return std::nullopt;
        }
        pos += 9;
    }
    int millis = 0;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        int digits = 0;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
            if (digits < 3) millis = millis * 10 + (text[pos] - '0');
            ++digits;
            ++pos;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 3; ++i) millis *= 10;
    }
    int offset_min = 0;
    if (pos < text.size()) {
        char c = text[pos];
        if (c == 'Z' || c == 'z') {
            ++pos;
        } else if (c == '+' || c == '-') {
            int oh, om;
            if (!ReadInt(text, pos + 1, 2, oh) || text.size() < pos + 6 || text[pos + 3] != ':' ||
                !ReadInt(text, pos + 4, 2, om)) {
                return std::nullopt;
            }
            offset_min = (oh * 60 + om) * (c == '+' ? 1 : -1);
            pos += 6;
        } else {
            return std::nullopt;
        }
    }
    if (pos != text.size()) return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    std::int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    return secs * 1000 + millis;
}

}  // namespace netra::core

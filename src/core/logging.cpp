#include "core/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace netra::core {

LogFormat LogFormatFromString(const std::string& text) {
    if (text == "json") return LogFormat::kJson;
    if (text == "text") return LogFormat::kText;
    return isatty(STDERR_FILENO) ? LogFormat::kText : LogFormat::kJson;
}

void SetupLogging(LogFormat format, const std::string& level) {
    auto logger = spdlog::stderr_color_mt("netra");
    if (format == LogFormat::kJson) {
        // Messages are written by our own code; quotes inside them are escaped by the call sites that
        // include user data (they log ids, not content).
        logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                            spdlog::pattern_time_type::utc);
    } else {
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v", spdlog::pattern_time_type::utc);
    }
    logger->set_level(spdlog::level::from_str(level));
    spdlog::set_default_logger(logger);
}

}  // namespace netra::core

#pragma once
#include <string>

namespace netra::core {

enum class LogFormat { kText, kJson };

// Configures the default spdlog logger: human text on a terminal, one JSON object per line otherwise.
void SetupLogging(LogFormat format, const std::string& level = "info");
// "text", "json" or "" (auto: text when stderr is a tty).
LogFormat LogFormatFromString(const std::string& text);

}  // namespace netra::core

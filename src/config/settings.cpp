#include "config/settings.hpp"

#include <string>

namespace netra::config {

const char* EnvironmentName(Environment env) {
    switch (env) {
        case Environment::kDevelopment:
            return "development";
        case Environment::kTest:
            return "test";
        case Environment::kStaging:
            return "staging";
        case Environment::kProduction:
            return "production";
    }
    return "development";
}

core::Result<Environment> ParseEnvironment(std::string_view text) {
    std::string lower;
    lower.reserve(text.size());
    for (char c : text) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    if (lower == "development" || lower == "dev") return Environment::kDevelopment;
    if (lower == "test") return Environment::kTest;
    if (lower == "staging") return Environment::kStaging;
    if (lower == "production" || lower == "prod") return Environment::kProduction;
    return core::MakeError(
        core::ErrorCode::kInvalidRequest,
        "unknown environment '" + std::string(text) + "' (expected development, test, staging or production)");
}

}  // namespace netra::config

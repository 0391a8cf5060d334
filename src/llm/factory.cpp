#include "llm/factory.hpp"

#include <algorithm>

#include "llm/builtin_provider.hpp"
#include "llm/fallback_provider.hpp"

namespace netra::llm {

namespace {
constexpr const char* kDefaultBaseUrl = "https://api.openai.com";
constexpr int kTotalPercentOfStep = 60;
}  // namespace

OpenAiOptions OpenAiOptionsFromSettings(const config::Settings& settings) {
    OpenAiOptions options;
    options.base_url = settings.openai_base_url.empty() ? kDefaultBaseUrl : settings.openai_base_url;
    options.api_key = settings.openai_api_key;
    if (!settings.llm_model.empty()) options.model = settings.llm_model;
    options.max_retries = settings.llm_max_retries;
    options.backoff_base = settings.llm_backoff_base;
    options.backoff_max = settings.llm_backoff_max;
    auto step_share = settings.timeouts.agent_step * kTotalPercentOfStep / 100;
    options.total_timeout = std::min(options.total_timeout, step_share);
    options.first_byte_timeout = std::min(options.first_byte_timeout, options.total_timeout);
    options.idle_timeout = std::min(options.idle_timeout, options.total_timeout);
    options.connect_timeout = std::min(options.connect_timeout, options.total_timeout);
    return options;
}

std::shared_ptr<Provider> MakeProvider(const config::Settings& settings, FaultHook fault_hook) {
    auto builtin = std::make_shared<BuiltinProvider>();
    CircuitBreaker::Options breaker{settings.llm_breaker_failures, settings.llm_breaker_open};
    if (settings.llm_provider == "openai") {
        // The fault hook goes where a real failure would happen, inside the retry loop: an injected fault is
        // retried with backoff, then counts against the breaker and falls back, like an outage of the provider.
        auto options = OpenAiOptionsFromSettings(settings);
        options.fault_hook = std::move(fault_hook);
        auto openai = std::make_shared<OpenAiProvider>(std::move(options));
        return std::make_shared<FallbackProvider>(openai, builtin, breaker);
    }
    if (fault_hook) {
        return std::make_shared<FallbackProvider>(builtin, builtin, breaker, CircuitBreaker::Clock{},
                                                  std::move(fault_hook));
    }
    return builtin;
}

}  // namespace netra::llm

#pragma once
// Builds the provider the server uses from its settings (§2, §8). Only app/ calls this.
#include <memory>

#include "config/settings.hpp"
#include "llm/fault_hook.hpp"
#include "llm/openai_provider.hpp"
#include "llm/provider.hpp"

namespace netra::llm {

// The OpenAI options for `settings`: base URL (default https://api.openai.com), key, model (default kept when
// NETRA_LLM_MODEL is empty). The total timeout is 60% of the agent step timeout (capped at the default) so a
// failing endpoint falls back to builtin well before the step itself times out; first-byte and idle timeouts
// never exceed it.
OpenAiOptions OpenAiOptionsFromSettings(const config::Settings& settings);

// settings.llm_provider == "openai": FallbackProvider(openai → builtin) with the §8 breaker (5 failures, 30 s).
// Otherwise builtin — wrapped as FallbackProvider(builtin → builtin) when a fault hook is given, so injected
// `llm` faults (§11) still exercise the breaker and the fallback path on a builtin deployment.
std::shared_ptr<Provider> MakeProvider(const config::Settings& settings, FaultHook fault_hook = {});

}  // namespace netra::llm

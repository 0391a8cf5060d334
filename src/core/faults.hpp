#pragma once
// Fault injection for test deployments (§11): the admin endpoint registers faults, and the places that can
// fail (tool calls, the LLM provider, the event store) ask whether one applies. Disabled unless the server
// runs with NETRA_FAULT_INJECTION=1 (refused in production by the config loader).
#include <chrono>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace netra::core {

struct FaultSpec {
    std::string target;  // llm | tool:<name> | tool:* | database | slow_consumer
    std::string mode;    // error | timeout | latency
    double rate = 1.0;   // probability per call, 0..1
    int latency_ms = 0;
    int duration_s = 0;  // 0 = until cleared
    std::chrono::steady_clock::time_point expires_at{};
    // mode error only: "unavailable" (the dependency cannot be reached: 503 service_unavailable) or "internal"
    // (it answered with a failure, as a failed SQL statement does: 500 internal_error); "" = the target's usual
    // failure (database and llm: unavailable; tools: internal).
    std::string error;
};

class FaultRegistry {
  public:
    void Set(FaultSpec spec);
    void Clear();
    std::vector<FaultSpec> Active();
    // The fault that applies to this call of `target`, if any (expired faults are dropped; `rate` is rolled).
    std::optional<FaultSpec> Check(const std::string& target);

  private:
    std::mutex mutex_;
    std::vector<FaultSpec> faults_;
    std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace netra::core

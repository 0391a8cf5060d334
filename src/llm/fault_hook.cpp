#include "llm/fault_hook.hpp"

#include <chrono>
#include <thread>

namespace netra::llm {

FaultHook FaultHookFromRegistry(core::FaultRegistry& registry) {
    return [&registry]() -> core::Status {
        auto fault = registry.Check("llm");
        if (!fault) return core::Ok();
        // Sleeping is acceptable: the hook runs on a worker thread, never an I/O thread.
        if (fault->latency_ms > 0 && fault->mode != "error") {
            std::this_thread::sleep_for(std::chrono::milliseconds(fault->latency_ms));
        }
        if (fault->mode == "error") {
            return core::MakeError(core::ErrorCode::kServiceUnavailable, "injected fault: llm error");
        }
        if (fault->mode == "timeout") return core::MakeError(core::ErrorCode::kTimeout, "injected fault: llm timeout");
        return core::Ok();
    };
}

}  // namespace netra::llm

#pragma once
// The seam for §11 fault injection (target `llm`). The server sets a hook on the provider it builds: the openai
// provider awaits it before each attempt (so injected failures are retried with backoff like real ones), and a
// FallbackProvider over builtin, which has nothing to retry, before each call.
//  - returns Ok: the call proceeds (the hook may have waited first, on a timer: that is how `latency` is injected);
//  - returns an error: that call counts as a failure of the primary (the circuit breaker sees it) and builtin
//    answers with fell_back=true and the error's message as fallback_reason.
// No hook (an empty std::function) = no faults. The hook must be thread-safe: calls run concurrently.
#include <boost/asio/awaitable.hpp>
#include <functional>

#include "core/error.hpp"
#include "core/faults.hpp"

namespace netra::llm {

using FaultHook = std::function<boost::asio::awaitable<core::Status>()>;

// The hook the server wants: consults `registry` for target "llm" per call. error → kServiceUnavailable
// "injected fault: llm error"; timeout → sleeps latency_ms (when > 0) then kTimeout "injected fault: llm
// timeout"; latency → waits latency_ms then Ok. The waits are timers on the caller's executor, never a sleep.
// `registry` must outlive the hook.
FaultHook FaultHookFromRegistry(core::FaultRegistry& registry);

}  // namespace netra::llm

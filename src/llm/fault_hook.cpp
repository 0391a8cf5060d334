#include "llm/fault_hook.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

namespace netra::llm {

FaultHook FaultHookFromRegistry(core::FaultRegistry& registry) {
    return [&registry]() -> boost::asio::awaitable<core::Status> {
        auto fault = registry.Check("llm");
        if (!fault) co_return core::Ok();
        if (fault->latency_ms > 0 && fault->mode != "error") {
            boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
            timer.expires_after(std::chrono::milliseconds(fault->latency_ms));
            co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        }
        if (fault->mode == "error") {
            // Named first: GCC 12 miscompiles a conditional expression inside co_return here (it crashed).
            const auto code =
                fault->error == "internal" ? core::ErrorCode::kInternal : core::ErrorCode::kServiceUnavailable;
            co_return core::MakeError(code, "injected fault: llm error");
        }
        if (fault->mode == "timeout") {
            co_return core::MakeError(core::ErrorCode::kTimeout, "injected fault: llm timeout");
        }
        co_return core::Ok();
    };
}

}  // namespace netra::llm

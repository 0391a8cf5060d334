#pragma once
// Runs a coroutine to its end on a private io_context on the calling thread: the blocking entry points of code
// that is otherwise asynchronous (`netra analyze`, a provider called from a tool or a test). Never call it on a
// thread that serves an io_context: it blocks that thread until the coroutine is done.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace netra::core {

// `start()` returns the awaitable to run (called on the private io_context, so the coroutine's executor is it).
// Exceptions thrown by the coroutine are rethrown here.
template <class Start>
auto RunBlocking(Start start) -> typename decltype(start())::value_type {
    using T = typename decltype(start())::value_type;
    boost::asio::io_context ioc;
    std::optional<T> out;
    std::exception_ptr failure;
    boost::asio::co_spawn(
        ioc, [&]() -> boost::asio::awaitable<void> { out.emplace(co_await start()); },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
}

}  // namespace netra::core

#pragma once
// Runs a coroutine to its end on a private io_context on the calling thread: the blocking entry points of code
// that is otherwise asynchronous (`netra analyze`, a provider called from a tool or a test). Never call it on a
// thread that serves an io_context: it blocks that thread until the coroutine is done.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <optional>

namespace netra::core {

// `start()` returns the awaitable to run (called on the private io_context, so the coroutine's executor is it).
// Exceptions thrown by the coroutine are rethrown here.
template <class Start>
auto RunBlocking(Start start) -> typename decltype(start())::value_type {
    using T = typename decltype(start())::value_type;
    boost::asio::io_context ioc;
    // An idle timer brings up the context's reactor, so that while the coroutine waits for a thread pool
    // (core::Offload) this thread waits in the reactor and the pool's thread wakes it under the context's lock.
    // Without a reactor it would wait on a condition variable that Asio signals after unlocking: this function could
    // then return and destroy the context while the pool's thread was still inside pthread_cond_signal on it
    // (ThreadSanitizer: pthread_cond_destroy racing pthread_cond_signal; a use-after-free in principle).
    boost::asio::steady_timer reactor(ioc);
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

#pragma once
// Runs blocking or CPU-heavy work on a thread pool and resumes the calling coroutine on its own executor (a
// connection's strand, a run's strand). This is how network I/O threads stay free of DB calls and file I/O, and
// how runs wait for storage and analysis without holding a thread of their own.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <optional>
#include <type_traits>

namespace netra::core {

template <class F>
auto Offload(boost::asio::thread_pool& pool, F fn) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
    using R = std::invoke_result_t<F&>;
    namespace asio = boost::asio;
    auto initiate = [&pool, fn = std::move(fn)](auto handler) mutable {
        asio::post(pool, [handler = std::move(handler), fn = std::move(fn)]() mutable {
            std::exception_ptr error;
            std::optional<R> result;
            try {
                result.emplace(fn());
            } catch (...) {
                error = std::current_exception();
            }
            auto ex = asio::get_associated_executor(handler);
            asio::post(ex, [handler = std::move(handler), error, result = std::move(result)]() mutable {
                std::move(handler)(error, std::move(result));
            });
        });
    };
    std::optional<R> out =
        co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, std::optional<R>)>(
            std::move(initiate), asio::use_awaitable);
    co_return std::move(*out);
}

}  // namespace netra::core

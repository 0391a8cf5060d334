#include "llm/provider.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>

namespace netra::llm {
namespace asio = boost::asio;

core::Result<CompletionResult> Provider::Complete(const CompletionRequest& request, const ChunkCallback& on_chunk) {
    AsyncChunkCallback async_chunk;
    if (on_chunk) {
        async_chunk = [&on_chunk](std::string chunk) -> asio::awaitable<bool> { co_return on_chunk(chunk); };
    }
    asio::io_context ioc;
    std::optional<core::Result<CompletionResult>> out;
    std::exception_ptr failure;
    asio::co_spawn(
        ioc, [&]() -> asio::awaitable<void> { out.emplace(co_await CompleteAsync(request, std::move(async_chunk))); },
        [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    if (failure) std::rethrow_exception(failure);
    return std::move(*out);
}

}  // namespace netra::llm

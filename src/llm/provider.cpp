#include "llm/provider.hpp"

#include "core/run_blocking.hpp"

namespace netra::llm {
namespace asio = boost::asio;

core::Result<CompletionResult> Provider::Complete(const CompletionRequest& request, const ChunkCallback& on_chunk) {
    AsyncChunkCallback async_chunk;
    if (on_chunk) {
        async_chunk = [&on_chunk](std::string chunk) -> asio::awaitable<bool> { co_return on_chunk(chunk); };
    }
    return core::RunBlocking([&] { return CompleteAsync(request, std::move(async_chunk)); });
}

}  // namespace netra::llm

#include <boost/json.hpp>
#include <memory>

#include "agents/agent.hpp"
#include "agents/reporting.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;

asio::awaitable<core::Status> AgentEnv::StreamText(std::string text, std::string agent) {
    for (auto& chunk : ChunkReport(text)) {
        auto s = co_await EmitChunk(std::move(chunk), agent);
        if (!s.ok()) co_return s;
    }
    co_return core::Ok();
}

asio::awaitable<core::Status> AgentEnv::EmitChunk(std::string text, std::string agent) {
    if (auto s = sink.CheckContinue(); !s.ok()) co_return s;
    json::object chunk{{"text", std::move(text)}, {"index", ctx.next_chunk_index++}};
    co_return co_await sink.Emit(domain::EventType::kStreamChunk, std::move(agent), std::move(chunk));
}

asio::awaitable<core::Result<llm::CompletionResult>> AgentEnv::StreamCompletion(const llm::CompletionRequest& request,
                                                                                std::string agent,
                                                                                std::string& streamed) {
    auto emit_status = std::make_shared<core::Status>(core::Ok());
    llm::AsyncChunkCallback on_chunk = [this, agent, emit_status,
                                        &streamed](std::string piece) -> asio::awaitable<bool> {
        if (piece.empty()) co_return true;
        *emit_status = co_await EmitChunk(piece, agent);
        if (!emit_status->ok()) co_return false;
        streamed.append(piece);
        co_return true;
    };
    auto result = co_await llm.CompleteAsync(request, std::move(on_chunk));
    if (!emit_status->ok()) co_return emit_status->error();
    if (!result.ok()) {
        if (auto s = sink.CheckContinue(); !s.ok()) co_return s.error();
        co_return result.error();
    }
    co_return result;
}

}  // namespace netra::agents

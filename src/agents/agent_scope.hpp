#pragma once
// The frame every agent runs in: AgentScope emits agent_started … agent_completed | agent_failed around one
// agent and the tool_executing / tool_completed pair around each of its tools (SPEC §6), and fills the
// completion metadata. The macros keep the agents' coroutines short; they exist because a failed step must end
// the coroutine with co_return, which no function can do for its caller.
#include <fmt/format.h>

#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agents/agent.hpp"
#include "core/offload.hpp"
#include "core/time.hpp"

namespace netra::agents {

// Cancellation and timeouts end the run; any other tool error only fails the tool.
inline bool IsFatal(const core::Error& e) {
    return e.code == core::ErrorCode::kCancelled || e.code == core::ErrorCode::kTimeout;
}

inline boost::json::array Strings(const std::vector<std::string>& v) {
    boost::json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
}

// In the agents' coroutines: a failed awaited Status ends the coroutine with its error.
// (No co_await inside an if-statement's initializer: GCC 12 destroys such a temporary twice.)
#define NETRA_TRY(awaitable_status)                    \
    do {                                               \
        core::Status _s = co_await (awaitable_status); \
        if (!_s.ok()) co_return _s.error();            \
    } while (0)

// Emits the agent_started … agent_completed|agent_failed frame around one agent, runs its tools with their
// tool_executing/tool_completed pairs, and fills the completion metadata.
class AgentScope {
  public:
    // Where a tool's synchronous body runs: CPU work on the compute pool, blocking storage reads on the
    // blocking pool; never on the run's own executor, which only waits.
    enum class Where { kCompute, kBlocking };

    AgentScope(EventSink& sink, const Pools& pools, std::string name)
        : sink_(sink), pools_(pools), name_(std::move(name)), start_(core::MonoNow()) {}

    boost::asio::awaitable<core::Status> Start(std::string input_summary) {
        return sink_.Emit(domain::EventType::kAgentStarted, name_,
                          boost::json::object{{"agent", name_}, {"input_summary", std::move(input_summary)}});
    }
    boost::asio::awaitable<core::Status> Think(std::string thought, int step, int progress) {
        return sink_.Emit(domain::EventType::kAgentThinking, name_,
                          boost::json::object{{"thought", std::move(thought)}, {"step", step}, {"progress", progress}});
    }
    // Runs one tool whose body is synchronous work (`where` says on which pool). Error: the run must end.
    // false: the tool failed (tool_completed success:false was sent; Failure() says why) and the agent should end
    // with Fail().
    template <class Fn>
    boost::asio::awaitable<core::Result<bool>> Tool(std::string tool, boost::json::object parameters, Fn fn,
                                                    Where where = Where::kCompute) {
        auto& pool = where == Where::kCompute ? pools_.compute : pools_.blocking;
        co_return co_await ToolAsync(std::move(tool), std::move(parameters),
                                     [&pool, &fn]() { return core::Offload(pool, fn); });
    }
    // The same for a tool that is itself a coroutine (an LLM call): `start()` returns its awaitable.
    template <class Start>
    boost::asio::awaitable<core::Result<bool>> ToolAsync(std::string tool, boost::json::object parameters,
                                                         Start start) {
        ++tools_;
        auto tool_start = core::MonoNow();
        boost::json::object executing{{"tool", tool}, {"parameters", std::move(parameters)}};
        NETRA_TRY(sink_.Emit(domain::EventType::kToolExecuting, name_, std::move(executing)));
        std::optional<core::Result<boost::json::object>> outcome;
        auto s = co_await sink_.BeforeTool(tool);
        if (!s.ok()) {
            outcome.emplace(s.error());
        } else {
            outcome.emplace(co_await start());
        }
        core::Result<boost::json::object>& result = *outcome;
        if (!result.ok() && IsFatal(result.error())) co_return result.error();
        bool success = result.ok();
        boost::json::object summary =
            success ? std::move(result.value()) : boost::json::object{{"error", result.error().message}};
        boost::json::object completed{{"tool", tool},
                                      {"result", std::move(summary)},
                                      {"duration_ms", core::ElapsedMs(tool_start)},
                                      {"success", success}};
        NETRA_TRY(sink_.Emit(domain::EventType::kToolCompleted, name_, std::move(completed)));
        if (!success) failure_ = result.error();
        co_return success;
    }
    boost::asio::awaitable<core::Status> Complete(boost::json::object result, bool success = true) {
        boost::json::object metadata{{"duration_ms", core::ElapsedMs(start_)},
                                     {"tools_invoked", tools_},
                                     {"tokens_used", tokens_},
                                     {"success", success}};
        if (!llm_.empty()) metadata["llm"] = llm_;
        return sink_.Emit(
            domain::EventType::kAgentCompleted, name_,
            boost::json::object{{"agent", name_}, {"result", std::move(result)}, {"metadata", std::move(metadata)}});
    }
    // Ends the agent after a tool failure; the pipeline carries on with what it has.
    boost::asio::awaitable<core::Status> Fail() {
        return sink_.Emit(domain::EventType::kAgentFailed, name_,
                          boost::json::object{{"agent", name_},
                                              {"error", boost::json::object{{"code", core::WsErrorCode(failure_.code)},
                                                                            {"message", failure_.message}}},
                                              {"recoverable", true}});
    }
    const core::Error& Failure() const { return failure_; }
    // Records an LLM call of this agent: its tokens count in tokens_used, and metadata.llm says which provider
    // answered and whether (and why) it fell back to builtin.
    void NoteLlmCall(const llm::CompletionResult& call) {
        tokens_ += call.tokens_used;
        llm_ = boost::json::object{{"provider", call.provider}, {"fell_back", call.fell_back}};
        if (call.attempts > 0) llm_["attempts"] = call.attempts;
        if (call.fell_back) llm_["fallback_reason"] = call.fallback_reason;
    }

  private:
    EventSink& sink_;
    const Pools& pools_;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
    int tools_ = 0;
    int tokens_ = 0;
    boost::json::object llm_;  // the agent's last LLM call (empty: none)
    core::Error failure_;
};

// Runs a tool; on failure ends the agent (agent_failed), records the gap and returns false from the agent.
// (The tool's name and parameters are named first: GCC 12 miscompiles initializer-list temporaries that live
// across a co_await, "array used as initializer".)
#define NETRA_TOOL(scope, ctx, tool, params, ...)                                                                   \
    do {                                                                                                            \
        std::string _tool = (tool);                                                                                 \
        boost::json::object _params = params;                                                                       \
        auto _ok = co_await (scope).Tool(_tool, std::move(_params), __VA_ARGS__);                                   \
        if (!_ok.ok()) co_return _ok.error();                                                                       \
        if (!*_ok) {                                                                                                \
            (ctx).gaps.push_back(                                                                                   \
                fmt::format("The {} step failed ({}); this report is partial.", _tool, (scope).Failure().message)); \
            NETRA_TRY((scope).Fail());                                                                              \
            co_return false;                                                                                        \
        }                                                                                                           \
    } while (0)

}  // namespace netra::agents

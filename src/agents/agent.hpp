#pragma once
// An agent as a unit (SPEC §8): its name, what it does, the tools it declares (name, description, JSON schema),
// and how it runs over one run's context. Agents are stateless; everything a run produces lives in the
// RunContext, and everything an agent works with during a run is in its AgentEnv.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agents/data_access.hpp"
#include "agents/event_sink.hpp"
#include "agents/run_context.hpp"
#include "analysis/catalog.hpp"
#include "core/error.hpp"
#include "llm/provider.hpp"

namespace netra::agents {

// Where a run's work happens besides its own executor (which only waits): the tools' CPU work (profiles,
// pricing) on a bounded compute pool, blocking calls (dataset reads from storage) on the blocking pool.
struct Pools {
    boost::asio::thread_pool& compute;
    boost::asio::thread_pool& blocking;
};

// A tool an agent calls, declared where the agent is defined; served by /api/agents.
struct ToolSpec {
    std::string name;
    std::string description;
    std::string input_schema_json;  // JSON Schema of the tool's parameters
};

// What an agent works with during one run.
class AgentEnv {
  public:
    AgentEnv(const analysis::Catalog& catalog_in, EventSink& sink_in, DataAccess& data_in, llm::Provider& llm_in,
             const Pools& pools_in, RunContext& ctx_in)
        : catalog(catalog_in), sink(sink_in), data(data_in), llm(llm_in), pools(pools_in), ctx(ctx_in) {}

    const analysis::Catalog& catalog;
    EventSink& sink;
    DataAccess& data;
    llm::Provider& llm;
    const Pools& pools;
    RunContext& ctx;
    std::string llm_provider;  // the provider that wrote the last prose ("" = none yet)

    // false for the builtin provider: its prose is our own template, rendered directly without a call.
    bool ask_llm() const { return !llm.TemplateOnly(); }

    // Emits `text` as stream_chunk events of `agent` (a section or paragraph each), continuing the run's index.
    boost::asio::awaitable<core::Status> StreamText(std::string text, std::string agent);
    boost::asio::awaitable<core::Status> EmitChunk(std::string text, std::string agent);
    // Calls the LLM, handing each streamed piece to the client at once as a stream_chunk of `agent`; `streamed`
    // collects what was sent. A run that must end (cancelled, timed out) is an error; a failing provider is
    // not (the fallback answers and says so in the result).
    boost::asio::awaitable<core::Result<llm::CompletionResult>> StreamCompletion(const llm::CompletionRequest& request,
                                                                                 std::string agent,
                                                                                 std::string& streamed);
};

class Agent {
  public:
    Agent(std::string name, std::string description, std::vector<ToolSpec> tools)
        : name_(std::move(name)), description_(std::move(description)), tools_(std::move(tools)) {}
    virtual ~Agent() = default;

    const std::string& Name() const { return name_; }
    const std::string& Description() const { return description_; }
    const std::vector<ToolSpec>& Tools() const { return tools_; }
    // Runs the agent: an error means the run must end; false = the agent failed (already reported with
    // agent_failed, the report degrades); true = done, its results are in env.ctx.
    virtual boost::asio::awaitable<core::Result<bool>> Run(AgentEnv& env) const = 0;

  private:
    std::string name_;
    std::string description_;
    std::vector<ToolSpec> tools_;
};

}  // namespace netra::agents

#pragma once
// The supervisor runs the adaptive agent pipeline of §8 for one run, taking each agent from the registry, and
// reports every step through the EventSink: triage, then by data sufficiency
//   sufficient   → data → optimization → actions → reporting
//   partial      → data_helper → data → optimization → reporting   (estimates flagged)
//   insufficient → data_helper → reporting                        (guidance report)
//   general      → reporting                                       (answer)
// Agents talk only through the RunContext and their tools. Numbers come from analysis/, never from the LLM.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "agents/agent.hpp"
#include "agents/data_access.hpp"
#include "agents/event_sink.hpp"
#include "agents/run_context.hpp"
#include "analysis/catalog.hpp"
#include "core/error.hpp"
#include "llm/builtin_provider.hpp"
#include "llm/provider.hpp"

namespace netra::agents {

class Supervisor {
  public:
    // Prices with `catalog` and has `llm` write the prose (all must outlive the supervisor). With a provider
    // that is not template-only, triage asks it to classify where the rules are unsure, and the data helper
    // and reporting stream its prose token by token as stream_chunk; every figure still comes from the tools.
    Supervisor(const analysis::Catalog& catalog, llm::Provider& llm, Pools pools)
        : catalog_(catalog), llm_(llm), pools_(pools) {}

    // Runs the pipeline as a coroutine on the caller's executor: waiting on events being stored, the LLM or an
    // injected delay holds no thread. An error means the run must end (cancelled, timed out, storage failure);
    // the caller records the terminal event. Agent failures the pipeline can absorb (a tool fault, an
    // unreadable dataset, a failing LLM) end that agent with agent_failed or a fallback and the report
    // degrades; they are not errors.
    boost::asio::awaitable<core::Result<RunOutput>> Execute(RunInput input, EventSink& sink, DataAccess& data) const;

    const analysis::Catalog& Catalog() const { return catalog_; }

  private:
    const analysis::Catalog& catalog_;
    llm::Provider& llm_;
    Pools pools_;
    // Prose of agents replayed for a resumed run (never shown: not emitted). Stateless; Provider's calls are not
    // const, hence mutable.
    mutable llm::BuiltinProvider replay_llm_;
};

// Runs Execute to its end on a private io_context on the calling thread (`netra analyze`, tests).
core::Result<RunOutput> ExecuteBlocking(const Supervisor& supervisor, RunInput input, EventSink& sink,
                                        DataAccess& data);

}  // namespace netra::agents

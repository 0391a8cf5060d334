#pragma once
// The supervisor runs the adaptive agent pipeline of §8 for one run and reports every step through the
// EventSink: triage, then by data sufficiency
//   sufficient   → data → optimization → actions → reporting
//   partial      → data_helper → data → optimization → reporting   (estimates flagged)
//   insufficient → data_helper → reporting                        (guidance report)
//   general      → reporting                                       (answer)
// Agents talk only through the RunContext and their tools. Numbers come from analysis/, never from the LLM.
#include "agents/data_access.hpp"
#include "agents/event_sink.hpp"
#include "agents/run_context.hpp"
#include "analysis/catalog.hpp"
#include "core/error.hpp"
#include "llm/provider.hpp"

namespace netra::agents {

class Supervisor {
  public:
    // `catalog` must outlive the supervisor; null = the bundled catalog.
    explicit Supervisor(const analysis::Catalog* catalog = nullptr);

    // Runs the pipeline. An error means the run must end (cancelled, timed out, storage failure); the caller
    // records the terminal event. Agent failures the pipeline can absorb (a tool fault, an unreadable dataset)
    // end that agent with agent_failed and the report degrades; they are not errors. `data` may be null (no
    // dataset access); `llm` may be null (builtin text).
    core::Result<RunOutput> Execute(const RunInput& input, EventSink& sink, DataAccess* data, llm::Provider* llm) const;

    const analysis::Catalog& Catalog() const { return *catalog_; }

  private:
    const analysis::Catalog* catalog_;
};

}  // namespace netra::agents

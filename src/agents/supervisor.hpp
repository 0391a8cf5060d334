#pragma once
// The supervisor runs the agent pipeline for one run and reports every step through the EventSink.
// This is the reduced pipeline (triage → reporting); the adaptive pipeline of §8 replaces it.
#include "agents/event_sink.hpp"
#include "agents/run_context.hpp"
#include "core/error.hpp"

namespace netra::agents {

class Supervisor {
  public:
    // Runs the pipeline. An error means the run must end (cancelled, timed out, storage failure); the
    // caller records the terminal event. Agent failures that the pipeline can absorb are not errors.
    core::Result<RunOutput> Execute(const RunInput& input, EventSink& sink) const;
};

}  // namespace netra::agents

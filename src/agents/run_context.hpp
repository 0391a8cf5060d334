#pragma once
// The per-run context that agents communicate through (§8): the request, the thread history and each
// agent's structured output.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agents/data_access.hpp"
#include "agents/triage.hpp"
#include "analysis/profile.hpp"
#include "analysis/strategies.hpp"

namespace netra::agents {

struct RunInput {
    std::string run_id;
    std::string thread_id;
    std::string user_id;
    std::string request;                            // the message that started this run
    std::vector<std::string> thread_user_messages;  // every user message of the thread, oldest first
    std::optional<std::string> dataset_id;          // the dataset attached to this message, if any (preferred)
    std::vector<std::string> dataset_ids;           // every dataset attached to the thread, newest last
    std::string agent = "supervisor";
    // A resumed run (§7): the agents whose agent_completed is already stored. They are run again to rebuild the
    // context the others need, with the builtin template for prose and without emitting events.
    std::vector<std::string> completed_agents;
};

struct RunContext {
    RunInput input;
    TriageResult triage;
    bool triage_ok = false;
    std::optional<DatasetView> dataset;  // the usable dataset triage selected
    std::string dataset_problem;         // why attached datasets could not be used
    std::optional<boost::json::object> data_request;
    std::optional<analysis::Profile> profile;
    std::optional<analysis::OptimizationResult> optimization;
    std::optional<std::vector<analysis::ActionStep>> plan;
    std::vector<std::string> gaps;  // agent failures in words, for the report
    std::string preamble;           // prose streamed before reporting ran (the data helper's); opens the report
    std::int64_t next_chunk_index = 0;
    std::string report_markdown;  // reporting's report
    boost::json::object result;   // reporting's structured numbers
};

struct RunOutput {
    std::string report_markdown;  // saved as the assistant message
    boost::json::object result;   // structured numbers for run_completed
};

}  // namespace netra::agents

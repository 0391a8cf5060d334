#pragma once
// The per-run context that agents communicate through (§8): the request, the thread history and each
// agent's structured output.
#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

namespace netra::agents {

struct RunInput {
    std::string run_id;
    std::string thread_id;
    std::string user_id;
    std::string request;                            // the message that started this run
    std::vector<std::string> thread_user_messages;  // every user message of the thread, oldest first
    std::optional<std::string> dataset_id;
    std::string agent = "supervisor";
};

struct RunContext {
    RunInput input;
    boost::json::object triage;  // triage result
    boost::json::object report;  // reporting result
    std::string report_markdown;
};

struct RunOutput {
    std::string report_markdown;  // saved as the assistant message
    boost::json::object result;   // structured numbers for run_completed
};

}  // namespace netra::agents

#pragma once
// Agents publish what they do through this interface and never know about sockets or storage: the runs
// module implements it (persist with the next seq, then fan out to the user's connections).
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <string_view>

#include "core/error.hpp"
#include "domain/values.hpp"

namespace netra::agents {

class EventSink {
  public:
    virtual ~EventSink() = default;
    // Records one event of the run (the run waits, holding no thread, until it is stored). Fails (kCancelled /
    // kTimeout / storage error) when the run must stop; agents return that error at once, which keeps
    // cancellation cooperative and prompt.
    virtual boost::asio::awaitable<core::Status> Emit(domain::EventType type, std::string agent_name,
                                                      boost::json::object payload) = 0;
    // Cancellation and deadline check for long steps between events.
    virtual core::Status CheckContinue() = 0;
    // Called after tool_executing, before the tool runs: the place for fault injection (§11, target
    // "tool:<name>"). kCancelled/kTimeout end the run; any other error fails the tool (tool_completed with
    // success:false), the agent ends with agent_failed and the pipeline degrades to a partial report.
    virtual boost::asio::awaitable<core::Status> BeforeTool(std::string /*tool*/) { co_return core::Ok(); }
};

}  // namespace netra::agents

#include "agents/supervisor.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "agents/registry.hpp"
#include "core/run_blocking.hpp"

namespace netra::agents {
namespace asio = boost::asio;

namespace {

// What an agent started by name (start_agent {agent}) needs to have run before it; reporting follows always.
std::vector<std::string_view> ChainFor(std::string_view agent) {
    if (agent == "data_helper") return {"triage", "data_helper"};
    if (agent == "data") return {"triage", "data"};
    if (agent == "optimization") return {"triage", "data", "optimization"};
    if (agent == "actions") return {"triage", "data", "optimization", "actions"};
    return {"triage"};  // triage itself, and reporting (which runs last anyway)
}

// The sink of an agent replayed for a resumed run: its events are stored already, so nothing is emitted again;
// cancellation and deadlines still apply.
class ReplaySink final : public EventSink {
  public:
    explicit ReplaySink(EventSink& real) : real_(real) {}
    asio::awaitable<core::Status> Emit(domain::EventType, std::string, boost::json::object) override {
        co_return real_.CheckContinue();
    }
    core::Status CheckContinue() override { return real_.CheckContinue(); }

  private:
    EventSink& real_;
};

}  // namespace

asio::awaitable<core::Result<RunOutput>> Supervisor::Execute(RunInput input, EventSink& sink, DataAccess& data) const {
    RunContext ctx;
    ctx.input = std::move(input);
    AgentEnv env(catalog_, sink, data, llm_, pools_, ctx);
    ReplaySink replay_sink(sink);
    AgentEnv replay_env(catalog_, replay_sink, data, replay_llm_, pools_, ctx);
    const auto& registry = AgentRegistry::Get();
    const auto& completed = ctx.input.completed_agents;
    // Each agent: an error ends the run; false = it failed (reported), so what depends on it is skipped. An agent
    // a resumed run already completed is replayed quietly to rebuild the context.
    auto run = [&](std::string_view name) {
        const bool done = std::find(completed.begin(), completed.end(), name) != completed.end();
        return registry.Need(name).Run(done ? replay_env : env);
    };

    if (ctx.input.agent != kSupervisorName) {
        for (std::string_view name : ChainFor(ctx.input.agent)) {
            auto done = co_await run(name);
            if (!done.ok()) co_return done.error();
            if (!*done) break;
        }
    } else {
        auto triaged = co_await run("triage");
        if (!triaged.ok()) co_return triaged.error();
        const TriageResult& t = ctx.triage;
        if (*triaged && !(t.category == "general" && !t.has_dataset)) {
            bool run_helper = t.sufficiency != "sufficient";
            bool run_data = t.sufficiency != "insufficient";
            if (run_helper) {
                auto helped = co_await run("data_helper");
                if (!helped.ok()) co_return helped.error();
            }
            if (run_data) {
                auto profiled = co_await run("data");
                if (!profiled.ok()) co_return profiled.error();
                if (*profiled) {
                    auto optimized = co_await run("optimization");
                    if (!optimized.ok()) co_return optimized.error();
                    // Actions follow only a sufficient picture (§8: the partial path goes straight to reporting).
                    if (*optimized && t.sufficiency == "sufficient") {
                        auto planned = co_await run("actions");
                        if (!planned.ok()) co_return planned.error();
                    }
                }
            }
        }
    }
    // Reporting never fails: it degrades to a partial or guidance report.
    auto reported = co_await run("reporting");
    if (!reported.ok()) co_return reported.error();
    co_return RunOutput{std::move(ctx.report_markdown), std::move(ctx.result)};
}

core::Result<RunOutput> ExecuteBlocking(const Supervisor& supervisor, RunInput input, EventSink& sink,
                                        DataAccess& data) {
    return core::RunBlocking([&] { return supervisor.Execute(std::move(input), sink, data); });
}

}  // namespace netra::agents

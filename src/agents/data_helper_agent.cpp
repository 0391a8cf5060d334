// The data_helper agent (SPEC §8).
#include "agents/agent_scope.hpp"
#include "agents/data_helper.hpp"
#include "agents/pipeline_agents.hpp"
#include "core/json_write.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

class DataHelperAgent final : public Agent {
  public:
    DataHelperAgent()
        : Agent(
              "data_helper",
              "Asks precisely for the usage data that is missing, why each item matters and how to export it; with an "
              "LLM, explains it in plain words, streamed.",
              {{"build_data_request", "List the data still missing for the goal, why it matters and how to export it.",
                R"({"type":"object","properties":{"category":{"type":"string"},"missing_facts":{"type":"array","items":{"type":"string"}}},"required":["category"]})"},
               {"write_data_request_message",
                "Explain the data request in plain words with the configured LLM, streamed (no figures).",
                R"({"type":"object","properties":{"provider":{"type":"string"}}})"}}) {}

    asio::awaitable<core::Result<bool>> Run(AgentEnv& env) const override {
        const TriageResult& t = env.ctx.triage;
        AgentScope scope(env.sink, env.pools, Name());
        std::string missing;
        for (const auto& f : t.facts_missing) missing += (missing.empty() ? "" : ", ") + f;
        // Arguments with a conditional are named first: GCC 12 destroys a ?: temporary twice across a co_await.
        std::string input_summary = "missing: " + (missing.empty() ? std::string("a usage log") : missing);
        NETRA_TRY(scope.Start(std::move(input_summary)));
        NETRA_TRY(scope.Think(fmt::format("Working out exactly which data a {} request still needs and how to "
                                          "export it.",
                                          t.category),
                              1, 20));
        NETRA_TOOL(scope, env.ctx, "build_data_request",
                   (json::object{{"category", t.category}, {"missing_facts", Strings(t.facts_missing)}}),
                   [&]() -> core::Result<json::object> {
                       env.ctx.data_request = BuildDataRequest(t, env.ctx.dataset_problem);
                       std::size_t items = 0;
                       for (const auto& c : env.ctx.data_request->at("categories").as_array()) {
                           items += c.as_object().at("items").as_array().size();
                       }
                       return json::object{{"categories", env.ctx.data_request->at("categories").as_array().size()},
                                           {"items", items},
                                           {"missing_facts", Strings(t.facts_missing)}};
                   });
        if (env.ask_llm()) {
            NETRA_TRY(scope.Think(
                fmt::format("Asking the {} model to explain the request in plain words.", env.llm.Name()), 2, 60));
            json::object params{{"provider", env.llm.Name()}};
            auto ok = co_await scope.ToolAsync("write_data_request_message", std::move(params),
                                               [&]() { return WriteDataRequestMessage(env, scope); });
            if (!ok.ok()) co_return ok.error();
        }
        json::object result{{"data_request", *env.ctx.data_request}};
        NETRA_TRY(scope.Complete(std::move(result)));
        co_return true;
    }

  private:
    // The data helper's message to the user, streamed: what is missing and why, in plain words. Its figures and
    // items stay in the structured data_request; the prose opens the report.
    asio::awaitable<core::Result<json::object>> WriteDataRequestMessage(AgentEnv& env, AgentScope& scope) const {
        const TriageResult& t = env.ctx.triage;
        std::string missing;
        for (const auto& f : t.facts_missing) missing += (missing.empty() ? "" : ", ") + f;
        std::string builtin = fmt::format(
            "To price optimizations for this {} request, Netra still needs {} fact(s): {}. The data request below "
            "says why each one matters and how to export a usage log; attach one and ask again.",
            t.category, t.facts_missing.size(), missing.empty() ? std::string("a usage log") : missing);
        llm::CompletionRequest request;
        request.purpose = "prose";
        request.max_tokens = 200;
        request.builtin_text = builtin;
        request.messages = {
            {"system",
             "You are the data helper of an LLM cost-optimization assistant. In 2-3 friendly sentences, "
             "tell the user which facts are still missing and why they matter. Do not invent numbers."},
            {"user", "Missing facts: " + missing + "\nCategory: " + t.category +
                         "\nFacts already known: " + core::JsonText(FactsToJson(t.facts))}};
        constexpr const char* kLead = "**Data helper:** ";
        NETRA_TRY(env.StreamText(kLead, "data_helper"));
        env.ctx.preamble = kLead;
        std::string streamed;
        auto result = co_await env.StreamCompletion(request, "data_helper", streamed);
        if (!result.ok()) {
            if (auto s = env.sink.CheckContinue(); !s.ok()) co_return s.error();  // the run ends: no report follows
        }
        if (streamed.empty()) {  // nothing came through: the template says it
            NETRA_TRY(env.StreamText(builtin, "data_helper"));
            streamed = builtin;
        }
        NETRA_TRY(env.StreamText("\n\n", "data_helper"));
        env.ctx.preamble += streamed + "\n\n";
        if (!result.ok()) co_return result.error();
        scope.NoteLlmCall(*result);
        co_return json::object{{"provider", result->provider},
                               {"fell_back", result->fell_back},
                               {"tokens_used", result->tokens_used},
                               {"chars", streamed.size()}};
    }
};

}  // namespace

std::unique_ptr<Agent> MakeDataHelperAgent() { return std::make_unique<DataHelperAgent>(); }

}  // namespace netra::agents

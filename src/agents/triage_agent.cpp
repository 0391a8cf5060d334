// The triage agent (SPEC §8).
#include <algorithm>

#include "agents/agent_scope.hpp"
#include "agents/pipeline_agents.hpp"
#include "agents/triage.hpp"
#include "core/json_write.hpp"

namespace netra::agents {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// Below this rule confidence triage asks the LLM (when one is configured) for the category.
constexpr double kUnsureConfidence = 0.6;

class TriageAgent final : public Agent {
  public:
    TriageAgent()
        : Agent(
              "triage",
              "Extracts entities from the thread, finds a usable attached dataset, classifies the request (asking the "
              "LLM where the rules are unsure) and scores data sufficiency.",
              {{"extract_entities", "Extract spend, volume, models, latency targets and use case from text.",
                R"({"type":"object","properties":{"messages":{"type":"array","items":{"type":"string"}}},"required":["messages"]})"},
               {"check_datasets", "Find the newest usable usage dataset attached to the thread.",
                R"({"type":"object","properties":{"dataset_ids":{"type":"array","items":{"type":"string"}}},"required":["dataset_ids"]})"},
               {"classify_request", "Ask the configured LLM for the request category where the rules are unsure.",
                R"({"type":"object","properties":{"provider":{"type":"string"},"rules_category":{"type":"string"}},"required":["rules_category"]})"},
               {"score_sufficiency", "Score how complete the stated facts are for the request's category.",
                R"({"type":"object","properties":{"category":{"type":"string"},"has_dataset":{"type":"boolean"}},"required":["category"]})"}}) {
    }

    asio::awaitable<core::Result<bool>> Run(AgentEnv& env) const override {
        const RunInput& in = env.ctx.input;
        AgentScope scope(env.sink, env.pools, Name());
        NETRA_TRY(scope.Start(in.request.substr(0, 200)));
        NETRA_TRY(scope.Think(fmt::format("Reading the {} user message(s) of this thread to extract spend, volume, "
                                          "models and goals.",
                                          in.thread_user_messages.size()),
                              1, 10));
        ExtractedFacts facts;
        NETRA_TOOL(scope, env.ctx, "extract_entities", (json::object{{"messages", in.thread_user_messages.size()}}),
                   [&]() -> core::Result<json::object> {
                       facts = ExtractFacts(in.thread_user_messages, &env.catalog);
                       return FactsToJson(facts);
                   });
        std::vector<std::string> candidates;
        if (in.dataset_id) candidates.push_back(*in.dataset_id);
        for (auto it = in.dataset_ids.rbegin(); it != in.dataset_ids.rend(); ++it) {
            if (std::find(candidates.begin(), candidates.end(), *it) == candidates.end()) candidates.push_back(*it);
        }
        if (!candidates.empty()) {
            NETRA_TRY(
                scope.Think(fmt::format("Checking the {} dataset(s) attached to this thread for a usable usage log.",
                                        candidates.size()),
                            2, 30));
            NETRA_TOOL(
                scope, env.ctx, "check_datasets", (json::object{{"dataset_ids", Strings(candidates)}}),
                [&]() { return CheckDatasets(env, candidates); }, AgentScope::Where::kBlocking);
        }
        env.ctx.triage = agents::Triage(in.thread_user_messages, env.ctx.dataset.has_value(), &env.catalog);
        if (env.ask_llm() && env.ctx.triage.confidence < kUnsureConfidence) {
            NETRA_TRY(scope.Think(fmt::format("The rules are unsure of the category ({:.0f}%); asking the {} model "
                                              "to classify the request.",
                                              env.ctx.triage.confidence * 100, env.llm.Name()),
                                  3, 45));
            json::object params{{"provider", env.llm.Name()}, {"rules_category", env.ctx.triage.category}};
            auto classified = co_await scope.ToolAsync("classify_request", std::move(params),
                                                       [&]() { return ClassifyWithLlm(env, scope); });
            if (!classified.ok()) co_return classified.error();  // a failed call keeps the rules' category
        }
        const TriageResult& t = env.ctx.triage;
        NETRA_TRY(scope.Think(fmt::format("Classified as {} (confidence {:.0f}%); scoring how complete the facts are.",
                                          t.category, t.confidence * 100),
                              3, 60));
        NETRA_TOOL(scope, env.ctx, "score_sufficiency",
                   (json::object{{"category", t.category}, {"has_dataset", t.has_dataset}}),
                   [&]() -> core::Result<json::object> {
                       return json::object{{"completeness", t.completeness},
                                           {"data_sufficiency", t.sufficiency},
                                           {"facts_present", Strings(t.facts_present)},
                                           {"facts_missing", Strings(t.facts_missing)}};
                   });
        json::object result = TriageToJson(t);
        if (env.ctx.dataset) {
            result["dataset_id"] = env.ctx.dataset->meta.id;
            result["dataset_rows"] = env.ctx.dataset->RowCount();
        }
        if (!env.ctx.dataset_problem.empty()) result["dataset_problem"] = env.ctx.dataset_problem;
        NETRA_TRY(scope.Complete(std::move(result)));
        env.ctx.triage_ok = true;
        co_return true;
    }

  private:
    core::Result<json::object> CheckDatasets(AgentEnv& env, const std::vector<std::string>& candidates) const {
        std::vector<std::string> problems;
        for (const auto& id : candidates) {
            auto loaded = env.data.LoadDataset(env.ctx.input.user_id, id);
            if (!loaded.ok()) {
                if (IsFatal(loaded.error())) return loaded.error();
                problems.push_back(id + ": could not be read (" + loaded.error().message + ")");
                continue;
            }
            if (!loaded->has_value()) {
                problems.push_back(id + ": not found");
                continue;
            }
            if ((*loaded)->RowCount() == 0) {
                problems.push_back(id + ": has no valid rows");
                continue;
            }
            env.ctx.dataset = std::move(**loaded);
            break;
        }
        // A problem matters only when no attached dataset was usable.
        if (!env.ctx.dataset && !problems.empty()) {
            for (const auto& p : problems) env.ctx.dataset_problem += (env.ctx.dataset_problem.empty() ? "" : "; ") + p;
        }
        json::object summary{{"checked", candidates.size()}, {"problems", Strings(problems)}};
        if (env.ctx.dataset) {
            summary["dataset_id"] = env.ctx.dataset->meta.id;
            summary["name"] = env.ctx.dataset->meta.name;
            summary["rows"] = env.ctx.dataset->RowCount();
            summary["columns"] = Strings(env.ctx.dataset->meta.columns);
        } else {
            summary["dataset_id"] = nullptr;
        }
        return summary;
    }

    // Triage's second opinion where the rules are unsure: the model answers one category as JSON. Anything
    // else (or a fallback) keeps the rules' answer.
    asio::awaitable<core::Result<json::object>> ClassifyWithLlm(AgentEnv& env, AgentScope& scope) const {
        const auto& categories = TriageCategories();
        std::string list;
        for (const auto& c : categories) list += (list.empty() ? "" : ", ") + c;
        std::string thread;
        for (const auto& m : env.ctx.input.thread_user_messages) thread += "- " + m + "\n";
        llm::CompletionRequest request;
        request.purpose = "classification";
        request.max_tokens = 160;
        request.temperature = 0;
        request.builtin_text = core::JsonText(json::object{{"category", env.ctx.triage.category}});
        request.messages = {{"system",
                             "You classify what a team asks an LLM cost and performance optimization assistant, and "
                             "read the figures they state. Answer with JSON only: {\"category\": \"...\", "
                             "\"facts\": {\"monthly_spend_usd\": n, \"monthly_requests\": n, "
                             "\"tokens_per_request\": n, \"monthly_tokens\": n, \"latency_target_ms\": n}}, the "
                             "category one of: " +
                                 list + ". Use null for a figure the messages do not state; never estimate one."},
                            {"user", "The team's messages, oldest first:\n" + thread}};
        auto result = co_await env.llm.CompleteAsync(request, llm::AsyncChunkCallback{});
        if (!result.ok()) {
            if (auto s = env.sink.CheckContinue(); !s.ok()) co_return s.error();
            co_return result.error();
        }
        scope.NoteLlmCall(*result);
        std::string answer;
        json::object model_facts;
        const std::string& text = result->text;
        auto open = text.find('{'), close = text.rfind('}');
        if (open != std::string::npos && close != std::string::npos && close > open) {
            boost::system::error_code ec;
            auto parsed = json::parse(std::string_view(text).substr(open, close - open + 1), ec);
            if (!ec && parsed.is_object()) {
                if (const auto* c = parsed.as_object().if_contains("category"); c && c->is_string()) {
                    answer = std::string(c->get_string());
                }
                if (const auto* f = parsed.as_object().if_contains("facts"); f && f->is_object()) {
                    model_facts = f->as_object();
                }
            }
        }
        bool valid = std::find(categories.begin(), categories.end(), answer) != categories.end();
        json::object summary{{"provider", result->provider},
                             {"fell_back", result->fell_back},
                             {"tokens_used", result->tokens_used},
                             {"answer", valid ? json::value(answer) : json::value(nullptr)}};
        if (!valid) {
            summary["accepted"] = false;
            summary["reason"] = "the model's answer is not one of the categories; the rules' category stands";
            co_return summary;
        }
        if (result->fell_back || result->provider == "builtin") {
            summary["accepted"] = false;
            summary["reason"] = "the model did not answer; the rules' category stands";
            co_return summary;
        }
        // Figures the model read count only where the rules found none and the messages state them.
        ExtractedFacts facts = env.ctx.triage.facts;
        auto taken = MergeStatedFacts(facts, model_facts, env.ctx.input.thread_user_messages);
        env.ctx.triage = agents::Triage(env.ctx.input.thread_user_messages, env.ctx.dataset.has_value(), &env.catalog,
                                        answer, facts);
        env.ctx.triage.classified_by = "llm";
        summary["accepted"] = true;
        summary["facts_from_llm"] = Strings(taken);
        co_return summary;
    }
};

}  // namespace

std::unique_ptr<Agent> MakeTriageAgent() { return std::make_unique<TriageAgent>(); }

}  // namespace netra::agents

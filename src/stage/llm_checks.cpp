#include "stage/llm_checks.hpp"

#include <thread>

#include "stage/event_checks.hpp"

namespace netra::stage {

namespace json = boost::json;
using llm::testing::FakeOpenAiServer;
using llm::testing::FakeReply;
using llm::testing::RecordedRequest;

const std::vector<std::string> kFakeProsePieces = {"Fake-model summary: ", "the levers ", "above are ", "ordered by ",
                                                   "their savings."};

bool IsClassification(const RecordedRequest& r) { return r.body.find("Answer with JSON only") != std::string::npos; }

FakeOpenAiServer::Responder HealthyModel(const std::string& category) {
    return [category](const RecordedRequest& r) -> std::optional<FakeReply> {
        // The classification also reads the figures: one the message states ("12k"), one it does not (950).
        json::object facts{{"monthly_spend_usd", 12000}, {"tokens_per_request", 950}, {"monthly_requests", nullptr}};
        auto reply = IsClassification(r)
                         ? FakeReply::Stream({json::serialize(json::object{{"category", category}, {"facts", facts}})})
                         : FakeReply::Stream(kFakeProsePieces);
        reply.usage_total_tokens = kFakeUsageTokens;
        return reply;
    };
}

std::vector<std::string> LlmEnv(const FakeOpenAiServer& fake, std::vector<std::string> extra) {
    std::vector<std::string> env = {"NETRA_LLM_PROVIDER=openai", "OPENAI_BASE_URL=" + fake.BaseUrl(),
                                    std::string("OPENAI_API_KEY=") + kFakeApiKey,
                                    std::string("NETRA_LLM_MODEL=") + kFakeModel};
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

const json::object* AgentEvent(const RunTrace& t, const std::string& type, const std::string& agent) {
    for (const auto& e : t.events) {
        if (JStr(e, "type") == type && JStr(e, "agent_name") == agent) return &e;
    }
    return nullptr;
}

const json::object& Completed(const RunTrace& t, const std::string& agent) {
    const auto* e = AgentEvent(t, "agent_completed", agent);
    Expect(e != nullptr, "no agent_completed of " + agent + " in the run");
    const auto* p = JObj(*e, "payload");
    Expect(p != nullptr, "agent_completed of " + agent + " has no payload");
    return *p;
}

json::object LlmHealth(HttpClient& http) {
    auto r = Must(http.Get("/api/health"), "GET /api/health");
    const auto& o = ExpectJson(r, {200}, "GET /api/health");
    const auto* checks = JObj(o, "checks");
    const auto* llm = checks ? JObj(*checks, "llm") : nullptr;
    Expect(llm != nullptr, "/api/health has no checks.llm: " + Quote(o));
    return *llm;
}

json::object WaitBreaker(HttpClient& http, const std::string& state, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    json::object last;
    for (;;) {
        last = LlmHealth(http);
        if (JStr(last, "breaker") == state) return last;
        if (std::chrono::steady_clock::now() > deadline) {
            Fail("checks.llm.breaker did not become " + state + " within " + std::to_string(timeout.count()) +
                 " ms: " + Quote(last));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

RunTrace ExpectFellBack(WsClient& ws, const std::string& why, const std::string& reason, const std::string& what) {
    auto t = SendAndFollowRun(ws, UserMessage("We spend $40k/month on GPT-4o for customer support"));
    Expect(t.terminal == "run_completed", what + " the run ended '" + t.terminal + "'");
    ExpectValidSequence(t);
    const auto* rr = JObj(Completed(t, "reporting"), "result");
    Expect(rr != nullptr, "reporting completed without a result");
    std::string report = JStr(*rr, "report_markdown");
    Expect(report.find(why) != std::string::npos,
           what + ", the report does not say '" + why + "': " + report.substr(0, 400));
    const auto* llm = JObj(*rr, "llm");
    Expect(llm && llm->contains("fell_back") && llm->at("fell_back") == json::value(true),
           what + ", the result's llm does not say it fell back: " + (llm ? Quote(*llm) : std::string("nothing")));
    // And the agent's own metadata says so, with the reason.
    const auto* md = JObj(Completed(t, "reporting"), "metadata");
    const auto* call = md ? JObj(*md, "llm") : nullptr;
    Expect(call && call->contains("fell_back") && call->at("fell_back") == json::value(true) &&
               JStr(*call, "fallback_reason").find(reason) != std::string::npos,
           what + ", reporting's metadata.llm does not say it fell back and why: " +
               (md ? Quote(*md) : std::string("no metadata")));
    return t;
}

}  // namespace netra::stage

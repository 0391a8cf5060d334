// Module 4 — agent_orchestration, the LLM in the loop (SPEC §8): a dedicated server is pointed at the project's
// fake OpenAI-compatible server (a real HTTP server on loopback, run inside the suite), and the tests check what
// a user of a configured provider gets — the model classifies where triage's rules are unsure, its prose streams
// token by token as stream_chunk, its reported token usage is the agents' tokens_used, every figure of the report
// comes from the tools — and what happens when the provider fails: the run completes on builtin, says so, and the
// circuit breaker opens and closes again, visibly in /api/health.
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "llm/testing/fake_openai_server.hpp"
#include "stage/event_checks.hpp"
#include "stage/llm_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;
using llm::testing::FakeOpenAiServer;
using llm::testing::FakeReply;
using llm::testing::RecordedRequest;

namespace {

std::string Joined(const std::vector<std::string>& pieces) {
    std::string out;
    for (const auto& p : pieces) out += p;
    return out;
}

FakeOpenAiServer::Responder FailingModel() {
    return [](const RecordedRequest&) -> std::optional<FakeReply> {
        return FakeReply::Status(500, R"({"error":{"message":"stage: the model is down"}})");
    };
}

std::vector<std::string> ChunksOf(const RunTrace& t, const std::string& agent = "") {
    std::vector<std::string> out;
    for (const auto& e : t.events) {
        if (JStr(e, "type") != "stream_chunk" || (!agent.empty() && JStr(e, "agent_name") != agent)) continue;
        if (const auto* p = JObj(e, "payload")) out.push_back(JStr(*p, "text"));
    }
    return out;
}

// True when `pieces` appear as consecutive chunks: the model's deltas reached the client one event each.
bool StreamedPieceByPiece(const std::vector<std::string>& chunks, const std::vector<std::string>& pieces) {
    if (pieces.empty() || chunks.size() < pieces.size()) return false;
    for (std::size_t i = 0; i + pieces.size() <= chunks.size(); ++i) {
        if (std::equal(pieces.begin(), pieces.end(), chunks.begin() + static_cast<long>(i))) return true;
    }
    return false;
}

void CollectNumbers(const json::value& v, std::vector<double>& out) {
    if (v.is_number()) {
        out.push_back(v.to_number<double>());
    } else if (v.is_object()) {
        for (const auto& kv : v.get_object()) CollectNumbers(kv.value(), out);
    } else if (v.is_array()) {
        for (const auto& x : v.get_array()) CollectNumbers(x, out);
    }
}

// Every dollar figure in the report equals a number some tool or agent produced (rounded to cents): the model's
// prose adds words, never figures.
void ExpectFiguresFromTools(const RunTrace& t, const std::string& report) {
    std::vector<double> produced;
    for (const auto& e : t.events) {
        std::string type = JStr(e, "type");
        if (type != "tool_completed" && type != "agent_completed" && type != "run_completed") continue;
        if (JStr(e, "agent_name") == "reporting" && type == "agent_completed") continue;  // holds the report itself
        if (const auto* p = JObj(e, "payload")) CollectNumbers(*p, produced);
    }
    // Figures are rendered with cents ("$40,000.00"); "$40k/month" in the data request is an example of input.
    static const std::regex kDollars(R"(\$([0-9][0-9,]*\.[0-9]{2})(?![0-9]))");
    std::set<std::string> unmatched;
    int figures = 0;
    for (auto it = std::sregex_iterator(report.begin(), report.end(), kDollars); it != std::sregex_iterator(); ++it) {
        std::string text = (*it)[1].str();
        std::string digits;
        for (char c : text) {
            if (c != ',') digits += c;
        }
        double value = std::strtod(digits.c_str(), nullptr);
        ++figures;
        bool found = std::any_of(produced.begin(), produced.end(),
                                 [&](double x) { return std::abs(x - value) <= 0.005 + 1e-9 * std::abs(value); });
        if (!found) {
            auto at = static_cast<std::size_t>(it->position());
            unmatched.insert("$" + text + " in \"…" + report.substr(at > 60 ? at - 60 : 0, 120) + "…\"");
        }
    }
    Expect(figures > 0, "the report shows no dollar figure at all: " + report.substr(0, 300));
    std::vector<std::string> list(unmatched.begin(), unmatched.end());
    Expect(unmatched.empty(), "report figures no tool produced: " + Join(list));
}

// No rule word names a category here, so triage's rules are unsure and ask the model; the rules do not read the
// invoice either, the model does. The facts (model, volume, use case, spend) then make a partial picture: data
// helper, estimates, optimization, reporting.
constexpr const char* kUnsureMessage =
    "Our assistant runs on GPT-4o for customer support, about 2M requests per month, and last month's invoice came "
    "to 12k. What would you suggest?";

void LlmInTheLoop(StageContext& ctx) {
    FakeOpenAiServer fake;
    fake.SetResponder(HealthyModel("cost_optimization"));
    auto server = ctx.SpawnDedicated(LlmEnv(fake), "starts a server pointed at a fake OpenAI-compatible provider");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();

    auto health = LlmHealth(http);
    Expect(JStr(health, "provider") == "openai" && JStr(health, "model") == kFakeModel &&
               JStr(health, "breaker") == "closed",
           "checks.llm does not show the configured provider, model and a closed breaker: " + Quote(health));

    auto user = dedicated->NewUser("llm-loop");
    auto ws = dedicated->Connect(user);
    auto t = SendAndFollowRun(*ws, UserMessage(kUnsureMessage));
    Expect(t.terminal == "run_completed", "the run ended with '" + t.terminal + "'");
    ExpectValidSequence(t);

    // The provider was really called, as configured.
    auto requests = fake.Requests();
    Expect(!requests.empty(), "the fake provider received no request");
    for (const auto& r : requests) {
        Expect(r.target.find("/v1/chat/completions") != std::string::npos, "the provider was called at " + r.target);
        Expect(r.authorization == std::string("Bearer ") + kFakeApiKey,
               "the provider call carried Authorization '" + r.authorization + "'");
        Expect(r.body.find(std::string("\"model\":\"") + kFakeModel + "\"") != std::string::npos,
               "the provider call did not ask for the configured model: " + r.body.substr(0, 200));
    }
    int classifications = 0;
    for (const auto& r : requests) classifications += IsClassification(r) ? 1 : 0;

    // Triage: the rules were unsure, the model's category was used.
    const auto& triage = Completed(t, "triage");
    const auto* tr = JObj(triage, "result");
    Expect(tr != nullptr, "triage completed without a result");
    Expect(classifications == 1, "expected one classification call, the provider saw " +
                                     std::to_string(classifications) + " (" + std::to_string(requests.size()) +
                                     " calls in all)");
    Expect(JStr(*tr, "category") == "cost_optimization" && JStr(*tr, "classified_by") == "llm",
           "triage did not take the model's category: " + Quote(*tr));
    // The figure the message states was taken from the model; the one it does not state was not.
    const auto* facts = JObj(*tr, "entities");
    Expect(facts != nullptr, "triage's result has no entities: " + Quote(*tr));
    Expect(facts->contains("monthly_spend_usd") && facts->at("monthly_spend_usd").is_number() &&
               facts->at("monthly_spend_usd").to_number<double>() == 12000,
           "triage did not take the stated spend the model read (12k): " + Quote(*facts));
    Expect(!facts->contains("tokens_per_request") || facts->at("tokens_per_request").is_null(),
           "triage took a figure the messages never state (tokens_per_request 950): " + Quote(*facts));

    // The model's prose streamed token by token, as the provider's deltas, for the data helper and reporting;
    // the chunks concatenate to the report.
    const auto& reporting = Completed(t, "reporting");
    const auto* rr = JObj(reporting, "result");
    Expect(rr != nullptr, "reporting completed without a result");
    std::string report = JStr(*rr, "report_markdown");
    std::string chunks;
    for (const auto& c : ChunksOf(t)) chunks += c;
    Expect(chunks == report, "stream_chunk texts do not concatenate to the report markdown");
    Expect(report.find(Joined(kFakeProsePieces)) != std::string::npos, "the report does not carry the model's prose");
    Expect(StreamedPieceByPiece(ChunksOf(t, "reporting"), kFakeProsePieces),
           "reporting's stream_chunks do not carry the model's deltas one by one");
    bool helper_ran = AgentEvent(t, "agent_started", "data_helper") != nullptr;
    if (helper_ran) {
        Expect(StreamedPieceByPiece(ChunksOf(t, "data_helper"), kFakeProsePieces),
               "the data helper's stream_chunks do not carry the model's deltas one by one");
    }
    const auto* llm = JObj(*rr, "llm");
    Expect(llm && JStr(*llm, "provider") == "openai" && llm->contains("fell_back") &&
               llm->at("fell_back") == json::value(false),
           "the report's llm says " + (llm ? Quote(*llm) : std::string("nothing")) + ", expected openai, no fallback");

    // tokens_used is the provider's reported usage, one call per agent here.
    for (const char* agent : {"triage", "reporting"}) {
        const auto* md = JObj(Completed(t, agent), "metadata");
        Expect(md && md->contains("tokens_used") && md->at("tokens_used").is_number() &&
                   md->at("tokens_used").to_number<double>() == kFakeUsageTokens,
               std::string(agent) + " metadata.tokens_used is not the provider's " + std::to_string(kFakeUsageTokens) +
                   ": " + (md ? Quote(*md) : std::string("no metadata")));
    }

    ExpectFiguresFromTools(t, report);
    health = LlmHealth(http);
    Expect(JStr(health, "breaker") == "closed" && JStr(health, "status") == "up",
           "after a healthy run checks.llm is " + Quote(health));
    ctx.Note(std::to_string(requests.size()) + " provider calls (" + std::to_string(classifications) +
             " classification); " + std::to_string(ChunksOf(t).size()) + " stream_chunks; report " +
             std::to_string(report.size()) + " bytes" + (helper_ran ? "; data helper streamed too" : ""));
}

void LlmFailureFallsBackAndRecovers(StageContext& ctx) {
    FakeOpenAiServer fake;
    fake.SetResponder(FailingModel());
    constexpr int kOpenMs = 6000;  // the run skipped while open must fit in it, even on a slow server
    auto server = ctx.SpawnDedicated(
        LlmEnv(fake, {"NETRA_LLM_BREAKER_FAILURES=2", "NETRA_LLM_BREAKER_OPEN_MS=" + std::to_string(kOpenMs)}),
        "starts a server pointed at a failing fake OpenAI-compatible provider");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("llm-down");
    auto ws = dedicated->Connect(user);

    // Down: the run completes on builtin and says so, in the report and in the result.
    auto down = ExpectFellBack(*ws, "provider failed", "HTTP 500", "with the provider down");
    Expect(fake.RequestCount() > 0, "the failing provider was never called");

    // Two failed calls (data helper, narrative) open the breaker: visible with the last error.
    auto open = WaitBreaker(http, "open", std::chrono::milliseconds(kOpenMs / 2));
    Expect(!JStr(open, "last_error").empty(),
           "checks.llm shows an open breaker without its last error: " + Quote(open));
    int calls_when_open = fake.RequestCount();

    // While open, runs do not wait on the provider at all.
    auto skipped = SendAndFollowRun(*ws, UserMessage("And with 2M requests per month?", down.thread_id));
    Expect(skipped.terminal == "run_completed", "with the breaker open the run ended '" + skipped.terminal + "'");
    Expect(fake.RequestCount() == calls_when_open || JStr(LlmHealth(http), "breaker") != "open",
           "the provider was called while the breaker was open");

    // The provider comes back: after the open period one trial call goes through, succeeds, and closes it.
    fake.SetResponder(HealthyModel("cost_optimization"));
    WaitBreaker(http, "half_open", std::chrono::milliseconds(kOpenMs * 3));
    auto healed = SendAndFollowRun(*ws, UserMessage("What about caching?", down.thread_id));
    Expect(healed.terminal == "run_completed", "after recovery the run ended '" + healed.terminal + "'");
    auto closed = WaitBreaker(http, "closed", std::chrono::seconds(5));
    const auto* hr = JObj(Completed(healed, "reporting"), "result");
    const auto* hl = hr ? JObj(*hr, "llm") : nullptr;
    Expect(hl && JStr(*hl, "provider") == "openai" && hl->at("fell_back") == json::value(false),
           "after recovery the report was not written by the provider: " + (hl ? Quote(*hl) : std::string("-")));
    ctx.Note("fell back with the provider down; breaker open after " + std::to_string(calls_when_open) +
             " HTTP calls (retries included), half-open after " + std::to_string(kOpenMs) +
             " ms, closed again: " + Quote(closed, 200));
}

// The `llm` fault target (§11) acts on a deployment's runs: with every LLM call failing, the run completes on
// the builtin text and says so, and /api/health shows the injected error. A server of its own, so the breaker
// this opens never touches other tests.
void LlmFaultTarget(StageContext& ctx) {
    auto server = ctx.SpawnDedicated({}, "injects an llm fault into a server of its own");
    auto dedicated = ctx.ForServer(*server);
    FaultGuard fault(*dedicated, json::object{{"target", "llm"}, {"mode", "error"}, {"rate", 1.0}, {"duration_s", 60}});
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("llm-fault");
    auto ws = dedicated->Connect(user);
    ExpectFellBack(*ws, "injected fault: llm", "injected fault: llm", "with an llm fault");
    auto health = LlmHealth(http);
    Expect(JStr(health, "last_error").find("injected fault: llm") != std::string::npos,
           "checks.llm does not show the injected error: " + Quote(health));
    ctx.Note("checks.llm after the fault: " + Quote(health, 200));
}

}  // namespace

std::vector<TestCase> AgentLlmTests() {
    return {
        {"llm_in_the_loop", LlmInTheLoop},
        {"llm_failure_falls_back_and_recovers", LlmFailureFallsBackAndRecovers},
        {"llm_fault_target", LlmFaultTarget},
    };
}

}  // namespace netra::stage

#pragma once
// What the staging tests that put an LLM in the loop share (modules 4 and 6): the fake provider's answers, the
// settings that point a dedicated server at it, /api/health's checks.llm and the fallback a user must be told of.
#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "llm/testing/fake_openai_server.hpp"
#include "stage/http_client.hpp"
#include "stage/suite.hpp"
#include "stage/ws_client.hpp"

namespace netra::stage {

// The fake model's prose, in the pieces it streams (each one delta of the SSE stream), and its reported usage.
extern const std::vector<std::string> kFakeProsePieces;
inline constexpr int kFakeUsageTokens = 77;
inline constexpr const char* kFakeModel = "stage-fake-model";
inline constexpr const char* kFakeApiKey = "stage-fake-key";

// True for the triage classification call (it asks for JSON only).
bool IsClassification(const llm::testing::RecordedRequest& r);
// Classification calls answer `category` as JSON; prose calls stream kFakeProsePieces. Both report
// kFakeUsageTokens.
llm::testing::FakeOpenAiServer::Responder HealthyModel(const std::string& category);
// The settings that point a server at `fake` with kFakeModel and kFakeApiKey, plus `extra`.
std::vector<std::string> LlmEnv(const llm::testing::FakeOpenAiServer& fake, std::vector<std::string> extra = {});

// The first event of `type` from `agent` in the run (nullptr when none).
const boost::json::object* AgentEvent(const RunTrace& t, const std::string& type, const std::string& agent);
// The agent's agent_completed payload (fails when the agent did not complete).
const boost::json::object& Completed(const RunTrace& t, const std::string& agent);

// /api/health's checks.llm (fails when absent).
boost::json::object LlmHealth(HttpClient& http);
// Polls /api/health until checks.llm.breaker is `state` (fails after `timeout`).
boost::json::object WaitBreaker(HttpClient& http, const std::string& state, std::chrono::milliseconds timeout);
// Sends a partial-facts message and requires the run to complete on the builtin fallback: the report says so
// (`why` appears in it), the result's llm says it fell back, and reporting's metadata.llm gives the reason
// (`reason` appears in it).
RunTrace ExpectFellBack(WsClient& ws, const std::string& why, const std::string& reason, const std::string& what);

}  // namespace netra::stage

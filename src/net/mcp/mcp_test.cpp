// The MCP server's protocol rules and tools without a server: versions, batching, message classification, Accept and
// Origin, session ids, argument checking against the tools' own schemas, and the priced results against the
// analysis code they reuse.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "agents/data_access.hpp"
#include "analysis/profile.hpp"
#include "analysis/strategies.hpp"
#include "analysis/test_fixtures.hpp"
#include "net/mcp/mcp_outbound.hpp"
#include "net/mcp/mcp_protocol.hpp"
#include "net/mcp/mcp_tools.hpp"

namespace netra::net::mcp {
namespace json = boost::json;

namespace {

json::object Obj(std::string_view text) { return json::parse(text).as_object(); }

agents::DatasetView TinyView() {
    agents::DatasetView view;
    view.meta.id = "ds1";
    view.meta.user_id = "u1";
    view.meta.name = "tiny";
    view.chunks.push_back(std::make_shared<const agents::DatasetView::Chunk>(analysis::testing::TinyLog()));
    return view;
}

}  // namespace

TEST(McpProtocol, NegotiatesSupportedVersionsAndFallsBackToTheLatest) {
    EXPECT_EQ(NegotiateVersion("2025-06-18"), "2025-06-18");
    EXPECT_EQ(NegotiateVersion("2025-03-26"), "2025-03-26");
    EXPECT_EQ(NegotiateVersion("2025-11-25"), "2025-11-25");
    EXPECT_EQ(NegotiateVersion("2024-11-05"), std::string(kLatestProtocolVersion));
    EXPECT_EQ(NegotiateVersion("garbage"), std::string(kLatestProtocolVersion));
    EXPECT_TRUE(AllowsBatching("2025-03-26"));
    EXPECT_FALSE(AllowsBatching("2025-06-18"));
    EXPECT_FALSE(AllowsBatching("2025-11-25"));
}

TEST(McpProtocol, ClassifiesMessages) {
    auto request = ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":7,"method":"tools/list"})"));
    EXPECT_EQ(request.kind, Message::Kind::kRequest);
    EXPECT_EQ(request.method, "tools/list");
    EXPECT_EQ(request.id, json::value(7));
    auto note = ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"));
    EXPECT_EQ(note.kind, Message::Kind::kNotification);
    auto response = ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":"a","result":{"action":"accept"}})"));
    EXPECT_EQ(response.kind, Message::Kind::kResponse);
    EXPECT_EQ(response.response.at("result").at("action"), "accept");  // kept whole for the call awaiting it
    EXPECT_EQ(ClassifyMessage(json::parse(R"({"id":1,"method":"ping"})")).kind, Message::Kind::kInvalid);
    EXPECT_EQ(ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})")).kind,
              Message::Kind::kInvalid);
    auto bad_params = ClassifyMessage(json::parse(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":[1]})"));
    EXPECT_EQ(bad_params.kind, Message::Kind::kInvalid);
    EXPECT_EQ(bad_params.id, json::value(1));  // kept: the error answer carries it
}

TEST(McpProtocol, ParsesBodies) {
    auto single = ParseBody(R"({"jsonrpc":"2.0","id":1,"method":"ping"})", 64);
    ASSERT_TRUE(single.ok());
    EXPECT_FALSE(single->batch);
    auto batch = ParseBody(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"x"}])", 64);
    ASSERT_TRUE(batch.ok());
    EXPECT_TRUE(batch->batch);
    EXPECT_EQ(batch->messages.size(), 2u);
    EXPECT_FALSE(ParseBody("", 64).ok());
    EXPECT_FALSE(ParseBody("[]", 64).ok());
    EXPECT_FALSE(ParseBody("{not json", 64).ok());
    EXPECT_FALSE(ParseBody("42", 64).ok());
    EXPECT_EQ(ParseBody("{not json", 64).error().code, core::ErrorCode::kInvalidRequest);
}

TEST(McpProtocol, AnswersJsonUnlessOnlyEventStreamsAreAccepted) {
    EXPECT_FALSE(WantsEventStream("application/json, text/event-stream"));
    EXPECT_FALSE(WantsEventStream(""));
    EXPECT_FALSE(WantsEventStream("*/*"));
    EXPECT_TRUE(WantsEventStream("text/event-stream"));
    EXPECT_TRUE(WantsEventStream("text/event-stream, application/json;q=0"));
    EXPECT_EQ(SseMessage(json::parse(R"({"a":1})")), "event: message\ndata: {\"a\":1}\n\n");
}

TEST(McpProtocol, AllowsNoOriginLoopbackAndListedOrigins) {
    const std::vector<std::string> none;
    EXPECT_TRUE(OriginAllowed("", none));
    EXPECT_TRUE(OriginAllowed("http://localhost:6274", none));
    EXPECT_TRUE(OriginAllowed("http://127.0.0.1", none));
    EXPECT_TRUE(OriginAllowed("http://[::1]:8080", none));
    EXPECT_FALSE(OriginAllowed("http://evil.example.com", none));
    EXPECT_FALSE(OriginAllowed("http://localhost.evil.example.com", none));
    EXPECT_FALSE(OriginAllowed("http://127.0.0.1.nip.io", none));
    EXPECT_FALSE(OriginAllowed("null", none));
    EXPECT_TRUE(OriginAllowed("https://app.example.com", {"https://app.example.com"}));
}

TEST(McpProtocol, SessionIdsAreBoundToTheirUserAndExpire) {
    SessionCodec codec("a-jwt-secret-of-enough-length-for-tests");
    const std::int64_t now = 1'750'000'000;
    std::string id = codec.Issue("alice", "2025-06-18", ClientCapabilities{true, false}, now);
    for (char c : id) EXPECT_TRUE(c >= 0x21 && c <= 0x7e) << id;  // visible ASCII (the transport's rule)
    auto session = codec.Verify(id, "alice", now + 10);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->protocol_version, "2025-06-18");
    EXPECT_TRUE(session->client.sampling);
    EXPECT_FALSE(session->client.elicitation);
    EXPECT_FALSE(codec.Verify(id, "bob", now));                             // another user's
    EXPECT_FALSE(codec.Verify(id, "alice", now + 25 * 3600));               // expired
    EXPECT_FALSE(SessionCodec("another-secret").Verify(id, "alice", now));  // another deployment's
    std::string forged = id;
    forged[0] = forged[0] == '2' ? '3' : '2';
    EXPECT_FALSE(codec.Verify(forged, "alice", now));
    EXPECT_FALSE(codec.Verify("garbage", "alice", now));
    EXPECT_NE(codec.Issue("alice", "2025-06-18", ClientCapabilities{true, false}, now), id);  // a nonce each
    std::string claimed = id;  // a client cannot grant itself capabilities afterwards: they are signed
    claimed.replace(claimed.find(".s."), 3, ".se.");
    EXPECT_FALSE(codec.Verify(claimed, "alice", now));

    SessionRegistry ended(2);
    EXPECT_FALSE(ended.Ended(id, now));
    ended.End(*session);
    EXPECT_TRUE(ended.Ended(id, now));
}

TEST(McpOutbound, ResponsesReachTheRequestOfTheirSessionOnly) {
    boost::asio::io_context io;
    PendingRequests pending;
    auto [id, waiter] = pending.Open("session-a", io.get_executor());
    int woken = 0;
    waiter->wake = [&woken] { ++woken; };
    json::object answer{{"jsonrpc", "2.0"}, {"id", id}, {"result", json::object{{"action", "accept"}}}};
    EXPECT_FALSE(pending.Resolve("session-b", json::value(id), answer));  // another session's id
    EXPECT_FALSE(pending.Resolve("session-a", json::value(42), answer));  // not an id Netra issued
    EXPECT_TRUE(pending.Resolve("session-a", json::value(id), answer));
    EXPECT_FALSE(pending.Resolve("session-a", json::value(id), answer));  // answered once
    EXPECT_EQ(pending.Size(), 0u);
    EXPECT_FALSE(waiter->response);  // delivered on the requester's executor, not the caller's thread
    io.run();
    ASSERT_TRUE(waiter->response);
    EXPECT_EQ(waiter->response->at("result").at("action"), "accept");
    EXPECT_EQ(woken, 1);
    auto [second, unused] = pending.Open("session-a", io.get_executor());
    EXPECT_NE(second, id);
    pending.Close("session-a", second);
    EXPECT_EQ(pending.Size(), 0u);
}

TEST(McpProtocol, ClientCapabilitiesAndLogLevels) {
    auto caps = ReadClientCapabilities(boost::json::parse(R"({"capabilities":{"elicitation":{}}})").as_object());
    EXPECT_FALSE(caps.sampling);
    EXPECT_TRUE(caps.elicitation);
    EXPECT_FALSE(ReadClientCapabilities(boost::json::object{}).elicitation);
    EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarning);
    EXPECT_EQ(ParseLogLevel("warn"), std::nullopt);  // MCP's names, not spdlog's
    EXPECT_EQ(Name(LogLevel::kEmergency), "emergency");

    SessionPreferences prefs(2);
    EXPECT_EQ(prefs.LogLevelOf("a"), kDefaultLogLevel);
    prefs.SetLogLevel("a", LogLevel::kError);
    prefs.Subscribe("b", "netra://datasets/x");
    EXPECT_EQ(prefs.LogLevelOf("a"), LogLevel::kError);
    EXPECT_TRUE(prefs.Subscribed("b", "netra://datasets/x"));
    prefs.SetLogLevel("c", LogLevel::kDebug);  // over capacity: "a", set least recently, is forgotten
    EXPECT_EQ(prefs.LogLevelOf("a"), kDefaultLogLevel);
    EXPECT_TRUE(prefs.Subscribed("b", "netra://datasets/x"));
    prefs.Unsubscribe("b", "netra://datasets/x");
    EXPECT_FALSE(prefs.Subscribed("b", "netra://datasets/x"));
}

TEST(McpTools, EveryToolHasSchemasAndSnakeCaseName) {
    auto list = ToolsListJson();
    ASSERT_EQ(list.size(), 5u);
    for (const auto& t : list) {
        const auto& o = t.as_object();
        const std::string name(o.at("name").as_string());
        for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
        EXPECT_EQ(o.at("inputSchema").at("type"), "object") << name;
        EXPECT_EQ(o.at("outputSchema").at("type"), "object") << name;
        EXPECT_FALSE(o.at("description").as_string().empty()) << name;
    }
    EXPECT_EQ(ToolNames(), (std::vector<std::string>{"list_datasets", "profile_dataset", "estimate_savings",
                                                     "price_workload", "run_optimization"}));
    EXPECT_EQ(FindTool("nope"), nullptr);
}

TEST(McpTools, ValidatesArgumentsAgainstTheSchema) {
    const auto& schema = FindTool("price_workload")->input_schema;
    EXPECT_TRUE(ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":10,"output_tokens":5})")).ok());
    auto missing = ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":10})"));
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("output_tokens"), std::string::npos);
    auto wrong_type = ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":"10","output_tokens":5})"));
    ASSERT_FALSE(wrong_type.ok());
    EXPECT_NE(wrong_type.error().message.find("input_tokens must be an integer"), std::string::npos);
    EXPECT_FALSE(ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":1.5,"output_tokens":5})")).ok());
    EXPECT_FALSE(ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":-1,"output_tokens":5})")).ok());
    EXPECT_FALSE(ValidateArguments(schema, Obj(R"({"model":"","input_tokens":1,"output_tokens":5})")).ok());
    auto unknown = ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":1,"output_tokens":5,"x":1})"));
    ASSERT_FALSE(unknown.ok());
    EXPECT_NE(unknown.error().message.find("unknown argument x"), std::string::npos);
    EXPECT_TRUE(ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":2.0,"output_tokens":5})")).ok());
    EXPECT_FALSE(
        ValidateArguments(schema, Obj(R"({"model":"big","input_tokens":1,"output_tokens":5,"batch":1})")).ok());
}

TEST(McpTools, PricesAWorkloadWithTheCatalog) {
    const auto& catalog = analysis::testing::TinyCatalog();
    PriceWorkloadArgs a;
    a.model = "big";
    a.input_tokens = 1000;
    a.cached_tokens = 400;
    a.output_tokens = 200;
    a.requests_per_month = 1000;
    auto priced = PriceWorkload(catalog, a);
    ASSERT_TRUE(priced.ok());
    // (600 × $10 + 400 × $1 + 200 × $30) / 1e6 per request.
    const double per_request = (600 * 10.0 + 400 * 1.0 + 200 * 30.0) / 1e6;
    EXPECT_DOUBLE_EQ(priced->at("per_request_usd").as_double(), per_request);
    EXPECT_DOUBLE_EQ(priced->at("monthly_usd").as_double(), per_request * 1000);
    EXPECT_EQ(priced->at("model").at("tier"), "frontier");
    EXPECT_EQ(priced->at("catalog_as_of"), "2025-01-01");
    a.batch = true;
    EXPECT_DOUBLE_EQ(PriceWorkload(catalog, a)->at("per_request_usd").as_double(), per_request * 0.5);

    PriceWorkloadArgs unknown;
    unknown.model = "no-such-model";
    EXPECT_EQ(PriceWorkload(catalog, unknown).error().code, core::ErrorCode::kNotFound);
    PriceWorkloadArgs inconsistent;
    inconsistent.model = "big";
    inconsistent.input_tokens = 10;
    inconsistent.cached_tokens = 11;
    EXPECT_EQ(PriceWorkload(catalog, inconsistent).error().code, core::ErrorCode::kValidationFailed);
}

TEST(McpTools, OffersCheaperCurrentModelsOfTheSameTier) {
    const auto& catalog = analysis::BundledCatalog();
    PriceWorkloadArgs a;
    a.model = "gpt-4o";
    a.input_tokens = 2000;
    a.output_tokens = 500;
    a.requests_per_month = 100000;
    auto priced = PriceWorkload(catalog, a);
    ASSERT_TRUE(priced.ok());
    const double own = priced->at("per_request_usd").as_double();
    const auto& tier = priced->at("model").at("tier");
    double previous = 0;
    for (const auto& alt : priced->at("alternatives").as_array()) {
        const double cost = alt.at("per_request_usd").as_double();
        EXPECT_LT(cost, own);
        EXPECT_GE(cost, previous);
        EXPECT_EQ(alt.at("tier"), tier);
        previous = cost;
    }
    EXPECT_LE(priced->at("alternatives").as_array().size(), 5u);
}

TEST(McpTools, EstimatesSavingsExactlyAsTheOptimizationAgentPricesThem) {
    const auto& catalog = analysis::testing::TinyCatalog();
    auto view = TinyView();
    json::object got = EstimateSavings(view, catalog, SavingsArgs{"ds1", std::nullopt});
    const auto records = view.Records();
    const auto profile = analysis::ProfileUsage(records, catalog);
    const auto expected = analysis::PriceStrategies(records, profile, catalog, {});
    EXPECT_EQ(got.at("combined").at("savings_usd").as_double(), expected.combined.savings_usd);
    EXPECT_EQ(got.at("combined").at("current_monthly_usd").as_double(), expected.combined.current_monthly_usd);
    EXPECT_EQ(got.at("strategies").as_array().size(), expected.strategies.size());
    EXPECT_EQ(got.at("monthly_cost_usd").as_double(), profile.monthly_cost_usd);
    EXPECT_EQ(got.at("dataset_id"), "ds1");
    EXPECT_FALSE(got.at("plan").as_array().empty());
}

TEST(McpTools, ShapesResults) {
    json::object ok = ToolSuccess(Obj(R"({"a":1})"), {"# Report"});
    ASSERT_EQ(ok.at("content").as_array().size(), 2u);
    EXPECT_EQ(ok.at("content").at(0).at("text"), "# Report");
    EXPECT_EQ(ok.at("content").at(1).at("text"), "{\"a\":1}");
    EXPECT_EQ(ok.at("structuredContent").at("a"), 1);
    EXPECT_FALSE(ok.contains("isError"));
    json::object failed = ToolFailure("dataset 'x' not found");
    EXPECT_EQ(failed.at("isError"), true);
    EXPECT_EQ(failed.at("content").at(0).at("type"), "text");

    json::array datasets{
        Obj(R"({"id":"d","name":"n","rows":3,"created_at":"t","profile":{"monthly_cost_usd":9.5,"days_covered":2}})")};
    json::object listed = ListDatasetsResult(datasets, nullptr);
    const auto& d = listed.at("datasets").at(0).as_object();
    EXPECT_FALSE(d.contains("profile"));
    EXPECT_EQ(d.at("monthly_cost_usd").as_double(), 9.5);
    EXPECT_TRUE(listed.at("next_cursor").is_null());

    json::object profiled = ProfileResult(Obj(R"({"id":"d","name":"n","rows":3,"profile":{"rows":3}})"));
    EXPECT_EQ(profiled.at("profile").at("rows"), 3);
    EXPECT_FALSE(profiled.at("dataset").as_object().contains("profile"));

    json::object run = RunOptimizationResult("r", "t", "completed", "# R",
                                             Obj(R"({"savings_usd":5,"current_monthly_usd":10,"strategies":[]})"));
    EXPECT_EQ(run.at("savings_usd"), 5);
    EXPECT_TRUE(run.at("strategies").is_array());
    EXPECT_FALSE(run.contains("projected_monthly_usd"));
}

TEST(McpTools, RunWaitIsBounded) {
    EXPECT_EQ(ReadRunOptimization(Obj(R"({"question":"q"})")).timeout, std::chrono::seconds(120));
    EXPECT_EQ(ReadRunOptimization(Obj(R"({"question":"q","timeout_s":5})")).timeout, std::chrono::seconds(5));
}

}  // namespace netra::net::mcp

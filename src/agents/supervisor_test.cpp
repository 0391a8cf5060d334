#include "agents/supervisor.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <map>

#include "agents/offline.hpp"
#include "agents/registry.hpp"
#include "llm/builtin_provider.hpp"

namespace netra::agents {
namespace json = boost::json;

namespace {

struct Event {
    std::string type;
    std::string agent;
    json::object payload;
};

class FakeSink : public EventSink {
  public:
    boost::asio::awaitable<core::Status> Emit(domain::EventType type, std::string agent,
                                              json::object payload) override {
        if (cancel_after_ >= 0 && static_cast<int>(events.size()) >= cancel_after_) {
            co_return core::MakeError(core::ErrorCode::kCancelled, "run cancelled");
        }
        events.push_back(Event{std::string(domain::Name(type)), std::move(agent), std::move(payload)});
        co_return core::Ok();
    }
    core::Status CheckContinue() override { return core::Ok(); }
    boost::asio::awaitable<core::Status> BeforeTool(std::string tool) override {
        if (tool == failing_tool_) co_return core::MakeError(core::ErrorCode::kInternal, "injected fault");
        co_return core::Ok();
    }

    std::vector<Event> events;
    std::string failing_tool_;
    int cancel_after_ = -1;
};

class NoDataAccess : public DataAccess {
  public:
    core::Result<std::optional<DatasetView>> LoadDataset(const std::string&, const std::string&) override {
        return std::optional<DatasetView>{};
    }
};

class MapDataAccess : public DataAccess {
  public:
    core::Result<std::optional<DatasetView>> LoadDataset(const std::string& user_id,
                                                         const std::string& dataset_id) override {
        auto it = datasets.find(dataset_id);
        if (it == datasets.end() || it->second.meta.user_id != user_id) return std::optional<DatasetView>{};
        return std::optional<DatasetView>(it->second);
    }
    std::map<std::string, DatasetView> datasets;
};

RunInput Input(const std::vector<std::string>& messages) {
    RunInput in;
    in.run_id = "r1";
    in.thread_id = "t1";
    in.user_id = "u1";
    in.request = messages.back();
    in.thread_user_messages = messages;
    return in;
}

// Checks the §6 rules and returns the agents in the order they ran.
std::vector<std::string> CheckSequence(const std::vector<Event>& events) {
    std::vector<std::string> agents;
    std::string current;
    bool thought = false;
    bool tool_open = false;
    for (const auto& e : events) {
        if (e.type == "agent_started") {
            EXPECT_TRUE(current.empty()) << "agent " << e.agent << " started inside " << current;
            current = e.agent;
            thought = false;
            agents.push_back(e.agent);
            continue;
        }
        EXPECT_EQ(e.agent, current) << e.type;
        if (e.type == "agent_thinking") {
            thought = true;
        } else if (e.type == "tool_executing") {
            EXPECT_TRUE(thought) << "tool before the first thought in " << current;
            EXPECT_FALSE(tool_open);
            tool_open = true;
        } else if (e.type == "tool_completed") {
            EXPECT_TRUE(tool_open);
            tool_open = false;
            EXPECT_TRUE(e.payload.contains("result"));
        } else if (e.type == "agent_completed" || e.type == "agent_failed") {
            EXPECT_TRUE(thought);
            EXPECT_FALSE(tool_open);
            current.clear();
        } else {
            EXPECT_EQ(e.type, "stream_chunk");
        }
    }
    EXPECT_TRUE(current.empty());
    return agents;
}

const json::object& Completed(const std::vector<Event>& events, const std::string& agent) {
    for (const auto& e : events) {
        if (e.type == "agent_completed" && e.agent == agent) return e.payload.at("result").as_object();
    }
    static const json::object kEmpty;
    ADD_FAILURE() << "no agent_completed for " << agent;
    return kEmpty;
}

std::string Streamed(const std::vector<Event>& events) {
    std::string text;
    std::int64_t index = 0;
    for (const auto& e : events) {
        if (e.type != "stream_chunk") continue;
        EXPECT_EQ(e.payload.at("index").to_number<std::int64_t>(), index++);
        text += e.payload.at("text").as_string();
    }
    return text;
}

double Num(const json::value& v) { return v.to_number<double>(); }

// Runs the pipeline with the bundled catalog and the builtin provider, as a default server does, to its end.
struct BuiltinSupervisor {
    core::Result<RunOutput> Execute(RunInput input, EventSink& sink, DataAccess& data) const {
        static llm::BuiltinProvider provider;
        static boost::asio::thread_pool compute(2), blocking(1);
        static Supervisor supervisor(analysis::BundledCatalog(), provider, Pools{compute, blocking});
        return ExecuteBlocking(supervisor, std::move(input), sink, data);
    }
};
BuiltinSupervisor Builtin() { return {}; }
NoDataAccess kNoData;

}  // namespace

TEST(Supervisor, VagueRequestAsksForData) {
    FakeSink sink;
    auto out = Builtin().Execute(Input({"Help me reduce my AI costs"}), sink, kNoData);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(CheckSequence(sink.events), (std::vector<std::string>{"triage", "data_helper", "reporting"}));
    EXPECT_EQ(Completed(sink.events, "triage").at("data_sufficiency").as_string(), "insufficient");
    const auto& request = Completed(sink.events, "data_helper").at("data_request").as_object();
    for (const char* key : {"categories", "missing_facts", "instructions", "accepted_formats", "example"}) {
        EXPECT_TRUE(request.contains(key)) << key;
    }
    EXPECT_EQ(request.at("missing_facts").as_array().size(), 6u);
    EXPECT_EQ(out->result.at("report_type").as_string(), "guidance");
    EXPECT_FALSE(out->result.contains("savings_usd"));  // no invented numbers
    EXPECT_EQ(Streamed(sink.events), out->report_markdown);
    EXPECT_EQ(Completed(sink.events, "reporting").at("report_markdown").as_string(), out->report_markdown);
}

TEST(Supervisor, DataRequestAsksOnlyForWhatIsMissing) {
    FakeSink sink;
    auto out = Builtin().Execute(Input({"We spend $40k/month on GPT-4o for customer support"}), sink, kNoData);
    ASSERT_TRUE(out.ok());
    const auto& request = Completed(sink.events, "data_helper").at("data_request").as_object();
    std::string all = json::serialize(request.at("categories"));
    EXPECT_EQ(all.find("Monthly LLM spend"), std::string::npos);
    EXPECT_EQ(all.find("Models and providers in use"), std::string::npos);
    EXPECT_NE(all.find("Request volume"), std::string::npos);
}

TEST(Supervisor, SpecExampleTakesThePartialPathWithEstimates) {
    FakeSink sink;
    auto out = Builtin().Execute(Input({"We spend $40k/month on GPT-4o for customer support, 2M requests per month"}),
                                 sink, kNoData);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(CheckSequence(sink.events),
              (std::vector<std::string>{"triage", "data_helper", "data", "optimization", "reporting"}));
    EXPECT_TRUE(Completed(sink.events, "data").at("estimated").as_bool());
    EXPECT_TRUE(out->result.at("estimated").as_bool());
    EXPECT_EQ(out->result.at("report_type").as_string(), "partial");
    // Independent computation: 10% duplicates; 40% of spend moved from gpt-4o (blended $4.375/Mtok) to
    // gpt-4o-mini ($0.2625/Mtok); 30% of the input spend (1.875/4.375 of the total) cached at half price.
    double s1 = 4000, s2 = 16000 * (1 - 0.2625 / 4.375), s3 = 40000 * (1.875 / 4.375) * 0.3 * 0.5;
    double projected = 40000 * (1 - s1 / 40000) * (1 - s2 / 40000) * (1 - s3 / 40000);
    EXPECT_NEAR(Num(out->result.at("projected_monthly_usd")), projected, 1e-6);
    EXPECT_NEAR(Num(out->result.at("savings_usd")), 40000 - projected, 1e-6);
    EXPECT_NE(out->report_markdown.find("(estimated)"), std::string::npos);
    EXPECT_NE(out->report_markdown.find("ESTIMATE"), std::string::npos);
    EXPECT_EQ(Streamed(sink.events), out->report_markdown);
}

TEST(Supervisor, StartAgentRunsTheNamedAgentWithWhatItNeeds) {
    // The partial path would run the data helper; a client that asks for the optimization agent gets it and
    // what it needs before it, then the report.
    FakeSink sink;
    RunInput in = Input({"We spend $40k/month on GPT-4o for customer support, 2M requests per month"});
    in.agent = "optimization";
    auto out = Builtin().Execute(in, sink, kNoData);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(CheckSequence(sink.events), (std::vector<std::string>{"triage", "data", "optimization", "reporting"}));
    EXPECT_TRUE(out->result.contains("savings_usd"));

    FakeSink triage_only;
    in.agent = "triage";
    ASSERT_TRUE(Builtin().Execute(in, triage_only, kNoData).ok());
    EXPECT_EQ(CheckSequence(triage_only.events), (std::vector<std::string>{"triage", "reporting"}));
}

TEST(Supervisor, GeneralQuestionGoesStraightToReporting) {
    FakeSink sink;
    auto out = Builtin().Execute(Input({"hello, what can you do?"}), sink, kNoData);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(CheckSequence(sink.events), (std::vector<std::string>{"triage", "reporting"}));
    EXPECT_EQ(out->result.at("report_type").as_string(), "answer");
}

namespace {

// Ten gpt-4o calls over exactly one day: prompts "p0" three times (two duplicates), two batchable calls.
DatasetView TestDataset() {
    DatasetView d;
    d.meta.id = "d1";
    d.meta.user_id = "u1";
    d.meta.name = "usage.csv";
    const core::Millis t0 = 1'735'689'600'000;
    DatasetView::Chunk records;
    for (int i = 0; i < 10; ++i) {
        domain::UsageRecord r;
        r.ts = t0 + i * 9'600'000;  // the last one 86,400,000 ms after the first
        r.model = "gpt-4o";
        r.provider = "openai";
        r.input_tokens = 3000 + 100 * i;
        r.output_tokens = 400;
        r.cost_usd = 0.01 * (i + 1);
        r.prompt_hash = i < 3 ? "p0" : "p" + std::to_string(i);
        r.batchable = i >= 8;
        records.push_back(r);
    }
    d.chunks.push_back(std::make_shared<const DatasetView::Chunk>(std::move(records)));
    return d;
}

}  // namespace

TEST(Supervisor, DatasetTakesTheFullPathWithTotalsFromTheData) {
    FakeSink sink;
    MapDataAccess data;
    data.datasets["d1"] = TestDataset();
    RunInput in = Input({"Where can we cut our LLM costs?"});
    in.dataset_ids = {"gone", "d1"};  // newest last: d1 is tried first
    auto out = Builtin().Execute(in, sink, data);
    ASSERT_TRUE(out.ok()) << out.error().message;
    EXPECT_EQ(CheckSequence(sink.events),
              (std::vector<std::string>{"triage", "data", "optimization", "actions", "reporting"}));
    EXPECT_EQ(out->result.at("report_type").as_string(), "full");
    EXPECT_EQ(out->result.at("dataset_id").as_string(), "d1");

    // Independent computation from the records.
    double total = 0;
    for (const auto& r : data.datasets["d1"].Records()) total += *r.cost_usd;
    double monthly = total * 30 / 1.0;
    EXPECT_NEAR(Num(out->result.at("total_cost_usd")), total, 1e-12);
    EXPECT_NEAR(Num(out->result.at("current_monthly_usd")), monthly, 1e-9);
    // Response caching: group p0 = 0.01 + 0.02 + 0.03, pays one third of it.
    double caching = 0.06 * 2.0 / 3.0 * 30;
    // Batch: calls 9 and 10 (0.09 + 0.10) at 50% off.
    double batch = 0.19 * 0.5 * 30;
    // Compression: calls with more than 4000 input tokens (none: max 3900) → not applicable; right-sizing: no
    // short calls (3000+ tokens in) → not applicable.
    std::map<std::string, double> savings;
    for (const auto& s : out->result.at("strategies").as_array()) {
        savings[std::string(s.at("type").as_string())] = Num(s.at("savings_usd"));
    }
    ASSERT_EQ(savings.size(), 2u);  // response caching and batch; prompt caching needs prefix_hash
    EXPECT_NEAR(savings["response_caching"], caching, 1e-9);
    EXPECT_NEAR(savings["batch_api"], batch, 1e-9);
    EXPECT_TRUE(savings.count("prompt_compression") == 0);
    double projected = monthly;
    for (const auto& s : out->result.at("strategies").as_array()) projected *= 1 - Num(s.at("savings_usd")) / monthly;
    EXPECT_NEAR(Num(out->result.at("projected_monthly_usd")), projected, 1e-9);
    EXPECT_EQ(Streamed(sink.events), out->report_markdown);
    EXPECT_NE(out->report_markdown.find("## Action plan"), std::string::npos);
    EXPECT_NE(out->report_markdown.find("## Assumptions"), std::string::npos);
}

TEST(Supervisor, ToolFaultFailsTheAgentAndDegradesTheReport) {
    FakeSink sink;
    sink.failing_tool_ = "profile_dataset";
    MapDataAccess data;
    data.datasets["d1"] = TestDataset();
    RunInput in = Input({"Where can we cut our LLM costs?"});
    in.dataset_id = "d1";
    auto out = Builtin().Execute(in, sink, data);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(CheckSequence(sink.events), (std::vector<std::string>{"triage", "data", "reporting"}));
    bool failed = false;
    for (const auto& e : sink.events) {
        if (e.type == "tool_completed" && e.payload.at("tool").as_string() == "profile_dataset") {
            EXPECT_FALSE(e.payload.at("success").as_bool());
        }
        if (e.type == "agent_failed") {
            failed = true;
            EXPECT_EQ(e.agent, "data");
            EXPECT_TRUE(e.payload.at("recoverable").as_bool());
        }
    }
    EXPECT_TRUE(failed);
    EXPECT_EQ(out->result.at("report_type").as_string(), "partial");
    EXPECT_NE(out->report_markdown.find("profile_dataset step failed"), std::string::npos);
}

TEST(Supervisor, ReportingSurvivesARendererFault) {
    FakeSink sink;
    sink.failing_tool_ = "render_report";
    auto out = Builtin().Execute(Input({"Help me reduce my AI costs"}), sink, kNoData);
    ASSERT_TRUE(out.ok());
    EXPECT_FALSE(out->report_markdown.empty());
    EXPECT_EQ(Streamed(sink.events), out->report_markdown);
    EXPECT_EQ(sink.events.back().type, "agent_completed");
}

TEST(Supervisor, CancellationEndsTheRun) {
    FakeSink sink;
    sink.cancel_after_ = 5;
    auto out = Builtin().Execute(Input({"Help me reduce my AI costs"}), sink, kNoData);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.error().code, core::ErrorCode::kCancelled);
    EXPECT_EQ(sink.events.size(), 5u);
}

TEST(Supervisor, RegistryListsEveryAgentThatEmitsEventsAndItsTools) {
    FakeSink sink;
    MapDataAccess data;
    data.datasets["d1"] = TestDataset();
    RunInput in = Input({"Where can we cut our LLM costs? p95 under 800 ms"});
    in.dataset_id = "d1";
    ASSERT_TRUE(Builtin().Execute(in, sink, data).ok());
    for (const auto& e : sink.events) {
        if (e.type != "tool_executing") continue;
        bool listed = false;
        if (const Agent* a = AgentRegistry::Get().Find(e.agent)) {
            for (const auto& t : a->Tools()) listed = listed || t.name == e.payload.at("tool").as_string();
        }
        EXPECT_TRUE(listed) << e.agent << " " << e.payload.at("tool").as_string();
    }
}

TEST(Offline, AnalyzeEqualsTheServerPipeline) {
    const std::string csv(
        "timestamp,model,input_tokens,output_tokens,prompt_hash,batchable\n"
        "2025-01-02T00:00:00Z,gpt-4o,1000,100,a,false\n"
        "2025-01-01T00:00:00Z,gpt-4o,1000,100,a,true\n"
        "bad,gpt-4o,1,1,b,false\n");
    llm::BuiltinProvider builtin;
    auto a = AnalyzeUsageLog(csv, analysis::FormatRequest{analysis::Format::kCsv, {}}, "usage.csv",
                             analysis::BundledCatalog(), builtin);
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->ingest.rows, 2);
    EXPECT_EQ(a->ingest.rejected_rows, 1);
    double cost = (1000 * 2.5 + 100 * 10.0) / 1e6;
    EXPECT_NEAR(Num(a->output.result.at("total_cost_usd")), 2 * cost, 1e-12);
    EXPECT_NEAR(Num(a->output.result.at("current_monthly_usd")), 2 * cost * 30, 1e-9);
    auto j = OfflineToJson(*a);
    EXPECT_EQ(j.at("ingest").at("errors").as_array().size(), 1u);
    EXPECT_EQ(j.at("report_markdown").as_string(), a->output.report_markdown);
}

}  // namespace netra::agents

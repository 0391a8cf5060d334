#include "agents/offline.hpp"

#include <algorithm>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <thread>

#include "agents/supervisor.hpp"
#include "analysis/parallel_ingest.hpp"

namespace netra::agents {
namespace json = boost::json;

namespace {

class RecordingSink : public EventSink {
  public:
    explicit RecordingSink(std::vector<RecordedEvent>& events) : events_(events) {}
    boost::asio::awaitable<core::Status> Emit(domain::EventType type, std::string agent_name,
                                              json::object payload) override {
        events_.push_back(RecordedEvent{std::string(domain::Name(type)), std::move(agent_name), std::move(payload)});
        co_return core::Ok();
    }
    core::Status CheckContinue() override { return core::Ok(); }

  private:
    std::vector<RecordedEvent>& events_;
};

// One in-memory dataset, handed over once (no copy of the records).
class MemoryDataAccess : public DataAccess {
  public:
    explicit MemoryDataAccess(DatasetView view) : view_(std::move(view)) {}
    core::Result<std::optional<DatasetView>> LoadDataset(const std::string& user_id,
                                                         const std::string& dataset_id) override {
        if (taken_ || user_id != view_.meta.user_id || dataset_id != view_.meta.id) {
            return std::optional<DatasetView>{};
        }
        taken_ = true;
        return std::optional<DatasetView>(std::move(view_));
    }

  private:
    DatasetView view_;
    bool taken_ = false;
};

}  // namespace

core::Result<OfflineAnalysis> AnalyzeUsageLog(std::string_view usage, analysis::FormatRequest format,
                                              const std::string& name, const analysis::Catalog& catalog,
                                              llm::Provider& llm, const std::string& request) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    auto ingested = analysis::IngestWhole(usage, format, catalog, cores);
    if (!ingested.ok()) return ingested.error();

    OfflineAnalysis out;
    out.ingest = std::move(ingested->summary);
    DatasetView view;
    view.meta.id = "offline";
    view.meta.user_id = "offline";
    view.meta.name = name;
    view.meta.format = std::string(analysis::FormatName(out.ingest.syntax));
    view.meta.source_format = std::string(analysis::SourceName(out.ingest.source));
    view.meta.grain = out.ingest.grain == analysis::Grain::kAggregate ? "aggregate" : "request";
    view.meta.rows = out.ingest.rows;
    view.meta.rejected_rows = out.ingest.rejected_rows;
    view.meta.columns = out.ingest.columns;
    // Storage returns records by (timestamp, insertion order): sort the same way so sums match the server's.
    analysis::OrderByTime(ingested->parts);
    for (auto& part : ingested->parts)
        view.chunks.push_back(std::make_shared<const DatasetView::Chunk>(std::move(part)));
    out.records = view.chunks;
    MemoryDataAccess data(std::move(view));

    RunInput input;
    input.run_id = "offline";
    input.thread_id = "offline";
    input.user_id = "offline";
    input.request = request;
    input.thread_user_messages = {request};
    input.dataset_id = "offline";
    input.dataset_ids = {"offline"};
    RecordingSink sink(out.events);
    // The analysis runs on a pool as wide as the machine; the dataset is in memory, so nothing blocks.
    boost::asio::thread_pool compute(cores);
    boost::asio::thread_pool blocking(1);
    Supervisor supervisor(catalog, llm, Pools{compute, blocking});
    auto result = ExecuteBlocking(supervisor, std::move(input), sink, data);
    compute.join();
    blocking.join();
    if (!result.ok()) return result.error();
    out.output = std::move(result.value());
    return out;
}

json::object OfflineToJson(const OfflineAnalysis& a) {
    json::array errors, warnings, columns;
    for (const auto& e : a.ingest.errors) errors.push_back(json::object{{"line", e.line}, {"message", e.message}});
    for (const auto& w : a.ingest.warnings) warnings.emplace_back(w);
    for (const auto& c : a.ingest.columns) columns.emplace_back(c);
    json::object profile;
    json::object plan;
    for (const auto& e : a.events) {
        if (e.type != "agent_completed") continue;
        const auto& result = e.payload.at("result").as_object();
        if (e.agent_name == "data" && result.contains("profile")) profile = result.at("profile").as_object();
        if (e.agent_name == "actions" && result.contains("plan")) plan = json::object{{"plan", result.at("plan")}};
    }
    json::object out{
        {"ingest", json::object{{"format", analysis::FormatName(a.ingest.syntax)},
                                {"source_format", analysis::SourceName(a.ingest.source)},
                                {"grain", a.ingest.grain == analysis::Grain::kAggregate ? "aggregate" : "request"},
                                {"skipped_records", a.ingest.skipped_records},
                                {"rows", a.ingest.rows},
                                {"rejected_rows", a.ingest.rejected_rows},
                                {"columns", std::move(columns)},
                                {"errors", std::move(errors)},
                                {"warnings", std::move(warnings)}}},
        {"result", a.output.result},
        {"profile", std::move(profile)},
        {"report_markdown", a.output.report_markdown}};
    if (!plan.empty()) out["plan"] = plan["plan"];
    return out;
}

}  // namespace netra::agents

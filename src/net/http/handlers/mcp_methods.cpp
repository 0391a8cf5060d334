#include "net/http/handlers/mcp_methods.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include "core/json_util.hpp"
#include "core/offload.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/run_event_stream.hpp"
#include "net/mcp/mcp_conformance_fixtures.hpp"
#include "net/mcp/mcp_resources.hpp"
#include "net/mcp/mcp_tools.hpp"

namespace netra::net::http::mcp_server {
namespace json = boost::json;
namespace asio = boost::asio;
using core::ErrorCode;
using core::MakeError;

mcp::SessionRegistry& EndedSessions() {
    static mcp::SessionRegistry registry;
    return registry;
}

mcp::SessionPreferences& Preferences() {
    static mcp::SessionPreferences preferences;
    return preferences;
}

mcp::PendingRequests& ClientRequests() {
    static mcp::PendingRequests pending;
    return pending;
}

namespace {

// A service failure inside a tool: what the model can act on (not found, validation, busy, rate limited) is a tool
// error; a server fault (storage down, a bug) is a JSON-RPC internal error.
core::Result<json::object> ToolErrorFrom(const core::Error& e, const std::string& prefix) {
    if (e.code == ErrorCode::kInternal || e.code == ErrorCode::kServiceUnavailable) return e;
    return mcp::ToolFailure(prefix + e.message);
}

std::string NotFoundText(const std::string& dataset_id) {
    return "dataset '" + dataset_id + "' not found: list_datasets shows the datasets you can use";
}

// --- The tools ---

core::Result<json::object> ListDatasets(const Caller& c, const json::object& args) {
    auto a = mcp::ReadListDatasets(args);
    auto page = c.services->datasets.List(c.user_id, a.limit, a.cursor);
    if (!page.ok()) return ToolErrorFrom(page.error(), "");
    json::object rendered = PageJson(*page, DatasetJson);
    return mcp::ToolSuccess(mcp::ListDatasetsResult(rendered.at("data").as_array(), rendered.at("next_cursor")));
}

core::Result<json::object> ProfileDataset(const Caller& c, const json::object& args) {
    std::string id = core::GetString(args, "dataset_id").value_or("");
    auto d = c.services->datasets.Get(c.user_id, id);
    if (!d.ok()) {
        if (d.error().code == ErrorCode::kNotFound) return mcp::ToolFailure(NotFoundText(id));
        return ToolErrorFrom(d.error(), "");
    }
    return mcp::ToolSuccess(mcp::ProfileResult(DatasetJson(*d)));
}

core::Result<json::object> EstimateSavings(const Caller& c, const json::object& args) {
    auto a = mcp::ReadSavings(args);
    auto view = c.services->datasets.LoadDataset(c.user_id, a.dataset_id);
    if (!view.ok()) return ToolErrorFrom(view.error(), "");
    if (!*view) return mcp::ToolFailure(NotFoundText(a.dataset_id));
    return mcp::ToolSuccess(mcp::EstimateSavings(**view, c.services->catalog, a));
}

core::Result<json::object> PriceWorkload(const Caller& c, const json::object& args) {
    auto priced = mcp::PriceWorkload(c.services->catalog, mcp::ReadPriceWorkload(args));
    if (!priced.ok()) return mcp::ToolFailure(priced.error().message);
    return mcp::ToolSuccess(std::move(*priced));
}

// The report (the reporting agent's, also the assistant message) and the run_completed result of a finished run.
struct RunOutcome {
    std::string report;
    json::object result;
};

core::Result<RunOutcome> ReadRunOutcome(const Services& services, const std::string& user_id,
                                        const std::string& run_id) {
    RunOutcome out;
    domain::EventFilter terminal;
    terminal.type = domain::EventType::kRunCompleted;
    terminal.limit = 0;
    auto end = services.events.ReadRunEvents(user_id, run_id, terminal);
    if (!end.ok()) return end.error();
    for (const auto& e : end->events) {
        auto payload = core::ParseJsonObject(e.payload);
        if (payload.ok() && payload->contains("result") && payload->at("result").is_object())
            out.result = payload->at("result").as_object();
    }
    domain::EventFilter reporting;
    reporting.type = domain::EventType::kAgentCompleted;
    reporting.agent_name = "reporting";
    reporting.limit = 0;
    auto report = services.events.ReadRunEvents(user_id, run_id, reporting);
    if (!report.ok()) return report.error();
    for (const auto& e : report->events) {
        auto payload = core::ParseJsonObject(e.payload);
        if (!payload.ok()) continue;
        if (auto r = payload->if_contains("result"); r && r->is_object()) {
            if (auto md = core::GetString(r->as_object(), "report_markdown")) out.report = *md;
        }
    }
    return out;
}

// Progress and log messages while a run goes on: one progress step per agent finished, a log message per agent
// started, finished or failed (from the run's live events).
struct RunProgress {
    mcp::CallContext* call = nullptr;
    int agents_done = 0;
    void operator()(const runs::LiveEvent& e) {
        using domain::EventType;
        if (e.type != EventType::kAgentStarted && e.type != EventType::kAgentCompleted &&
            e.type != EventType::kAgentFailed)
            return;
        std::string agent;
        if (auto envelope = core::ParseJsonObject(*e.frame); envelope.ok())
            agent = core::GetString(*envelope, "agent_name").value_or("");
        if (e.type == EventType::kAgentStarted) {
            mcp::Log(*call, mcp::LogLevel::kInfo, "netra.run", json::value(agent + " started"));
            return;
        }
        const bool failed = e.type == EventType::kAgentFailed;
        mcp::Log(*call, failed ? mcp::LogLevel::kWarning : mcp::LogLevel::kInfo, "netra.run",
                 json::value(agent + (failed ? " failed" : " completed")));
        // The number of agents depends on what triage finds: progress without a total, never decreasing.
        mcp::Progress(*call, ++agents_done, std::nullopt, agent + (failed ? " failed" : " completed"));
    }
};

asio::awaitable<core::Result<json::object>> RunOptimization(Caller c, json::object args, mcp::CallContext& call) {
    const auto a = mcp::ReadRunOptimization(args);
    runs::SubmitRequest request;
    request.user_id = c.user_id;
    request.content = a.question;
    request.dataset_id = a.dataset_id;
    request.thread_id = a.thread_id;
    auto submit = [services = c.services, request]() -> core::Result<runs::SubmitResult> {
        return services->runs.Submit(request);  // scheduled once the wait below listens to its events
    };                                          // named: GCC 12 mishandles capturing temporaries in co_await
    auto submitted = co_await core::Offload(c.server->workers, std::move(submit));
    if (!submitted.ok()) co_return ToolErrorFrom(submitted.error(), "the run could not start: ");
    const std::string run_id = submitted->run.id;
    const std::string thread_id = submitted->run.thread_id;
    auto executor = co_await asio::this_coro::executor;
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(a.timeout);
    mcp::Log(call, mcp::LogLevel::kInfo, "netra.run", json::value("run " + run_id + " queued in thread " + thread_id));
    RunProgress progress{&call, 0};
    auto schedule = [server = c.server, services = c.services, run_id] {
        asio::post(server->workers, [services, run_id] { services->runs.Schedule(run_id); });
    };
    auto ended = co_await AwaitRunEnd(*c.server, c.services, executor, c.user_id, run_id, wait, progress, schedule);
    if (!ended.ok()) co_return ToolErrorFrom(ended.error(), "");
    const domain::RunStatus status = ended->status;
    if (!domain::IsFinished(status)) {
        co_return mcp::ToolFailure("run " + run_id + " (thread " + thread_id + ") is still " +
                                   std::string(domain::Name(status)) + " after " + std::to_string(a.timeout.count()) +
                                   " s; it goes on: GET /api/runs/" + run_id +
                                   " follows it, and its report becomes the thread's assistant message");
    }
    if (status != domain::RunStatus::kCompleted) {
        std::string why = "run " + run_id + " " + std::string(domain::Name(status));
        if (ended->error) why += ": " + *ended->error;
        co_return mcp::ToolFailure(std::move(why));
    }
    auto read = [services = c.services, user_id = c.user_id, run_id]() {
        return ReadRunOutcome(*services, user_id, run_id);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto outcome = co_await core::Offload(c.server->workers, std::move(read));
    if (!outcome.ok()) co_return ToolErrorFrom(outcome.error(), "");
    json::object structured = mcp::RunOptimizationResult(run_id, thread_id, std::string(domain::Name(status)),
                                                         outcome->report, outcome->result);
    std::vector<std::string> lead{outcome->report};
    co_return mcp::ToolSuccess(std::move(structured), std::move(lead));
}

asio::awaitable<core::Result<json::object>> CallTool(Caller c, const mcp::ToolDef& tool, json::object args,
                                                     mcp::CallContext& call) {
    if (tool.name == "run_optimization") co_return co_await RunOptimization(std::move(c), std::move(args), call);
    using Fn = core::Result<json::object> (*)(const Caller&, const json::object&);
    Fn fn = tool.name == "list_datasets"      ? ListDatasets
            : tool.name == "profile_dataset"  ? ProfileDataset
            : tool.name == "estimate_savings" ? EstimateSavings
                                              : PriceWorkload;
    auto work = [fn, c, args = std::move(args)]() { return fn(c, args); };  // blocking reads, CPU: the worker pool
    ServerContext* server = c.server;
    co_return co_await core::Offload(server->workers, std::move(work));
}

// --- Resources, prompts, completions (blocking reads: on the worker pool) ---

json::object Rpc(const json::value& id, core::Result<json::object> result) {
    if (result.ok()) return mcp::RpcResult(id, std::move(*result));
    const auto& e = result.error();
    int code =
        e.code == ErrorCode::kNotFound || e.code == ErrorCode::kInvalidRequest || e.code == ErrorCode::kValidationFailed
            ? mcp::kInvalidParams
            : mcp::kInternalError;
    if (code == mcp::kInternalError) spdlog::warn("mcp: {}", e.message);
    return mcp::RpcError(id, code, code == mcp::kInternalError ? std::string("internal error") : e.message);
}

core::Result<json::object> ListResources(const Caller& c, bool fixtures, const json::object& params) {
    auto page = c.services->datasets.List(c.user_id, 100, core::GetString(params, "cursor"));
    if (!page.ok()) return page.error();
    json::array resources;
    for (const auto& d : page->data) resources.push_back(mcp::DatasetResource(DatasetJson(d)));
    if (fixtures)
        for (auto& r : mcp::fixtures::Resources()) resources.push_back(std::move(r));
    json::object out{{"resources", std::move(resources)}};
    if (page->next_cursor) out["nextCursor"] = *page->next_cursor;
    return out;
}

core::Result<json::object> ReadResource(const Caller& c, bool fixtures, const std::string& uri) {
    if (fixtures) {
        if (auto contents = mcp::fixtures::ReadResource(uri)) return json::object{{"contents", std::move(*contents)}};
    }
    auto ref = mcp::ParseResourceUri(uri);
    if (!ref) return MakeError(ErrorCode::kNotFound, "Resource not found: " + uri);
    if (ref->kind == mcp::ResourceRef::Kind::kDataset) {
        auto d = c.services->datasets.Get(c.user_id, ref->id);
        if (!d.ok()) {
            if (d.error().code == ErrorCode::kNotFound)
                return MakeError(ErrorCode::kNotFound, "Resource not found: " + uri);
            return d.error();
        }
        return json::object{{"contents", mcp::DatasetContents(DatasetJson(*d))}};
    }
    auto view = c.services->runs.Get(c.user_id, ref->id);
    if (!view.ok()) {
        if (view.error().code == ErrorCode::kNotFound)
            return MakeError(ErrorCode::kNotFound, "Resource not found: " + uri);
        return view.error();
    }
    if (view->run.status != domain::RunStatus::kCompleted) {
        return MakeError(ErrorCode::kNotFound,
                         "run " + ref->id + " has no report: it is " + std::string(domain::Name(view->run.status)));
    }
    auto outcome = ReadRunOutcome(*c.services, c.user_id, ref->id);
    if (!outcome.ok()) return outcome.error();
    return json::object{{"contents", mcp::ReportContents(uri, std::move(outcome->report))}};
}

core::Result<json::object> GetPrompt(const Caller& c, bool fixtures, const json::object& params) {
    std::string name = core::GetString(params, "name").value_or("");
    json::object args;
    if (auto a = params.if_contains("arguments"); a && a->is_object()) args = a->as_object();
    if (fixtures) {
        if (auto fixture = mcp::fixtures::GetPrompt(name, args)) return std::move(*fixture);
    }
    if (name != mcp::kOptimizePrompt) return MakeError(ErrorCode::kInvalidRequest, "Unknown prompt: " + name);
    auto dataset_id = core::GetString(args, "dataset_id");
    if (!dataset_id)
        return MakeError(ErrorCode::kInvalidRequest, "prompt optimize_llm_costs needs argument dataset_id");
    auto d = c.services->datasets.Get(c.user_id, *dataset_id);
    if (!d.ok()) {
        if (d.error().code == ErrorCode::kNotFound)
            return MakeError(ErrorCode::kInvalidRequest, NotFoundText(*dataset_id));
        return d.error();
    }
    return mcp::OptimizePrompt(DatasetJson(*d), core::GetString(args, "goal"));
}

core::Result<json::object> Complete(const Caller& c, bool fixtures, const json::object& params) {
    json::object ref;
    if (auto r = params.if_contains("ref"); r && r->is_object()) ref = r->as_object();
    std::string argument, value;
    if (auto a = params.if_contains("argument"); a && a->is_object()) {
        argument = core::GetString(a->as_object(), "name").value_or("");
        value = core::GetString(a->as_object(), "value").value_or("");
    }
    if (fixtures) {
        if (auto values = mcp::fixtures::Complete(ref, argument, value)) return mcp::CompletionResult(*values);
    }
    std::vector<std::string> values;
    if (mcp::CompletesDatasetId(ref, argument)) {
        // The user's datasets, newest first, whose id starts with what was typed (a few pages at most).
        std::optional<std::string> cursor;
        for (int pages = 0; pages < 10; ++pages) {
            auto page = c.services->datasets.List(c.user_id, 100, cursor);
            if (!page.ok()) return page.error();
            for (const auto& d : page->data)
                if (d.id.starts_with(value)) values.push_back(d.id);
            cursor = page->next_cursor;
            if (!cursor) break;
        }
    }
    return mcp::CompletionResult(values);
}

// Runs `fn(caller, fixtures, params)` on the worker pool and answers request `id` with it.
template <typename Fn>
asio::awaitable<json::object> Blocking(Caller c, const mcp::Message& m, Fn fn) {
    const bool fixtures = c.server->settings.mcp_conformance_fixtures;
    ServerContext* server = c.server;
    auto work = [c = std::move(c), fixtures, params = m.params, fn]() { return fn(c, fixtures, params); };
    auto result = co_await core::Offload(server->workers, std::move(work));
    co_return Rpc(m.id, std::move(result));
}

core::Result<json::object> ReadResourceParams(const Caller& c, bool fixtures, const json::object& params) {
    auto uri = core::GetString(params, "uri");
    if (!uri) return MakeError(ErrorCode::kInvalidRequest, "resources/read needs params.uri (a string)");
    return ReadResource(c, fixtures, *uri);
}

const mcp::ToolDef* FindAnyTool(const ServerContext& server, const std::string& name) {
    if (const auto* tool = mcp::FindTool(name)) return tool;
    return server.settings.mcp_conformance_fixtures ? mcp::fixtures::FindTool(name) : nullptr;
}

asio::awaitable<json::object> CallToolMethod(Caller c, mcp::Message m, mcp::CallContext& call) {
    auto name = core::GetString(m.params, "name");
    if (!name) co_return mcp::RpcError(m.id, mcp::kInvalidParams, "tools/call needs params.name (a string)");
    const mcp::ToolDef* tool = FindAnyTool(*c.server, *name);
    if (!tool) co_return mcp::RpcError(m.id, mcp::kInvalidParams, "Unknown tool: " + *name);
    json::object args;
    if (auto a = m.params.if_contains("arguments"); a && !a->is_null()) {
        if (!a->is_object()) co_return mcp::RpcError(m.id, mcp::kInvalidParams, "params.arguments must be an object");
        args = a->as_object();
    }
    const bool fixture = mcp::FindTool(*name) == nullptr;
    core::Result<json::object> result = MakeError(ErrorCode::kInternal, "not called");
    if (fixture) {
        result = co_await mcp::fixtures::CallTool(*tool, std::move(args), call);
        if (!result.ok() && result.error().code == ErrorCode::kInvalidRequest)
            co_return mcp::RpcError(m.id, mcp::kInvalidParams, result.error().message);
    } else {
        if (auto valid = mcp::ValidateArguments(tool->input_schema, args); !valid.ok()) {
            // An input the model can correct: a tool execution error (SEP-1303), not a protocol error.
            co_return mcp::RpcResult(
                m.id, mcp::ToolFailure("invalid arguments for " + tool->name + ": " + valid.error().message));
        }
        result = co_await CallTool(std::move(c), *tool, std::move(args), call);
    }
    if (!result.ok()) {
        spdlog::warn("mcp tool {} failed: {}", tool->name, result.error().message);
        co_return mcp::RpcError(m.id, mcp::kInternalError, "internal error in " + tool->name);
    }
    co_return mcp::RpcResult(m.id, std::move(*result));
}

}  // namespace

json::object InitializeResult(const ServerContext& server, const std::string& version) {
    const bool fixtures = server.settings.mcp_conformance_fixtures;
    json::object capabilities{{"tools", json::object{{"listChanged", false}}},
                              {"resources", json::object{{"subscribe", fixtures}, {"listChanged", false}}},
                              {"prompts", json::object{{"listChanged", false}}},
                              {"completions", json::object{}},
                              {"logging", json::object{}}};
    return json::object{
        {"protocolVersion", version},
        {"capabilities", std::move(capabilities)},
        {"serverInfo", json::object{{"name", mcp::kServerName}, {"title", "Netra"}, {"version", server.version}}},
        {"instructions",
         "Netra analyses your team's LLM usage and prices optimizations with a supply catalog of list prices. "
         "list_datasets shows your uploaded usage logs; profile_dataset and estimate_savings work on one of them; "
         "price_workload prices tokens on any catalog model; run_optimization runs the full analysis and returns "
         "the report (with progress notifications when asked). Datasets are resources "
         "(netra://datasets/{dataset_id}), finished runs' reports too (netra://runs/{run_id}/report); the prompt "
         "optimize_llm_costs starts from a dataset. Figures are USD per 30-day month."}};
}

bool Streams(const ServerContext& server, const std::vector<mcp::Message>& messages) {
    for (const auto& m : messages) {
        if (m.kind != mcp::Message::Kind::kRequest || m.method != "tools/call") continue;
        const mcp::ToolDef* tool = FindAnyTool(server, core::GetString(m.params, "name").value_or(""));
        if (tool && tool->streams) return true;
    }
    return false;
}

asio::awaitable<json::object> Answer(Caller c, mcp::Message m, mcp::CallContext& call) {
    // Results named before co_return: GCC 12 mishandles initializer-list temporaries there.
    const bool fixtures = c.server->settings.mcp_conformance_fixtures;
    if (m.method == "ping") {
        json::object empty;
        co_return mcp::RpcResult(m.id, std::move(empty));
    }
    if (m.method == "initialize") {
        co_return mcp::RpcError(m.id, mcp::kInvalidRequest, "initialize must be sent alone, without a session id");
    }
    if (m.method == "tools/list") {
        json::object listed;
        json::array tools = mcp::ToolsListJson();
        if (fixtures)
            for (auto& t : mcp::ToolsListJson(mcp::fixtures::Tools())) tools.push_back(std::move(t));
        listed["tools"] = std::move(tools);
        co_return mcp::RpcResult(m.id, std::move(listed));
    }
    if (m.method == "tools/call") co_return co_await CallToolMethod(std::move(c), std::move(m), call);
    if (m.method == "logging/setLevel") {
        auto level = mcp::ParseLogLevel(core::GetString(m.params, "level").value_or(""));
        if (!level) {
            co_return mcp::RpcError(m.id, mcp::kInvalidParams,
                                    "params.level must be one of debug, info, notice, warning, error, critical, "
                                    "alert, emergency");
        }
        Preferences().SetLogLevel(call.session.id, *level);
        json::object empty;
        co_return mcp::RpcResult(m.id, std::move(empty));
    }
    if (m.method == "resources/list") co_return co_await Blocking(std::move(c), m, ListResources);
    if (m.method == "resources/templates/list") {
        json::array templates = mcp::ResourceTemplates();
        if (fixtures)
            for (auto& t : mcp::fixtures::ResourceTemplates()) templates.push_back(std::move(t));
        json::object listed{{"resourceTemplates", std::move(templates)}};
        co_return mcp::RpcResult(m.id, std::move(listed));
    }
    if (m.method == "resources/read") co_return co_await Blocking(std::move(c), m, ReadResourceParams);
    if (fixtures && (m.method == "resources/subscribe" || m.method == "resources/unsubscribe")) {
        std::string uri = core::GetString(m.params, "uri").value_or("");
        if (!mcp::fixtures::Subscribable(uri)) {
            co_return mcp::RpcError(m.id, mcp::kInvalidParams, "Resource not found or never changes: " + uri);
        }
        if (m.method == "resources/subscribe") {
            Preferences().Subscribe(call.session.id, uri);
        } else {
            Preferences().Unsubscribe(call.session.id, uri);
        }
        json::object empty;
        co_return mcp::RpcResult(m.id, std::move(empty));
    }
    if (m.method == "prompts/list") {
        json::array prompts = mcp::Prompts();
        if (fixtures)
            for (auto& p : mcp::fixtures::Prompts()) prompts.push_back(std::move(p));
        json::object listed{{"prompts", std::move(prompts)}};
        co_return mcp::RpcResult(m.id, std::move(listed));
    }
    if (m.method == "prompts/get") co_return co_await Blocking(std::move(c), m, GetPrompt);
    if (m.method == "completion/complete") co_return co_await Blocking(std::move(c), m, Complete);
    co_return mcp::RpcError(m.id, mcp::kMethodNotFound, "Method not found: " + m.method);
}

}  // namespace netra::net::http::mcp_server

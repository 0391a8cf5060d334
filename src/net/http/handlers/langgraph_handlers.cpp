// LangGraph Platform / Agent Protocol subset under /langgraph (docs/protocols.md): enough for
// @langchain/langgraph-sdk's Client (apiUrl http://HOST:PORT/langgraph) and the chat UI built on it. A thin layer over
// the same services, runs and event log as /api: threads are Netra threads, runs are Netra runs (submitted like
// POST /api/threads/{id}/messages), streams replay and follow the run's stored events (run_event_stream.hpp) in
// LangGraph's stream modes (langgraph_translate.hpp). Same users, tokens and isolation (404 for another's).
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "core/json_util.hpp"
#include "net/http/handlers/handler_util.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/handlers/langgraph_translate.hpp"
#include "net/http/request_target.hpp"
#include "net/http/run_event_stream.hpp"

namespace netra::net::http {
namespace json = boost::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace lg = langgraph;
using core::ErrorCode;
using core::MakeError;

core::Result<runs::SubmitResult> SubmitAndSchedule(RequestContext& ctx, runs::SubmitRequest request);

namespace {

constexpr std::string_view kPrefix = "/langgraph";

// Concatenation by appends (GCC 12 at -O3 warns falsely about chains of std::string operator+).
std::string Cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto part : parts) out.append(part);
    return out;
}
// join / wait: how long a request waits for its run before answering the run as it stands.
constexpr auto kWaitTimeout = std::chrono::minutes(15);

// `Authorization: Bearer <jwt>`, else `x-api-key: <jwt>` (what the SDK sends for `apiKey`).
std::optional<std::string> TokenOf(const RequestContext& ctx) {
    auto header = ctx.req[bhttp::field::authorization];
    if (auto t = BearerTokenOf(std::string_view(header.data(), header.size()))) return t;
    auto key = ctx.req["x-api-key"];
    if (key.empty()) return std::nullopt;
    std::string_view k(key.data(), key.size());
    if (auto t = BearerTokenOf(k)) return t;
    return std::string(k);
}

// On the worker pool.
core::Result<auth::AccessClaims> ClaimsOf(const RequestContext& ctx) {
    auto token = TokenOf(ctx);
    if (!token) {
        return MakeError(ErrorCode::kUnauthenticated,
                         "missing credentials: send Authorization: Bearer <token> or x-api-key: <token>");
    }
    auto claims = ctx.services().auth.Authenticate(*token);
    if (!claims.ok()) return MakeError(ErrorCode::kUnauthenticated, claims.error().message);
    return *claims;
}

template <class F>
asio::awaitable<Response> LgAuthed(RequestContext& ctx, F fn) {
    // GCC 12 mishandles lambdas with captures that are temporaries inside co_await: name them first.
    auto work = [&ctx, fn = std::move(fn)]() mutable -> Response {
        auto claims = ClaimsOf(ctx);
        if (!claims.ok()) return ErrorResponse(ctx, claims.error());
        return fn(*claims);
    };
    co_return co_await core::Offload(ctx.server.workers, std::move(work));
}

core::Result<json::object> OptionalBody(RequestContext& ctx) {
    if (ctx.req.body().empty()) return json::object{};
    return JsonBody(ctx);
}

int IntField(const json::object& o, std::string_view key, int fallback, int lo, int hi) {
    auto v = core::GetInt(o, key);
    if (!v) return fallback;
    return static_cast<int>(std::clamp<std::int64_t>(*v, lo, hi));
}

// Every value of a repeated query parameter (ctx.query keeps the first only).
std::vector<std::string> QueryValues(const RequestContext& ctx, std::string_view key) {
    std::vector<std::string> out;
    std::string_view target(ctx.req.target().data(), ctx.req.target().size());
    auto q = target.find('?');
    if (q == std::string_view::npos) return out;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        auto eq = pair.find('=');
        if (PercentDecode(pair.substr(0, eq)) != key) continue;
        out.push_back(eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1)));
    }
    return out;
}

core::Result<std::vector<domain::Message>> ThreadMessages(const Services& s, const std::string& user,
                                                          const std::string& thread_id) {
    std::vector<domain::Message> out;
    std::optional<std::string> cursor;
    for (;;) {
        auto page = s.threads.Messages(user, thread_id, 500, cursor);
        if (!page.ok()) return page.error();
        for (auto& m : page->data) out.push_back(std::move(m));
        if (!page->next_cursor) return out;
        cursor = page->next_cursor;
    }
}

core::Result<json::object> LoadThreadJson(const Services& s, const std::string& user, const domain::Thread& thread) {
    auto messages = ThreadMessages(s, user, thread.id);
    if (!messages.ok()) return messages.error();
    auto runs = s.threads.Runs(user, thread.id);
    if (!runs.ok()) return runs.error();
    return lg::ThreadJson(thread, *messages, *runs);
}

core::Error NotOurAssistant(std::string_view id) {
    return MakeError(ErrorCode::kNotFound, Cat({"assistant '", id, "' not found: this server has one, '",
                                                lg::kAssistantId, "' (graph '", lg::kGraphId, "')"}));
}

// The run as the user's run on the thread of the path (404 when it is on another thread).
core::Result<runs::RunView> UserRun(const RequestContext& ctx, const std::string& user) {
    auto view = ctx.services().runs.Get(user, ctx.Param("run_id"));
    if (!view.ok()) return view.error();
    if (auto it = ctx.params.find("thread_id"); it != ctx.params.end() && it->second != view->run.thread_id)
        return MakeError(ErrorCode::kNotFound, "run not found on this thread");
    return view;
}

std::string ContentLocation(const domain::Run& run) {
    return Cat({kPrefix, "/threads/", run.thread_id, "/runs/", run.id});
}

// ---- info, assistants ---------------------------------------------------------------------------------------------

asio::awaitable<Response> Info(RequestContext& ctx) {
    json::object info{{"version", "netra-langgraph-1"},
                      {"langgraph_py_version", nullptr},
                      {"flags", json::object{{"assistants", true}, {"crons", false}, {"langsmith", false}}},
                      {"graphs", json::array{lg::kGraphId}}};
    co_return JsonResponse(ctx, bhttp::status::ok, info);
}

asio::awaitable<Response> SearchAssistants(RequestContext& ctx) {
    auto body = OptionalBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    json::object query = std::move(*body);
    auto handler = [&ctx, query](const auth::AccessClaims&) {
        json::object assistant = lg::AssistantJson();
        bool match = true;
        if (auto g = core::GetString(query, "graph_id"); g && *g != lg::kGraphId) match = false;
        if (auto n = core::GetString(query, "name");
            n && assistant.at("name").as_string().find(*n) == json::string::npos)
            match = false;
        if (auto m = query.if_contains("metadata"); m && m->is_object()) {
            const auto& ours = assistant.at("metadata").as_object();
            for (const auto& [k, v] : m->get_object()) {
                auto it = ours.find(k);
                if (it == ours.end() || it->value() != v) match = false;
            }
        }
        if (IntField(query, "offset", 0, 0, 1 << 30) > 0 || IntField(query, "limit", 10, 0, 1000) == 0) match = false;
        json::array out;
        if (match) out.push_back(std::move(assistant));
        return JsonResponse(ctx, bhttp::status::ok, out);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

asio::awaitable<Response> GetAssistant(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims&) {
        const auto& id = ctx.Param("assistant_id");
        if (!lg::IsOurAssistant(id)) return ErrorResponse(ctx, NotOurAssistant(id));
        return JsonResponse(ctx, bhttp::status::ok, lg::AssistantJson());
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

// ---- threads -----------------------------------------------------------------------------------------------------

asio::awaitable<Response> CreateThread(RequestContext& ctx) {
    auto body = OptionalBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    std::optional<std::string> id = core::GetString(*body, "thread_id");
    std::optional<std::string> title;
    if (auto m = body->if_contains("metadata"); m && m->is_object()) title = core::GetString(m->get_object(), "title");
    std::string if_exists = core::GetString(*body, "if_exists").value_or("raise");
    if (if_exists != "raise" && if_exists != "do_nothing")
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "if_exists must be raise or do_nothing"));
    auto handler = [&ctx, id, title, if_exists](const auth::AccessClaims& claims) {
        const auto& s = ctx.services();
        auto thread = s.threads.Create(claims.user_id, title, id);
        if (!thread.ok() && thread.error().code == ErrorCode::kConflict && if_exists == "do_nothing") {
            auto existing = s.threads.Get(claims.user_id, *id);
            if (existing.ok()) thread = std::move(existing);  // another user's id stays a conflict
        }
        if (!thread.ok()) return ErrorResponse(ctx, thread.error());
        auto out = LoadThreadJson(s, claims.user_id, *thread);
        if (!out.ok()) return ErrorResponse(ctx, out.error());
        return JsonResponse(ctx, bhttp::status::ok, *out);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

asio::awaitable<Response> SearchThreads(RequestContext& ctx) {
    auto body = OptionalBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    json::object query = std::move(*body);
    auto handler = [&ctx, query](const auth::AccessClaims& claims) {
        const auto& s = ctx.services();
        const int limit = IntField(query, "limit", 10, 0, 1000);
        const int offset = IntField(query, "offset", 0, 0, 1 << 30);
        std::optional<std::set<std::string>> ids;
        if (auto v = query.if_contains("ids"); v && v->is_array()) {
            ids.emplace();
            for (const auto& i : v->get_array())
                if (i.is_string()) ids->insert(std::string(i.get_string()));
        }
        const json::object* metadata = nullptr;
        if (auto m = query.if_contains("metadata"); m && m->is_object()) metadata = &m->get_object();
        auto status = core::GetString(query, "status");
        json::array out;
        int skipped = 0;
        std::optional<std::string> cursor;
        for (;;) {
            auto page = s.threads.List(claims.user_id, 200, cursor);
            if (!page.ok()) return ErrorResponse(ctx, page.error());
            for (const auto& t : page->data) {
                if (static_cast<int>(out.size()) >= limit) break;
                if (ids && !ids->count(t.id)) continue;
                if (metadata) {
                    auto ours = lg::ThreadMetadata(t);
                    bool match = true;
                    for (const auto& [k, v] : *metadata) {
                        auto it = ours.find(k);
                        if (it == ours.end() || it->value() != v) match = false;
                    }
                    if (!match) continue;
                }
                auto thread = LoadThreadJson(s, claims.user_id, t);
                if (!thread.ok()) return ErrorResponse(ctx, thread.error());
                if (status && thread->at("status").as_string() != *status) continue;
                if (skipped < offset) {
                    ++skipped;
                    continue;
                }
                out.push_back(std::move(*thread));
            }
            if (static_cast<int>(out.size()) >= limit || !page->next_cursor) break;
            cursor = page->next_cursor;
        }
        return JsonResponse(ctx, bhttp::status::ok, out);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

asio::awaitable<Response> GetThread(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        const auto& s = ctx.services();
        auto thread = s.threads.Get(claims.user_id, ctx.Param("thread_id"));
        if (!thread.ok()) return ErrorResponse(ctx, thread.error());
        auto out = LoadThreadJson(s, claims.user_id, *thread);
        if (!out.ok()) return ErrorResponse(ctx, out.error());
        return JsonResponse(ctx, bhttp::status::ok, *out);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

asio::awaitable<Response> DeleteThread(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto s = ctx.services().threads.Delete(claims.user_id, ctx.Param("thread_id"));
        if (!s.ok()) return ErrorResponse(ctx, s.error());
        return NoContentResponse(ctx);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

// Thread state now (GET /state) or its history, newest first (POST /history): one state per stored message.
asio::awaitable<Response> ThreadStates(RequestContext& ctx, bool history, int limit) {
    auto handler = [&ctx, history, limit](const auth::AccessClaims& claims) {
        const auto& s = ctx.services();
        auto thread = s.threads.Get(claims.user_id, ctx.Param("thread_id"));
        if (!thread.ok()) return ErrorResponse(ctx, thread.error());
        auto messages = ThreadMessages(s, claims.user_id, thread->id);
        if (!messages.ok()) return ErrorResponse(ctx, messages.error());
        auto runs = s.threads.Runs(claims.user_id, thread->id);
        if (!runs.ok()) return ErrorResponse(ctx, runs.error());
        const bool busy = lg::ThreadStatus(*runs) == "busy";
        if (!history)
            return JsonResponse(ctx, bhttp::status::ok,
                                lg::ThreadStateJson(*thread, *messages, messages->size(), busy));
        json::array out;
        for (std::size_t n = messages->size(); n > 0 && static_cast<int>(out.size()) < limit; --n)
            out.push_back(lg::ThreadStateJson(*thread, *messages, n, busy));
        return JsonResponse(ctx, bhttp::status::ok, out);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

asio::awaitable<Response> GetThreadState(RequestContext& ctx) { co_return co_await ThreadStates(ctx, false, 1); }

asio::awaitable<Response> ThreadHistory(RequestContext& ctx) {
    auto body = OptionalBody(ctx);
    if (!body.ok()) co_return ErrorResponse(ctx, body.error());
    // Each state holds the messages up to it, so a long history grows with the square of the thread: at most 100.
    const int limit = IntField(*body, "limit", 10, 1, 100);
    co_return co_await ThreadStates(ctx, true, limit);
}

// ---- runs --------------------------------------------------------------------------------------------------------

// A run request's body: {assistant_id, input: {messages: [...]}, stream_mode?, multitask_strategy?, if_not_exists?,
// on_disconnect?}.
struct RunSpec {
    std::string content;
    std::string policy;
    std::set<std::string> modes;
    bool create_thread = false;         // if_not_exists: "create"
    bool cancel_on_disconnect = false;  // on_disconnect: "cancel" (streamed runs only)
};

core::Result<RunSpec> ParseRunSpec(RequestContext& ctx) {
    auto body = JsonBody(ctx);
    if (!body.ok()) return body.error();
    auto assistant = core::GetString(*body, "assistant_id");
    if (!assistant) return MakeError(ErrorCode::kValidationFailed, "field 'assistant_id' (string) is required");
    if (!lg::IsOurAssistant(*assistant)) return NotOurAssistant(*assistant);
    if (auto c = body->if_contains("command"); c && !c->is_null())
        return MakeError(ErrorCode::kValidationFailed,
                         "command (resume, goto) is not supported: Netra runs never pause");
    RunSpec spec;
    auto input = body->if_contains("input");
    if (!input || input->is_null()) return MakeError(ErrorCode::kValidationFailed, "field 'input' is required");
    auto content = lg::HumanInput(*input);
    if (!content.ok()) return content.error();
    spec.content = std::move(*content);
    auto policy = lg::PolicyFor(core::GetString(*body, "multitask_strategy"));
    if (!policy)
        return MakeError(ErrorCode::kValidationFailed,
                         "multitask_strategy must be reject, enqueue, interrupt or rollback");
    spec.policy = *policy;
    auto modes = lg::StreamModes(body->if_contains("stream_mode"));
    if (!modes.ok()) return modes.error();
    spec.modes = std::move(*modes);
    auto if_not_exists = core::GetString(*body, "if_not_exists").value_or("reject");
    if (if_not_exists != "reject" && if_not_exists != "create")
        return MakeError(ErrorCode::kValidationFailed, "if_not_exists must be reject or create");
    spec.create_thread = if_not_exists == "create";
    auto on_disconnect = core::GetString(*body, "on_disconnect").value_or("continue");
    if (on_disconnect != "continue" && on_disconnect != "cancel")
        return MakeError(ErrorCode::kValidationFailed, "on_disconnect must be continue or cancel");
    spec.cancel_on_disconnect = on_disconnect == "cancel";
    return spec;
}

// on_disconnect "cancel" acts on a streamed run only (runs/stream): a background run has no connection to lose, and a
// waited one is not watched for its client leaving (accepting it there would promise what is not done).
core::Error OnDisconnectOnlyStreamed() {
    return MakeError(ErrorCode::kValidationFailed,
                     "on_disconnect \"cancel\" applies to streamed runs (runs/stream) only; cancel a background or "
                     "waited run with POST …/runs/{run_id}/cancel");
}

// On the worker pool: the run submitted (on the path's thread, or a new one) and scheduled.
core::Result<runs::SubmitResult> SubmitRun(RequestContext& ctx, const std::string& user, const RunSpec& spec) {
    const auto& s = ctx.services();
    runs::SubmitRequest request;
    request.user_id = user;
    request.content = spec.content;
    request.policy = spec.policy;
    if (auto it = ctx.params.find("thread_id"); it != ctx.params.end()) {
        request.thread_id = it->second;
        if (spec.create_thread) {
            auto existing = s.threads.Get(user, it->second);
            if (!existing.ok() && existing.error().code == ErrorCode::kNotFound) {
                auto created = s.threads.Create(user, std::nullopt, it->second);
                if (!created.ok() && created.error().code != ErrorCode::kConflict) return created.error();
            }
        }
    }
    return SubmitAndSchedule(ctx, std::move(request));
}

Response WithLocation(Response res, const domain::Run& run) {
    res.set(bhttp::field::content_location, ContentLocation(run));
    return res;
}

asio::awaitable<Response> CreateRun(RequestContext& ctx) {
    auto spec = ParseRunSpec(ctx);
    if (!spec.ok()) co_return ErrorResponse(ctx, spec.error());
    if (spec->cancel_on_disconnect) co_return ErrorResponse(ctx, OnDisconnectOnlyStreamed());
    auto handler = [&ctx, spec = *spec](const auth::AccessClaims& claims) {
        auto result = SubmitRun(ctx, claims.user_id, spec);
        if (!result.ok()) return ErrorResponse(ctx, result.error());
        return WithLocation(JsonResponse(ctx, bhttp::status::ok, lg::RunJson(result->run)), result->run);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

// What a stream needs, loaded on the worker pool before the connection is taken over.
struct StreamStart {
    domain::Run run;
    lg::StreamSetup setup;
};

std::string StreamModeQuery(const std::set<std::string>& modes) {
    std::string out;
    for (const auto& m : modes) {
        out += out.empty() ? '?' : '&';
        out.append("stream_mode=").append(m);
    }
    return out;
}

// `cancel_on_disconnect`: the client asked (on_disconnect: "cancel") that its run stop when it leaves the stream —
// useStream's stop() without reconnectOnMount closes the stream and expects exactly that.
void TakeOver(RequestContext& ctx, StreamStart start, std::int64_t after_seq, bool locations,
              bool cancel_on_disconnect = false) {
    auto* server = &ctx.server;
    auto services = ctx.server.services();
    std::string request_id = ctx.request_id;
    SseStreamOptions options;
    options.after_seq = after_seq;
    if (locations) {
        // Content-Location names the run (the SDK's onRunCreated); Location is where the SDK reconnects after a
        // dropped connection, relative to its apiUrl (it prepends it), with the same stream modes.
        const auto& run = start.run;
        std::string base = Cat({"/runs/", run.id, "/stream"});
        if (!run.thread_id.empty()) base = Cat({"/threads/", run.thread_id, base});
        options.extra_headers = Cat({"Content-Location: ", ContentLocation(run), "\r\nLocation: ", base,
                                     StreamModeQuery(start.setup.modes), "\r\n"});
    }
    auto translator = std::make_shared<lg::LangGraphTranslator>(std::move(start.setup));
    domain::Run run = std::move(start.run);
    ctx.takeover = [server, services, run, request_id, options, translator,
                    cancel_on_disconnect](beast::tcp_stream& stream) -> asio::awaitable<void> {
        StreamEnd end = co_await StreamRunEvents(*server, services, stream, run, request_id, options, translator);
        if (end != StreamEnd::kClientLeft || !cancel_on_disconnect) co_return;
        auto cancel = [services, user_id = run.user_id, run_id = run.id]() -> bool {
            auto cancelled = services->runs.Cancel(user_id, run_id);
            // Already finished (it ended as the client left) is no failure.
            if (!cancelled.ok() && cancelled.error().code != ErrorCode::kConflict)
                spdlog::warn("langgraph: cancelling run {} after its client left: {}", run_id,
                             cancelled.error().message);
            return cancelled.ok();
        };  // named: GCC 12 mishandles capturing temporaries in co_await
        co_await core::Offload(server->workers, std::move(cancel));
    };
}

asio::awaitable<Response> StreamNewRun(RequestContext& ctx) {
    auto spec = ParseRunSpec(ctx);
    if (!spec.ok()) co_return ErrorResponse(ctx, spec.error());
    auto work = [&ctx, spec = *spec]() -> core::Result<StreamStart> {
        auto claims = ClaimsOf(ctx);
        if (!claims.ok()) return claims.error();
        auto result = SubmitRun(ctx, claims->user_id, spec);
        if (!result.ok()) return result.error();
        StreamStart start;
        start.run = result->run;
        start.setup.run_id = result->run.id;
        start.setup.thread_id = result->run.thread_id;
        start.setup.modes = spec.modes;
        start.setup.status = result->run.status;
        auto messages = ThreadMessages(ctx.services(), claims->user_id, result->run.thread_id);
        if (messages.ok()) {
            start.setup.base_messages = lg::MessagesBeforeAnswer(*messages, result->run.id);
        } else {
            start.setup.base_messages.push_back(lg::MessageDict(result->message));
        }
        return start;
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto started = co_await core::Offload(ctx.server.workers, std::move(work));
    if (!started.ok()) co_return ErrorResponse(ctx, started.error());
    TakeOver(ctx, std::move(*started), 0, true, spec->cancel_on_disconnect);
    co_return Response{};
}

// GET …/runs/{run_id}/stream: the run's events after Last-Event-ID (a seq), in the modes of ?stream_mode=.
asio::awaitable<Response> JoinStream(RequestContext& ctx) {
    auto modes = lg::StreamModes(QueryValues(ctx, "stream_mode"));
    if (!modes.ok()) co_return ErrorResponse(ctx, modes.error());
    std::int64_t after = 0;
    auto last_event_id = ctx.req["Last-Event-ID"];
    // useStream's joinStream sends "-1" for "from the beginning".
    const bool resumed = !last_event_id.empty() && last_event_id != "-1";
    if (resumed) {
        auto seq = ParseSeq(std::string_view(last_event_id.data(), last_event_id.size()));
        if (!seq) {
            co_return ErrorResponse(
                ctx, MakeError(ErrorCode::kInvalidRequest, "Last-Event-ID must be an event id this server sent"));
        }
        after = *seq;
    }
    auto work = [&ctx, modes = *modes, after, resumed]() -> core::Result<StreamStart> {
        auto claims = ClaimsOf(ctx);
        if (!claims.ok()) return claims.error();
        auto view = UserRun(ctx, claims->user_id);
        if (!view.ok()) return view.error();
        const auto& run = view->run;
        StreamStart start;
        start.run = run;
        start.setup.run_id = run.id;
        start.setup.thread_id = run.thread_id;
        start.setup.modes = modes;
        start.setup.status = run.status;
        start.setup.send_metadata = !resumed;
        auto messages = ThreadMessages(ctx.services(), claims->user_id, run.thread_id);
        if (!messages.ok()) return messages.error();
        start.setup.base_messages = lg::MessagesBeforeAnswer(*messages, run.id);
        if (after > 0) {  // the report text the client already holds
            domain::EventFilter filter;
            filter.type = domain::EventType::kStreamChunk;
            filter.limit = 0;
            auto chunks = ctx.services().events.ReadRunEvents(claims->user_id, run.id, filter);
            if (!chunks.ok()) return chunks.error();
            for (const auto& e : chunks->events) {
                if (e.seq > after) break;
                try {
                    auto payload = json::parse(e.payload);
                    if (auto t = payload.as_object().if_contains("text"); t && t->is_string())
                        start.setup.report_so_far += t->get_string();
                } catch (...) {
                }
            }
        }
        return start;
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto started = co_await core::Offload(ctx.server.workers, std::move(work));
    if (!started.ok()) co_return ErrorResponse(ctx, started.error());
    // The SDK's joinStream sends cancel_on_disconnect=0|1.
    const std::string cancel = ctx.Query("cancel_on_disconnect").value_or("0");
    TakeOver(ctx, std::move(*started), after, false, cancel == "1" || cancel == "true");
    co_return Response{};
}

// The thread's values once the run has ended ({__error__} for a failed run, as LangGraph's wait answers).
Response FinalValues(RequestContext& ctx, const std::string& user, const domain::Run& run) {
    if (run.status == domain::RunStatus::kFailed) {
        return WithLocation(
            JsonResponse(ctx, bhttp::status::ok,
                         json::object{{"__error__", json::object{{"error", "RunFailed"},
                                                                 {"message", run.error.value_or("the run failed")}}}}),
            run);
    }
    auto messages = ThreadMessages(ctx.services(), user, run.thread_id);
    if (!messages.ok()) return ErrorResponse(ctx, messages.error());
    return WithLocation(
        JsonResponse(ctx, bhttp::status::ok, json::object{{"messages", lg::MessagesThroughRun(*messages, run.id)}}),
        run);
}

asio::awaitable<Response> AwaitAndAnswer(RequestContext& ctx, std::string user, std::string run_id) {
    auto executor = co_await asio::this_coro::executor;
    auto services = ctx.server.services();
    auto ended = co_await AwaitRunEnd(ctx.server, services, executor, user, run_id, kWaitTimeout);
    if (!ended.ok()) co_return ErrorResponse(ctx, ended.error());
    domain::Run run = std::move(*ended);
    if (!domain::IsFinished(run.status)) {
        // Never the thread so far as if it were the final answer: the client joins again (the run goes on, here or,
        // after a shutdown, on the next start).
        auto unfinished =
            ctx.server.shutting_down
                ? core::MakeError(core::ErrorCode::kServiceUnavailable,
                                  "the server is shutting down before run " + run.id + " ended; join again")
                : core::MakeError(core::ErrorCode::kTimeout,
                                  "run " + run.id + " has not ended within the wait; join again");
        co_return ErrorResponse(ctx, unfinished);
    }
    auto answer = [&ctx, user, run]() { return FinalValues(ctx, user, run); };
    co_return co_await core::Offload(ctx.server.workers, std::move(answer));
}

asio::awaitable<Response> WaitNewRun(RequestContext& ctx) {
    auto spec = ParseRunSpec(ctx);
    if (!spec.ok()) co_return ErrorResponse(ctx, spec.error());
    if (spec->cancel_on_disconnect) co_return ErrorResponse(ctx, OnDisconnectOnlyStreamed());
    auto work = [&ctx, spec = *spec]() -> core::Result<std::pair<std::string, std::string>> {
        auto claims = ClaimsOf(ctx);
        if (!claims.ok()) return claims.error();
        auto result = SubmitRun(ctx, claims->user_id, spec);
        if (!result.ok()) return result.error();
        return std::make_pair(claims->user_id, result->run.id);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto submitted = co_await core::Offload(ctx.server.workers, std::move(work));
    if (!submitted.ok()) co_return ErrorResponse(ctx, submitted.error());
    co_return co_await AwaitAndAnswer(ctx, submitted->first, submitted->second);
}

// GET|POST …/runs/{run_id}/join: waits for the run, then answers the thread's values.
asio::awaitable<Response> JoinRun(RequestContext& ctx) {
    auto work = [&ctx]() -> core::Result<std::pair<std::string, std::string>> {
        auto claims = ClaimsOf(ctx);
        if (!claims.ok()) return claims.error();
        auto view = UserRun(ctx, claims->user_id);
        if (!view.ok()) return view.error();
        return std::make_pair(claims->user_id, view->run.id);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto found = co_await core::Offload(ctx.server.workers, std::move(work));
    if (!found.ok()) co_return ErrorResponse(ctx, found.error());
    co_return co_await AwaitAndAnswer(ctx, found->first, found->second);
}

asio::awaitable<Response> GetRun(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto view = UserRun(ctx, claims.user_id);
        if (!view.ok()) return ErrorResponse(ctx, view.error());
        return JsonResponse(ctx, bhttp::status::ok, lg::RunJson(view->run));
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

asio::awaitable<Response> ListRuns(RequestContext& ctx) {
    auto handler = [&ctx](const auth::AccessClaims& claims) {
        auto runs = ctx.services().threads.Runs(claims.user_id, ctx.Param("thread_id"));
        if (!runs.ok()) return ErrorResponse(ctx, runs.error());
        int limit = 10, offset = 0;
        try {
            if (auto l = ctx.Query("limit")) limit = std::clamp(std::stoi(*l), 0, 1000);
            if (auto o = ctx.Query("offset")) offset = std::max(0, std::stoi(*o));
        } catch (...) {
            return ErrorResponse(ctx, MakeError(ErrorCode::kInvalidRequest, "limit and offset are integers"));
        }
        auto status = ctx.Query("status");
        json::array out;
        int skipped = 0;
        for (auto it = runs->rbegin(); it != runs->rend() && static_cast<int>(out.size()) < limit; ++it) {
            if (status && lg::RunStatusName(it->status) != *status) continue;
            if (skipped++ < offset) continue;
            out.push_back(lg::RunJson(*it));
        }
        return JsonResponse(ctx, bhttp::status::ok, out);
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    co_return co_await LgAuthed(ctx, std::move(handler));
}

// POST …/runs/{run_id}/cancel?wait=0|1&action=interrupt|rollback: Netra's cancel (rollback is an interrupt: Netra
// keeps a cancelled run's events and messages). wait=1 answers once the run has ended.
asio::awaitable<Response> CancelRun(RequestContext& ctx) {
    auto action = ctx.Query("action").value_or("interrupt");
    if (action != "interrupt" && action != "rollback")
        co_return ErrorResponse(ctx, MakeError(ErrorCode::kValidationFailed, "action must be interrupt or rollback"));
    const bool wait = ctx.Query("wait").value_or("0") == "1" || ctx.Query("wait").value_or("") == "true";
    auto work = [&ctx]() -> core::Result<std::pair<std::string, domain::Run>> {
        auto claims = ClaimsOf(ctx);
        if (!claims.ok()) return claims.error();
        auto view = UserRun(ctx, claims->user_id);
        if (!view.ok()) return view.error();
        auto run = ctx.services().runs.Cancel(claims->user_id, view->run.id);
        if (!run.ok()) return run.error();
        return std::make_pair(claims->user_id, std::move(*run));
    };  // named: GCC 12 mishandles capturing temporaries in co_await
    auto cancelled = co_await core::Offload(ctx.server.workers, std::move(work));
    if (!cancelled.ok()) co_return ErrorResponse(ctx, cancelled.error());
    domain::Run run = std::move(cancelled->second);
    if (!wait || domain::IsFinished(run.status))
        co_return JsonResponse(ctx, wait ? bhttp::status::ok : bhttp::status::accepted, lg::RunJson(run));
    auto executor = co_await asio::this_coro::executor;
    auto services = ctx.server.services();
    auto ended = co_await AwaitRunEnd(ctx.server, services, executor, cancelled->first, run.id, kWaitTimeout);
    if (!ended.ok()) co_return ErrorResponse(ctx, ended.error());
    co_return JsonResponse(ctx, bhttp::status::ok, lg::RunJson(*ended));
}

}  // namespace

void AddLangGraphRoutes(Router& router) {
    const std::string p(kPrefix);
    router.Add(bhttp::verb::get, Cat({p, "/info"}), Info);
    router.Add(bhttp::verb::post, Cat({p, "/assistants/search"}), SearchAssistants);
    router.Add(bhttp::verb::get, Cat({p, "/assistants/{assistant_id}"}), GetAssistant);
    router.Add(bhttp::verb::post, Cat({p, "/threads"}), CreateThread);
    router.Add(bhttp::verb::post, Cat({p, "/threads/search"}), SearchThreads);
    router.Add(bhttp::verb::get, Cat({p, "/threads/{thread_id}"}), GetThread);
    router.Add(bhttp::verb::delete_, Cat({p, "/threads/{thread_id}"}), DeleteThread);
    router.Add(bhttp::verb::get, Cat({p, "/threads/{thread_id}/state"}), GetThreadState);
    router.Add(bhttp::verb::post, Cat({p, "/threads/{thread_id}/history"}), ThreadHistory);
    router.Add(bhttp::verb::post, Cat({p, "/threads/{thread_id}/runs"}), CreateRun);
    router.Add(bhttp::verb::get, Cat({p, "/threads/{thread_id}/runs"}), ListRuns);
    router.Add(bhttp::verb::post, Cat({p, "/threads/{thread_id}/runs/stream"}), StreamNewRun);
    router.Add(bhttp::verb::post, Cat({p, "/threads/{thread_id}/runs/wait"}), WaitNewRun);
    router.Add(bhttp::verb::get, Cat({p, "/threads/{thread_id}/runs/{run_id}"}), GetRun);
    router.Add(bhttp::verb::get, Cat({p, "/threads/{thread_id}/runs/{run_id}/stream"}), JoinStream);
    router.Add(bhttp::verb::post, Cat({p, "/threads/{thread_id}/runs/{run_id}/cancel"}), CancelRun);
    router.Add(bhttp::verb::get, Cat({p, "/threads/{thread_id}/runs/{run_id}/join"}), JoinRun);
    router.Add(bhttp::verb::post, Cat({p, "/threads/{thread_id}/runs/{run_id}/join"}), JoinRun);
    router.Add(bhttp::verb::post, Cat({p, "/runs"}), CreateRun);
    router.Add(bhttp::verb::post, Cat({p, "/runs/stream"}), StreamNewRun);
    router.Add(bhttp::verb::post, Cat({p, "/runs/wait"}), WaitNewRun);
    router.Add(bhttp::verb::get, Cat({p, "/runs/{run_id}/stream"}), JoinStream);
}

}  // namespace netra::net::http

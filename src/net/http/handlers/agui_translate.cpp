#include "net/http/handlers/agui_translate.hpp"

#include <algorithm>

#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "core/time.hpp"

namespace netra::net::http::agui {
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

namespace {

std::string_view Trim(std::string_view s) {
    const auto* ws = " \t\r\n";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    auto e = s.find_last_not_of(ws);
    return s.substr(b, e - b + 1);
}

// An optional string field: absent or null → nullopt; present, it must be a non-empty string.
core::Result<std::optional<std::string>> OptionalString(const json::object& o, std::string_view key,
                                                        std::string_view where) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return std::optional<std::string>{};
    if (!it->value().is_string() || it->value().get_string().empty())
        return MakeError(ErrorCode::kValidationFailed, std::string(where) + " must be a non-empty string");
    return std::optional<std::string>(std::string(it->value().get_string()));
}

// A user message's text: a string, or the text parts of a content-part array joined.
std::optional<std::string> TextOf(const json::value& content) {
    if (content.is_string()) return std::string(content.get_string());
    if (!content.is_array()) return std::nullopt;
    std::string text;
    for (const auto& part : content.get_array()) {
        if (!part.is_object()) continue;
        const auto& p = part.get_object();
        if (core::GetString(p, "type").value_or("") != "text") continue;
        if (auto t = core::GetString(p, "text")) text += *t;
    }
    return text;
}

// Always the last agent of a run (SPEC §8): the report's text message ends with it.
constexpr std::string_view kReportingAgent = "reporting";

const json::object& PayloadOf(const json::object& envelope) {
    static const json::object kEmpty;
    const json::object* p = core::GetObject(envelope, "payload");
    return p ? *p : kEmpty;
}

}  // namespace

core::Result<RunRequest> ParseRunAgentInput(const json::object& body) {
    RunRequest request;
    auto thread_id = OptionalString(body, "threadId", "threadId");
    if (!thread_id.ok()) return thread_id.error();
    request.thread_id = *thread_id;
    auto run_id = OptionalString(body, "runId", "runId");
    if (!run_id.ok()) return run_id.error();
    request.run_id = *run_id;

    auto messages = body.find("messages");
    if (messages == body.end() || !messages->value().is_array())
        return MakeError(ErrorCode::kValidationFailed, "field 'messages' (array of messages) is required");
    const auto& list = messages->value().get_array();
    std::optional<std::size_t> last_user;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const auto* m = list[i].if_object();
        auto role = m ? core::GetString(*m, "role") : std::nullopt;
        if (!role)
            return MakeError(ErrorCode::kValidationFailed,
                             "messages[" + std::to_string(i) + "] must be an object with a string 'role'");
        if (*role == "user") {
            last_user = i;
        } else if (last_user && (*role == "assistant" || *role == "tool")) {
            last_user.reset();  // that user turn was answered already
        }
    }
    if (!last_user)
        return MakeError(ErrorCode::kValidationFailed,
                         "no new user message: the last user message of 'messages' must not be followed by an "
                         "assistant or tool message");
    const auto& message = list[*last_user].get_object();
    auto content = message.find("content");
    auto text = content == message.end() ? std::nullopt : TextOf(content->value());
    if (!text)
        return MakeError(ErrorCode::kValidationFailed,
                         "the last user message's 'content' must be a string or an array of content parts");
    if (Trim(*text).empty()) return MakeError(ErrorCode::kValidationFailed, "the last user message has no text");
    request.content = std::move(*text);

    if (const json::object* props = core::GetObject(body, "forwardedProps")) {
        auto policy = OptionalString(*props, "policy", "forwardedProps.policy");
        if (!policy.ok()) return policy.error();
        if (*policy) {
            if (**policy != "enqueue" && **policy != "reject" && **policy != "interrupt")
                return MakeError(ErrorCode::kValidationFailed,
                                 "forwardedProps.policy must be one of enqueue, reject, interrupt");
            request.policy = **policy;
        }
        for (const char* key : {"dataset_id", "datasetId"}) {
            auto dataset = OptionalString(*props, key, std::string("forwardedProps.") + key);
            if (!dataset.ok()) return dataset.error();
            if (*dataset) request.dataset_id = *dataset;
        }
    }
    return request;
}

std::string ThreadTitleFrom(std::string_view content) {
    std::string t(Trim(content));
    constexpr std::size_t kMax = 80;
    if (t.size() <= kMax) return t;
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
    return t.substr(0, cut) + "…";
}

json::object EventMapper::Event(std::string_view type, std::optional<std::int64_t> timestamp) const {
    json::object e{{"type", type}};
    if (timestamp) e["timestamp"] = *timestamp;
    return e;
}

// Netra's identifiers on the run-scoped events (metadata is open by key; "ag-ui" is the protocol's own key).
json::object EventMapper::RunMetadata() const {
    return json::object{{"netra", json::object{{"run_id", ids_.netra_run_id}, {"thread_id", ids_.thread_id}}}};
}

std::vector<json::object> EventMapper::Start() {
    Events out;
    if (started_) return out;
    started_ = true;
    auto e = Event("RUN_STARTED", core::NowMs());
    e["threadId"] = ids_.thread_id;
    e["runId"] = ids_.run_id;
    e["metadata"] = RunMetadata();
    out.push_back(std::move(e));
    return out;
}

void EventMapper::CloseText(Events& out, std::optional<std::int64_t> ts) {
    if (!text_id_) return;
    auto e = Event("TEXT_MESSAGE_END", ts);
    e["messageId"] = *text_id_;
    out.push_back(std::move(e));
    text_id_.reset();
}

void EventMapper::CloseSteps(Events& out, std::optional<std::int64_t> ts) {
    // Innermost first (Netra's agents do not nest, so there is at most one).
    for (auto it = open_steps_.rbegin(); it != open_steps_.rend(); ++it) {
        auto e = Event("STEP_FINISHED", ts);
        e["stepName"] = *it;
        out.push_back(std::move(e));
    }
    open_steps_.clear();
}

namespace {
// A tool call that will get no result from the run (its process stopped, the run ended): closed as failed so that
// the client does not take it for a frontend tool call left for it to answer.
json::object NoResult(const std::string& tool_call_id, std::string_view reason, std::optional<std::int64_t> ts) {
    json::object e{{"type", "TOOL_CALL_RESULT"}};
    if (ts) e["timestamp"] = *ts;
    e["messageId"] = tool_call_id + "-noresult";
    e["toolCallId"] = tool_call_id;
    e["content"] = core::JsonText(json::object{{"error", json::object{{"code", "NO_RESULT"}, {"message", reason}}}});
    e["role"] = "tool";
    e["metadata"] = json::object{{"netra", json::object{{"success", false}}}};
    return e;
}
}  // namespace

// Everything still open, closed in the order the verifier wants: the text message, each tool call without a result
// (a result saying why), the steps.
void EventMapper::CloseAll(Events& out, std::optional<std::int64_t> ts, std::string_view why) {
    CloseText(out, ts);
    for (const auto& p : pending_tools_) out.push_back(NoResult(p.id, why, ts));
    pending_tools_.clear();
    CloseSteps(out, ts);
}

void EventMapper::Terminal(const std::string& type, const json::object& payload, std::optional<std::int64_t> ts,
                           Events& out) {
    CloseAll(out, ts, "the run ended before the tool reported");

    const std::string status = type.substr(4);  // run_completed → completed
    json::object snapshot{{"run_id", ids_.netra_run_id}, {"thread_id", ids_.thread_id}, {"status", status}};
    auto result = payload.find("result");
    const bool has_result = result != payload.end() && !result->value().is_null();
    if (has_result) snapshot["result"] = result->value();
    const json::object* error = core::GetObject(payload, "error");
    if (error) snapshot["error"] = *error;
    auto state = Event("STATE_SNAPSHOT", ts);
    state["snapshot"] = std::move(snapshot);
    out.push_back(std::move(state));

    if (type == "run_failed") {
        auto e = Event("RUN_ERROR", ts);
        e["message"] = error ? core::GetString(*error, "message").value_or("the run failed") : "the run failed";
        e["code"] = error ? core::GetString(*error, "code").value_or("RUN_FAILED") : "RUN_FAILED";
        e["metadata"] = RunMetadata();
        out.push_back(std::move(e));
    } else {
        auto e = Event("RUN_FINISHED", ts);
        e["threadId"] = ids_.thread_id;
        e["runId"] = ids_.run_id;
        if (type == "run_cancelled") {
            e["outcome"] = json::object{{"type", "cancelled"}};
        } else if (has_result) {
            e["result"] = result->value();
        }
        e["metadata"] = RunMetadata();
        out.push_back(std::move(e));
    }
    finished_ = true;
}

std::vector<json::object> EventMapper::Map(const json::object& envelope) {
    Events out;
    if (finished_) return out;
    if (!started_) out = Start();
    const std::string type = core::GetString(envelope, "type").value_or("");
    const std::int64_t seq = core::GetInt(envelope, "seq").value_or(0);
    std::optional<std::int64_t> ts;
    if (auto t = core::GetString(envelope, "timestamp")) ts = core::ParseTimestamp(*t);
    const json::object& payload = PayloadOf(envelope);
    const std::string agent =
        core::GetString(payload, "agent").value_or(core::GetString(envelope, "agent_name").value_or(""));
    const std::string id_prefix = ids_.netra_run_id + "-";

    if (type == "agent_started") {
        if (std::find(open_steps_.begin(), open_steps_.end(), agent) != open_steps_.end()) {
            // The same agent again without its end (never sent by Netra): close the first one.
            CloseText(out, ts);
            auto e = Event("STEP_FINISHED", ts);
            e["stepName"] = agent;
            out.push_back(std::move(e));
            open_steps_.erase(std::find(open_steps_.begin(), open_steps_.end(), agent));
        }
        auto e = Event("STEP_STARTED", ts);
        e["stepName"] = agent;
        out.push_back(std::move(e));
        open_steps_.push_back(agent);
    } else if (type == "agent_thinking") {
        auto thought = core::GetString(payload, "thought").value_or("");
        if (thought.empty()) return out;
        const std::string id = id_prefix + "thought-" + std::to_string(seq);
        json::object netra{{"agent", agent}};
        if (auto it = payload.find("step"); it != payload.end()) netra["step"] = it->value();
        if (auto it = payload.find("progress"); it != payload.end()) netra["progress"] = it->value();
        auto start = Event("REASONING_START", ts);
        start["messageId"] = id;
        out.push_back(std::move(start));
        auto msg = Event("REASONING_MESSAGE_START", ts);
        msg["messageId"] = id;
        msg["role"] = "reasoning";
        msg["metadata"] = json::object{{"netra", std::move(netra)}};
        out.push_back(std::move(msg));
        auto content = Event("REASONING_MESSAGE_CONTENT", ts);
        content["messageId"] = id;
        content["delta"] = thought;
        out.push_back(std::move(content));
        auto msg_end = Event("REASONING_MESSAGE_END", ts);
        msg_end["messageId"] = id;
        out.push_back(std::move(msg_end));
        auto end = Event("REASONING_END", ts);
        end["messageId"] = id;
        out.push_back(std::move(end));
    } else if (type == "tool_executing") {
        const std::string tool = core::GetString(payload, "tool").value_or("tool");
        const std::string id = id_prefix + "call-" + std::to_string(seq);
        auto start = Event("TOOL_CALL_START", ts);
        start["toolCallId"] = id;
        start["toolCallName"] = tool;
        out.push_back(std::move(start));
        auto params = payload.find("parameters");
        auto args = Event("TOOL_CALL_ARGS", ts);
        args["toolCallId"] = id;
        args["delta"] =
            params != payload.end() && !params->value().is_null() ? core::JsonText(params->value()) : std::string("{}");
        out.push_back(std::move(args));
        auto end = Event("TOOL_CALL_END", ts);
        end["toolCallId"] = id;
        out.push_back(std::move(end));
        pending_tools_.push_back({core::GetString(envelope, "agent_name").value_or(""), tool, id});
    } else if (type == "tool_completed") {
        const std::string tool = core::GetString(payload, "tool").value_or("tool");
        const std::string owner = core::GetString(envelope, "agent_name").value_or("");
        auto it = std::find_if(pending_tools_.begin(), pending_tools_.end(),
                               [&](const PendingTool& p) { return p.agent == owner && p.tool == tool; });
        if (it == pending_tools_.end()) return out;  // no call to answer (never sent by Netra)
        auto e = Event("TOOL_CALL_RESULT", ts);
        e["messageId"] = id_prefix + "result-" + std::to_string(seq);
        e["toolCallId"] = it->id;
        auto result = payload.find("result");
        e["content"] = core::JsonText(result != payload.end() ? result->value() : json::value(json::object{}));
        e["role"] = "tool";
        json::object netra;
        if (auto s = payload.find("success"); s != payload.end()) netra["success"] = s->value();
        if (auto d = payload.find("duration_ms"); d != payload.end()) netra["duration_ms"] = d->value();
        e["metadata"] = json::object{{"netra", std::move(netra)}};
        out.push_back(std::move(e));
        pending_tools_.erase(it);
    } else if (type == "stream_chunk") {
        auto text = core::GetString(payload, "text").value_or("");
        if (text.empty()) return out;  // TEXT_MESSAGE_CONTENT's delta is never empty
        // One message for the run's report, as Netra stores one assistant message: the data helper may open it
        // (with an LLM configured it streams the report's opening), the reporting agent ends it.
        if (!text_id_) {
            text_id_ = id_prefix + "text-" + std::to_string(seq);
            auto start = Event("TEXT_MESSAGE_START", ts);
            start["messageId"] = *text_id_;
            start["role"] = "assistant";
            out.push_back(std::move(start));
        }
        auto e = Event("TEXT_MESSAGE_CONTENT", ts);
        e["messageId"] = *text_id_;
        e["delta"] = text;
        out.push_back(std::move(e));
    } else if (type == "agent_completed" || type == "agent_failed") {
        if (agent == kReportingAgent) CloseText(out, ts);
        auto it = std::find(open_steps_.begin(), open_steps_.end(), agent);
        if (it == open_steps_.end()) return out;  // never started on this stream
        open_steps_.erase(it);
        json::object netra{{"agent", agent}, {"status", type == "agent_completed" ? "completed" : "failed"}};
        if (const json::object* error = core::GetObject(payload, "error")) netra["error"] = *error;
        auto e = Event("STEP_FINISHED", ts);
        e["stepName"] = agent;
        e["metadata"] = json::object{{"netra", std::move(netra)}};
        out.push_back(std::move(e));
    } else if (type == "run_resumed") {
        // Another instance took the run over: the agent that was running starts afresh, the tool it was in never
        // reports.
        CloseAll(out, ts, "the run was resumed by another server");
        auto e = Event("CUSTOM", ts);
        e["name"] = "netra.run_resumed";
        e["value"] = payload;
        out.push_back(std::move(e));
    } else if (type == "run_completed" || type == "run_failed" || type == "run_cancelled") {
        Terminal(type, payload, ts, out);
    }
    // run_started: RUN_STARTED went out when the run was accepted. Anything else has no AG-UI counterpart.
    return out;
}

std::vector<json::object> EventMapper::Finish() {
    Events out;
    if (finished_) return out;
    if (!started_) out = Start();
    const auto ts = core::NowMs();
    CloseAll(out, ts, "the event stream ended");
    auto e = Event("RUN_ERROR", ts);
    e["message"] = "the event stream ended before the run did";
    e["code"] = "STREAM_ENDED";
    e["metadata"] = RunMetadata();
    out.push_back(std::move(e));
    finished_ = true;
    return out;
}

std::string SseData(const json::object& event) {
    std::string out = "data: ";
    core::AppendJsonText(out, event);
    out += "\n\n";
    return out;
}

}  // namespace netra::net::http::agui

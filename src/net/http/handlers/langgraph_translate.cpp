#include "net/http/handlers/langgraph_translate.hpp"

#include "core/json_write.hpp"
#include "core/time.hpp"

namespace netra::net::http::langgraph {
namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

namespace {

json::value OptTime(const std::optional<core::Millis>& t) {
    return t ? json::value(core::FormatRfc3339Ms(*t)) : json::value(nullptr);
}

std::string Serialize(const json::value& v) { return core::JsonText(v); }  // numbers in plain decimal

// Text of a message's content: a string, or the text of its {type: "text", text} blocks.
std::optional<std::string> ContentText(const json::value& content) {
    if (content.is_string()) return std::string(content.get_string());
    if (!content.is_array()) return std::nullopt;
    std::string out;
    for (const auto& block : content.get_array()) {
        if (block.is_string()) {
            out += block.get_string();
        } else if (block.is_object()) {
            const auto& b = block.get_object();
            auto type = b.if_contains("type");
            auto text = b.if_contains("text");
            if (type && type->is_string() && type->get_string() == "text" && text && text->is_string())
                out += text->get_string();
        }
    }
    return out;
}

bool IsHuman(const json::object& m) {
    for (const char* key : {"type", "role"}) {
        if (auto v = m.if_contains(key); v && v->is_string()) {
            auto s = v->get_string();
            return s == "human" || s == "user" || s == "HumanMessage" || s == "HumanMessageChunk";
        }
    }
    return false;
}

const json::object* PayloadOf(const json::object& envelope) {
    auto p = envelope.if_contains("payload");
    return p && p->is_object() ? &p->get_object() : nullptr;
}

std::string StringField(const json::object* o, const char* key) {
    if (!o) return {};
    auto v = o->if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

bool IsOurAssistant(std::string_view id) { return id == kAssistantId || id == kGraphId; }

json::object AssistantJson() {
    const std::string epoch = core::FormatRfc3339Ms(0);
    return json::object{
        {"assistant_id", kAssistantId},
        {"graph_id", kGraphId},
        {"name", "Netra supervisor"},
        {"description",
         "Netra's supervisor: triage, data helper, data, optimization, actions and reporting agents analyse LLM "
         "usage and answer with a report."},
        {"config", json::object{}},
        {"context", json::object{}},
        {"metadata", json::object{{"created_by", "system"}}},
        {"version", 1},
        {"created_at", epoch},
        {"updated_at", epoch},
    };
}

std::string_view RunStatusName(domain::RunStatus status) {
    switch (status) {
        case domain::RunStatus::kQueued:
        case domain::RunStatus::kInterrupted:
            return "pending";
        case domain::RunStatus::kRunning:
        case domain::RunStatus::kCancelling:
            return "running";
        case domain::RunStatus::kCompleted:
            return "success";
        case domain::RunStatus::kFailed:
            return "error";
        case domain::RunStatus::kCancelled:
            return "interrupted";
    }
    return "error";
}

std::optional<std::string> PolicyFor(const std::optional<std::string>& strategy) {
    if (!strategy || strategy->empty() || *strategy == "reject") return std::string("reject");
    if (*strategy == "enqueue") return std::string("enqueue");
    if (*strategy == "interrupt" || *strategy == "rollback") return std::string("interrupt");
    return std::nullopt;
}

std::string_view StrategyFor(domain::DoubleTextPolicy policy) {
    switch (policy) {
        case domain::DoubleTextPolicy::kEnqueue:
            return "enqueue";
        case domain::DoubleTextPolicy::kReject:
            return "reject";
        case domain::DoubleTextPolicy::kInterrupt:
            return "interrupt";
    }
    return "reject";
}

core::Result<std::string> HumanInput(const json::value& input) {
    const json::array* messages = nullptr;
    if (input.is_object()) {
        if (auto m = input.get_object().if_contains("messages")) {
            if (m->is_array()) messages = &m->get_array();
        }
    } else if (input.is_array()) {
        messages = &input.get_array();
    }
    if (!messages) {
        return MakeError(ErrorCode::kValidationFailed,
                         "input must be {\"messages\": [{\"type\": \"human\", \"content\": \"...\"}]}");
    }
    for (auto it = messages->rbegin(); it != messages->rend(); ++it) {
        if (!it->is_object() || !IsHuman(it->get_object())) continue;
        auto content = it->get_object().if_contains("content");
        if (!content) continue;
        auto text = ContentText(*content);
        if (text && !text->empty()) return *text;
    }
    return MakeError(ErrorCode::kValidationFailed, "input.messages has no human message with text content");
}

core::Result<std::set<std::string>> StreamModes(const std::vector<std::string>& modes) {
    static const std::set<std::string> kSupported = {"values", "messages-tuple", "messages", "updates", "custom"};
    // LangGraph's other modes: accepted (useStream asks for some when a callback is set) and silent.
    static const std::set<std::string> kSilent = {"events", "debug", "tasks", "checkpoints", "tools", "lifecycle"};
    std::set<std::string> out;
    for (const auto& m : modes) {
        if (kSilent.count(m)) continue;
        if (!kSupported.count(m)) {
            std::string message = "stream_mode '";
            message.append(m).append(
                "' is not a LangGraph stream mode (values, messages-tuple, messages, updates, custom)");
            return MakeError(ErrorCode::kValidationFailed, message);
        }
        out.insert(m);
    }
    if (out.empty()) out.insert("values");
    return out;
}

core::Result<std::set<std::string>> StreamModes(const json::value* stream_mode) {
    std::vector<std::string> modes;
    if (stream_mode && !stream_mode->is_null()) {
        if (stream_mode->is_string()) {
            modes.emplace_back(stream_mode->get_string());
        } else if (stream_mode->is_array()) {
            for (const auto& m : stream_mode->get_array()) {
                if (!m.is_string()) return MakeError(ErrorCode::kValidationFailed, "stream_mode entries are strings");
                modes.emplace_back(m.get_string());
            }
        } else {
            return MakeError(ErrorCode::kValidationFailed, "stream_mode must be a string or an array of strings");
        }
    }
    return StreamModes(modes);
}

std::string AiMessageId(std::string_view run_id) {
    std::string id = "run-";
    id.append(run_id);
    return id;
}

json::object AiMessage(std::string_view run_id, std::string content) {
    return json::object{{"type", "ai"},
                        {"content", std::move(content)},
                        {"id", AiMessageId(run_id)},
                        {"additional_kwargs", json::object{}},
                        {"response_metadata", json::object{}},
                        {"tool_calls", json::array{}},
                        {"invalid_tool_calls", json::array{}}};
}

json::object MessageDict(const domain::Message& m) {
    if (m.role == domain::MessageRole::kAssistant && m.run_id) return AiMessage(*m.run_id, m.content);
    std::string_view type = m.role == domain::MessageRole::kUser        ? "human"
                            : m.role == domain::MessageRole::kAssistant ? "ai"
                                                                        : "system";
    json::object o{{"type", type},
                   {"content", m.content},
                   {"id", m.id},
                   {"additional_kwargs", json::object{}},
                   {"response_metadata", json::object{}}};
    if (type == "ai") {
        o["tool_calls"] = json::array{};
        o["invalid_tool_calls"] = json::array{};
    }
    return o;
}

json::array AllMessages(const std::vector<domain::Message>& messages) {
    json::array out;
    for (const auto& m : messages) out.push_back(MessageDict(m));
    return out;
}

json::array MessagesBeforeAnswer(const std::vector<domain::Message>& messages, std::string_view run_id) {
    std::size_t end = messages.size();
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].run_id == run_id && messages[i].role != domain::MessageRole::kAssistant) end = i + 1;
    }
    json::array out;
    for (std::size_t i = 0; i < end; ++i) {
        if (messages[i].run_id == run_id && messages[i].role == domain::MessageRole::kAssistant) continue;
        out.push_back(MessageDict(messages[i]));
    }
    return out;
}

json::array MessagesThroughRun(const std::vector<domain::Message>& messages, std::string_view run_id) {
    std::size_t end = messages.size();
    bool found = false;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (messages[i].run_id == run_id) {
            end = i + 1;
            found = true;
        }
    }
    if (!found) end = messages.size();
    json::array out;
    for (std::size_t i = 0; i < end; ++i) out.push_back(MessageDict(messages[i]));
    return out;
}

std::string_view ThreadStatus(const std::vector<domain::Run>& runs) {
    for (const auto& r : runs) {
        if (!domain::IsFinished(r.status)) return "busy";
    }
    if (!runs.empty() && runs.back().status == domain::RunStatus::kFailed) return "error";
    return "idle";
}

json::object ThreadMetadata(const domain::Thread& t) {
    return json::object{{"graph_id", kGraphId}, {"assistant_id", kAssistantId}, {"title", t.title}};
}

json::object ThreadJson(const domain::Thread& t, const std::vector<domain::Message>& messages,
                        const std::vector<domain::Run>& runs) {
    auto status = ThreadStatus(runs);
    json::object o{{"thread_id", t.id},
                   {"created_at", core::FormatRfc3339Ms(t.created_at)},
                   {"updated_at", core::FormatRfc3339Ms(t.updated_at)},
                   {"state_updated_at", core::FormatRfc3339Ms(t.updated_at)},
                   {"metadata", ThreadMetadata(t)},
                   {"status", status},
                   {"values", json::object{{"messages", AllMessages(messages)}}},
                   {"interrupts", json::object{}},
                   {"config", json::object{}}};
    if (status == "error" && !runs.empty() && runs.back().error) o["error"] = *runs.back().error;
    return o;
}

json::object ThreadStateJson(const domain::Thread& t, const std::vector<domain::Message>& messages, std::size_t count,
                             bool busy) {
    count = std::min(count, messages.size());
    json::array values;
    for (std::size_t i = 0; i < count; ++i) values.push_back(MessageDict(messages[i]));
    auto checkpoint = [&](std::size_t n) -> json::value {
        if (n == 0) return nullptr;
        return json::object{{"thread_id", t.id},
                            {"checkpoint_ns", ""},
                            {"checkpoint_id", messages[n - 1].id},
                            {"checkpoint_map", nullptr}};
    };
    json::value self = checkpoint(count);
    if (self.is_null()) {
        self = json::object{
            {"thread_id", t.id}, {"checkpoint_ns", ""}, {"checkpoint_id", nullptr}, {"checkpoint_map", nullptr}};
    }
    const bool latest = count == messages.size();
    json::array next;
    if (latest && busy) next.emplace_back(kGraphId);
    json::object metadata = ThreadMetadata(t);
    metadata["step"] = static_cast<std::int64_t>(count) - 1;
    metadata["source"] = count > 0 && messages[count - 1].role == domain::MessageRole::kUser ? "input" : "loop";
    return json::object{
        {"values", json::object{{"messages", std::move(values)}}},
        {"next", std::move(next)},
        {"checkpoint", std::move(self)},
        {"metadata", std::move(metadata)},
        {"created_at", count > 0 ? json::value(core::FormatRfc3339Ms(messages[count - 1].created_at))
                                 : json::value(core::FormatRfc3339Ms(t.created_at))},
        {"parent_checkpoint", count > 0 ? checkpoint(count - 1) : json::value(nullptr)},
        {"tasks", json::array{}},
        {"interrupts", json::array{}},
    };
}

json::object RunJson(const domain::Run& r) {
    core::Millis updated = r.finished_at ? *r.finished_at : r.started_at ? *r.started_at : r.created_at;
    json::object o{{"run_id", r.id},
                   {"thread_id", r.thread_id},
                   {"assistant_id", kAssistantId},
                   {"created_at", core::FormatRfc3339Ms(r.created_at)},
                   {"updated_at", core::FormatRfc3339Ms(updated)},
                   {"status", RunStatusName(r.status)},
                   {"metadata", json::object{{"netra_status", domain::Name(r.status)}}},
                   {"multitask_strategy", StrategyFor(r.policy)},
                   {"kwargs", json::object{}},
                   {"started_at", OptTime(r.started_at)},
                   {"finished_at", OptTime(r.finished_at)}};
    if (r.status == domain::RunStatus::kCancelled) o["cancel_reason"] = "cancelled";
    if (r.error) o["error"] = *r.error;
    return o;
}

LangGraphTranslator::LangGraphTranslator(StreamSetup setup)
    : setup_(std::move(setup)), report_(setup_.report_so_far), message_announced_(!setup_.report_so_far.empty()) {}

json::object LangGraphTranslator::Values() const {
    json::array messages = setup_.base_messages;
    if (!report_.empty()) messages.push_back(AiMessage(setup_.run_id, report_));
    return json::object{{"messages", std::move(messages)}};
}

std::string LangGraphTranslator::Begin() {
    std::string out = "retry: 1000\n\n";
    if (!setup_.send_metadata) return out;
    out += SseFrame("", "metadata",
                    Serialize(json::object{
                        {"run_id", setup_.run_id}, {"thread_id", setup_.thread_id}, {"assistant_id", kAssistantId}}));
    if (Has("values")) out += SseFrame("", "values", Serialize(Values()));
    return out;
}

std::string LangGraphTranslator::Translate(const runs::ReplayEvent& event) {
    json::value parsed;
    try {
        parsed = json::parse(*event.envelope);
    } catch (...) {
        return {};
    }
    if (!parsed.is_object()) return {};
    return TranslateEnvelope(event.seq, parsed.get_object());
}

std::string LangGraphTranslator::TranslateEnvelope(std::int64_t seq, const json::object& envelope) {
    const std::string id = std::to_string(seq);
    const std::string type_name = StringField(&envelope, "type");
    const auto type = domain::ParseEventType(type_name);
    const json::object* payload = PayloadOf(envelope);
    std::string agent = StringField(&envelope, "agent_name");
    if (agent.empty()) agent = StringField(payload, "agent");
    std::string out;
    if (Has("custom")) out += SseFrame(id, "custom", Serialize(envelope));
    if (!type) return out;
    switch (*type) {
        case domain::EventType::kStreamChunk: {
            std::string text = StringField(payload, "text");
            report_ += text;
            json::object metadata{{"langgraph_node", agent},
                                  {"langgraph_checkpoint_ns", ""},
                                  {"run_id", setup_.run_id},
                                  {"thread_id", setup_.thread_id},
                                  {"netra_seq", seq}};
            if (payload) {
                if (auto index = payload->if_contains("index")) metadata["index"] = *index;
            }
            const std::string message_id = AiMessageId(setup_.run_id);
            if (Has("messages-tuple")) {
                json::object chunk{{"type", "AIMessageChunk"},
                                   {"content", text},
                                   {"id", message_id},
                                   {"additional_kwargs", json::object{}},
                                   {"response_metadata", json::object{}},
                                   {"tool_call_chunks", json::array{}}};
                out += SseFrame(id, "messages", Serialize(json::array{std::move(chunk), metadata}));
            }
            if (Has("messages")) {
                if (!message_announced_) {
                    out += SseFrame(id, "messages/metadata",
                                    Serialize(json::object{{message_id, json::object{{"metadata", metadata}}}}));
                }
                out += SseFrame(id, "messages/partial", Serialize(json::array{AiMessage(setup_.run_id, report_)}));
            }
            message_announced_ = true;
            break;
        }
        case domain::EventType::kAgentCompleted: {
            if (!Has("updates")) break;
            json::object update;
            if (payload) {
                if (auto r = payload->if_contains("result")) update["result"] = *r;
                if (auto m = payload->if_contains("metadata")) update["metadata"] = *m;
            }
            if (agent == "reporting" && !report_.empty())
                update["messages"] = json::array{AiMessage(setup_.run_id, report_)};
            out += SseFrame(id, "updates", Serialize(json::object{{agent, std::move(update)}}));
            break;
        }
        case domain::EventType::kRunCompleted:
        case domain::EventType::kRunFailed:
        case domain::EventType::kRunCancelled: {
            terminal_ = *type;
            if (Has("messages") && !report_.empty())
                out += SseFrame(id, "messages/complete", Serialize(json::array{AiMessage(setup_.run_id, report_)}));
            if (Has("values")) out += SseFrame(id, "values", Serialize(Values()));
            if (*type == domain::EventType::kRunFailed) {
                // payload.error is {code, message} (a string from older writers).
                std::string code = "RunFailed";
                std::string message = StringField(payload, "error");
                if (auto e = payload ? payload->if_contains("error") : nullptr; e && e->is_object()) {
                    code = StringField(&e->get_object(), "code");
                    message = StringField(&e->get_object(), "message");
                    if (code.empty()) code = "RunFailed";
                }
                if (message.empty()) message = "the run failed";
                out += SseFrame(id, "error", Serialize(json::object{{"error", code}, {"message", message}}));
            }
            break;
        }
        default:
            break;
    }
    return out;
}

std::string LangGraphTranslator::End() {
    domain::RunStatus status = setup_.status;
    if (terminal_ == domain::EventType::kRunCompleted) status = domain::RunStatus::kCompleted;
    if (terminal_ == domain::EventType::kRunFailed) status = domain::RunStatus::kFailed;
    if (terminal_ == domain::EventType::kRunCancelled) status = domain::RunStatus::kCancelled;
    return SseFrame("", "end", Serialize(json::object{{"run_id", setup_.run_id}, {"status", RunStatusName(status)}}));
}

}  // namespace netra::net::http::langgraph

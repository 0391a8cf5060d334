#include "net/ws/protocol.hpp"

#include <boost/json.hpp>

#include "core/json_util.hpp"
#include "core/json_write.hpp"

namespace netra::net::ws {
namespace json = boost::json;
using core::ErrorCode;

namespace {

// Looks a field up inside `payload` first, then flat.
const json::value* Field(const json::object& frame, const json::object* payload, std::string_view key) {
    if (payload) {
        if (auto it = payload->find(key); it != payload->end()) return &it->value();
    }
    if (auto it = frame.find(key); it != frame.end()) return &it->value();
    return nullptr;
}

// Reads an optional string field; a present field of another type is an error.
bool OptionalString(const json::object& frame, const json::object* payload, std::string_view key,
                    std::optional<std::string>& out, std::string& error) {
    const json::value* v = Field(frame, payload, key);
    if (!v || v->is_null()) return true;
    if (!v->is_string()) {
        error = std::string(key) + " must be a string";
        return false;
    }
    out = std::string(v->get_string());
    return true;
}

std::optional<FrameType> TypeFromName(const std::string& name) {
    if (name == "user_message" || name == "message" || name == "chat") return FrameType::kUserMessage;
    if (name == "start_agent" || name == "execute_agent") return FrameType::kStartAgent;
    if (name == "ping") return FrameType::kPing;
    if (name == "heartbeat") return FrameType::kHeartbeat;
    if (name == "cancel_run") return FrameType::kCancelRun;
    if (name == "subscribe") return FrameType::kSubscribe;
    if (name == "get_agent_status") return FrameType::kGetAgentStatus;
    return std::nullopt;
}

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

std::variant<ClientFrame, FrameError> ParseClientFrame(std::string_view text, const ParseLimits& limits) {
    auto parsed = core::ParseJson(text, core::JsonLimits{limits.max_json_depth});
    if (!parsed.ok())
        return FrameError{ErrorCode::kInvalidMessage, "frame is not valid JSON: " + parsed.error().message, "", {}};
    if (!parsed->is_object()) return FrameError{ErrorCode::kInvalidMessage, "frame must be a JSON object", "", {}};
    const json::object& obj = parsed->as_object();
    auto type_it = obj.find("type");
    if (type_it == obj.end() || !type_it->value().is_string() || type_it->value().get_string().empty()) {
        return FrameError{ErrorCode::kInvalidMessage, "frame has no \"type\" string", "", {}};
    }
    ClientFrame f;
    f.type_name = std::string(type_it->value().get_string());
    auto type = TypeFromName(f.type_name);
    if (!type) return FrameError{ErrorCode::kUnknownType, "unknown frame type '" + f.type_name + "'", f.type_name, {}};
    f.type = *type;
    const json::object* payload = core::GetObject(obj, "payload");
    auto invalid = [&](std::string message) {
        return FrameError{ErrorCode::kInvalidRequest, std::move(message), f.type_name, f.client_message_id};
    };

    std::string error;
    // client_message_id first: an error about any other field can then name the message it refuses.
    if (!OptionalString(obj, payload, "client_message_id", f.client_message_id, error) ||
        !OptionalString(obj, payload, "thread_id", f.thread_id, error) ||
        !OptionalString(obj, payload, "dataset_id", f.dataset_id, error) ||
        !OptionalString(obj, payload, "policy", f.policy, error) ||
        !OptionalString(obj, payload, "run_id", f.run_id, error)) {
        return invalid(error);
    }
    switch (f.type) {
        case FrameType::kUserMessage:
        case FrameType::kStartAgent: {
            std::optional<std::string> content;
            const char* keys[] = {"content", "message", "text", "user_request", "input"};
            for (const char* key : keys) {
                if (!OptionalString(obj, payload, key, content, error)) return invalid(error);
                if (content) break;
            }
            if (!content || IsBlank(*content)) {
                return invalid(f.type == FrameType::kStartAgent ? "user_request must not be empty"
                                                                : "message content must not be empty");
            }
            if (content->size() > limits.max_content_bytes) {
                return FrameError{
                    ErrorCode::kPayloadTooLarge,
                    "message content is larger than " + std::to_string(limits.max_content_bytes) + " bytes",
                    f.type_name, f.client_message_id};
            }
            f.content = std::move(*content);
            std::optional<std::string> agent;
            if (!OptionalString(obj, payload, "agent", agent, error)) return invalid(error);
            if (agent) f.agent = *agent;
            if (f.policy && *f.policy != "enqueue" && *f.policy != "reject" && *f.policy != "interrupt") {
                return invalid("policy must be enqueue, reject or interrupt");
            }
            break;
        }
        case FrameType::kCancelRun:
            if (!f.run_id || f.run_id->empty()) return invalid("run_id is required");
            break;
        case FrameType::kSubscribe: {
            if ((!f.run_id || f.run_id->empty()) && (!f.thread_id || f.thread_id->empty())) {
                return invalid("run_id or thread_id is required");
            }
            const json::value* after = Field(obj, payload, "after_seq");
            if (after && !after->is_null()) {
                if (after->is_int64() && after->get_int64() >= 0) {
                    f.after_seq = after->get_int64();
                } else if (after->is_uint64()) {
                    f.after_seq = static_cast<std::int64_t>(after->get_uint64() & 0x7fffffffffffffffULL);
                } else {
                    return invalid("after_seq must be a non-negative integer");
                }
            }
            break;
        }
        case FrameType::kPing:
            if (const json::value* id = Field(obj, payload, "id")) f.ping_id = *id;
            break;
        case FrameType::kHeartbeat:
        case FrameType::kGetAgentStatus:
            break;
    }
    return f;
}

std::string ErrorFrame(const ErrorCode code, const std::string& message, const std::string& request_type,
                       std::optional<std::int64_t> retry_after_ms,
                       const std::optional<std::string>& client_message_id) {
    json::object o{{"type", "error"}, {"code", core::WsErrorCode(code)}, {"message", message}};
    if (retry_after_ms) o["retry_after_ms"] = *retry_after_ms;
    if (client_message_id) o["client_message_id"] = *client_message_id;
    if (!request_type.empty())
        o["request_type"] = request_type;
    else
        o["request_type"] = nullptr;
    return core::JsonText(o);
}

}  // namespace netra::net::ws

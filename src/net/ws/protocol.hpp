#pragma once
// Parsing of client WebSocket frames (§6). Pure: text in, a typed frame or an error out. Fields may be
// flat or inside `payload`; aliases are normalised here so the session sees one vocabulary.
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/error.hpp"

namespace netra::net::ws {

enum class FrameType { kUserMessage, kStartAgent, kPing, kHeartbeat, kCancelRun, kSubscribe, kGetAgentStatus };

struct ClientFrame {
    FrameType type = FrameType::kPing;
    std::string type_name;  // as the client sent it (echoed as request_type)
    std::string content;    // user_message content / start_agent user_request
    std::optional<std::string> thread_id;
    std::optional<std::string> dataset_id;
    std::optional<std::string> client_message_id;
    std::optional<std::string> policy;
    std::string agent = "supervisor";
    std::optional<std::string> run_id;
    std::int64_t after_seq = 0;
    boost::json::value ping_id;  // echoed in pong as sent (null when absent)
};

struct FrameError {
    core::ErrorCode code;
    std::string message;
    std::string request_type;                      // empty when the type could not be read
    std::optional<std::string> client_message_id;  // echoed so the client knows which message was refused
};

struct ParseLimits {
    std::size_t max_json_depth = 64;
    std::size_t max_content_bytes = 32 * 1024;
};

// Either the frame or the error frame to answer with.
std::variant<ClientFrame, FrameError> ParseClientFrame(std::string_view text, const ParseLimits& limits);

// Server frames that are not run events.
// `retry_after_ms`: for RATE_LIMITED, the wait the limit asks for; `client_message_id`: the refused message's.
std::string ErrorFrame(const core::ErrorCode code, const std::string& message, const std::string& request_type,
                       std::optional<std::int64_t> retry_after_ms = std::nullopt,
                       const std::optional<std::string>& client_message_id = std::nullopt);

}  // namespace netra::net::ws

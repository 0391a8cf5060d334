#include "net/ws/protocol.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace netra::net::ws {
namespace {
ClientFrame Ok(std::string_view text) {
    auto r = ParseClientFrame(text, {});
    EXPECT_TRUE(std::holds_alternative<ClientFrame>(r)) << text;
    return std::holds_alternative<ClientFrame>(r) ? std::get<ClientFrame>(r) : ClientFrame{};
}
FrameError Err(std::string_view text) {
    auto r = ParseClientFrame(text, {});
    EXPECT_TRUE(std::holds_alternative<FrameError>(r)) << text;
    return std::holds_alternative<FrameError>(r) ? std::get<FrameError>(r) : FrameError{};
}
}  // namespace

TEST(WsProtocol, UserMessageFlatOrInPayloadWithAliases) {
    auto a = Ok(R"({"type":"user_message","content":"hi","thread_id":"t1","client_message_id":"c1"})");
    EXPECT_EQ(a.type, FrameType::kUserMessage);
    EXPECT_EQ(a.content, "hi");
    EXPECT_EQ(a.thread_id, "t1");
    EXPECT_EQ(a.client_message_id, "c1");
    auto b = Ok(R"({"type":"chat","payload":{"text":"yo","policy":"reject"}})");
    EXPECT_EQ(b.type, FrameType::kUserMessage);
    EXPECT_EQ(b.content, "yo");
    EXPECT_EQ(b.policy, "reject");
    auto c = Ok(R"({"type":"execute_agent","payload":{"user_request":"go"},"agent":"triage"})");
    EXPECT_EQ(c.type, FrameType::kStartAgent);
    EXPECT_EQ(c.agent, "triage");
    auto d = Ok(R"({"type":"start_agent","input":"flat"})");
    EXPECT_EQ(d.content, "flat");
}

TEST(WsProtocol, ErrorsForMalformedFrames) {
    EXPECT_EQ(Err("{nope").code, core::ErrorCode::kInvalidMessage);
    EXPECT_EQ(Err("[1]").code, core::ErrorCode::kInvalidMessage);
    EXPECT_EQ(Err(R"({"content":"x"})").code, core::ErrorCode::kInvalidMessage);
    auto unknown = Err(R"({"type":"dance"})");
    EXPECT_EQ(unknown.code, core::ErrorCode::kUnknownType);
    EXPECT_EQ(unknown.request_type, "dance");
    EXPECT_EQ(Err(R"({"type":"user_message","content":"   "})").code, core::ErrorCode::kInvalidRequest);
    EXPECT_EQ(Err(R"({"type":"user_message"})").code, core::ErrorCode::kInvalidRequest);
    EXPECT_EQ(Err(R"({"type":"user_message","content":5})").code, core::ErrorCode::kInvalidRequest);
    EXPECT_EQ(Err(R"({"type":"subscribe"})").code, core::ErrorCode::kInvalidRequest);
    EXPECT_EQ(Err(R"({"type":"subscribe","run_id":"r","after_seq":-1})").code, core::ErrorCode::kInvalidRequest);
    EXPECT_EQ(Err(R"({"type":"cancel_run"})").code, core::ErrorCode::kInvalidRequest);
    EXPECT_EQ(Err(R"({"type":"user_message","content":"x","policy":"shove"})").code, core::ErrorCode::kInvalidRequest);
}

TEST(WsProtocol, PingSubscribeAndErrorFrame) {
    auto p = Ok(R"({"type":"ping","id":42})");
    EXPECT_EQ(p.ping_id.as_int64(), 42);
    auto s = Ok(R"({"type":"subscribe","payload":{"run_id":"r1","after_seq":7}})");
    EXPECT_EQ(s.run_id, "r1");
    EXPECT_EQ(s.after_seq, 7);
    auto t = Ok(R"({"type":"subscribe","thread_id":"t1"})");
    EXPECT_EQ(t.thread_id, "t1");
    EXPECT_FALSE(t.run_id);
    auto frame = boost::json::parse(ErrorFrame(core::ErrorCode::kUnknownType, "nope", "dance")).as_object();
    EXPECT_EQ(frame["type"], "error");
    EXPECT_EQ(frame["code"], "UNKNOWN_TYPE");
    EXPECT_TRUE(frame["message"].is_string());
    EXPECT_EQ(frame["request_type"], "dance");
    EXPECT_FALSE(frame.contains("client_message_id"));
}

TEST(WsProtocol, RefusedMessageErrorNamesTheClientMessage) {
    auto parsed = ParseClientFrame(R"({"type":"user_message","content":"  ","client_message_id":"c-7"})", {});
    auto* error = std::get_if<FrameError>(&parsed);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->client_message_id, "c-7");
    auto frame = boost::json::parse(ErrorFrame(error->code, error->message, error->request_type, std::nullopt,
                                               error->client_message_id))
                     .as_object();
    EXPECT_EQ(frame["client_message_id"], "c-7");
    EXPECT_EQ(frame["request_type"], "user_message");
}

}  // namespace netra::net::ws

// SseStream against a fake SSE server on loopback: events split across TCP writes, CRLF and LF line ends,
// comments, multi-line data, then the server closing the stream; and a non-200 answer read whole.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "stage/http_client.hpp"

namespace netra::stage {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Accepts one connection, reads the request head, writes `parts` with short pauses, then closes.
class FakeServer {
  public:
    explicit FakeServer(std::vector<std::string> parts)
        : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), parts_(std::move(parts)) {
        thread_ = std::thread([this] {
            tcp::socket s(ioc_);
            acceptor_.accept(s);
            asio::streambuf buf;
            asio::read_until(s, buf, "\r\n\r\n");
            request_ = std::string(asio::buffers_begin(buf.data()), asio::buffers_end(buf.data()));
            for (const auto& p : parts_) {
                asio::write(s, asio::buffer(p));
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            s.close();
        });
    }
    ~FakeServer() { thread_.join(); }
    ServerUrl Url() const {
        return ServerUrl{"http", "127.0.0.1", std::to_string(acceptor_.local_endpoint().port()), "", false, ""};
    }
    const std::string& request() const { return request_; }

  private:
    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    std::vector<std::string> parts_;
    std::string request_;
    std::thread thread_;
};

TEST(SseStream, ParsesEventsSplitAcrossWritesUntilTheServerCloses) {
    FakeServer server({"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\nretry: 1000\n\n",
                       "id: 1\nevent: run_started\ndata: {\"seq\":", "1}\n\n: keep-alive\n\n",
                       "id: 2\r\nevent: stream_chunk\r\ndata: line one\r\ndata: line two\r\n\r\n"});
    SseStream sse;
    auto head = sse.Open(server.Url(), "/api/runs/r1/stream", {{"Last-Event-ID", "0"}});
    ASSERT_TRUE(head.ok()) << head.error().message;
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->Header("content-type").value_or(""), "text/event-stream");
    auto e1 = sse.Next(std::chrono::seconds(5));
    ASSERT_TRUE(e1.has_value());
    EXPECT_EQ(e1->id, "1");
    EXPECT_EQ(e1->event, "run_started");
    EXPECT_EQ(e1->data, "{\"seq\":1}");
    auto e2 = sse.Next(std::chrono::seconds(5));
    ASSERT_TRUE(e2.has_value());
    EXPECT_EQ(e2->id, "2");
    EXPECT_EQ(e2->data, "line one\nline two");
    EXPECT_FALSE(sse.Next(std::chrono::seconds(5)).has_value());
    EXPECT_TRUE(sse.Ended());
    EXPECT_NE(server.request().find("Last-Event-ID: 0"), std::string::npos);
}

TEST(SseStream, ReturnsANon200AnswerWhole) {
    FakeServer server({"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n",
                       "{\"error\":\"not_found\"}"});
    SseStream sse;
    auto head = sse.Open(server.Url(), "/api/runs/x/stream");
    ASSERT_TRUE(head.ok()) << head.error().message;
    EXPECT_EQ(head->status, 404);
    ASSERT_NE(head->JsonObject(), nullptr);
    EXPECT_TRUE(sse.Ended());
}

}  // namespace
}  // namespace netra::stage

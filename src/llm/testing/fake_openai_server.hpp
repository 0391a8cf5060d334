#pragma once
// A real OpenAI-compatible HTTP server on a random loopback port, for tests only (compiled into the test binary,
// never into netra_llm). Each request takes the next scripted reply (then the default one): stream chunks,
// answer an HTTP status, hang, send raw bytes, cut the stream, pause between chunks. Every request is recorded.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

// OpenSSL's types, so this header needs no OpenSSL include.
struct ssl_ctx_st;
struct ssl_st;

namespace netra::llm::testing {

struct FakeReply {
    enum class Kind { kStream, kStatus, kHang, kRaw };
    Kind kind = Kind::kStream;
    // kStream: one SSE event per content delta (after a role-only event), then a finish event, the usage event
    // when usage_total_tokens is set, and data: [DONE] unless send_done is false (a cut stream).
    std::vector<std::string> chunks;
    bool send_done = true;
    std::optional<int> usage_total_tokens;
    std::chrono::milliseconds chunk_delay{0};  // pause before each content event
    bool hang_after = false;                   // keep the connection open, silent, after the last event
    bool chunked = true;                       // Transfer-Encoding: chunked; false = body ends when we close
    // kStatus: this status with `body`, plus Retry-After when set. kRaw: `body` sent as the SSE body verbatim.
    int status = 200;
    std::string body;
    std::string retry_after;
    std::string content_type = "text/event-stream";

    static FakeReply Stream(std::vector<std::string> chunks);
    static FakeReply Status(int status, std::string body = {}, std::string retry_after = {});
    static FakeReply Hang();  // reads the request, never answers
    static FakeReply Raw(std::string sse_body);
};

struct RecordedRequest {
    std::string method;
    std::string target;
    std::string authorization;
    std::string body;
    std::chrono::steady_clock::time_point received_at;  // when the whole request had been read
};

class FakeOpenAiServer {
  public:
    // Listening on 127.0.0.1 at a port the kernel picked. tls: https with a fresh self-signed certificate for
    // 127.0.0.1 (its PEM in CaFile()); throws when the build has no OpenSSL.
    explicit FakeOpenAiServer(bool tls = false);
    ~FakeOpenAiServer();
    FakeOpenAiServer(const FakeOpenAiServer&) = delete;
    FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

    std::string BaseUrl() const;                            // http[s]://127.0.0.1:PORT
    const std::string& CaFile() const { return ca_file_; }  // tls: the certificate to trust
    std::uint16_t port() const { return port_; }

    void Enqueue(FakeReply reply);
    void SetDefault(FakeReply reply);  // used once the queue is empty; initially Stream({"ok"})
    // Chooses the reply from the request itself (a classification call and a prose call want different
    // answers, whatever order concurrent runs make them in). nullopt falls through to the queue/default.
    // Called under the server's lock: keep it quick and do not call back into the server.
    using Responder = std::function<std::optional<FakeReply>(const RecordedRequest&)>;
    void SetResponder(Responder responder);
    int RequestCount();
    std::vector<RecordedRequest> Requests();
    // Closes the listener and every open connection (hanging replies end), joins all threads.
    void Stop();

  private:
    void AcceptLoop();
    void Serve(int fd);
    FakeReply NextReply(const RecordedRequest& request);
    bool SleepUnlessStopped(std::chrono::milliseconds duration);  // false once stopping

    std::uint16_t port_ = 0;
    int listen_fd_ = -1;
    ssl_ctx_st* tls_context_ = nullptr;
    std::string ca_file_;
    std::mutex mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::deque<FakeReply> queue_;
    FakeReply default_reply_;
    Responder responder_;
    std::vector<RecordedRequest> requests_;
    std::vector<int> open_fds_;
    std::vector<std::thread> threads_;
    std::thread accept_thread_;
};

}  // namespace netra::llm::testing

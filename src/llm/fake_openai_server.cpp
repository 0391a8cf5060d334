#include "llm/fake_openai_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <stdexcept>

namespace netra::llm::testing {
namespace {

namespace json = boost::json;

bool SendAll(int fd, std::string_view data) {
    while (!data.empty()) {
        auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::string Lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

// Reads one request (headers and a Content-Length body). False when the peer closed or sent garbage.
bool ReadRequest(int fd, RecordedRequest& request) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
        auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) return false;
        data.append(buffer, static_cast<std::size_t>(n));
    }
    std::string head = data.substr(0, header_end);
    auto first_space = head.find(' ');
    auto second_space = head.find(' ', first_space + 1);
    if (first_space == std::string::npos || second_space == std::string::npos) return false;
    request.method = head.substr(0, first_space);
    request.target = head.substr(first_space + 1, second_space - first_space - 1);
    std::size_t content_length = 0;
    std::size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos < head.size()) {
        auto next = head.find("\r\n", pos + 2);
        std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = Lower(line.substr(0, colon));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(value.begin());
            if (name == "content-length") content_length = std::stoul(value);
            if (name == "authorization") request.authorization = value;
        }
        pos = next;
    }
    request.body = data.substr(header_end + 4);
    while (request.body.size() < content_length) {
        auto n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) return false;
        request.body.append(buffer, static_cast<std::size_t>(n));
    }
    return true;
}

std::string StatusText(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return "Status";
    }
}

std::string Event(const json::value& value) { return "data: " + json::serialize(value) + "\n\n"; }

json::object ChunkEvent(json::object delta, json::value finish_reason) {
    json::object choice{{"index", 0}, {"delta", std::move(delta)}, {"finish_reason", std::move(finish_reason)}};
    return json::object{
        {"id", "chatcmpl-fake"}, {"object", "chat.completion.chunk"}, {"choices", json::array{std::move(choice)}}};
}

}  // namespace

FakeReply FakeReply::Stream(std::vector<std::string> chunks) {
    FakeReply reply;
    reply.chunks = std::move(chunks);
    return reply;
}

FakeReply FakeReply::Status(int status, std::string body, std::string retry_after) {
    FakeReply reply;
    reply.kind = Kind::kStatus;
    reply.status = status;
    reply.body = std::move(body);
    reply.retry_after = std::move(retry_after);
    reply.content_type = "application/json";
    return reply;
}

FakeReply FakeReply::Hang() {
    FakeReply reply;
    reply.kind = Kind::kHang;
    return reply;
}

FakeReply FakeReply::Raw(std::string sse_body) {
    FakeReply reply;
    reply.kind = Kind::kRaw;
    reply.body = std::move(sse_body);
    return reply;
}

FakeOpenAiServer::FakeOpenAiServer() : default_reply_(FakeReply::Stream({"ok"})) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) throw std::runtime_error("fake server: socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listen_fd_, 64) != 0) {
        ::close(listen_fd_);
        throw std::runtime_error("fake server: bind/listen failed");
    }
    socklen_t length = sizeof address;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FakeOpenAiServer::~FakeOpenAiServer() { Stop(); }

std::string FakeOpenAiServer::BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_); }

void FakeOpenAiServer::Enqueue(FakeReply reply) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(reply));
}

void FakeOpenAiServer::SetDefault(FakeReply reply) {
    std::lock_guard lock(mutex_);
    default_reply_ = std::move(reply);
}

int FakeOpenAiServer::RequestCount() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(requests_.size());
}

std::vector<RecordedRequest> FakeOpenAiServer::Requests() {
    std::lock_guard lock(mutex_);
    return requests_;
}

FakeReply FakeOpenAiServer::NextReply() {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return default_reply_;
    FakeReply reply = std::move(queue_.front());
    queue_.pop_front();
    return reply;
}

bool FakeOpenAiServer::SleepUnlessStopped(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return !stop_cv_.wait_for(lock, duration, [this] { return stopping_; });
}

void FakeOpenAiServer::Stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) return;
        stopping_ = true;
        // shutdown() wakes threads blocked in accept/recv on these descriptors; each closes its own.
        ::shutdown(listen_fd_, SHUT_RDWR);
        for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    }
    stop_cv_.notify_all();
    if (accept_thread_.joinable()) accept_thread_.join();
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(mutex_);
        threads.swap(threads_);
    }
    for (auto& thread : threads) thread.join();
    ::close(listen_fd_);
}

void FakeOpenAiServer::AcceptLoop() {
    for (;;) {
        int fd = ::accept(listen_fd_, nullptr, nullptr);
        std::lock_guard lock(mutex_);
        if (stopping_) {
            if (fd >= 0) ::close(fd);
            return;
        }
        if (fd < 0) continue;
        open_fds_.push_back(fd);
        threads_.emplace_back([this, fd] { Serve(fd); });
    }
}

void FakeOpenAiServer::Serve(int fd) {
    RecordedRequest request;
    if (ReadRequest(fd, request)) {
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
        }
        FakeReply reply = NextReply();
        const bool chunked = reply.chunked && reply.kind != FakeReply::Kind::kStatus;
        auto write_body = [&](std::string_view piece) {
            if (!chunked) return SendAll(fd, piece);
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
            return SendAll(fd, size) && SendAll(fd, piece) && SendAll(fd, "\r\n");
        };
        auto head = [&](int status, std::string extra) {
            std::string text = "HTTP/1.1 " + std::to_string(status) + " " + StatusText(status) +
                               "\r\nContent-Type: " + reply.content_type + "\r\nConnection: close\r\n" + extra;
            text += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "\r\n";
            return SendAll(fd, text);
        };
        switch (reply.kind) {
            case FakeReply::Kind::kHang:
                SleepUnlessStopped(std::chrono::hours(1));
                break;
            case FakeReply::Kind::kStatus: {
                std::string extra = "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
                if (!reply.retry_after.empty()) extra += "Retry-After: " + reply.retry_after + "\r\n";
                if (head(reply.status, extra)) SendAll(fd, reply.body);
                break;
            }
            case FakeReply::Kind::kRaw:
                if (head(200, {}) && write_body(reply.body) && chunked) SendAll(fd, "0\r\n\r\n");
                break;
            case FakeReply::Kind::kStream: {
                bool ok = head(200, {}) && write_body(Event(ChunkEvent({{"role", "assistant"}}, nullptr)));
                for (const auto& chunk : reply.chunks) {
                    if (!ok) break;
                    if (reply.chunk_delay.count() > 0 && !SleepUnlessStopped(reply.chunk_delay)) ok = false;
                    if (ok) ok = write_body(Event(ChunkEvent({{"content", chunk}}, nullptr)));
                }
                if (ok && reply.send_done) {
                    ok = write_body(Event(ChunkEvent({}, "stop")));
                    if (ok && reply.usage_total_tokens) {
                        json::object usage{{"prompt_tokens", 1},
                                           {"completion_tokens", *reply.usage_total_tokens - 1},
                                           {"total_tokens", *reply.usage_total_tokens}};
                        ok = write_body(Event(json::object{{"choices", json::array{}}, {"usage", usage}}));
                    }
                    if (ok) ok = write_body("data: [DONE]\n\n");
                    if (ok && chunked && !reply.hang_after) SendAll(fd, "0\r\n\r\n");
                }
                if (ok && reply.hang_after) SleepUnlessStopped(std::chrono::hours(1));
                break;
            }
        }
    }
    std::lock_guard lock(mutex_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    ::close(fd);
}

}  // namespace netra::llm::testing

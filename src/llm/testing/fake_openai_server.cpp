#include "llm/testing/fake_openai_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#if NETRA_LLM_TLS
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

namespace netra::llm::testing {
namespace {

namespace json = boost::json;

// One accepted connection: plain, or TLS on top of the descriptor.
struct Conn {
    int fd = -1;
    ssl_st* ssl = nullptr;  // SSL, forward-declared so a build without OpenSSL compiles
};

long Recv(Conn& conn, char* buffer, std::size_t size) {
#if NETRA_LLM_TLS
    if (conn.ssl) return SSL_read(conn.ssl, buffer, static_cast<int>(size));
#endif
    return ::recv(conn.fd, buffer, size, 0);
}

bool SendAll(Conn& conn, std::string_view data) {
    while (!data.empty()) {
        long n = 0;
#if NETRA_LLM_TLS
        if (conn.ssl) {
            n = SSL_write(conn.ssl, data.data(), static_cast<int>(data.size()));
        } else
#endif
        {
            n = ::send(conn.fd, data.data(), data.size(), MSG_NOSIGNAL);
        }
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
bool ReadRequest(Conn& conn, RecordedRequest& request) {
    std::string data;
    char buffer[4096];
    std::size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
        auto n = Recv(conn, buffer, sizeof buffer);
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
        auto n = Recv(conn, buffer, sizeof buffer);
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

#if NETRA_LLM_TLS
namespace {

// A fresh self-signed P-256 certificate for 127.0.0.1 / localhost, valid for a day.
std::pair<EVP_PKEY*, X509*> MakeSelfSignedCertificate() {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("fake server: cannot create a key");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
                              std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
        X509_add_ext(cert, ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("fake server: cannot sign");
    return {key, cert};
}

}  // namespace
#endif

FakeOpenAiServer::FakeOpenAiServer(bool tls) : default_reply_(FakeReply::Stream({"ok"})) {
    if (tls) {
#if NETRA_LLM_TLS
        // OpenSSL writes to the socket itself (no MSG_NOSIGNAL): a client that hangs up mid-handshake would raise
        // SIGPIPE and kill the test process. This is test code; the process it runs in ignores the signal.
        std::signal(SIGPIPE, SIG_IGN);
        auto [key, cert] = MakeSelfSignedCertificate();
        tls_context_ = SSL_CTX_new(TLS_server_method());
        SSL_CTX_use_certificate(tls_context_, cert);
        SSL_CTX_use_PrivateKey(tls_context_, key);
        char path[] = "/tmp/netra-fake-ca-XXXXXX";
        int file = ::mkstemp(path);
        if (file < 0) throw std::runtime_error("fake server: cannot write the CA file");
        FILE* out = ::fdopen(file, "w");
        PEM_write_X509(out, cert);
        std::fclose(out);
        ca_file_ = path;
        X509_free(cert);
        EVP_PKEY_free(key);
#else
        throw std::runtime_error("fake server: TLS requested in a build without OpenSSL");
#endif
    }
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

std::string FakeOpenAiServer::BaseUrl() const {
    return std::string(ca_file_.empty() ? "http" : "https") + "://127.0.0.1:" + std::to_string(port_);
}

void FakeOpenAiServer::Enqueue(FakeReply reply) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(reply));
}

void FakeOpenAiServer::SetResponder(Responder responder) {
    std::lock_guard lock(mutex_);
    responder_ = std::move(responder);
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

FakeReply FakeOpenAiServer::NextReply(const RecordedRequest& request) {
    std::lock_guard lock(mutex_);
    if (responder_) {
        if (auto reply = responder_(request)) return std::move(*reply);
    }
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
#if NETRA_LLM_TLS
    if (tls_context_) SSL_CTX_free(tls_context_);
    tls_context_ = nullptr;
#endif
    if (!ca_file_.empty()) std::remove(ca_file_.c_str());
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
    Conn conn{fd, nullptr};
    bool ready = true;
#if NETRA_LLM_TLS
    if (tls_context_) {
        conn.ssl = SSL_new(tls_context_);
        SSL_set_fd(conn.ssl, fd);
        ready = SSL_accept(conn.ssl) == 1;
    }
#endif
    RecordedRequest request;
    if (ready && ReadRequest(conn, request)) {
        request.received_at = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(request);
        }
        FakeReply reply = NextReply(request);
        const bool chunked = reply.chunked && reply.kind != FakeReply::Kind::kStatus;
        auto write_body = [&](std::string_view piece) {
            if (!chunked) return SendAll(conn, piece);
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
            return SendAll(conn, size) && SendAll(conn, piece) && SendAll(conn, "\r\n");
        };
        auto head = [&](int status, std::string extra) {
            std::string text = "HTTP/1.1 " + std::to_string(status) + " " + StatusText(status) +
                               "\r\nContent-Type: " + reply.content_type + "\r\nConnection: close\r\n" + extra;
            text += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "\r\n";
            return SendAll(conn, text);
        };
        switch (reply.kind) {
            case FakeReply::Kind::kHang:
                SleepUnlessStopped(std::chrono::hours(1));
                break;
            case FakeReply::Kind::kStatus: {
                std::string extra = "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
                if (!reply.retry_after.empty()) extra += "Retry-After: " + reply.retry_after + "\r\n";
                if (head(reply.status, extra)) SendAll(conn, reply.body);
                break;
            }
            case FakeReply::Kind::kRaw:
                if (head(200, {}) && write_body(reply.body) && chunked) SendAll(conn, "0\r\n\r\n");
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
                    if (ok && chunked && !reply.hang_after) SendAll(conn, "0\r\n\r\n");
                }
                if (ok && reply.hang_after) SleepUnlessStopped(std::chrono::hours(1));
                break;
            }
        }
    }
    std::lock_guard lock(mutex_);
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
#if NETRA_LLM_TLS
    if (conn.ssl) SSL_free(conn.ssl);
#endif
    ::close(fd);
}

}  // namespace netra::llm::testing

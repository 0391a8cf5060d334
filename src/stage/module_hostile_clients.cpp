// Hostile clients (issue 13, item 3): clients that misbehave below what a normal client can do, over raw TCP. Each
// check wants a bounded answer that names what went wrong, and measures meanwhile what a well-behaved user of the same
// server sees (its latency before and during the abuse, p50/p95, in the check's notes; a failed sample or a p95 above
// 10× the baseline's + 50 ms fails the check). Quick abuse is repeated for at least 1.5 s so that "during" is during.
//
// Module 2 (HTTP):
//   slowloris_headers_408: connections trickling a header a byte at a time get 408 at the read deadline; idle ones
//     are closed silently (spawned: a dedicated server with a 1.5 s read timeout);
//   slow_body_408: bodies (Content-Length and chunked) trickled a byte at a time get 408 the same way (spawned);
//   uri_too_long_414: a 64 KiB request target is 414, a 4 KiB one is served;
//   header_flood_431: header lines streamed without end (long ones, and many tiny ones) get 431 once past the limit;
//   body_flood_413: a body declared as 10 GiB and a chunked body without end get 413, the first before its body is
//     read, the second once past the limit;
//   half_closed_socket: a request then a half-close is answered, then closed; half a request then a half-close gets
//     400 (or a close); a WebSocket whose client half-closed is closed;
//   http_client_never_reads: pipelined requests for large answers, never read: the server drops the connection at its
//     write deadline (spawned).
// Module 1 (WebSocket):
//   ws_connection_flood_429: one user opens sockets until refused: 429 past the per-user limit, while 200 idle TCP
//     connections sit open; one freed, one admitted again;
//   ws_frames_byte_by_byte: a frame written a byte per TCP segment, and a message in 1-byte fragments with a control
//     ping between them, are answered as any other;
//   ws_oversized_frame_1009: a frame declaring 64 MiB, and a message fragmented past the limit: `error`
//     PAYLOAD_TOO_LARGE then close 1009, as soon as the limit is passed;
//   ws_compressed_frame_1002: permessage-deflate is not negotiated, and a frame with RSV1 set is a protocol error
//     (RFC 6455 §5.2): close 1002, nothing processed;
//   ws_ping_flood_1008: control pings and application pings past the frames-per-second limit: `error` RATE_LIMITED
//     then close 1008;
//   ws_slow_message_1008: a message trickled slower than the message deadline — one frame a byte at a time, or 1-byte
//     fragments with control pings between them (the client is alive, so the idle timeout never fires) — gets `error`
//     REQUEST_TIMEOUT then close 1008 at the deadline, while two fragmented messages that together take longer than
//     it, each within it, are answered (spawned: a dedicated server with a 1.5 s message deadline);
//   ws_client_never_reads_1013: a socket that does not read while its answers pile up: `error` then 1013 for one that
//     reads again within the close grace, the socket dropped for one that never does (spawned).
//
// Raw TCP is plain: against an https deployment (TLS ends in front of Netra) these checks are skipped, never passed.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "core/ids.hpp"
#include "stage/metrics.hpp"
#include "stage/suite.hpp"

namespace netra::stage {
namespace json = boost::json;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Ms = std::chrono::milliseconds;

namespace {

constexpr int kShortReadTimeoutMs = 1500;     // NETRA_HTTP_READ_TIMEOUT_MS of the dedicated servers
constexpr int kShortMessageTimeoutMs = 1500;  // NETRA_WS_MESSAGE_TIMEOUT_MS of the dedicated server
constexpr int kBaselineSamples = 30;

double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string Fmt(double v, int decimals = 1) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string Bytes(std::size_t n) {
    if (n >= (1u << 20)) return Fmt(static_cast<double>(n) / (1 << 20)) + " MiB";
    if (n >= (1u << 10)) return Fmt(static_cast<double>(n) / (1 << 10)) + " KiB";
    return std::to_string(n) + " B";
}

// "1.50–1.56 s" for a set of times in ms.
std::string Span(std::vector<double> ms) {
    if (ms.empty()) return "-";
    auto [lo, hi] = std::minmax_element(ms.begin(), ms.end());
    return Fmt(*lo / 1000, 2) + "–" + Fmt(*hi / 1000, 2) + " s";
}

void RequirePlainTcp(const ServerUrl& server) {
    if (server.tls) {
        Skip(
            "a raw-socket client speaks plain TCP and this deployment is https (TLS ends in front of Netra): run it "
            "against the plain listener or with --spawn");
    }
}

// ---- a raw TCP connection: non-blocking, every wait bounded ----

class RawConn {
  public:
    // Connects to the deployment's host:port. `rcvbuf` > 0: a small receive buffer set before connecting (a client
    // that does not read fills it at once).
    static std::unique_ptr<RawConn> Open(const ServerUrl& server, Ms timeout = Ms(5000), int rcvbuf = 0) {
        auto c = std::unique_ptr<RawConn>(new RawConn());
        boost::system::error_code ec;
        asio::ip::tcp::resolver resolver(c->io_);
        auto endpoints = resolver.resolve(server.host, server.port, ec);
        if (ec || endpoints.empty()) Fail("resolve " + server.host + ": " + (ec ? ec.message() : "no address"));
        const asio::ip::tcp::endpoint ep = *endpoints.begin();
        c->sock_.open(ep.protocol(), ec);
        if (ec) Fail("socket: " + ec.message());
        if (rcvbuf > 0) c->sock_.set_option(asio::socket_base::receive_buffer_size(rcvbuf), ec);
        c->sock_.set_option(asio::ip::tcp::no_delay(true), ec);
        c->sock_.native_non_blocking(true, ec);
        const int fd = c->sock_.native_handle();
        if (::connect(fd, ep.data(), static_cast<socklen_t>(ep.size())) != 0) {
            if (errno != EINPROGRESS) Fail("connect " + server.host + ":" + server.port + ": " + std::strerror(errno));
            pollfd p{fd, POLLOUT, 0};
            if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) Fail("connect: no answer within the timeout");
            int err = 0;
            socklen_t len = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            if (err != 0) Fail("connect " + server.host + ":" + server.port + ": " + std::strerror(err));
        }
        return c;
    }

    // Sends all of `data` within `timeout`; false when the peer is gone or time ran out (WriteError() says which).
    bool Write(std::string_view data, Ms timeout = Ms(5000)) {
        const auto deadline = Clock::now() + timeout;
        while (!data.empty()) {
            ssize_t n = ::send(fd(), data.data(), data.size(), MSG_NOSIGNAL);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                sent_ += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now()).count();
                if (left <= 0) {
                    write_error_ = "send timed out";
                    return false;
                }
                pollfd p{fd(), POLLOUT, 0};
                ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 100)));
                continue;
            }
            write_error_ = n < 0 ? std::strerror(errno) : "closed";
            return false;
        }
        return true;
    }

    // Reads what arrives within `timeout` (0: only what is already there). False once the peer ended the stream.
    bool ReadFor(Ms timeout) {
        if (ended_) return false;
        pollfd p{fd(), POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return true;
        char buf[65536];
        for (;;) {
            ssize_t r = ::recv(fd(), buf, sizeof buf, 0);
            if (r > 0) {
                in_.append(buf, static_cast<std::size_t>(r));
                received_ += static_cast<std::size_t>(r);
                if (in_.size() > (64u << 20)) in_.erase(0, in_.size() - (1u << 20));  // a bound for the test itself
                continue;
            }
            if (r == 0) return End("closed by the server (EOF)");
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
            return End(errno == ECONNRESET ? "reset by the server" : std::string(std::strerror(errno)));
        }
    }

    // Reads until `done(in())`, the end of the stream or the deadline; whether `done` held.
    bool ReadUntil(const std::function<bool(const std::string&)>& done, Clock::time_point deadline) {
        while (!done(in_)) {
            if (ended_) return false;
            auto left = std::chrono::duration_cast<Ms>(deadline - Clock::now());
            if (left.count() <= 0) return false;
            ReadFor(std::min(left, Ms(50)));
        }
        return true;
    }

    // The server closed or reset the connection — seen without reading what is queued.
    bool PeerGone() {
        if (ended_) return true;
        pollfd p{fd(), POLLRDHUP, 0};
        ::poll(&p, 1, 0);
        return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }

    void ShutdownWrite() { ::shutdown(fd(), SHUT_WR); }

    std::string& in() { return in_; }
    bool ended() const { return ended_; }
    const std::string& end_reason() const { return end_reason_; }
    const std::string& write_error() const { return write_error_; }
    std::size_t sent() const { return sent_; }
    std::size_t received() const { return received_; }

  private:
    RawConn() : sock_(io_) {}
    int fd() { return sock_.native_handle(); }
    bool End(std::string why) {
        ended_ = true;
        end_reason_ = std::move(why);
        return false;
    }

    asio::io_context io_;
    asio::ip::tcp::socket sock_;
    std::string in_;
    bool ended_ = false;
    std::string end_reason_, write_error_;
    std::size_t sent_ = 0, received_ = 0;
};

// ---- HTTP over a raw connection ----

std::string HostHeader(const ServerUrl& s) { return "Host: " + s.host + ":" + s.port + "\r\n"; }

struct RawResponse {
    int status = 0;
    std::string head, body;
    std::size_t size = 0;  // bytes of `in` it took

    std::string ErrorName() const {
        boost::system::error_code ec;
        auto v = json::parse(body, ec);
        return !ec && v.is_object() ? JStr(v.as_object(), "error") : std::string();
    }
    bool FromNetra() const { return Lower(head).find("\r\nx-request-id:") != std::string::npos; }
    std::string Describe() const {
        return std::to_string(status) + " " + (body.size() > 160 ? body.substr(0, 160) + "…" : body);
    }
};

// The first complete response in `in` (Content-Length bodies: what Netra sends), or nullopt.
std::optional<RawResponse> ParseResponse(std::string_view in) {
    auto end = in.find("\r\n\r\n");
    if (end == std::string_view::npos || in.substr(0, 9).find("HTTP/1.") != 0) return std::nullopt;
    RawResponse r;
    r.head = std::string(in.substr(0, end));
    r.status = std::atoi(r.head.c_str() + 9);
    std::size_t length = 0;
    const std::string lower = Lower(r.head);
    auto cl = lower.find("\r\ncontent-length:");
    if (cl != std::string::npos) length = std::strtoull(lower.c_str() + cl + 17, nullptr, 10);
    if (in.size() < end + 4 + length) return std::nullopt;
    r.body = std::string(in.substr(end + 4, length));
    r.size = end + 4 + length;
    return r;
}

bool HasResponse(const std::string& in) { return ParseResponse(in).has_value(); }

// ---- a well-behaved user measuring its latency before and during the abuse ----

class Bystander {
  public:
    enum class Kind { kHttpHealth, kWsPing };

    Bystander(StageContext& ctx, Kind kind) : kind_(kind) {
        if (kind_ == Kind::kWsPing) {
            user_ = ctx.NewUser("hostile-bystander");
            ws_ = ctx.Connect(user_);
        } else {
            http_.emplace(ctx.Http());
        }
    }
    ~Bystander() { Stop(); }
    Bystander(const Bystander&) = delete;
    Bystander& operator=(const Bystander&) = delete;

    // `n` samples one after another, before the abuse starts.
    void Baseline(int n = kBaselineSamples) {
        for (int i = 0; i < n; ++i) {
            auto ms = Sample();
            if (!ms) Fail("the bystander's baseline failed: " + first_failure_);
            before_.push_back(*ms);
        }
    }

    // Samples in the background (every ~5 ms) until Stop().
    void Start() {
        running_ = true;
        thread_ = std::thread([this] {
            while (running_) {
                auto ms = Sample();
                {
                    std::lock_guard lock(mu_);
                    if (ms) during_.push_back(*ms);
                }
                std::this_thread::sleep_for(Ms(5));
            }
        });
    }
    void Stop() {
        running_ = false;
        if (thread_.joinable()) thread_.join();
    }

    // Lets the other user sample for `time` while the abuse holds (connections kept open).
    void Hold(Ms time) { std::this_thread::sleep_for(time); }

    std::string What() const { return kind_ == Kind::kWsPing ? "WS ping→pong" : "GET /api/health"; }

    // "other user's GET /api/health p50/p95: before 0.3/0.5 ms, during 0.4/0.9 ms (30/212 samples)"; fails on a
    // failed or timed-out sample, or a p95 during the abuse above 10× the baseline's + 50 ms.
    std::string Verdict() {
        Stop();
        auto b = Summarize(before_);
        auto d = Summarize(during_);
        std::string text = "other user's " + What() + " p50/p95: before " + Fmt(b.p50, 2) + "/" + Fmt(b.p95, 2) +
                           " ms, during " + Fmt(d.p50, 2) + "/" + Fmt(d.p95, 2) + " ms (" +
                           std::to_string(before_.size()) + "/" + std::to_string(during_.size()) + " samples)";
        Expect(failures_ == 0, text + "; " + std::to_string(failures_.load()) +
                                   " of the other user's requests failed during the abuse: " + first_failure_);
        Expect(d.count >= 3, text + ": too few samples during the abuse to say anything");
        const double bound = 10 * b.p95 + 50;
        Expect(d.p95 <= bound,
               text + ": p95 during the abuse is above 10× the baseline's + 50 ms (" + Fmt(bound) + " ms)");
        return text;
    }

  private:
    std::optional<double> Sample() {
        const auto t0 = Clock::now();
        try {
            if (kind_ == Kind::kWsPing) {
                return PingPong(*ws_, "by-" + std::to_string(++seq_), Ms(5000));
            }
            HttpRequestOptions o;
            o.timeout = Ms(5000);
            auto r = http_->Request("GET", "/api/health", {}, {}, o);
            if (!r.ok()) return Failed(r.error().message);
            if (r->status != 200) return Failed("GET /api/health answered " + r->Describe(160));
            return MsSince(t0);
        } catch (const std::exception& e) {
            return Failed(e.what());
        }
    }
    std::optional<double> Failed(const std::string& why) {
        if (failures_++ == 0) {
            std::lock_guard lock(mu_);
            first_failure_ = why;
        }
        return std::nullopt;
    }

    Kind kind_;
    Credentials user_;
    std::unique_ptr<WsClient> ws_;
    std::optional<HttpClient> http_;
    std::vector<double> before_, during_;
    std::mutex mu_;
    std::atomic<bool> running_{false};
    std::atomic<int> failures_{0};
    std::string first_failure_;
    std::thread thread_;
    long seq_ = 0;
};

// Abuse that lasts: `round` again and again until it ran `min_rounds` times and `kSustain` passed, so that the
// other user measures during it, not after. A round starts at most every 10 ms (quick rounds would otherwise open
// thousands of connections, and the test would measure the loopback's port range). Returns "N rounds in S s".
constexpr Ms kSustain{1500};
std::string Sustain(int min_rounds, const std::function<void(int)>& round) {
    const auto t0 = Clock::now();
    int n = 0;
    while (n < min_rounds || Clock::now() - t0 < kSustain) {
        const auto next = Clock::now() + Ms(10);
        round(n++);
        std::this_thread::sleep_until(next);
    }
    return std::to_string(n) + " rounds in " + Fmt(MsSince(t0) / 1000, 2) + " s";
}

// netra_open_connections{kind="websocket"} from GET /metrics (-1 when it cannot be read): the server's own count.
long OpenWebSockets(StageContext& ctx) {
    auto http = ctx.Http();
    auto r = http.Get("/metrics");
    if (!r.ok() || r->status != 200) return -1;
    const std::string key = "netra_open_connections{kind=\"websocket\"} ";
    auto at = r->body.find(key);
    return at == std::string::npos ? -1 : std::atol(r->body.c_str() + at + key.size());
}

// A server for checks that need short deadlines: a dedicated one (skipped when the suite does not spawn).
struct Dedicated {
    std::unique_ptr<SpawnedServer> server;
    std::unique_ptr<StageContext> ctx;
};
Dedicated SpawnShort(StageContext& ctx, std::vector<std::string> env, const std::string& why) {
    Dedicated d;
    d.server = ctx.SpawnDedicated(std::move(env), why);
    d.ctx = ctx.ForServer(*d.server);
    return d;
}

// ---- WebSocket frames by hand ----

std::array<unsigned char, 4> NewMask() {
    static thread_local std::mt19937 rng(std::random_device{}());
    std::array<unsigned char, 4> m{};
    for (auto& b : m) b = static_cast<unsigned char>(rng());
    return m;
}

// A client frame (masked, as RFC 6455 requires of clients). `declared`: the length the header announces when the
// payload follows separately (MaskedChunk).
std::string ClientFrame(int opcode, std::string_view payload, bool fin = true, bool rsv1 = false,
                        std::optional<std::uint64_t> declared = std::nullopt,
                        std::array<unsigned char, 4>* mask_out = nullptr) {
    std::string f;
    f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (opcode & 0x0f)));
    const std::uint64_t len = declared.value_or(payload.size());
    if (len < 126) {
        f.push_back(static_cast<char>(0x80 | len));
    } else if (len <= 0xffff) {
        f.push_back(static_cast<char>(0x80 | 126));
        f.push_back(static_cast<char>((len >> 8) & 0xff));
        f.push_back(static_cast<char>(len & 0xff));
    } else {
        f.push_back(static_cast<char>(0x80 | 127));
        for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    }
    auto mask = NewMask();
    if (mask_out) *mask_out = mask;
    for (auto b : mask) f.push_back(static_cast<char>(b));
    for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
    return f;
}

// `n` bytes of 'a' masked as the payload of a frame at offset 0 mod 4 (n a multiple of 4: chunks can follow).
std::string MaskedChunk(std::size_t n, const std::array<unsigned char, 4>& mask) {
    std::string s(n, 'a');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(s[i] ^ mask[i % 4]);
    return s;
}

std::string CloseFrame(int code) {
    std::string p;
    p.push_back(static_cast<char>((code >> 8) & 0xff));
    p.push_back(static_cast<char>(code & 0xff));
    return ClientFrame(8, p);
}

struct ServerFrame {
    int opcode = 0;
    bool fin = true;
    std::string payload;
    Clock::time_point at;  // when the client parsed it

    std::string Field(std::string_view key) const {
        if (opcode != 1) return {};
        boost::system::error_code ec;
        auto v = json::parse(payload, ec);
        return !ec && v.is_object() ? JStr(v.as_object(), key) : std::string();
    }
    std::string Type() const { return Field("type"); }
    int CloseCode() const {
        return payload.size() >= 2
                   ? (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1])
                   : 1005;
    }
};

std::optional<ServerFrame> TakeFrame(std::string& in) {
    if (in.size() < 2) return std::nullopt;
    const auto b0 = static_cast<unsigned char>(in[0]), b1 = static_cast<unsigned char>(in[1]);
    std::uint64_t len = b1 & 0x7f;
    std::size_t pos = 2;
    if (len == 126) {
        if (in.size() < 4) return std::nullopt;
        len = (static_cast<unsigned char>(in[2]) << 8) | static_cast<unsigned char>(in[3]);
        pos = 4;
    } else if (len == 127) {
        if (in.size() < 10) return std::nullopt;
        len = 0;
        for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(in[2 + i]);
        pos = 10;
    }
    const bool masked = (b1 & 0x80) != 0;
    std::array<unsigned char, 4> mask{};
    if (masked) {
        if (in.size() < pos + 4) return std::nullopt;
        for (int i = 0; i < 4; ++i) mask[i] = static_cast<unsigned char>(in[pos + i]);
        pos += 4;
    }
    if (in.size() < pos + len) return std::nullopt;
    ServerFrame f;
    f.opcode = b0 & 0x0f;
    f.fin = (b0 & 0x80) != 0;
    f.payload = in.substr(pos, len);
    if (masked)
        for (std::size_t i = 0; i < f.payload.size(); ++i) f.payload[i] = static_cast<char>(f.payload[i] ^ mask[i % 4]);
    in.erase(0, pos + len);
    return f;
}

// A WebSocket connection made by hand, so that it can misbehave.
struct RawWs {
    std::unique_ptr<RawConn> conn;
    std::string head;  // the upgrade's response head
    std::vector<ServerFrame> frames;
    std::optional<int> close_code;
    std::size_t pongs = 0;  // control pongs received

    // Parses what arrived; a close is answered (the close handshake completes and the server closes TCP).
    void Pump(Ms timeout = Ms(0)) {
        conn->ReadFor(timeout);
        while (auto f = TakeFrame(conn->in())) {
            f->at = Clock::now();
            if (f->opcode == 8 && !close_code) {
                close_code = f->CloseCode();
                conn->Write(CloseFrame(*close_code), Ms(200));
            }
            if (f->opcode == 10) ++pongs;
            frames.push_back(std::move(*f));
        }
    }
    // Pumps until `done()` holds, the connection ends or the deadline passes; whether `done` held.
    bool PumpUntil(const std::function<bool()>& done, Clock::time_point deadline) {
        for (;;) {
            Pump();
            if (done()) return true;
            if (conn->ended() || Clock::now() >= deadline) return false;
            Pump(Ms(20));
        }
    }
    const ServerFrame* FirstOfType(std::string_view type) const {
        for (const auto& f : frames)
            if (f.Type() == type) return &f;
        return nullptr;
    }
    // Index of the first text frame of `type` (-1 none) and of the close frame (-1 none).
    long IndexOf(std::string_view type) const {
        for (std::size_t i = 0; i < frames.size(); ++i)
            if (frames[i].Type() == type) return static_cast<long>(i);
        return -1;
    }
    long CloseIndex() const {
        for (std::size_t i = 0; i < frames.size(); ++i)
            if (frames[i].opcode == 8) return static_cast<long>(i);
        return -1;
    }
    bool HasPong(const std::string& id) const {
        return std::any_of(frames.begin(), frames.end(),
                           [&](const ServerFrame& f) { return f.Type() == "pong" && f.Field("id") == id; });
    }
    // "error RATE_LIMITED, close 1008" — what ended the connection, for failure reasons.
    std::string Ending() const {
        std::string s;
        if (auto i = IndexOf("error"); i >= 0) s = "error " + frames[static_cast<std::size_t>(i)].Field("code") + ", ";
        s += close_code ? "close " + std::to_string(*close_code) : "no close frame";
        if (conn->ended()) s += ", TCP " + conn->end_reason();
        return s;
    }
};

// Upgrades a raw connection with Authorization: Bearer and waits for connection_established.
std::unique_ptr<RawWs> RawWsConnect(const ServerUrl& server, const std::string& token,
                                    const std::string& extra_headers = "", int rcvbuf = 0) {
    auto ws = std::make_unique<RawWs>();
    ws->conn = RawConn::Open(server, Ms(5000), rcvbuf);
    const std::string req = "GET " + server.base_path + "/api/v1/websocket HTTP/1.1\r\n" + HostHeader(server) +
                            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                            "Sec-WebSocket-Key: " +
                            std::string("bmV0cmEtaG9zdGlsZS0xMg==") + "\r\nAuthorization: Bearer " + token + "\r\n" +
                            extra_headers + "\r\n";
    Expect(ws->conn->Write(req), "could not send the upgrade: " + ws->conn->write_error());
    const auto deadline = Clock::now() + Ms(10000);
    ws->conn->ReadUntil([](const std::string& in) { return in.find("\r\n\r\n") != std::string::npos; }, deadline);
    auto& in = ws->conn->in();
    auto end = in.find("\r\n\r\n");
    Expect(end != std::string::npos, "no answer to the upgrade (" + ws->conn->end_reason() + ")");
    ws->head = in.substr(0, end);
    in.erase(0, end + 4);
    Expect(ws->head.rfind("HTTP/1.1 101", 0) == 0, "upgrade refused: " + ws->head.substr(0, 200));
    Expect(ws->PumpUntil([&] { return ws->FirstOfType("connection_established") != nullptr; }, deadline),
           "no connection_established after the upgrade (" + ws->Ending() + ")");
    return ws;
}

std::string PingText(const std::string& id) { return R"({"type":"ping","id":")" + id + "\"}"; }

// ===================================================================== HTTP (module 2)

// A slowloris's connection: its request so far, and what became of it.
struct Trickler {
    std::unique_ptr<RawConn> conn;
    std::string rest;  // bytes still to trickle
    std::optional<RawResponse> answer;
    double answered_ms = -1;  // since the start
    bool closed_silently = false;
};

// Trickles each connection's `rest` a byte per `every` until each is answered or closed, or `limit` passes.
void TrickleAll(std::vector<Trickler>& all, Ms every, Ms limit, Clock::time_point start) {
    const auto deadline = start + limit;
    for (;;) {
        bool open = false;
        for (auto& t : all) {
            if (t.answer || t.closed_silently) continue;
            t.conn->ReadFor(Ms(0));
            if (auto r = ParseResponse(t.conn->in())) {
                t.answer = std::move(r);
                t.answered_ms = MsSince(start);
                continue;
            }
            if (t.conn->ended()) {
                t.closed_silently = true;
                t.answered_ms = MsSince(start);
                continue;
            }
            open = true;
            if (!t.rest.empty()) {
                if (t.conn->Write(std::string_view(t.rest).substr(0, 1), Ms(100))) t.rest.erase(0, 1);
            }
        }
        if (!open || Clock::now() >= deadline) return;
        std::this_thread::sleep_for(every);
    }
}

// Tricklers [from, to) each got a 408 request_timeout in JSON within `limit_ms`, and not before the read deadline;
// returns the times.
std::vector<double> ExpectAll408(const std::vector<Trickler>& all, std::size_t from, std::size_t to,
                                 const std::string& what, double limit_ms) {
    std::vector<double> times;
    for (std::size_t i = from; i < to; ++i) {
        const auto& t = all[i];
        const std::string who = what + " #" + std::to_string(i - from + 1);
        Expect(t.answer || t.closed_silently,
               who + ": neither answered nor closed within " + Fmt(limit_ms / 1000) + " s (still trickling)");
        Expect(t.answer.has_value(), who + ": closed without an answer; expected 408 (part of a request had come)");
        Expect(t.answer->status == 408 && t.answer->ErrorName() == "request_timeout",
               who + ": expected 408 request_timeout, got " + t.answer->Describe());
        Expect(t.answered_ms <= limit_ms,
               who + ": answered after " + Fmt(t.answered_ms / 1000, 2) + " s, beyond " + Fmt(limit_ms / 1000) + " s");
        Expect(t.answered_ms >= kShortReadTimeoutMs * 0.9,
               who + ": answered after " + Fmt(t.answered_ms / 1000, 2) +
                   " s, before the read deadline: the test's trickle was not what timed out");
        times.push_back(t.answered_ms);
    }
    return times;
}

void SlowlorisHeaders(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto d = SpawnShort(ctx, {"NETRA_HTTP_READ_TIMEOUT_MS=" + std::to_string(kShortReadTimeoutMs)},
                        "needs a short HTTP read deadline (NETRA_HTTP_READ_TIMEOUT_MS=1500): the default 30 s is too "
                        "long for a test");
    const auto& server = d.ctx->server();
    constexpr int kTricklers = 24, kIdle = 24;
    Bystander other(*d.ctx, Bystander::Kind::kHttpHealth);
    other.Baseline();
    other.Start();
    const auto start = Clock::now();
    std::vector<Trickler> trickle, idle;
    for (int i = 0; i < kTricklers; ++i) {
        Trickler t;
        t.conn = RawConn::Open(server);
        Expect(t.conn->Write("GET " + server.base_path + "/api/health HTTP/1.1\r\n" + HostHeader(server)),
               "could not send a request line");
        t.rest = "X-Slowloris-" + std::to_string(i) + ": " + std::string(200, 'z') + "\r\n\r\n";
        trickle.push_back(std::move(t));
    }
    for (int i = 0; i < kIdle; ++i) {
        Trickler t;
        t.conn = RawConn::Open(server);
        idle.push_back(std::move(t));
    }
    const double limit_ms = kShortReadTimeoutMs + 2500;
    // Idle connections are watched in the same loop (nothing to send).
    std::vector<Trickler> all = std::move(trickle);
    for (auto& t : idle) all.push_back(std::move(t));
    TrickleAll(all, Ms(100), Ms(static_cast<long>(limit_ms) + 500), start);
    auto verdict = other.Verdict();
    auto t_times = ExpectAll408(all, 0, kTricklers, "slow header", limit_ms);
    std::vector<double> i_times;
    for (std::size_t i = kTricklers; i < all.size(); ++i) {
        const std::string who = "idle connection #" + std::to_string(i - kTricklers + 1);
        Expect(all[i].closed_silently,
               who + ": expected a silent close, got " + (all[i].answer ? all[i].answer->Describe() : "nothing"));
        Expect(all[i].answered_ms <= limit_ms, who + " was closed after " + Fmt(all[i].answered_ms / 1000, 2) + " s");
        i_times.push_back(all[i].answered_ms);
    }
    ctx.Note(std::to_string(kTricklers) +
             " connections trickling a header byte every 100 ms: 408 request_timeout each at " + Span(t_times) +
             " (read deadline 1.5 s); " + std::to_string(kIdle) + " idle connections closed silently at " +
             Span(i_times) + "; " + verdict);
}

void SlowBody(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto d = SpawnShort(ctx, {"NETRA_HTTP_READ_TIMEOUT_MS=" + std::to_string(kShortReadTimeoutMs)},
                        "needs a short HTTP read deadline (NETRA_HTTP_READ_TIMEOUT_MS=1500): the default 30 s is too "
                        "long for a test");
    const auto& server = d.ctx->server();
    constexpr int kEach = 8;
    Bystander other(*d.ctx, Bystander::Kind::kHttpHealth);
    other.Baseline();
    other.Start();
    const auto start = Clock::now();
    std::vector<Trickler> all;
    for (int i = 0; i < 2 * kEach; ++i) {
        const bool chunked = i >= kEach;
        Trickler t;
        t.conn = RawConn::Open(server);
        std::string head = "POST " + server.base_path + "/api/threads HTTP/1.1\r\n" + HostHeader(server) +
                           "Content-Type: application/json\r\n" +
                           (chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: 4096\r\n\r\n");
        Expect(t.conn->Write(head), "could not send a request head");
        if (chunked) {
            for (int k = 0; k < 400; ++k) t.rest += "1\r\n \r\n";
        } else {
            t.rest = std::string(4096, ' ');
        }
        all.push_back(std::move(t));
    }
    const double limit_ms = kShortReadTimeoutMs + 2500;
    TrickleAll(all, Ms(100), Ms(static_cast<long>(limit_ms) + 500), start);
    auto verdict = other.Verdict();
    auto cl_times = ExpectAll408(all, 0, kEach, "slow Content-Length body", limit_ms);
    auto ch_times = ExpectAll408(all, kEach, all.size(), "slow chunked body", limit_ms);
    ctx.Note(std::to_string(kEach) + " bodies of Content-Length 4096 and " + std::to_string(kEach) +
             " chunked bodies, a byte every 100 ms: 408 request_timeout at " + Span(cl_times) + " and " +
             Span(ch_times) + " (read deadline 1.5 s); " + verdict);
}

void UriTooLong(StageContext& ctx) {
    // An ordinary client can send this: it works through TLS and a proxy too.
    Bystander other(ctx, Bystander::Kind::kHttpHealth);
    other.Baseline();
    auto http = ctx.Http();
    auto fine = Must(http.Get("/api/health?pad=" + std::string(4096, 'a')), "GET /api/health with a 4 KiB target");
    Expect(fine.status == 200, "a 4 KiB target was not served: " + fine.Describe(200));
    other.Start();
    std::vector<double> ms;
    int proxied = 0;
    const std::string target = "/api/health?pad=" + std::string(64 * 1024, 'a');
    auto rounds = Sustain(40, [&](int) {
        auto c = ctx.Http();
        auto r = Must(c.Get(target), "GET with a 64 KiB target");
        if (!r.Header("x-request-id")) {
            // A proxy in front refused it before Netra saw it: its own status, not Netra's to choose.
            Expect(r.status >= 400 && r.status < 500, "a 64 KiB target through a proxy: got " + r.Describe(200));
            ++proxied;
            return;
        }
        Expect(r.status == 414 && r.JsonObject() && JStr(*r.JsonObject(), "error") == "uri_too_long",
               "a 64 KiB request target: expected 414 uri_too_long in JSON, got " + r.Describe(200));
        Expect(r.Header("connection").value_or("") == "close", "the 414 does not close the connection");
        ms.push_back(r.elapsed_ms);
    });
    auto verdict = other.Verdict();
    auto s = Summarize(ms);
    ctx.Note("requests with a 64 KiB target, " + rounds + ": " +
             (proxied ? std::to_string(proxied) + " refused by the proxy in front, " : std::string()) +
             "414 uri_too_long " + std::to_string(ms.size()) + "×, answered in p50 " + Fmt(s.p50, 2) +
             " ms; a 4 KiB target served 200; " + verdict);
}

// Streams `unit` on `conn` until an answer is read, the server ends it, or `max_bytes` went out; the answer.
std::optional<RawResponse> StreamUntilAnswered(RawConn& conn, const std::string& unit, std::size_t max_bytes,
                                               Ms limit) {
    const auto deadline = Clock::now() + limit;
    while (conn.sent() < max_bytes && Clock::now() < deadline) {
        conn.ReadFor(Ms(0));
        if (auto r = ParseResponse(conn.in())) return r;
        if (conn.ended() || !conn.Write(unit, Ms(200))) break;
    }
    conn.ReadUntil(HasResponse, std::min(deadline, Clock::now() + Ms(3000)));
    return ParseResponse(conn.in());
}

void HeaderFlood(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    const auto& server = ctx.server();
    Bystander other(ctx, Bystander::Kind::kHttpHealth);
    other.Baseline();
    other.Start();
    struct Kind {
        std::string what, unit;
    };
    std::string tiny;
    for (int i = 0; i < 100; ++i) tiny += "a: b\r\n";
    const std::vector<Kind> kinds = {
        {"long header lines (1 KiB each)", "X-Flood: " + std::string(1024, 'f') + "\r\n"},
        {"tiny header lines (a: b)", tiny},
    };
    std::vector<std::string> seen(kinds.size());
    auto rounds = Sustain(4, [&](int round) {
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            auto conn = RawConn::Open(server);
            Expect(conn->Write("GET " + server.base_path + "/api/health HTTP/1.1\r\n" + HostHeader(server)),
                   "could not send a request line");
            auto r = StreamUntilAnswered(*conn, kinds[k].unit, 64u << 20, Ms(10000));
            Expect(r.has_value(), kinds[k].what + ": no answer after " + Bytes(conn->sent()) + " (" +
                                      (conn->ended() ? conn->end_reason() : conn->write_error()) + ")");
            if (!r->FromNetra()) {
                Expect(r->status >= 400 && r->status < 500, kinds[k].what + " through a proxy: " + r->Describe());
            } else {
                Expect(r->status == 431 && r->ErrorName() == "headers_too_large",
                       kinds[k].what + ": expected 431 headers_too_large, got " + r->Describe());
            }
            if (round == 0) {
                seen[k] = kinds[k].what + ": " + std::to_string(r->status) + ", the client having pushed " +
                          Bytes(conn->sent());
            }
        }
    });
    auto verdict = other.Verdict();
    ctx.Note("connections streaming headers without end, " + rounds + " — " + Join(seen, "; ") +
             " by then (socket buffers included: the server answers at its limit and stops reading); " + verdict);
}

void BodyFlood(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    const auto& server = ctx.server();
    Bystander other(ctx, Bystander::Kind::kHttpHealth);
    other.Baseline();
    other.Start();
    const std::string unit(64 * 1024, 'x');
    char size_line[16];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", unit.size());
    const std::string chunk = size_line + unit + "\r\n";
    struct Kind {
        std::string what, head, unit;
    };
    const std::string post = "POST " + server.base_path + "/api/threads HTTP/1.1\r\n" + HostHeader(server) +
                             "Content-Type: application/json\r\n";
    const std::vector<Kind> kinds = {
        {"a body declared as 10 GiB", post + "Content-Length: 10737418240\r\n\r\n", unit},
        {"a chunked body without end", post + "Transfer-Encoding: chunked\r\n\r\n", chunk},
    };
    std::vector<std::string> seen(kinds.size());
    auto rounds = Sustain(2, [&](int round) {
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            auto conn = RawConn::Open(server);
            const auto t0 = Clock::now();
            Expect(conn->Write(kinds[k].head), "could not send the head");
            auto r = StreamUntilAnswered(*conn, kinds[k].unit, 256u << 20, Ms(15000));
            Expect(r.has_value(), kinds[k].what + ": no answer after " + Bytes(conn->sent()) + " (" +
                                      (conn->ended() ? conn->end_reason() : conn->write_error()) + ")");
            Expect(!r->FromNetra() || (r->status == 413 && r->ErrorName() == "payload_too_large"),
                   kinds[k].what + ": expected 413 payload_too_large, got " + r->Describe());
            if (round == 0) {
                seen[k] = kinds[k].what + ": " + std::to_string(r->status) + " in " + Fmt(MsSince(t0)) + " ms, " +
                          Bytes(conn->sent()) + " pushed by then (socket buffers included)";
            }
        }
    });
    auto verdict = other.Verdict();
    ctx.Note(rounds + ": " + Join(seen, "; ") + "; " + verdict);
}

void HalfClosedSocket(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    const auto& server = ctx.server();
    Bystander other(ctx, Bystander::Kind::kHttpHealth);
    other.Baseline();
    other.Start();
    std::vector<std::string> seen;
    // A whole request, then the client's half-close: HTTP/1.1 answers it, then closes its side too.
    struct Case {
        std::string what, bytes;
        std::vector<int> statuses;  // acceptable answers; none = a close without answer is acceptable too
        bool close_ok = false;
    };
    auto user = ctx.NewUser("hostile-halfclose");
    const std::string prefix = "GET " + server.base_path + "/api/health HTTP/1.1\r\n" + HostHeader(server);
    const std::vector<Case> cases = {
        {"a whole request, then a half-close", prefix + "\r\n", {200}, false},
        {"half a request line, then a half-close", "GET " + server.base_path + "/api/hea", {400}, true},
        {"half a header, then a half-close", prefix + "X-Half: ab", {400}, true},
        {"a body cut short, then a half-close",
         "POST " + server.base_path + "/api/threads HTTP/1.1\r\n" + HostHeader(server) +
             "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"title\":",
         {400},
         true},
    };
    auto rounds = Sustain(3, [&](int round) {
        for (const auto& c : cases) {
            auto conn = RawConn::Open(server);
            const auto t0 = Clock::now();
            Expect(conn->Write(c.bytes), c.what + ": could not send");
            conn->ShutdownWrite();
            const auto deadline = Clock::now() + Ms(5000);
            conn->ReadUntil([&](const std::string&) { return conn->ended(); }, deadline);
            Expect(conn->ended(), c.what + ": the server did not close within 5 s");
            auto r = ParseResponse(conn->in());
            if (r) {
                Expect(std::find(c.statuses.begin(), c.statuses.end(), r->status) != c.statuses.end(),
                       c.what + ": unexpected answer " + r->Describe());
            } else {
                Expect(c.close_ok, c.what + ": closed without the answer it was owed");
            }
            if (round == 0) {
                seen.push_back(c.what + ": " + (r ? std::to_string(r->status) + " then " : std::string()) +
                               "closed in " + Fmt(MsSince(t0)) + " ms");
            }
        }
        // A WebSocket whose client half-closed: the session ends and the server closes.
        auto ws = RawWsConnect(server, user.access_token);
        const auto t0 = Clock::now();
        ws->conn->ShutdownWrite();
        ws->PumpUntil([&] { return ws->conn->ended(); }, Clock::now() + Ms(5000));
        Expect(ws->conn->ended(), "a WebSocket whose client half-closed was not closed by the server within 5 s");
        if (round == 0) {
            seen.push_back("a WebSocket half-closed by its client: " + ws->Ending() + " in " + Fmt(MsSince(t0)) +
                           " ms");
        }
    });
    auto verdict = other.Verdict();
    ctx.Note(rounds + ": " + Join(seen, "; ") + "; " + verdict);
}

void HttpClientNeverReads(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto d = SpawnShort(ctx, {"NETRA_HTTP_READ_TIMEOUT_MS=" + std::to_string(kShortReadTimeoutMs)},
                        "needs a short HTTP write deadline (NETRA_HTTP_READ_TIMEOUT_MS=1500): the default 30 s is too "
                        "long for a test");
    const auto& server = d.ctx->server();
    Bystander other(*d.ctx, Bystander::Kind::kHttpHealth);
    other.Baseline();
    other.Start();
    // 40 pipelined requests for the OpenAPI document (~170 KiB each), a 4 KiB receive buffer, and never a read.
    constexpr int kRequests = 40;
    auto conn = RawConn::Open(server, Ms(5000), 4096);
    std::string pipelined;
    for (int i = 0; i < kRequests; ++i)
        pipelined += "GET " + server.base_path + "/openapi.json HTTP/1.1\r\n" + HostHeader(server) + "\r\n";
    const auto t0 = Clock::now();
    conn->Write(pipelined, Ms(3000));  // the server stops reading once its writes block: a partial write is fine
    const double limit_ms = kShortReadTimeoutMs + 3000;
    double gone_ms = -1;
    while (MsSince(t0) < limit_ms + 1000) {
        if (conn->PeerGone()) {
            gone_ms = MsSince(t0);
            break;
        }
        std::this_thread::sleep_for(Ms(20));
    }
    auto verdict = other.Verdict();
    Expect(gone_ms >= 0, "a client that never reads still held its connection after " + Fmt(limit_ms / 1000 + 1) +
                             " s (write deadline 1.5 s)");
    Expect(gone_ms <= limit_ms, "the stalled connection was dropped only after " + Fmt(gone_ms / 1000, 2) + " s");
    // What it had been sent, read now: fewer answers than requests (the rest was never written).
    conn->ReadUntil([&](const std::string&) { return conn->ended(); }, Clock::now() + Ms(5000));
    std::size_t answers = 0;
    std::string_view rest(conn->in());
    while (auto r = ParseResponse(rest)) {
        ++answers;
        rest.remove_prefix(r->size);
    }
    Expect(answers < static_cast<std::size_t>(kRequests),
           "all " + std::to_string(kRequests) + " answers reached a client that never read: the test proves nothing");
    ctx.Note(std::to_string(kRequests) + " pipelined GET /openapi.json (" + Bytes(conn->sent()) +
             " of requests) never read, 4 KiB receive buffer: the server dropped the connection after " +
             Fmt(gone_ms / 1000, 2) + " s (write deadline 1.5 s); " + std::to_string(answers) + " answers (" +
             Bytes(conn->received()) + ") had reached the client; " + verdict);
}

// ===================================================================== WebSocket (module 1)

void WsConnectionFlood(StageContext& ctx) {
    auto user = ctx.NewUser("hostile-connflood");
    Bystander other(ctx, Bystander::Kind::kWsPing);
    other.Baseline();
    other.Start();
    // Idle TCP connections from the same client alongside (plain TCP only).
    std::vector<std::unique_ptr<RawConn>> idle;
    if (!ctx.server().tls) {
        for (int i = 0; i < 200; ++i) idle.push_back(RawConn::Open(ctx.server()));
    }
    constexpr int kMaxAttempts = 80;
    std::vector<std::unique_ptr<WsClient>> open;
    std::optional<WsConnectError> refused;
    for (int i = 0; i < kMaxAttempts && !refused; ++i) {
        auto ws = std::make_unique<WsClient>();
        WsConnectOptions o;
        o.bearer_token = user.access_token;
        WsConnectError err;
        if (ws->Connect(ctx.server(), o, &err)) {
            open.push_back(std::move(ws));
        } else {
            refused = err;
        }
    }
    Expect(refused.has_value(), "one user opened " + std::to_string(kMaxAttempts) +
                                    " WebSocket connections without a refusal (the per-user limit is 32 by default)");
    const std::size_t admitted = open.size();
    Expect(admitted > 0, "the user's first WebSocket connection was refused: " + refused->message);
    Expect(refused->http_status == 429, "connection " + std::to_string(admitted + 1) + " refused with " +
                                            std::to_string(refused->http_status) + " (" + refused->message + " " +
                                            refused->body.substr(0, 200) + "), expected 429");
    boost::system::error_code ec;
    auto body = json::parse(refused->body, ec);
    Expect(!ec && body.is_object() && JStr(body.as_object(), "error") == "rate_limited",
           "the 429 is not a JSON rate_limited error: " + refused->body.substr(0, 200));
    // The open ones all work, and a freed place is taken again.
    other.Hold(kSustain);  // all of them open, and 200 idle TCP connections: the other user measures meanwhile
    Expect(open.back()->IsOpen(), "the last admitted connection is closed");
    open.back()->Close();
    open.pop_back();
    std::unique_ptr<WsClient> again;
    for (int attempt = 0; attempt < 20 && !again; ++attempt) {
        auto ws = std::make_unique<WsClient>();
        WsConnectOptions o;
        o.bearer_token = user.access_token;
        if (ws->Connect(ctx.server(), o, nullptr)) {
            again = std::move(ws);
        } else {
            std::this_thread::sleep_for(Ms(100));  // the server unregisters the closed one asynchronously
        }
    }
    Expect(again != nullptr, "after closing one of its connections, the user could not open another within 2 s");
    PingPong(*again, "after-flood");
    auto verdict = other.Verdict();
    ctx.Note("connection " + std::to_string(admitted + 1) + " of one user refused 429 rate_limited (" +
             std::to_string(admitted) + " admitted), one closed then one admitted again; " +
             (idle.empty() ? std::string() : std::to_string(idle.size()) + " idle TCP connections open meanwhile; ") +
             verdict);
}

void WsFramesByteByByte(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto user = ctx.NewUser("hostile-bytes");
    Bystander other(ctx, Bystander::Kind::kWsPing);
    other.Baseline();
    other.Start();
    auto ws = RawWsConnect(ctx.server(), user.access_token);
    auto write_bytewise = [&](const std::string& bytes) {
        for (char c : bytes) {
            Expect(ws->conn->Write(std::string_view(&c, 1)), "send failed: " + ws->conn->write_error());
            std::this_thread::sleep_for(Ms(1));
        }
    };
    // 1. One frame, a byte per TCP segment.
    const auto t1 = Clock::now();
    write_bytewise(ClientFrame(1, PingText("bytewise")));
    Expect(ws->PumpUntil([&] { return ws->HasPong("bytewise"); }, Clock::now() + Ms(5000)),
           "a frame written a byte at a time got no pong (" + ws->Ending() + ")");
    const double frame_ms = MsSince(t1);
    // 2. One message as 1-byte fragments (text, continuations, the last with FIN), a control ping in the middle,
    // each frame itself written a byte at a time.
    const std::string text = PingText("fragments");
    const auto t2 = Clock::now();
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool last = i + 1 == text.size();
        write_bytewise(ClientFrame(i == 0 ? 1 : 0, text.substr(i, 1), last));
        if (i == text.size() / 2) write_bytewise(ClientFrame(9, "mid"));
    }
    Expect(ws->PumpUntil([&] { return ws->HasPong("fragments"); }, Clock::now() + Ms(5000)),
           "a message of " + std::to_string(text.size()) + " one-byte fragments got no pong (" + ws->Ending() + ")");
    const double frag_ms = MsSince(t2);
    Expect(ws->pongs >= 1, "the control ping between fragments got no pong");
    Expect(!ws->close_code && !ws->conn->ended(), "the connection was closed: " + ws->Ending());
    if (const auto* error = ws->FirstOfType("error")) Fail("the server answered with an error: " + error->payload);
    auto verdict = other.Verdict();
    ctx.Note("a ping frame written a byte per segment: pong after " + Fmt(frame_ms) + " ms; a ping message in " +
             std::to_string(text.size()) +
             " one-byte fragments (each a byte per segment) with a control ping among "
             "them: control pong and pong after " +
             Fmt(frag_ms) + " ms; " + verdict);
}

// Streams chunks after `head` until the server's verdict (an error or a close) arrives or `max` bytes went out.
void StreamFrameUntilVerdict(RawWs& ws, const std::function<std::string()>& next, std::size_t max) {
    const auto deadline = Clock::now() + Ms(20000);
    while (ws.conn->sent() < max && Clock::now() < deadline) {
        ws.Pump();
        if (ws.FirstOfType("error") || ws.close_code || ws.conn->ended()) break;
        if (!ws.conn->Write(next(), Ms(500))) break;
    }
    ws.PumpUntil([&] { return ws.close_code.has_value(); }, Clock::now() + Ms(5000));
}

void ExpectErrorThenClose(const RawWs& ws, const std::string& code, int close, const std::string& what) {
    const long e = ws.IndexOf("error");
    const long c = ws.CloseIndex();
    Expect(e >= 0, what + ": no `error` frame before the close (" + ws.Ending() + ")");
    const auto& err = ws.frames[static_cast<std::size_t>(e)];
    Expect(err.Field("code") == code, what + ": the error is " + err.payload + ", expected code " + code);
    Expect(c >= 0 && ws.close_code == close,
           what + ": expected close " + std::to_string(close) + ", got " + ws.Ending());
    Expect(e < c, what + ": the `error` came after the close");
}

void WsOversizedFrame(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto user = ctx.NewUser("hostile-oversize");
    Bystander other(ctx, Bystander::Kind::kWsPing);
    other.Baseline();
    other.Start();
    constexpr std::size_t kChunk = 64 * 1024;
    std::vector<std::string> seen(2);
    const std::string fragment(kChunk, 'b');
    auto rounds = Sustain(2, [&](int round) {
        {
            // One text frame declaring 64 MiB, its payload streamed.
            auto ws = RawWsConnect(ctx.server(), user.access_token);
            std::array<unsigned char, 4> mask{};
            Expect(ws->conn->Write(ClientFrame(1, "", true, false, std::uint64_t{64} << 20, &mask)), "send failed");
            const std::size_t start = ws->conn->sent();
            const std::string chunk = MaskedChunk(kChunk, mask);
            const auto t0 = Clock::now();
            StreamFrameUntilVerdict(
                *ws, [&] { return chunk; }, 64u << 20);
            ExpectErrorThenClose(*ws, "PAYLOAD_TOO_LARGE", 1009, "a frame declaring 64 MiB");
            if (round == 0) {
                seen[0] = "a frame declaring 64 MiB: error PAYLOAD_TOO_LARGE then 1009 in " + Fmt(MsSince(t0)) +
                          " ms, the client having pushed " + Bytes(ws->conn->sent() - start) +
                          " of payload (socket buffers included)";
            }
        }
        {
            // A message of 64 KiB fragments without end.
            auto ws = RawWsConnect(ctx.server(), user.access_token);
            bool first = true;
            const auto t0 = Clock::now();
            const std::size_t start = ws->conn->sent();
            StreamFrameUntilVerdict(
                *ws,
                [&] {
                    const int op = first ? 1 : 0;
                    first = false;
                    return ClientFrame(op, fragment, false);
                },
                64u << 20);
            ExpectErrorThenClose(*ws, "PAYLOAD_TOO_LARGE", 1009, "a message of 64 KiB fragments without end");
            if (round == 0) {
                seen[1] = "64 KiB fragments without end: error PAYLOAD_TOO_LARGE then 1009 in " + Fmt(MsSince(t0)) +
                          " ms, the client having pushed " + Bytes(ws->conn->sent() - start);
            }
        }
    });
    auto verdict = other.Verdict();
    ctx.Note(rounds + ": " + Join(seen, "; ") + "; " + verdict);
}

// A raw DEFLATE stream holding `text` in one stored block (RFC 1951 §3.2.4): what permessage-deflate would carry,
// without the 00 00 ff ff tail (RFC 7692 §7.2.1).
std::string StoredDeflate(const std::string& text) {
    std::string out;
    out.push_back(0x01);  // BFINAL=1, BTYPE=00
    const auto len = static_cast<std::uint16_t>(text.size());
    out.push_back(static_cast<char>(len & 0xff));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(~len & 0xff));
    out.push_back(static_cast<char>((~len >> 8) & 0xff));
    return out + text;
}

void WsCompressedFrame(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto user = ctx.NewUser("hostile-deflate");
    Bystander other(ctx, Bystander::Kind::kWsPing);
    other.Baseline();
    other.Start();
    std::vector<std::string> seen(2);
    auto rounds = Sustain(2, [&](int round) {
        for (bool offered : {true, false}) {
            auto ws =
                RawWsConnect(ctx.server(), user.access_token,
                             offered ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
            if (offered) {
                Expect(Lower(ws->head).find("sec-websocket-extensions") == std::string::npos,
                       "the server negotiated an extension: " + ws->head);
            }
            const auto t0 = Clock::now();
            Expect(ws->conn->Write(ClientFrame(1, StoredDeflate(PingText("deflated")), true, true)), "send failed");
            ws->PumpUntil([&] { return ws->close_code.has_value(); }, Clock::now() + Ms(5000));
            Expect(ws->close_code == 1002,
                   std::string(offered ? "deflate offered (refused), " : "deflate not offered, ") +
                       "an RSV1 frame: expected close 1002 (protocol error), got " + ws->Ending());
            Expect(!ws->HasPong("deflated"), "the compressed frame was processed (a pong came back)");
            ws->PumpUntil([&] { return ws->conn->ended(); }, Clock::now() + Ms(5000));
            Expect(ws->conn->ended(), "the server did not close TCP after its 1002");
            if (round == 0) {
                seen[offered ? 0 : 1] =
                    std::string(offered ? "permessage-deflate offered: not negotiated; " : "not offered: ") +
                    "an RSV1 frame closed 1002 in " + Fmt(MsSince(t0)) + " ms, unprocessed";
            }
        }
    });
    auto verdict = other.Verdict();
    ctx.Note(rounds + ": " + Join(seen, "; ") + "; " + verdict);
}

void WsPingFlood(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto user = ctx.NewUser("hostile-pingflood");
    Bystander other(ctx, Bystander::Kind::kWsPing);
    other.Baseline();
    other.Start();
    struct Kind {
        std::string what;
        bool control;
    };
    const std::vector<Kind> kinds = {{"control pings", true}, {"application pings", false}};
    std::vector<std::string> seen(kinds.size());
    auto rounds = Sustain(2, [&](int round) {
        for (std::size_t k = 0; k < kinds.size(); ++k) {
            auto ws = RawWsConnect(ctx.server(), user.access_token);
            constexpr int kBurst = 500, kMaxBursts = 40;
            int sent = 0;
            const auto t0 = Clock::now();
            for (int b = 0; b < kMaxBursts; ++b) {
                std::string burst;
                for (int i = 0; i < kBurst; ++i, ++sent) {
                    burst += kinds[k].control ? ClientFrame(9, "p" + std::to_string(sent))
                                              : ClientFrame(1, PingText("f" + std::to_string(sent)));
                }
                if (!ws->conn->Write(burst, Ms(2000))) break;
                ws->Pump();
                if (ws->FirstOfType("error") || ws->close_code || ws->conn->ended()) break;
            }
            ws->PumpUntil([&] { return ws->close_code.has_value(); }, Clock::now() + Ms(5000));
            ExpectErrorThenClose(*ws, "RATE_LIMITED", 1008, kinds[k].what + " flood");
            const std::size_t answered =
                kinds[k].control
                    ? ws->pongs
                    : static_cast<std::size_t>(std::count_if(ws->frames.begin(), ws->frames.end(),
                                                             [](const ServerFrame& f) { return f.Type() == "pong"; }));
            if (round == 0) {
                seen[k] = std::to_string(sent) + " " + kinds[k].what + " in " + Fmt(MsSince(t0)) +
                          " ms: " + std::to_string(answered) + " answered, then error RATE_LIMITED and close 1008";
            }
        }
    });
    auto verdict = other.Verdict();
    ctx.Note(rounds + ": " + Join(seen, "; ") + "; " + verdict);
}

// Writes `pieces` one every `every` until the server's verdict (an error or a close) arrives; the time of each write.
std::vector<Clock::time_point> TrickleWs(RawWs& ws, const std::vector<std::string>& pieces, Ms every) {
    std::vector<Clock::time_point> sent;
    for (const auto& piece : pieces) {
        ws.Pump();
        if (ws.FirstOfType("error") || ws.close_code || ws.conn->ended()) break;
        sent.push_back(Clock::now());
        if (!ws.conn->Write(piece, Ms(500))) break;
        // The whole interval, reading meanwhile (a pong arriving must not hurry the next piece).
        ws.PumpUntil([&] { return ws.FirstOfType("error") || ws.close_code; }, sent.back() + every);
    }
    ws.PumpUntil([&] { return ws.close_code.has_value() || ws.conn->ended(); }, Clock::now() + Ms(5000));
    return sent;
}

void WsSlowMessage(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    auto d = SpawnShort(ctx, {"NETRA_WS_MESSAGE_TIMEOUT_MS=" + std::to_string(kShortMessageTimeoutMs)},
                        "needs a short WebSocket message deadline (NETRA_WS_MESSAGE_TIMEOUT_MS=1500): the default 30 s "
                        "is too long for a test");
    auto user = d.ctx->NewUser("hostile-slowmsg");
    Bystander other(*d.ctx, Bystander::Kind::kWsPing);
    other.Baseline();
    other.Start();
    // The deadline runs from the message's first payload byte; the verdict must come at it (2.5 s of slack for a
    // slow machine).
    auto expect_verdict_at_deadline = [&](RawWs& ws, Clock::time_point first_payload, const std::string& what) {
        ExpectErrorThenClose(ws, "REQUEST_TIMEOUT", 1008, what);
        const double after =
            std::chrono::duration<double, std::milli>(ws.FirstOfType("error")->at - first_payload).count();
        Expect(after >= kShortMessageTimeoutMs - 100 && after <= kShortMessageTimeoutMs + 2500,
               what + ": the error came " + Fmt(after) + " ms after the message began (deadline " +
                   std::to_string(kShortMessageTimeoutMs) + " ms)");
        return after;
    };
    // 1. One frame, a byte every 150 ms (about 4.5 s for the whole).
    auto slow_frame = RawWsConnect(d.ctx->server(), user.access_token);
    const std::string frame = ClientFrame(1, PingText("slow-frame"));
    std::vector<std::string> bytes;
    for (char c : frame) bytes.emplace_back(1, c);
    auto sent = TrickleWs(*slow_frame, bytes, Ms(150));
    constexpr std::size_t kHeaderBytes = 6;  // 2 + the mask: the payload starts at the 7th byte
    Expect(sent.size() > kHeaderBytes,
           "the trickled frame was refused before its payload began (" + slow_frame->Ending() + ")");
    Expect(sent.size() < bytes.size(),
           "the whole frame went out: no verdict while it trickled (" + slow_frame->Ending() + ")");
    const double frame_ms = expect_verdict_at_deadline(*slow_frame, sent[kHeaderBytes], "a frame trickled bytewise");
    Expect(!slow_frame->HasPong("slow-frame"), "the trickled frame was answered after all");
    // 2. One-byte fragments every 250 ms, each followed by a control ping: the client is alive throughout.
    auto slow_fragments = RawWsConnect(d.ctx->server(), user.access_token);
    const std::string text = PingText("slow-fragments");
    std::vector<std::string> fragments;
    for (std::size_t i = 0; i < text.size(); ++i)
        fragments.push_back(ClientFrame(i == 0 ? 1 : 0, text.substr(i, 1), i + 1 == text.size()) +
                            ClientFrame(9, "alive"));
    sent = TrickleWs(*slow_fragments, fragments, Ms(250));
    Expect(!sent.empty() && sent.size() < fragments.size(),
           "the whole fragmented message went out: no verdict while it trickled (" + slow_fragments->Ending() + ")");
    const double fragments_ms =
        expect_verdict_at_deadline(*slow_fragments, sent.front(), "1-byte fragments with pings between them");
    Expect(slow_fragments->pongs >= 1, "the control pings between the fragments got no pong");
    // 3. The deadline is per message: two messages of 4 fragments 300 ms apart (0.9 s each, 1.8 s together).
    auto steady = RawWsConnect(d.ctx->server(), user.access_token);
    const auto t3 = Clock::now();
    for (const std::string id : {"steady-1", "steady-2"}) {
        const std::string msg = PingText(id);
        const std::size_t quarter = (msg.size() + 3) / 4;
        for (std::size_t i = 0; i < 4; ++i) {
            if (i > 0) steady->PumpUntil([] { return false; }, Clock::now() + Ms(300));
            const bool last = i == 3;
            Expect(steady->conn->Write(ClientFrame(i == 0 ? 1 : 0, msg.substr(i * quarter, quarter), last), Ms(500)),
                   "send failed: " + steady->conn->write_error());
        }
        Expect(steady->PumpUntil([&] { return steady->HasPong(id); }, Clock::now() + Ms(5000)),
               "a message whose fragments each came within the deadline got no pong (" + steady->Ending() + ")");
    }
    const double steady_ms = MsSince(t3);
    Expect(!steady->close_code && !steady->conn->ended() && !steady->FirstOfType("error"),
           "messages within the deadline were refused: " + steady->Ending());
    auto verdict = other.Verdict();
    ctx.Note("deadline 1.5 s: a frame trickled a byte every 150 ms got error REQUEST_TIMEOUT and close 1008 " +
             Fmt(frame_ms) +
             " ms after its payload began; 1-byte fragments every 250 ms with a control ping after each " +
             "(pongs answered) got them " + Fmt(fragments_ms) + " ms after the first; two messages of 4 fragments " +
             "300 ms apart were both answered (" + Fmt(steady_ms) + " ms together); " + verdict);
}

void WsClientNeverReads(StageContext& ctx) {
    RequirePlainTcp(ctx.server());
    // A small outbound queue, and no frames-per-second limit in the way: the burst is what fills the queue.
    auto d = SpawnShort(ctx, {"NETRA_WS_OUTBOUND_QUEUE_MESSAGES=64", "NETRA_WS_FRAMES_PER_SECOND=1000000"},
                        "needs a small outbound queue (NETRA_WS_OUTBOUND_QUEUE_MESSAGES=64) only --spawn can give");
    auto user = d.ctx->NewUser("hostile-noread");
    Bystander other(*d.ctx, Bystander::Kind::kWsPing);
    other.Baseline();
    other.Start();
    const long sockets_before = OpenWebSockets(*d.ctx);  // the other user's
    constexpr int kPings = 20000;
    std::string burst;
    for (int i = 0; i < kPings; ++i) burst += ClientFrame(1, PingText(std::to_string(i)));
    // One reads again a second after its burst (within the 3 s close grace), one never does.
    auto late = RawWsConnect(d.ctx->server(), user.access_token, "", 4096);
    auto never = RawWsConnect(d.ctx->server(), user.access_token, "", 4096);
    const auto t0 = Clock::now();
    Expect(late->conn->Write(burst, Ms(10000)), "the late reader's burst: " + late->conn->write_error());
    Expect(never->conn->Write(burst, Ms(10000)), "the non-reader's burst: " + never->conn->write_error());
    const double burst_ms = MsSince(t0);
    std::this_thread::sleep_for(Ms(1000));
    late->PumpUntil([&] { return late->close_code.has_value(); }, Clock::now() + Ms(5000));
    const std::size_t late_pongs = static_cast<std::size_t>(std::count_if(
        late->frames.begin(), late->frames.end(), [](const ServerFrame& f) { return f.Type() == "pong"; }));
    Expect(late_pongs < static_cast<std::size_t>(kPings),
           "all " + std::to_string(kPings) + " pongs reached the late reader: no overflow, the test proves nothing");
    ExpectErrorThenClose(*late, "SERVICE_UNAVAILABLE", 1013, "a socket that stopped reading, then read again");
    double gone_ms = -1;
    while (MsSince(t0) < 10000) {
        if (never->conn->PeerGone()) {
            gone_ms = MsSince(t0);
            break;
        }
        std::this_thread::sleep_for(Ms(20));
    }
    Expect(gone_ms >= 0, "a socket that never reads was still open 10 s after its answers overflowed the queue");
    // The server's own count agrees: both sockets are gone from it.
    long sockets_after = OpenWebSockets(*d.ctx);
    for (int i = 0; i < 50 && sockets_after != sockets_before; ++i) {
        std::this_thread::sleep_for(Ms(100));
        sockets_after = OpenWebSockets(*d.ctx);
    }
    auto verdict = other.Verdict();
    Expect(sockets_after == sockets_before, "the server still counts " + std::to_string(sockets_after) +
                                                " open WebSockets, " + std::to_string(sockets_before) +
                                                " before the two");
    ctx.Note(std::to_string(kPings) + " pings written in " + Fmt(burst_ms) +
             " ms on sockets that did not read (4 KiB "
             "receive buffer, queue of 64): the one reading again after 1 s got " +
             std::to_string(late_pongs) +
             " pongs, then error SERVICE_UNAVAILABLE and close 1013; the one that never reads was dropped " +
             Fmt(gone_ms / 1000, 2) +
             " s after the burst began (close grace 3 s, then a reset), the server's open WebSockets back to " +
             std::to_string(sockets_after) + "; " + verdict);
}

}  // namespace

std::vector<TestCase> HostileHttpTests() {
    return {
        {"slowloris_headers_408", SlowlorisHeaders},
        {"slow_body_408", SlowBody},
        {"uri_too_long_414", UriTooLong},
        {"header_flood_431", HeaderFlood},
        {"body_flood_413", BodyFlood},
        {"half_closed_socket", HalfClosedSocket},
        {"http_client_never_reads", HttpClientNeverReads},
    };
}

std::vector<TestCase> HostileWsTests() {
    return {
        {"ws_connection_flood_429", WsConnectionFlood},
        {"ws_frames_byte_by_byte", WsFramesByteByByte},
        {"ws_oversized_frame_1009", WsOversizedFrame},
        {"ws_compressed_frame_1002", WsCompressedFrame},
        {"ws_ping_flood_1008", WsPingFlood},
        {"ws_slow_message_1008", WsSlowMessage},
        {"ws_client_never_reads_1013", WsClientNeverReads},
    };
}

}  // namespace netra::stage

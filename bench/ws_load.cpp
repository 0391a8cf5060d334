// WebSocket load generator for the two server targets of SPEC §14 that need many connections: "10 000 idle
// WebSocket connections in <= 200 MiB" (mode `idle`) and ">= 10 000 WebSocket messages/s" (mode `throughput`,
// `ping` -> `pong`). One thread, one io_context, Beast clients with Asio coroutines, loopback only; every phase
// has a deadline so the tool always stops by itself. The server's memory is read by bench/run-ws-bench.sh from
// /proc: this tool only opens, holds and drives the connections, and writes --ready-file once they are open.
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kAwait = asio::as_tuple(use_awaitable);

struct Options {
    std::string mode;
    int connections = 0;
    std::string url = "ws://127.0.0.1:8080/api/v1/websocket";
    std::string token;
    double hold_seconds = 10;      // idle: how long the connections are held open
    double seconds = 10;           // throughput: measured window
    double warmup_seconds = 2;     // throughput: sent and answered, not counted
    int in_flight = 20;            // throughput: pings outstanding per connection
    int parallel_connects = 128;   // handshakes in progress at once (the listen backlog is finite)
    double connect_timeout = 180;  // the whole opening phase
    std::string ready_file;        // idle: written once every connection is open (or failed)
};

struct Target {
    std::string host;
    std::string port;
    std::string path;
};

std::optional<Target> ParseUrl(const std::string& url) {
    constexpr std::string_view kScheme = "ws://";
    if (url.rfind(kScheme, 0) != 0) return std::nullopt;
    std::string rest = url.substr(kScheme.size());
    auto slash = rest.find('/');
    std::string authority = slash == std::string::npos ? rest : rest.substr(0, slash);
    Target t;
    t.path = slash == std::string::npos ? "/" : rest.substr(slash);
    auto colon = authority.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    t.host = authority.substr(0, colon);
    t.port = authority.substr(colon + 1);
    // A load generator aimed elsewhere would be an attack tool: loopback only.
    if (t.host == "localhost") t.host = "127.0.0.1";
    if (t.host.rfind("127.", 0) != 0) return std::nullopt;
    return t;
}

// Frames are compared as text: the server serialises with Boost.JSON (no spaces), and parsing every pong with a
// JSON library would take CPU from the server this tool shares two cores with.
bool HasType(std::string_view frame, std::string_view type) {
    std::string needle = "\"type\":\"";
    needle += type;
    needle += '"';
    return frame.find(needle) != std::string_view::npos;
}

std::optional<std::int64_t> PongId(std::string_view frame) {
    auto at = frame.find("\"id\":");
    if (at == std::string_view::npos) return std::nullopt;
    const char* begin = frame.data() + at + 5;
    std::int64_t id = 0;
    auto [ptr, ec] = std::from_chars(begin, frame.data() + frame.size(), id);
    if (ec != std::errc()) return std::nullopt;
    return id;
}

struct Conn {
    explicit Conn(asio::io_context& io) : ws(io) {}
    websocket::stream<beast::tcp_stream> ws;
    bool open = false;
    bool writing = false;
    bool closing = false;
    std::int64_t next_id = 0;
    std::deque<std::pair<std::int64_t, Clock::time_point>> pending;  // pings sent, oldest first
    std::deque<std::string> outbox;
};

struct Stats {
    int established = 0;
    int open = 0;
    std::map<std::string, int> failures;  // stage: reason -> count
    std::map<std::string, int> closes;    // close reason seen by a reader -> count
    std::int64_t pongs_total = 0;
    std::int64_t pongs_window = 0;
    std::int64_t pings_sent = 0;
    std::int64_t error_frames = 0;
    std::int64_t other_frames = 0;
    std::int64_t id_mismatches = 0;
    std::vector<std::uint32_t> latency_us;  // pongs received in the window
    std::vector<std::int64_t> per_second;   // pongs per whole second of the window
    std::string first_error_frame;
};

class Load {
  public:
    Load(Options options, Target target) : opt_(std::move(options)), target_(std::move(target)), deadline_(io_) {}

    int Run() {
        auto address = asio::ip::make_address(target_.host);
        endpoint_ = tcp::endpoint(address, static_cast<unsigned short>(std::stoi(target_.port)));
        for (int i = 0; i < opt_.connections; ++i) conns_.push_back(std::make_unique<Conn>(io_));
        double total =
            opt_.connect_timeout + 30 + (opt_.mode == "idle" ? opt_.hold_seconds : opt_.warmup_seconds + opt_.seconds);
        deadline_.expires_after(std::chrono::milliseconds(static_cast<std::int64_t>(total * 1000)));
        deadline_.async_wait([this](beast::error_code ec) {
            if (ec) return;
            std::fprintf(stderr, "ws_load: overall deadline (%.0f s) reached, stopping\n",
                         std::chrono::duration<double>(Clock::now() - start_).count());
            timed_out_ = true;
            io_.stop();
        });
        start_ = Clock::now();
        asio::co_spawn(io_, Main(), asio::detached);
        io_.run();
        return timed_out_ ? 1 : exit_code_;
    }

  private:
    awaitable<void> Main() {
        co_await OpenAll();
        auto opened = std::chrono::duration<double>(Clock::now() - start_).count();
        std::printf("opened %d of %d connections in %.2f s (%d handshakes at a time)\n", stats_.established,
                    opt_.connections, opened, opt_.parallel_connects);
        for (const auto& [why, n] : stats_.failures) std::printf("  failed: %s x%d\n", why.c_str(), n);
        std::fflush(stdout);
        if (opt_.mode == "idle") {
            co_await Idle(opened);
        } else {
            co_await Throughput(opened);
        }
        co_await CloseAll();
        deadline_.cancel();
    }

    awaitable<void> OpenAll() {
        auto workers = std::min(opt_.parallel_connects, opt_.connections);
        int done = 0;
        asio::steady_timer all_done(io_, Clock::time_point::max());
        for (int w = 0; w < workers; ++w) {
            asio::co_spawn(io_, OpenWorker(), [&](std::exception_ptr) {
                if (++done == workers) all_done.cancel();
            });
        }
        co_await all_done.async_wait(kAwait);
    }

    awaitable<void> OpenWorker() {
        const auto limit = start_ + std::chrono::milliseconds(static_cast<std::int64_t>(opt_.connect_timeout * 1000));
        while (next_open_ < opt_.connections) {
            Conn& c = *conns_[next_open_++];
            if (Clock::now() > limit) {
                ++stats_.failures["open phase timed out"];
                continue;
            }
            if (co_await Open(c)) asio::co_spawn(io_, Reader(c), asio::detached);
        }
    }

    awaitable<bool> Open(Conn& c) {
        auto& lowest = beast::get_lowest_layer(c.ws);
        lowest.expires_after(std::chrono::seconds(30));
        auto [cec] = co_await lowest.async_connect(endpoint_, kAwait);
        if (cec) {
            ++stats_.failures["connect: " + cec.message()];
            co_return false;
        }
        beast::error_code ignored;
        lowest.socket().set_option(tcp::no_delay(true), ignored);
        lowest.expires_never();
        auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::client);
        timeouts.handshake_timeout = std::chrono::seconds(30);
        c.ws.set_option(timeouts);
        std::string protocols = "jwt-auth, jwt-auth." + opt_.token;
        c.ws.set_option(websocket::stream_base::decorator([protocols](websocket::request_type& req) {
            req.set(beast::http::field::sec_websocket_protocol, protocols);
            req.set(beast::http::field::user_agent, "netra-ws-load");
        }));
        websocket::response_type res;
        auto [hec] = co_await c.ws.async_handshake(res, target_.host + ":" + target_.port, target_.path, kAwait);
        if (hec) {
            std::string why = "handshake: " + hec.message();
            if (res.result_int() != 0) why += " (HTTP " + std::to_string(res.result_int()) + ")";
            ++stats_.failures[why];
            co_return false;
        }
        beast::flat_buffer buffer;
        auto [rec, n] = co_await c.ws.async_read(buffer, kAwait);
        (void)n;
        if (rec) {
            ++stats_.failures["first frame: " + rec.message()];
            co_return false;
        }
        auto text = beast::buffers_to_string(buffer.data());
        if (!HasType(text, "connection_established")) {
            ++stats_.failures["first frame not connection_established: " + text.substr(0, 120)];
            co_return false;
        }
        c.open = true;
        ++stats_.established;
        ++stats_.open;
        co_return true;
    }

    // Keeps a read pending on every connection: Beast answers the server's keep-alive pings from inside it.
    awaitable<void> Reader(Conn& c) {
        beast::flat_buffer buffer;
        for (;;) {
            auto [ec, n] = co_await c.ws.async_read(buffer, kAwait);
            (void)n;
            if (ec) {
                std::string why = ec == websocket::error::closed
                                      ? "close frame code " + std::to_string(c.ws.reason().code)
                                      : ec.message();
                if (!c.closing) ++stats_.closes[why];
                break;
            }
            auto data = buffer.data();
            std::string_view text(static_cast<const char*>(data.data()), data.size());
            OnFrame(c, text);
            buffer.consume(buffer.size());
        }
        c.open = false;
        --stats_.open;
        if (c.closing && ++closed_ == closing_ && close_done_) close_done_->cancel();
    }

    void OnFrame(Conn& c, std::string_view text) {
        if (HasType(text, "pong")) {
            auto now = Clock::now();
            auto id = PongId(text);
            if (c.pending.empty() || !id || *id != c.pending.front().first) {
                ++stats_.id_mismatches;
                if (!c.pending.empty()) c.pending.pop_front();
            } else {
                auto sent = c.pending.front().second;
                c.pending.pop_front();
                ++stats_.pongs_total;
                if (now >= window_start_ && now < window_end_) {
                    ++stats_.pongs_window;
                    stats_.latency_us.push_back(static_cast<std::uint32_t>(
                        std::chrono::duration_cast<std::chrono::microseconds>(now - sent).count()));
                    auto second = static_cast<std::size_t>(
                        std::chrono::duration_cast<std::chrono::seconds>(now - window_start_).count());
                    if (second < stats_.per_second.size()) ++stats_.per_second[second];
                }
            }
            if (sending_) SendPing(c);
            return;
        }
        if (HasType(text, "error")) {
            if (stats_.first_error_frame.empty()) stats_.first_error_frame = std::string(text.substr(0, 200));
            ++stats_.error_frames;
            return;
        }
        ++stats_.other_frames;  // run events of this user, heartbeat answers: counted, not expected here
    }

    void SendPing(Conn& c) {
        if (!c.open || c.closing) return;
        auto id = c.next_id++;
        c.pending.emplace_back(id, Clock::now());
        c.outbox.push_back("{\"type\":\"ping\",\"id\":" + std::to_string(id) + "}");
        ++stats_.pings_sent;
        if (!c.writing) Write(c);
    }

    // One write in flight per connection (a Beast rule); pings queue behind it.
    void Write(Conn& c) {
        c.writing = true;
        c.ws.text(true);
        c.ws.async_write(asio::buffer(c.outbox.front()), [this, &c](beast::error_code ec, std::size_t) {
            c.writing = false;
            c.outbox.pop_front();
            if (ec) {
                c.outbox.clear();
                return;
            }
            if (!c.outbox.empty() && !c.closing) Write(c);
        });
    }

    awaitable<void> Sleep(std::chrono::steady_clock::duration d) {
        asio::steady_timer timer(io_, d);
        co_await timer.async_wait(kAwait);
    }

    static std::chrono::milliseconds Ms(double seconds) {
        return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
    }

    awaitable<void> Idle(double opened_seconds) {
        if (!opt_.ready_file.empty()) {
            std::ofstream out(opt_.ready_file + ".tmp");
            out << "established=" << stats_.established << "\n";
            out.close();
            std::rename((opt_.ready_file + ".tmp").c_str(), opt_.ready_file.c_str());
        }
        std::printf("holding %d connections for %.0f s\n", stats_.open, opt_.hold_seconds);
        std::fflush(stdout);
        co_await Sleep(Ms(opt_.hold_seconds));
        std::printf("after %.0f s: %d of %d connections still open\n", opt_.hold_seconds, stats_.open,
                    stats_.established);
        for (const auto& [why, n] : stats_.closes)
            std::printf("  closed by server/transport: %s x%d\n", why.c_str(), n);
        std::printf(
            "RESULT {\"mode\":\"idle\",\"requested\":%d,\"established\":%d,\"open_after_hold\":%d,"
            "\"hold_s\":%.0f,\"open_phase_s\":%.2f,\"failed\":%d,\"unexpected_closes\":%d,"
            "\"other_frames\":%lld}\n",
            opt_.connections, stats_.established, stats_.open, opt_.hold_seconds, opened_seconds,
            opt_.connections - stats_.established, UnexpectedCloses(), static_cast<long long>(stats_.other_frames));
        std::fflush(stdout);
        if (stats_.established != opt_.connections || stats_.open != stats_.established) exit_code_ = 1;
    }

    int UnexpectedCloses() const {
        int n = 0;
        for (const auto& [why, count] : stats_.closes) n += count;
        return n;
    }

    awaitable<void> Throughput(double opened_seconds) {
        (void)opened_seconds;
        if (stats_.established == 0) {
            exit_code_ = 1;
            co_return;
        }
        auto now = Clock::now();
        window_start_ = now + Ms(opt_.warmup_seconds);
        window_end_ = window_start_ + Ms(opt_.seconds);
        stats_.per_second.assign(static_cast<std::size_t>(opt_.seconds), 0);
        sending_ = true;
        for (auto& c : conns_) {
            for (int k = 0; k < opt_.in_flight; ++k) SendPing(*c);
        }
        co_await Sleep(window_end_ - Clock::now());
        sending_ = false;
        // Let the pings in flight come back so the connections close cleanly; bounded.
        for (int i = 0; i < 50 && Outstanding() > 0; ++i) co_await Sleep(std::chrono::milliseconds(100));
        Report();
    }

    std::int64_t Outstanding() const {
        std::int64_t n = 0;
        for (const auto& c : conns_) {
            if (c->open) n += static_cast<std::int64_t>(c->pending.size());
        }
        return n;
    }

    void Report() {
        auto& lat = stats_.latency_us;
        auto pct = [&lat](double p) -> double {
            if (lat.empty()) return 0;
            auto k = static_cast<std::size_t>(p * static_cast<double>(lat.size() - 1));
            std::nth_element(lat.begin(), lat.begin() + static_cast<std::ptrdiff_t>(k), lat.end());
            return lat[k] / 1000.0;
        };
        double rate = static_cast<double>(stats_.pongs_window) / opt_.seconds;
        auto [lo, hi] = stats_.per_second.empty()
                            ? std::pair<std::int64_t, std::int64_t>{0, 0}
                            : std::pair{*std::min_element(stats_.per_second.begin(), stats_.per_second.end()),
                                        *std::max_element(stats_.per_second.begin(), stats_.per_second.end())};
        double p50 = pct(0.50), p99 = pct(0.99), p999 = pct(0.999);
        double max = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end()) / 1000.0;
        std::printf("%d connections x %d pings in flight, %.0f s window after %.0f s warm-up\n", stats_.established,
                    opt_.in_flight, opt_.seconds, opt_.warmup_seconds);
        std::printf(
            "answered pings (client->server frames, each answered by one pong): %.0f /s "
            "(per-second min %lld, max %lld); frames both directions: %.0f /s\n",
            rate, static_cast<long long>(lo), static_cast<long long>(hi), 2 * rate);
        std::printf("ping->pong under load: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n", p50, p99, p999,
                    max);
        std::printf("error frames %lld, id mismatches %lld, unexpected closes %d, unanswered at end %lld\n",
                    static_cast<long long>(stats_.error_frames), static_cast<long long>(stats_.id_mismatches),
                    UnexpectedCloses(), static_cast<long long>(Outstanding()));
        if (!stats_.first_error_frame.empty())
            std::printf("  first error frame: %s\n", stats_.first_error_frame.c_str());
        for (const auto& [why, n] : stats_.closes)
            std::printf("  closed by server/transport: %s x%d\n", why.c_str(), n);
        std::printf(
            "RESULT {\"mode\":\"throughput\",\"connections\":%d,\"in_flight\":%d,\"window_s\":%.0f,"
            "\"pongs_per_s\":%.0f,\"frames_both_directions_per_s\":%.0f,\"per_second_min\":%lld,"
            "\"per_second_max\":%lld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,"
            "\"error_frames\":%lld,\"id_mismatches\":%lld,\"unexpected_closes\":%d}\n",
            stats_.established, opt_.in_flight, opt_.seconds, rate, 2 * rate, static_cast<long long>(lo),
            static_cast<long long>(hi), p50, p99, p999, max, static_cast<long long>(stats_.error_frames),
            static_cast<long long>(stats_.id_mismatches), UnexpectedCloses());
        std::fflush(stdout);
        if (stats_.error_frames > 0 || stats_.id_mismatches > 0 || UnexpectedCloses() > 0 ||
            stats_.established != opt_.connections) {
            exit_code_ = 1;
        }
    }

    // Close handshakes for every open connection; the readers see the server's close frame and end.
    awaitable<void> CloseAll() {
        sending_ = false;
        for (auto& c : conns_) {
            if (!c->open) continue;
            c->closing = true;
            ++closing_;
        }
        if (closing_ == 0) co_return;
        asio::steady_timer done(io_, std::chrono::seconds(20));
        close_done_ = &done;
        for (auto& c : conns_) {
            if (!c->closing) continue;
            Conn* conn = c.get();
            // A write may still be in flight (throughput); Beast lets a close wait for it.
            conn->ws.async_close(websocket::close_code::normal, [](beast::error_code) {});
        }
        co_await done.async_wait(kAwait);
        close_done_ = nullptr;
        if (closed_ < closing_) {
            std::printf("close handshakes: %d of %d completed within 20 s\n", closed_, closing_);
        }
    }

    Options opt_;
    Target target_;
    asio::io_context io_{1};
    tcp::endpoint endpoint_;
    asio::steady_timer deadline_;
    std::vector<std::unique_ptr<Conn>> conns_;
    int next_open_ = 0;
    Stats stats_;
    Clock::time_point start_;
    Clock::time_point window_start_ = Clock::time_point::max();
    Clock::time_point window_end_ = Clock::time_point::max();
    bool sending_ = false;
    int closing_ = 0;
    int closed_ = 0;
    asio::steady_timer* close_done_ = nullptr;
    bool timed_out_ = false;
    int exit_code_ = 0;
};

void Usage() {
    std::fprintf(
        stderr,
        "usage: netra_bench_ws idle --connections N --url ws://127.0.0.1:PORT/api/v1/websocket --token T\n"
        "                      [--hold S=10] [--ready-file PATH] [--parallel P=128] [--connect-timeout S=180]\n"
        "       netra_bench_ws throughput --connections C --url URL --token T [--seconds S=10]\n"
        "                      [--in-flight W=20] [--warmup S=2]\n");
}

// Raises the descriptor limit to the hard limit: 10 000 sockets do not fit in the usual soft 1024.
bool RaiseFdLimit(int needed) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return false;
    if (lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
        getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < static_cast<rlim_t>(needed)) {
        std::fprintf(stderr, "ws_load: need %d file descriptors, the limit is %llu (raise the hard limit)\n", needed,
                     static_cast<unsigned long long>(lim.rlim_cur));
        return false;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        Usage();
        return 2;
    }
    Options opt;
    opt.mode = argv[1];
    if (opt.mode != "idle" && opt.mode != "throughput") {
        Usage();
        return 2;
    }
    try {
        for (int i = 2; i < argc; ++i) {
            std::string arg = argv[i];
            auto value = [&]() -> std::string {
                if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
                return argv[++i];
            };
            if (arg == "--connections")
                opt.connections = std::stoi(value());
            else if (arg == "--url")
                opt.url = value();
            else if (arg == "--token")
                opt.token = value();
            else if (arg == "--hold")
                opt.hold_seconds = std::stod(value());
            else if (arg == "--seconds")
                opt.seconds = std::stod(value());
            else if (arg == "--warmup")
                opt.warmup_seconds = std::stod(value());
            else if (arg == "--in-flight")
                opt.in_flight = std::stoi(value());
            else if (arg == "--parallel")
                opt.parallel_connects = std::stoi(value());
            else if (arg == "--connect-timeout")
                opt.connect_timeout = std::stod(value());
            else if (arg == "--ready-file")
                opt.ready_file = value();
            else
                throw std::invalid_argument("unknown option " + arg);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ws_load: %s\n", e.what());
        Usage();
        return 2;
    }
    // Bounded in count and time: a mistyped number must not turn this into an unbounded flood.
    if (opt.connections < 1 || opt.connections > 50'000 || opt.token.empty() || opt.in_flight < 1 ||
        opt.in_flight > 1000 || opt.seconds < 1 || opt.seconds > 600 || opt.hold_seconds < 0 ||
        opt.hold_seconds > 3600 || opt.parallel_connects < 1 || opt.warmup_seconds < 0 || opt.warmup_seconds > 60) {
        std::fprintf(stderr, "ws_load: options out of range\n");
        Usage();
        return 2;
    }
    auto target = ParseUrl(opt.url);
    if (!target) {
        std::fprintf(stderr, "ws_load: --url must be ws://127.x.x.x:PORT/path (loopback only)\n");
        return 2;
    }
    if (!RaiseFdLimit(opt.connections + 64)) return 2;
    Load load(std::move(opt), std::move(*target));
    return load.Run();
}

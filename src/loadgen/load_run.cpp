#include "loadgen/load_run.hpp"

#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "loadgen/bench_connection.hpp"

namespace netra::loadgen {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string Str(const json::object& o, const char* key) {
    auto v = core::GetString(o, key);
    return v ? std::string(*v) : std::string();
}

// Everything the users share: the stats (behind a mutex: users may run on several threads) and the clock.
struct Shared {
    explicit Shared(const LoadOptions& o) : options(o) {}
    const LoadOptions& options;
    Clock::time_point started = Clock::now();
    Clock::time_point deadline;  // duration mode
    std::atomic<int> active{0};
    std::mutex mutex;
    LoadStats stats;

    template <class F>
    void With(F&& f) {
        std::lock_guard lock(mutex);
        f(stats);
    }
};

struct RunTrack {
    std::string client_id;
    std::string run_id;
    std::int64_t last_seq = 0;
    std::uint64_t events = 0;
    bool started = false, ended = false, refused = false;
    std::string status;
};

class VirtualUser {
  public:
    VirtualUser(Shared& shared, asio::any_io_executor executor, int index)
        : shared_(shared),
          executor_(executor),
          index_(index),
          http_(executor, shared.options.server),
          socket_(executor, shared.options.server) {}

    asio::awaitable<void> Run() {
        if (!co_await Register()) co_return;
        if (shared_.options.dataset_rows > 0 && !co_await Upload()) co_return;
        auto connected = co_await socket_.Connect(token_);
        if (!connected.ok()) {
            Error("websocket_connect", connected.error().message);
            co_return;
        }
        for (int round = 1; KeepGoing(round); ++round) {
            // A round that hangs (a pong or an event that never comes) ends at the run timeout: the watchdog closes
            // the socket under the pending read. It acts only on its own round and only while this user lives.
            *round_ = round;
            asio::steady_timer watchdog(executor_, shared_.options.run_timeout);
            watchdog.async_wait(
                [token = std::weak_ptr<int>(round_), round, socket = &socket_](const boost::system::error_code& ec) {
                    auto live = token.lock();
                    if (!ec && live && *live == round) socket->Abort();
                });
            struct Disarm {
                asio::steady_timer& timer;
                ~Disarm() { timer.cancel(); }
            } disarm{watchdog};
            if (!co_await RenewIfDue()) break;
            if (!co_await PingPong()) break;
            if (!co_await ListThreads()) break;
            const bool reconnect = shared_.options.reconnect_every > 0 && round % shared_.options.reconnect_every == 0;
            if (!co_await Message(round, reconnect)) break;
            if (shared_.options.think.count() > 0) {
                asio::steady_timer pause(executor_, shared_.options.think);
                co_await pause.async_wait(asio::use_awaitable);
            }
        }
        socket_.Drop();
    }

  private:
    bool KeepGoing(int round) const {
        if (shared_.options.duration.count() > 0) return Clock::now() < shared_.deadline;
        return round <= shared_.options.runs_per_user;
    }

    void Error(const std::string& kind, const std::string& detail) {
        shared_.With([&](LoadStats& s) { s.Error(kind); });
        if (errors_logged_++ < 2) std::cerr << "user " << index_ << ": " << kind << ": " << detail << "\n";
    }

    asio::awaitable<bool> Register() {
        const std::string email = "bench-" + std::to_string(getpid()) + "-" + std::to_string(index_) + "-" +
                                  std::to_string(Clock::now().time_since_epoch().count()) + "@example.com";
        json::object body{{"email", email}, {"password", "a-long-bench-password"}};
        auto res =
            co_await http_.Request(bhttp::verb::post, "/auth/register", core::JsonText(body), "application/json", "");
        if (!res.ok() || res->status != 201) {
            Error("register", res.ok() ? "HTTP " + std::to_string(res->status) + " " + res->body : res.error().message);
            co_return false;
        }
        co_return KeepTokens(res->body, "register");
    }

    // The tokens of a register or refresh answer; the access token is renewed a minute before it expires (a soak
    // outlives it).
    bool KeepTokens(const std::string& body, const std::string& what) {
        boost::system::error_code ec;
        auto parsed = json::parse(body, ec);
        if (ec || !parsed.is_object()) {
            Error(what, "not JSON: " + body);
            return false;
        }
        const auto& o = parsed.as_object();
        token_ = Str(o, "access_token");
        if (auto refresh = Str(o, "refresh_token"); !refresh.empty()) refresh_ = refresh;
        const auto* expires_in = o.if_contains("expires_in");
        const auto seconds = expires_in && expires_in->is_int64() ? expires_in->as_int64() : 900;
        renew_at_ = Clock::now() + std::chrono::seconds(std::max<std::int64_t>(seconds - 60, 5));
        if (token_.empty()) Error(what, "no access_token in " + body);
        return !token_.empty();
    }

    asio::awaitable<bool> RenewIfDue() {
        if (Clock::now() < renew_at_ || refresh_.empty()) co_return true;
        json::object body{{"refresh_token", refresh_}};
        auto res =
            co_await http_.Request(bhttp::verb::post, "/auth/refresh", core::JsonText(body), "application/json", "");
        if (!res.ok() || res->status != 200) {
            Error("refresh", res.ok() ? "HTTP " + std::to_string(res->status) + " " + res->body : res.error().message);
            co_return false;
        }
        co_return KeepTokens(res->body, "refresh");
    }

    asio::awaitable<bool> Upload() {
        std::string target = "/api/datasets?name=bench-" + std::to_string(index_) + ".csv";
        auto res = co_await http_.Request(bhttp::verb::post, target, BenchUsageCsv(shared_.options.dataset_rows),
                                          "text/csv", token_);
        if (!res.ok() || res->status != 201) {
            Error("upload", res.ok() ? "HTTP " + std::to_string(res->status) + " " + res->body : res.error().message);
            co_return false;
        }
        boost::system::error_code ec;
        auto parsed = json::parse(res->body, ec);
        dataset_id_ = ec || !parsed.is_object() ? "" : Str(parsed.as_object(), "id");
        co_return !dataset_id_.empty();
    }

    asio::awaitable<bool> PingPong() {
        const std::string id = "p" + std::to_string(++pings_);
        json::object ping{{"type", "ping"}, {"id", id}};
        const auto t0 = Clock::now();
        auto sent = co_await socket_.Send(ping);
        if (!sent.ok()) {
            Error("websocket", sent.error().message);
            co_return false;
        }
        for (;;) {
            auto frame = co_await socket_.Read();
            if (!frame.ok()) {
                Error("websocket", frame.error().message);
                co_return false;
            }
            if (Str(*frame, "type") == "pong" && Str(*frame, "id") == id) break;
        }
        const double ms = MsSince(t0);
        shared_.With([ms](LoadStats& s) { s.Sample(Metric::kPingPong, ms); });
        co_return true;
    }

    asio::awaitable<bool> ListThreads() {
        const auto t0 = Clock::now();
        auto res = co_await http_.Request(bhttp::verb::get, "/api/threads?limit=20", "", "", token_);
        if (!res.ok() || res->status != 200) {
            Error("api", res.ok() ? "HTTP " + std::to_string(res->status) : res.error().message);
            co_return res.ok();  // an HTTP error is counted; a dead connection ends the user
        }
        const double ms = MsSince(t0);
        shared_.With([ms](LoadStats& s) { s.Sample(Metric::kApiResponse, ms); });
        co_return true;
    }

    // One run: user_message, then its events to the terminal one; `reconnect` drops the socket after the first agent
    // and resumes with subscribe {run_id, after_seq}.
    asio::awaitable<bool> Message(int round, bool reconnect) {
        RunTrack run;
        run.client_id = "u" + std::to_string(index_) + "-r" + std::to_string(round);
        json::object frame{
            {"type", "user_message"}, {"content", shared_.options.message}, {"client_message_id", run.client_id}};
        if (!thread_id_.empty()) frame["thread_id"] = thread_id_;
        if (!dataset_id_.empty()) frame["dataset_id"] = dataset_id_;
        const auto t0 = Clock::now();
        const auto give_up = t0 + shared_.options.run_timeout;
        auto sent = co_await socket_.Send(frame);
        if (!sent.ok()) {
            Error("websocket", sent.error().message);
            co_return false;
        }
        bool resumed = !reconnect;
        while (!run.ended && !run.refused && Clock::now() < give_up) {
            auto next = co_await socket_.Read();
            if (!next.ok()) {
                Error("websocket", next.error().message);
                break;
            }
            if (!Apply(*next, run, t0)) break;
            if (run.started && !resumed && !run.ended) {
                // A lost network mid-run: a new socket, then everything after the last event held.
                resumed = true;
                socket_.Drop();
                auto again = co_await socket_.Connect(token_);
                if (!again.ok()) {
                    Error("websocket_connect", again.error().message);
                    break;
                }
                shared_.With([](LoadStats& s) { s.Reconnected(); });
                json::object subscribe{{"type", "subscribe"}, {"run_id", run.run_id}, {"after_seq", run.last_seq}};
                auto resent = co_await socket_.Send(subscribe);
                if (!resent.ok()) {
                    Error("websocket", resent.error().message);
                    break;
                }
            }
        }
        const std::uint64_t events = run.events;
        const bool ended = run.ended, refused = run.refused;
        const std::string status = run.status;
        shared_.With([&](LoadStats& s) {
            s.Events(events);
            if (ended)
                s.RunEnded(status);
            else if (!refused)  // a refused message is an error (counted), not a run
                s.Unfinished();
        });
        co_return ended || refused;
    }

    // One frame of the run being followed. False when the run cannot go on (an error answered the message).
    bool Apply(const json::object& f, RunTrack& run, Clock::time_point t0) {
        const std::string type = Str(f, "type");
        if (type == "ack" && Str(f, "client_message_id") == run.client_id) {
            run.run_id = Str(f, "run_id");
            thread_id_ = Str(f, "thread_id");
            const double ms = MsSince(t0);
            shared_.With([ms](LoadStats& s) { s.Sample(Metric::kMessageAck, ms); });
            return true;
        }
        if (type == "error") {
            Error("message_" + Str(f, "code"), Str(f, "message"));
            if (Str(f, "client_message_id") == run.client_id) run.refused = true;
            return true;
        }
        if (run.run_id.empty() || Str(f, "run_id") != run.run_id) return true;  // pong, subscribed, …
        const auto* seq = f.if_contains("seq");
        if (!seq || !seq->is_int64()) return true;
        const std::int64_t n = seq->as_int64();
        if (n <= run.last_seq) {
            shared_.With([](LoadStats& s) { s.Duplicate(); });
            return true;
        }
        if (n != run.last_seq + 1) {
            const auto missing = static_cast<std::uint64_t>(n - run.last_seq - 1);
            shared_.With([missing](LoadStats& s) { s.Lost(missing); });
        }
        run.last_seq = n;
        ++run.events;
        if (type == "agent_started" && !run.started) {
            run.started = true;
            const double ms = MsSince(t0);
            shared_.With([ms](LoadStats& s) { s.Sample(Metric::kAgentStartup, ms); });
        }
        if (type == "run_completed" || type == "run_failed" || type == "run_cancelled") {
            run.ended = true;
            run.status = type.substr(4);
            const double ms = MsSince(t0);
            if (type == "run_completed") shared_.With([ms](LoadStats& s) { s.Sample(Metric::kTotalRequest, ms); });
        }
        return true;
    }

    Shared& shared_;
    asio::any_io_executor executor_;
    int index_;
    BenchHttp http_;
    BenchSocket socket_;
    std::string token_, refresh_, thread_id_, dataset_id_;
    Clock::time_point renew_at_ = Clock::time_point::max();
    int pings_ = 0, errors_logged_ = 0;
    std::shared_ptr<int> round_ = std::make_shared<int>(0);  // the round in progress; the watchdog's token
};

// Each user on a strand of its own: with several threads its coroutine and its watchdog never run at once.
asio::awaitable<void> StartUser(Shared& shared, int index, Clock::duration delay) {
    auto executor = co_await asio::this_coro::executor;
    try {
        if (delay.count() > 0) {
            asio::steady_timer wait(executor, delay);
            co_await wait.async_wait(asio::use_awaitable);
        }
        VirtualUser user(shared, executor, index);
        co_await user.Run();
    } catch (const std::exception& e) {
        shared.With([](LoadStats& s) { s.Error("user_exception"); });
        std::cerr << "user " << index << ": " << e.what() << "\n";
    }
    shared.active.fetch_sub(1);
}

// Prometheus text: the value of an unlabelled series, or -1.
double Series(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1;
}

asio::awaitable<void> SampleServer(Shared& shared) {
    auto executor = co_await asio::this_coro::executor;
    BenchHttp http(executor, shared.options.server);
    asio::steady_timer timer(executor);
    bool warned = false;
    for (bool last = false; !last;) {
        last = shared.active.load() == 0;
        auto res = co_await http.Request(bhttp::verb::get, "/metrics", "", "", "");
        if (res.ok() && res->status == 200 && Series(res->body, "process_resident_memory_bytes") >= 0) {
            ServerSample sample;
            sample.at_s = MsSince(shared.started) / 1000.0;
            sample.resident_mib = Series(res->body, "process_resident_memory_bytes") / (1024.0 * 1024.0);
            sample.threads = static_cast<std::uint64_t>(Series(res->body, "process_threads"));
            sample.cpu_seconds = Series(res->body, "process_cpu_seconds_total");
            if (double heap = Series(res->body, "netra_malloc_in_use_bytes"); heap >= 0)
                sample.heap_in_use_mib = heap / (1024.0 * 1024.0);
            shared.With([&](LoadStats& s) { s.Server(sample); });
        } else if (!warned) {
            warned = true;
            std::cerr << "the server's /metrics has no process_resident_memory_bytes: memory is not sampled\n";
        }
        // Sleeps in short steps so the last sample follows the last user closely.
        for (auto waited = std::chrono::milliseconds(0); !last && waited < shared.options.sample_every;
             waited += std::chrono::milliseconds(200)) {
            if (shared.active.load() == 0) break;
            timer.expires_after(std::chrono::milliseconds(200));
            co_await timer.async_wait(asio::use_awaitable);
        }
    }
}

std::string Shape(const LoadOptions& o) {
    std::string shape = std::to_string(o.users) + " user" + (o.users == 1 ? "" : "s") + " × ";
    shape += o.duration.count() > 0 ? "runs for " + std::to_string(o.duration.count()) + " s"
                                    : std::to_string(o.runs_per_user) + " runs";
    shape += o.dataset_rows > 0 ? ", " + std::to_string(o.dataset_rows) + "-row dataset each" : ", no dataset";
    if (o.reconnect_every > 0)
        shape += ", socket dropped and resumed in one run of " + std::to_string(o.reconnect_every);
    if (o.think.count() > 0) shape += ", " + std::to_string(o.think.count()) + " ms think time";
    return shape;
}

}  // namespace

std::string BenchUsageCsv(int rows) {
    static const char* models[] = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5"};
    static const char* features[] = {"support_chat", "search", "summarize", "classify"};
    std::string csv =
        "timestamp,model,input_tokens,output_tokens,latency_ms,feature,prompt_hash,prefix_hash,batchable,status\n";
    csv.reserve(static_cast<std::size_t>(rows) * 96 + csv.size());
    const long long start = 1760000000;  // 2025-10-09, a fixed origin: every run uploads the same bytes
    for (int i = 0; i < rows; ++i) {
        const long long at = start + static_cast<long long>(i) * 30LL * 86400LL / std::max(rows, 1);
        csv += std::to_string(at);
        csv += ',';
        csv += models[i % 4];
        csv += ',' + std::to_string(400 + (i * 37) % 2600) + ',' + std::to_string(60 + (i * 13) % 500) + ',';
        csv += std::to_string(200 + (i * 29) % 1800);
        csv += ',';
        csv += features[(i / 3) % 4];
        csv += ",h" + std::to_string(i % 997) + ",p" + std::to_string(i % 7) + ',';
        csv += (i % 3 == 0) ? "true" : "false";
        csv += ",ok\n";
    }
    return csv;
}

core::Result<LoadResult> RunLoad(const LoadOptions& options) {
    if (options.server.tls) {
        return core::MakeError(core::ErrorCode::kInvalidRequest,
                               "netra bench speaks plain http://; measure a TLS front with netra stage");
    }
    if (options.users < 1) return core::MakeError(core::ErrorCode::kInvalidRequest, "--users must be at least 1");
    Shared shared(options);
    asio::io_context ioc(options.threads);
    shared.started = Clock::now();
    shared.deadline = shared.started + options.ramp_up + options.duration;
    shared.active = options.users;
    for (int i = 0; i < options.users; ++i) {
        const auto delay = options.users > 1 ? options.ramp_up * i / (options.users - 1) : Clock::duration(0);
        asio::co_spawn(asio::make_strand(ioc), StartUser(shared, i, std::chrono::duration_cast<Clock::duration>(delay)),
                       asio::detached);
    }
    asio::co_spawn(ioc, SampleServer(shared), asio::detached);
    std::vector<std::thread> threads;
    for (int i = 1; i < options.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
    for (auto& t : threads) t.join();
    LoadResult result;
    result.context.url = options.server.Origin() + options.server.base_path;
    result.context.users = options.users;
    result.context.shape = Shape(options);
    result.context.duration_s = MsSince(shared.started) / 1000.0;
    result.stats = std::move(shared.stats);
    return result;
}

}  // namespace netra::loadgen

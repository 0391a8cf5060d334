#pragma once
// Internal to the staging suite: the context every test gets, assertion helpers and the module registry.
// Tests are plain functions: returning means passed; Fail()/Skip() (or any exception) end them.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "stage/http_client.hpp"
#include "stage/metrics.hpp"
#include "stage/stage.hpp"
#include "stage/ws_client.hpp"

namespace netra::stage {

struct TestFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};
struct TestSkipped : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(const std::string& reason);
[[noreturn]] void Skip(const std::string& reason);
inline void Expect(bool condition, const std::string& reason) {
    if (!condition) Fail(reason);
}

struct Credentials {
    std::string user_id, email, password, access_token, refresh_token;
};

using namespace std::chrono_literals;
inline constexpr std::chrono::milliseconds kFrameTimeout = 5s;  // any answer to a client frame
inline constexpr std::chrono::milliseconds kRunTimeout = 90s;   // a whole run (spec per-run timeout is 300 s)

class StageContext {
  public:
    StageContext(StageOptions options, ServerUrl server, bool spawned, std::string data_dir);

    const StageOptions& options() const { return options_; }
    const ServerUrl& server() const { return server_; }
    bool spawned() const { return spawned_; }

    HttpClient Http() const { return HttpClient(server_); }

    // A user for this test, per the auth mode: bypass key > register > login. Throws TestFailure.
    Credentials NewUser(std::string_view label);
    bool CanCreateUsers() const;
    std::string UniqueEmail(std::string_view label) const;

    // Connects with Authorization: Bearer and waits for connection_established. Throws TestFailure.
    std::unique_ptr<WsClient> Connect(const Credentials& user, WsConnectOptions options = {});

    // Mints a token with the server's own secret via `netra token` (spawned servers only). Throws TestSkipped
    // when not spawned, TestFailure when the command fails.
    std::string MintToken(const std::string& email, long expires_in_s);

    // Passing-test notes (timings, what was measured) shown in the reports.
    void Note(const std::string& text);
    std::string TakeNotes();

    void AddMetric(MetricResult metric);
    std::vector<MetricResult> Metrics() const;

  private:
    StageOptions options_;
    ServerUrl server_;
    bool spawned_;
    std::string data_dir_;
    std::optional<Credentials> login_cache_;
    std::string notes_;
    mutable std::mutex mu_;
    std::vector<MetricResult> metrics_;
};

using TestFn = std::function<void(StageContext&)>;
struct TestCase {
    std::string name;
    TestFn fn;
};
struct ModuleDef {
    int number;
    std::string name;
    std::vector<TestCase> tests;  // empty = not implemented in this build
};

std::vector<TestCase> WebsocketEventsTests();
std::vector<TestCase> MessageFlowTests();
std::vector<TestCase> CriticalPathTests();
std::vector<ModuleDef> AllModules();

// ---- helpers shared by the modules ----

// Compact JSON, truncated: for failure reasons that quote the server.
std::string Quote(const boost::json::value& v, std::size_t max = 300);
std::string JStr(const boost::json::object& o, std::string_view key);
const boost::json::object* JObj(const boost::json::object& o, std::string_view key);
const boost::json::object& Payload(const WsMessage& m);  // "payload" object, or the frame itself

// Unwraps a transport result; a transport error fails the test with `what` and the error.
HttpResponse Must(core::Result<HttpResponse> r, const std::string& what);
// Requires a status (any of `statuses`) and a JSON object body.
const boost::json::object& ExpectJson(const HttpResponse& r, std::initializer_list<int> statuses,
                                      const std::string& what);

// Sends a message-like frame and follows its run: waits for the ack (matched by client_message_id), then
// collects that run's events until its terminal event.
struct RunTrace {
    boost::json::object ack;
    std::string run_id, thread_id, message_id;
    std::vector<boost::json::object> events;  // only this run's events, arrival order
    std::string terminal;                     // terminal event type, "" on timeout
    double ack_ms = 0, total_ms = 0;          // from send to ack / to terminal (frame arrival times)
};
RunTrace SendAndFollowRun(WsClient& ws, boost::json::object frame, std::chrono::milliseconds timeout = kRunTimeout);
// A user_message frame with a fresh client_message_id.
boost::json::object UserMessage(const std::string& content, const std::string& thread_id = {});
// Waits for `pong` with this id after sending ping; returns round trip ms or fails.
double PingPong(WsClient& ws, const std::string& id, std::chrono::milliseconds timeout = kFrameTimeout);

}  // namespace netra::stage

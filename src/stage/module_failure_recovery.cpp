// Module 6 — failure_recovery (§7, §11, §13).
//   tool_fault_agent_failed_partial_report: with every call of the data agent's profile_dataset tool failing
//     (fault injection), a run on an attached usage log still completes: the tool call is closed with
//     success:false, the data agent ends with agent_failed, nothing that needs its profile runs, and reporting
//     writes a report whose data gaps name the failed step — no savings figure is invented.
//   llm_fault_retried_then_falls_back: a server pointed at a provider (the suite's fake OpenAI-compatible server)
//     that fails the first attempt of each call: each call is retried once, after a wait within the jittered
//     backoff's cap, and the run is answered by the provider; then with an `llm` fault on every attempt, the
//     retries are exhausted, the breaker opens (visible in /api/health) and the run completes on builtin, saying
//     so in the report and in reporting's metadata.llm.
//   slow_consumer_latency: with the slow_consumer fault (every frame a server writes waits 60 ms), a run's frames
//     still arrive complete and in order, paced (at least 60 ms apart on average); the run itself is not slowed —
//     it is stored as completed long before its last frame reaches the socket; other requests answer at once.
//   The per-user rate limits (issue 9, item 4) follow. Each rate-limit check starts
// a server of its own with small allowances (so the limits are reached in a handful of requests and no other test
// is throttled) and asks of every refusal what a client needs to back off correctly:
//   HTTP: 429 `rate_limited` JSON; `Retry-After` = ⌈retry_after_ms / 1000⌉ s (the body's retry_after_ms, and the
//     message's "retry in N s"), at most the time one request's allowance takes to come back (60 s / limit);
//     `x-ratelimit-limit` = the configured allowance, `x-ratelimit-remaining` = 0, `x-ratelimit-reset` in
//     [Retry-After, 60] s.
//   WebSocket: an `error` frame RATE_LIMITED with retry_after_ms in (0, 60 000 / limit] on a socket that stays
//     open (a ping is answered after it).
//   Login throttle: the wait the throttle really imposes (a sliding minute from the oldest failed attempt), not
//     a constant: two refusals seconds apart announce waits that differ by those seconds.
// The allowances a dedicated server gets, and the requests each check makes, are chosen so that the refusal
// cannot come from another limit.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "stage/event_checks.hpp"
#include "stage/http_client.hpp"
#include "stage/llm_checks.hpp"
#include "stage/suite.hpp"

namespace netra::stage {
namespace json = boost::json;
using llm::testing::FakeOpenAiServer;
using llm::testing::FakeReply;
using llm::testing::RecordedRequest;

namespace {

std::int64_t HeaderInt(const HttpResponse& r, std::string_view name, const std::string& what) {
    auto v = r.Header(name);
    Expect(v.has_value(), what + ": no " + std::string(name) + " header: " + r.Describe());
    try {
        return std::stoll(*v);
    } catch (const std::exception&) {
        Fail(what + ": " + std::string(name) + " is not a number: '" + *v + "'");
    }
}

// The refusal's headers and body agree with each other and with an allowance of `limit` per minute. Returns
// the announced Retry-After in seconds.
std::int64_t ExpectRateLimited(const HttpResponse& r, std::int64_t limit, const std::string& what) {
    const auto& body = ExpectJson(r, {429}, what);
    Expect(JStr(body, "error") == "rate_limited", what + ": error is not rate_limited: " + Quote(body));
    const json::value* wait_ms = body.if_contains("retry_after_ms");
    Expect(wait_ms != nullptr && wait_ms->is_int64(), what + ": the body has no retry_after_ms: " + Quote(body));
    const std::int64_t ms = wait_ms->as_int64();
    const std::int64_t per_token_ms = 60'000 / limit;
    Expect(ms > 0 && ms <= per_token_ms + 1, what + ": retry_after_ms " + std::to_string(ms) + " is outside (0, " +
                                                 std::to_string(per_token_ms) + "] for " + std::to_string(limit) +
                                                 " per minute");
    const std::int64_t retry_after = HeaderInt(r, "Retry-After", what);
    Expect(retry_after == (ms + 999) / 1000, what + ": Retry-After " + std::to_string(retry_after) +
                                                 " s does not round up retry_after_ms " + std::to_string(ms));
    Expect(JStr(body, "message").find("retry in " + std::to_string(retry_after) + " s") != std::string::npos,
           what + ": the message does not say the same wait: " + Quote(body));
    Expect(HeaderInt(r, "x-ratelimit-limit", what) == limit,
           what + ": x-ratelimit-limit is not the configured " + std::to_string(limit));
    Expect(HeaderInt(r, "x-ratelimit-remaining", what) == 0, what + ": x-ratelimit-remaining is not 0");
    const std::int64_t reset = HeaderInt(r, "x-ratelimit-reset", what);
    Expect(reset >= retry_after && reset <= 60,
           what + ": x-ratelimit-reset " + std::to_string(reset) + " s is outside [Retry-After, 60]");
    return retry_after;
}

std::string NewThread(HttpClient& http, const Credentials& user) {
    auto r = Must(http.PostJson("/api/threads", json::object{{"title", "rate limits"}}, BearerAuth(user.access_token)),
                  "POST /api/threads");
    const auto& o = ExpectJson(r, {201}, "POST /api/threads");
    std::string id = JStr(o, "id");
    Expect(!id.empty(), "POST /api/threads answered no id: " + Quote(o));
    return id;
}

// Posts messages to one thread until the first refusal (at most `max` + 1); returns it and how many went through.
std::pair<HttpResponse, int> PostUntilRefused(HttpClient& http, const Credentials& user, const std::string& thread,
                                              int max) {
    for (int i = 0; i <= max; ++i) {
        auto r = Must(http.PostJson("/api/threads/" + thread + "/messages",
                                    json::object{{"content", "How can we cut our LLM costs? #" + std::to_string(i)}},
                                    BearerAuth(user.access_token)),
                      "POST /api/threads/{id}/messages");
        if (r.status == 429) return {std::move(r), i};
        Expect(r.status == 201 || r.status == 202,
               "message " + std::to_string(i + 1) + " was not accepted: " + r.Describe());
    }
    Fail("no 429 after " + std::to_string(max + 1) + " messages with an allowance of " + std::to_string(max));
}

void RateLimitMessagesHttp(StageContext& ctx) {
    constexpr int kMessages = 4;
    auto server =
        ctx.SpawnDedicated({"NETRA_MESSAGES_PER_MINUTE=" + std::to_string(kMessages), "NETRA_RUNS_PER_MINUTE=1000"},
                           "starts a server with an allowance of 4 messages a minute");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("rl-messages");
    auto [refused, accepted] = PostUntilRefused(http, user, NewThread(http, user), kMessages);
    Expect(accepted == kMessages,
           "the 429 came after " + std::to_string(accepted) + " messages, not " + std::to_string(kMessages));
    auto retry_after = ExpectRateLimited(refused, kMessages, "message 5 of 4 a minute");
    Expect(JStr(refused.json->as_object(), "message").find("messages") != std::string::npos,
           "the refusal does not say which limit: " + refused.Describe());
    // Another user has an allowance of their own.
    auto other = dedicated->NewUser("rl-messages-other");
    auto r = Must(http.PostJson("/api/threads/" + NewThread(http, other) + "/messages",
                                json::object{{"content", "Hello"}}, BearerAuth(other.access_token)),
                  "POST /api/threads/{id}/messages");
    Expect(r.status == 201 || r.status == 202, "another user's first message was refused: " + r.Describe());
    ctx.Note("4 messages accepted, the 5th: 429 Retry-After " + std::to_string(retry_after) + " s, x-ratelimit-*");
}

void RateLimitRunsHttp(StageContext& ctx) {
    constexpr int kRuns = 3;
    auto server =
        ctx.SpawnDedicated({"NETRA_MESSAGES_PER_MINUTE=1000", "NETRA_RUNS_PER_MINUTE=" + std::to_string(kRuns)},
                           "starts a server with an allowance of 3 runs a minute");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("rl-runs");
    auto [refused, accepted] = PostUntilRefused(http, user, NewThread(http, user), kRuns);
    Expect(accepted == kRuns, "the 429 came after " + std::to_string(accepted) + " runs, not " + std::to_string(kRuns));
    ExpectRateLimited(refused, kRuns, "run 4 of 3 a minute");
    Expect(JStr(refused.json->as_object(), "message").find("runs") != std::string::npos,
           "the refusal does not say the runs limit: " + refused.Describe());
    ctx.Note("3 runs started, the 4th refused with the runs limit's figures");
}

void RateLimitUploads(StageContext& ctx) {
    constexpr int kUploads = 2;
    auto server = ctx.SpawnDedicated({"NETRA_UPLOADS_PER_MINUTE=" + std::to_string(kUploads)},
                                     "starts a server with an allowance of 2 uploads a minute");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("rl-uploads");
    const std::string csv = "timestamp,model,input_tokens,output_tokens\n2025-10-06T10:00:00Z,gpt-5-mini,1000,100\n";
    Headers h = BearerAuth(user.access_token);
    h.emplace_back("Content-Type", "text/csv");
    for (int i = 0; i < kUploads; ++i) {
        auto r = Must(http.Request("POST", "/api/datasets", h, csv), "POST /api/datasets");
        ExpectJson(r, {201}, "upload " + std::to_string(i + 1) + " of " + std::to_string(kUploads));
    }
    auto refused = Must(http.Request("POST", "/api/datasets", h, csv), "POST /api/datasets");
    auto retry_after = ExpectRateLimited(refused, kUploads, "upload 3 of 2 a minute");
    // The refused upload stored nothing.
    auto list = Must(http.Get("/api/datasets", BearerAuth(user.access_token)), "GET /api/datasets");
    const auto& o = ExpectJson(list, {200}, "GET /api/datasets");
    const json::value* data = o.if_contains("data");
    Expect(data != nullptr && data->is_array() && data->as_array().size() == kUploads,
           "after a refused upload the user has " + Quote(o, 200) + ", not 2 datasets");
    ctx.Note("the 3rd upload: 429 Retry-After " + std::to_string(retry_after) + " s; nothing stored");
}

void RateLimitWebSocket(StageContext& ctx) {
    constexpr int kMessages = 3;
    auto server = ctx.SpawnDedicated({"NETRA_MESSAGES_PER_MINUTE=" + std::to_string(kMessages)},
                                     "starts a server with an allowance of 3 messages a minute");
    auto dedicated = ctx.ForServer(*server);
    auto user = dedicated->NewUser("rl-ws");
    auto ws = dedicated->Connect(user);
    std::optional<WsMessage> refusal;
    int acked = 0;
    for (int i = 0; i <= kMessages && !refusal; ++i) {
        const std::string cmid = "rl-" + std::to_string(i);
        Expect(ws->Send(json::object{{"type", "user_message"},
                                     {"content", "Where does our LLM spend go? #" + std::to_string(i)},
                                     {"client_message_id", cmid}}),
               "could not send message " + std::to_string(i + 1));
        auto m = ws->ReceiveUntil(
            [&](const WsMessage& x) {
                return x.Type() == "error" || (x.Type() == "ack" && JStr(*x.Object(), "client_message_id") == cmid);
            },
            kFrameTimeout);
        Expect(m.has_value(), "no ack or error for message " + std::to_string(i + 1) + " within 5 s");
        if (m->Type() == "error") {
            refusal = std::move(m);
        } else {
            ++acked;
        }
    }
    Expect(refusal.has_value(), "no error after " + std::to_string(kMessages + 1) + " messages");
    Expect(acked == kMessages, "RATE_LIMITED came after " + std::to_string(acked) + " messages, not 3");
    const auto& e = *refusal->Object();
    Expect(JStr(e, "code") == "RATE_LIMITED", "expected error RATE_LIMITED, got " + refusal->text);
    Expect(JStr(e, "request_type") == "user_message", "the error does not name user_message: " + refusal->text);
    const json::value* wait = e.if_contains("retry_after_ms");
    Expect(wait != nullptr && wait->is_int64() && wait->as_int64() > 0 && wait->as_int64() <= 20'000,
           "retry_after_ms missing or outside (0, 20000] for 3 a minute: " + refusal->text);
    PingPong(*ws, "after-rate-limit");
    Expect(ws->IsOpen(), "the socket closed after RATE_LIMITED");
    ctx.Note("4th message: RATE_LIMITED retry_after_ms " + std::to_string(wait->as_int64()) + ", socket still open");
}

void LoginThrottleRealWait(StageContext& ctx) {
    constexpr int kAttempts = 3;
    auto server = ctx.SpawnDedicated({"NETRA_LOGIN_ATTEMPTS_PER_MINUTE=" + std::to_string(kAttempts)},
                                     "starts a server allowing 3 login attempts a minute");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("rl-login");
    auto attempt = [&] {
        return Must(http.PostJson("/auth/login", json::object{{"email", user.email}, {"password", "Wrong-password-9"}}),
                    "POST /auth/login");
    };
    for (int i = 0; i < kAttempts; ++i) ExpectJson(attempt(), {401}, "wrong password " + std::to_string(i + 1));
    using Clock = std::chrono::steady_clock;
    const auto sent1 = Clock::now();
    auto first = attempt();
    const auto got1 = Clock::now();
    const std::int64_t wait1 = HeaderInt(first, "Retry-After", "the throttled login");
    ExpectJson(first, {429}, "the throttled login");
    Expect(wait1 >= 55 && wait1 <= 60, "the first refusal announces " + std::to_string(wait1) +
                                           " s; the throttle's window is a minute from the first failure");
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const auto sent2 = Clock::now();
    auto second = attempt();
    const auto got2 = Clock::now();
    ExpectJson(second, {429}, "the throttled login, 2 s later");
    const std::int64_t wait2 = HeaderInt(second, "Retry-After", "the throttled login, 2 s later");
    // The server answered each somewhere between its request and its response, so the two answers are between
    // sent2 - got1 and got2 - sent1 apart; whole seconds rounded up, the announced wait fell by that, floor to ceil.
    auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    const auto fell_min = static_cast<std::int64_t>(std::floor(seconds(sent2 - got1)));
    const auto fell_max = static_cast<std::int64_t>(std::ceil(seconds(got2 - sent1)));
    Expect(wait1 - wait2 >= fell_min && wait1 - wait2 <= fell_max,
           "the announced wait went from " + std::to_string(wait1) + " to " + std::to_string(wait2) + " s while " +
               std::to_string(seconds(sent2 - got1)) + "–" + std::to_string(seconds(got2 - sent1)) +
               " s passed between the answers: not the throttle's real wait");
    ctx.Note("login throttle: Retry-After " + std::to_string(wait1) + " s, then " + std::to_string(wait2) +
             " s 2.1 s later");
}

void ToolFaultPartialReport(StageContext& ctx) {
    auto http = ctx.Http();
    auto user = ctx.NewUser("tool-fault");
    Headers h = BearerAuth(user.access_token);
    h.emplace_back("Content-Type", "text/csv");
    std::string csv = "timestamp,model,input_tokens,output_tokens\n";
    for (int day = 1; day <= 7; ++day) {
        for (int i = 0; i < 5; ++i) {
            csv += "2025-10-0" + std::to_string(day) + "T1" + std::to_string(i) + ":00:00Z,gpt-4o," +
                   std::to_string(800 + 10 * i) + ",120\n";
        }
    }
    auto up = Must(http.Request("POST", "/api/datasets?name=fault", h, csv), "POST /api/datasets");
    const std::string dataset = JStr(ExpectJson(up, {201}, "POST /api/datasets"), "id");
    auto t = Must(http.PostJson("/api/threads", json::object{{"title", "tool fault"}}, BearerAuth(user.access_token)),
                  "POST /api/threads");
    const std::string thread = JStr(ExpectJson(t, {201}, "POST /api/threads"), "id");
    std::string run_id;
    json::object run;
    {
        FaultGuard fault(
            ctx,
            json::object{{"target", "tool:profile_dataset"}, {"mode", "error"}, {"rate", 1.0}, {"duration_s", 60}});
        auto r = Must(
            http.PostJson("/api/threads/" + thread + "/messages",
                          json::object{{"content", "Analyse our LLM usage and find savings"}, {"dataset_id", dataset}},
                          BearerAuth(user.access_token)),
            "POST /api/threads/{id}/messages");
        const auto& o = ExpectJson(r, {201, 202}, "POST /api/threads/{id}/messages");
        if (const auto* rj = JObj(o, "run")) run_id = JStr(*rj, "id");
        Expect(!run_id.empty(), "the message answer names no run: " + Quote(o));
        run = WaitRunTerminal(http, user, run_id);
    }
    Expect(JStr(run, "status") == "completed", "with a failing tool the run ended " + Quote(run, 300));
    auto events = StoredEvents(http, user, run_id);
    auto problems = ValidateRunSequence(events, run_id, thread);
    Expect(problems.empty(), "the run's events are not a valid sequence: " + Join(problems, "; "));
    bool tool_failed = false, data_failed = false, optimized = false;
    const json::object* report_event = nullptr;
    for (const auto& e : events) {
        const std::string type = JStr(e, "type"), agent = JStr(e, "agent_name");
        const auto* p = JObj(e, "payload");
        if (type == "tool_completed" && p && JStr(*p, "tool") == "profile_dataset") {
            const json::value* ok = p->if_contains("success");
            tool_failed = ok != nullptr && ok->is_bool() && !ok->as_bool();
        }
        if (type == "agent_failed" && agent == "data") data_failed = true;
        if (type == "agent_started" && agent == "optimization") optimized = true;
        if (type == "agent_completed" && agent == "reporting") report_event = &e;
    }
    Expect(tool_failed, "profile_dataset was not closed with success:false");
    Expect(data_failed, "the data agent did not end with agent_failed");
    Expect(!optimized, "optimization ran without the profile it needs");
    Expect(report_event != nullptr, "reporting did not complete");
    auto report = ReportMarkdown(*report_event);
    Expect(report.has_value(), "reporting's agent_completed carries no report");
    Expect(report->find("## Data gaps") != std::string::npos &&
               report->find("profile_dataset step failed") != std::string::npos,
           "the report does not name the failed step among its data gaps: " + report->substr(0, 600));
    Expect(report->find("| savings |") == std::string::npos, "the partial report shows a savings figure");
    ctx.Note(
        "profile_dataset failing: tool_completed success:false, data agent_failed, no optimization, report "
        "names the failed step");
}

void SlowConsumerLatency(StageContext& ctx) {
    constexpr int kLatencyMs = 60;
    auto server = ctx.SpawnDedicated({}, "slows the WebSocket writes of a server of its own");
    auto dedicated = ctx.ForServer(*server);
    auto user = dedicated->NewUser("slow-consumer");
    auto ws = dedicated->Connect(user);
    FaultGuard slow(
        *dedicated,
        json::object{
            {"target", "slow_consumer"}, {"mode", "latency"}, {"latency_ms", kLatencyMs}, {"duration_s", 120}});
    // The run is followed on the socket while another thread watches it in storage and times /health.
    std::atomic<double> stored_done_ms{-1}, slowest_health_ms{0};
    std::atomic<bool> done{false};
    std::string run_id;
    std::mutex run_mu;
    const auto start = std::chrono::steady_clock::now();
    std::thread watcher([&] {
        auto h = dedicated->Http();
        while (!done) {
            auto t0 = std::chrono::steady_clock::now();
            auto r = h.Get("/health");
            double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            if (r.ok() && r->status == 200 && ms > slowest_health_ms) slowest_health_ms = ms;
            std::string id;
            {
                std::lock_guard lock(run_mu);
                id = run_id;
            }
            if (!id.empty() && stored_done_ms < 0) {
                auto run = h.Get("/api/runs/" + id, BearerAuth(user.access_token));
                if (run.ok() && run->status == 200 && run->json && run->json->is_object() &&
                    IsTerminalStatus(JStr(run->json->as_object(), "status"))) {
                    stored_done_ms =
                        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    RunTrace t;
    try {
        Expect(ws->Send(UserMessage("How can we cut our LLM costs?")), "could not send the message");
        auto ack = ws->ReceiveUntil([](const WsMessage& m) { return m.Type() == "ack"; }, std::chrono::seconds(10));
        Expect(ack.has_value(), "no ack within 10 s with a slow consumer");
        {
            std::lock_guard lock(run_mu);
            run_id = JStr(*ack->Object(), "run_id");
        }
        bool matched = false;
        auto frames = ws->CollectUntil(
            [](const WsMessage& m) {
                const std::string type = m.Type();
                return type == "run_completed" || type == "run_failed" || type == "run_cancelled";
            },
            std::chrono::seconds(60), &matched);
        Expect(matched, "the run's terminal event never arrived through the slowed socket");
        for (const auto& f : frames) {
            if (const auto* o = f.Object(); o && JStr(*o, "run_id") == run_id) t.events.push_back(*o);
        }
    } catch (...) {
        done = true;
        watcher.join();
        throw;
    }
    const double delivered_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    done = true;
    watcher.join();
    auto problems = ValidateRunSequence(t.events, run_id, JStr(t.events.front(), "thread_id"));
    Expect(problems.empty(), "the slowed socket's events are not the run's complete sequence: " + Join(problems, "; "));
    const double per_frame = delivered_ms / static_cast<double>(t.events.size() + 1);
    Expect(per_frame >= kLatencyMs * 0.9,
           "frames arrived every " + std::to_string(per_frame) + " ms on average: the slow_consumer fault did not act");
    Expect(stored_done_ms >= 0 && stored_done_ms < delivered_ms * 0.8,
           "the run was stored as finished at " + std::to_string(stored_done_ms.load()) +
               " ms and its last frame delivered at " + std::to_string(delivered_ms) +
               " ms: the slow consumer held the run back");
    Expect(slowest_health_ms < 1000,
           "GET /health took " + std::to_string(slowest_health_ms.load()) + " ms while a consumer was slow");
    ctx.Note(std::to_string(t.events.size()) + " frames delivered in " +
             std::to_string(static_cast<int>(delivered_ms)) + " ms (" + std::to_string(static_cast<int>(per_frame)) +
             " ms each); the run was stored as finished at " + std::to_string(static_cast<int>(stored_done_ms.load())) +
             " ms; slowest /health " + std::to_string(static_cast<int>(slowest_health_ms.load())) + " ms");
}

// The `llm` fault (§11) on a server whose provider is configured (the fake OpenAI-compatible server on loopback):
// a provider failing the first attempt of each call costs one retry, after a jittered backoff; an injected fault
// on every attempt exhausts the retries, opens the breaker (in /api/health) and the run completes on builtin,
// saying so. A server of its own: the breaker this opens must not touch other tests.
void LlmFaultRetriedThenFallsBack(StageContext& ctx) {
    constexpr int kRetries = 3, kBackoffBaseMs = 200, kBreakerFailures = 2;
    FakeOpenAiServer fake;
    // Fails each distinct request once (503, no Retry-After: the client's own backoff decides), then answers.
    auto failed_once = std::make_shared<std::set<std::string>>();
    auto healthy = HealthyModel("cost_optimization");
    fake.SetResponder([failed_once, healthy](const RecordedRequest& r) -> std::optional<FakeReply> {
        if (failed_once->insert(r.body).second) return FakeReply::Status(503, R"({"error":{"message":"overloaded"}})");
        return healthy(r);
    });
    auto server = ctx.SpawnDedicated(
        LlmEnv(fake,
               {"NETRA_LLM_MAX_RETRIES=" + std::to_string(kRetries),
                "NETRA_LLM_BACKOFF_BASE_MS=" + std::to_string(kBackoffBaseMs), "NETRA_LLM_BACKOFF_MAX_MS=2000",
                "NETRA_LLM_BREAKER_FAILURES=" + std::to_string(kBreakerFailures), "NETRA_LLM_BREAKER_OPEN_MS=60000"}),
        "starts a server pointed at a fake OpenAI-compatible provider, with faults enabled");
    auto dedicated = ctx.ForServer(*server);
    auto http = dedicated->Http();
    auto user = dedicated->NewUser("llm-retry");
    auto ws = dedicated->Connect(user);

    // 1. Each call fails once and is retried: the run completes on the provider, reporting's call took 2 attempts.
    auto t = SendAndFollowRun(*ws, UserMessage("We spend $40k/month on GPT-4o for customer support"));
    Expect(t.terminal == "run_completed", "with a flaky provider the run ended '" + t.terminal + "'");
    ExpectValidSequence(t);
    const auto* md = JObj(Completed(t, "reporting"), "metadata");
    const auto* call = md ? JObj(*md, "llm") : nullptr;
    Expect(call && JStr(*call, "provider") == "openai" && call->at("fell_back") == json::value(false) &&
               call->contains("attempts") && call->at("attempts") == json::value(2),
           "reporting's call was not answered by the provider on its second attempt: " +
               (md ? Quote(*md) : std::string("no metadata")));
    // Every call was sent twice, the retry after a wait within the first backoff's cap (base · 2⁰) plus slack.
    std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> sends;
    for (const auto& r : fake.Requests()) sends[r.body].push_back(r.received_at);
    std::vector<long> gaps_ms;
    for (const auto& [body, at] : sends) {
        Expect(at.size() == 2, "a provider call was sent " + std::to_string(at.size()) + " times, not twice");
        gaps_ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(at[1] - at[0]).count());
        Expect(gaps_ms.back() <= kBackoffBaseMs + 500,
               "a retry came " + std::to_string(gaps_ms.back()) + " ms after its failure, beyond the " +
                   std::to_string(kBackoffBaseMs) + " ms cap of the first backoff");
    }
    Expect(JStr(LlmHealth(http), "breaker") == "closed", "retried calls that succeeded opened the breaker");

    // 2. An injected fault on every attempt: retries exhausted, breaker open, the run completes on builtin.
    const int sent_before = fake.RequestCount();
    FaultGuard fault(*dedicated, json::object{{"target", "llm"}, {"mode", "error"}, {"rate", 1.0}, {"duration_s", 60}});
    const auto started = std::chrono::steady_clock::now();
    auto down = ExpectFellBack(
        *ws, "provider failed",
        "attempt " + std::to_string(kRetries + 1) + " of " + std::to_string(kRetries + 1) + ", retries exhausted",
        "with an llm fault on every attempt");
    const double run_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    Expect(fake.RequestCount() == sent_before, "with the fault injected the provider still received " +
                                                   std::to_string(fake.RequestCount() - sent_before) + " requests");
    auto open = WaitBreaker(http, "open", std::chrono::seconds(5));
    Expect(JStr(open, "last_error").find("injected fault: llm") != std::string::npos,
           "checks.llm does not name the injected error: " + Quote(open));
    std::string gaps;
    for (long g : gaps_ms) gaps += (gaps.empty() ? "" : ", ") + std::to_string(g);
    ctx.Note(std::to_string(sends.size()) + " calls each retried once after " + gaps + " ms (cap " +
             std::to_string(kBackoffBaseMs) + " ms); with the fault the run fell back after " +
             std::to_string(kRetries + 1) + " attempts per call and completed in " +
             std::to_string(static_cast<int>(run_ms)) + " ms; breaker " + JStr(open, "breaker"));
}

}  // namespace

std::vector<TestCase> FailureRecoveryTests() {
    std::vector<TestCase> tests{
        {"tool_fault_agent_failed_partial_report", ToolFaultPartialReport},
        {"llm_fault_retried_then_falls_back", LlmFaultRetriedThenFallsBack},
        {"slow_consumer_latency", SlowConsumerLatency},
        {"rate_limit_messages_http_429", RateLimitMessagesHttp},
        {"rate_limit_runs_http_429", RateLimitRunsHttp},
        {"rate_limit_uploads_429", RateLimitUploads},
        {"rate_limit_ws_rate_limited", RateLimitWebSocket},
        {"login_throttle_real_retry_after", LoginThrottleRealWait},
    };
    // Cancel and disconnect mid-run live in module_failure_recovery_runs.cpp.
    auto runs = FailureRecoveryRunTests();
    tests.insert(tests.end(), runs.begin(), runs.end());
    return tests;
}

}  // namespace netra::stage

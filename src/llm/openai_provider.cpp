#include "llm/openai_provider.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#if NETRA_LLM_TLS
#include <openssl/ssl.h>

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#endif
#include <charconv>
#include <optional>
#include <vector>

#include "core/json_write.hpp"
#include "llm/builtin_provider.hpp"
#include "llm/sse_parser.hpp"

namespace netra::llm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using core::ErrorCode;
using std::chrono::milliseconds;

constexpr std::size_t kErrorBodyBytes = 4096;  // enough of an error body to say what went wrong
constexpr std::size_t kReadPieceBytes = 16 * 1024;
constexpr std::string_view kChatPath = "/chat/completions";

// One failed attempt: what to report and whether another attempt may help.
struct AttemptFailure {
    core::Error error;
    bool retryable = false;
    std::optional<milliseconds> retry_after;
};

AttemptFailure Failure(ErrorCode code, std::string message, bool retryable) {
    return AttemptFailure{core::MakeError(code, std::move(message)), retryable, std::nullopt};
}

// Per-attempt progress shared with the outer retry loop.
struct AttemptState {
    std::string text;
    int usage_tokens = -1;
    bool delivered = false;            // the caller has seen at least one chunk: no retry from here on
    std::vector<std::string> pending;  // pieces parsed from the stream, not yet handed to the caller
};

// The error code of one awaited operation (its other results, such as byte counts, are not needed here).
template <class Op>
asio::awaitable<beast::error_code> Await(Op&& op) {
    auto result = co_await std::forward<Op>(op)(asio::as_tuple(asio::use_awaitable));
    co_return std::get<0>(result);
}

// The budget for the next operation: its own timeout or what is left of the call, whichever is shorter.
struct Budget {
    milliseconds duration;
    bool is_total;  // the call's total deadline is the binding limit
};

Budget BudgetFor(milliseconds op_timeout, SteadyClock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
    if (left <= op_timeout) return {std::max(left, milliseconds(0)), true};
    return {op_timeout, false};
}

AttemptFailure TimeoutFailure(const Budget& budget, std::string_view what, milliseconds op_timeout) {
    std::string message = budget.is_total
                              ? "total timeout exceeded while " + std::string(what)
                              : std::string(what) + " took longer than " + std::to_string(op_timeout.count()) + " ms";
    return Failure(ErrorCode::kTimeout, std::move(message), true);
}

std::optional<milliseconds> ParseRetryAfter(const http::fields& fields) {
    auto parse = [](std::string_view text) -> std::optional<long long> {
        long long value = 0;
        auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || ptr != text.data() + text.size() || value < 0) return std::nullopt;
        return value;
    };
    // Some OpenAI-compatible servers send milliseconds; the standard header is whole seconds (an HTTP-date
    // form is rare for 429/503 and falls back to the computed backoff).
    if (auto it = fields.find("retry-after-ms"); it != fields.end()) {
        if (auto v = parse(it->value())) return milliseconds(*v);
    }
    if (auto it = fields.find(http::field::retry_after); it != fields.end()) {
        if (auto v = parse(it->value())) return milliseconds(*v * 1000);
    }
    return std::nullopt;
}

// Turns one SSE `data` payload into progress, or a failure. Returns false to stop reading.
class StreamHandler {
  public:
    explicit StreamHandler(AttemptState& state) : state_(state) {}

    bool OnData(std::string_view data) {
        if (done_) return true;  // anything after [DONE] is ignored
        if (data == "[DONE]") {
            done_ = true;
            return true;
        }
        boost::system::error_code ec;
        json::value value = json::parse(data, ec);
        if (ec || !value.is_object()) return Malformed("stream event is not a JSON object");
        const auto& object = value.as_object();
        if (const auto* error = object.if_contains("error")) {
            std::string message = "server reported an error mid-stream";
            if (error->is_object()) {
                if (const auto* m = error->as_object().if_contains("message"); m && m->is_string()) {
                    message += ": " + std::string(m->as_string());
                }
            }
            failure_ = Failure(ErrorCode::kServiceUnavailable, std::move(message), false);
            return false;
        }
        ReadUsage(object);
        const auto* choices = object.if_contains("choices");
        if (!choices || !choices->is_array()) return Malformed("stream event without a choices array");
        if (choices->as_array().empty()) return true;  // the usage-only event
        const auto& choice = choices->as_array().front();
        if (!choice.is_object()) return Malformed("choices[0] is not an object");
        const auto* delta = choice.as_object().if_contains("delta");
        if (!delta || !delta->is_object()) return Malformed("choices[0] without a delta object");
        const auto* content = delta->as_object().if_contains("content");
        if (!content || content->is_null()) return true;  // role-only or finish event
        if (!content->is_string()) return Malformed("choices[0].delta.content is not a string");
        return Deliver(content->as_string());
    }

    // A whole non-streamed completion (a server that ignored stream:true and answered application/json).
    bool OnWholeBody(std::string_view body) {
        boost::system::error_code ec;
        json::value value = json::parse(body, ec);
        if (ec || !value.is_object()) return Malformed("response body is not a JSON object");
        const auto& object = value.as_object();
        ReadUsage(object);
        const auto* choices = object.if_contains("choices");
        if (!choices || !choices->is_array() || choices->as_array().empty() ||
            !choices->as_array().front().is_object()) {
            return Malformed("response without choices");
        }
        const auto* message = choices->as_array().front().as_object().if_contains("message");
        const json::value* content =
            message && message->is_object() ? message->as_object().if_contains("content") : nullptr;
        if (!content || !content->is_string()) return Malformed("choices[0].message.content missing");
        done_ = true;
        return Deliver(content->as_string());
    }

    bool done() const { return done_; }
    std::optional<AttemptFailure>& failure() { return failure_; }

  private:
    bool Malformed(std::string what) {
        failure_ = Failure(ErrorCode::kServiceUnavailable, "malformed response: " + std::move(what), false);
        return false;
    }

    void ReadUsage(const json::object& object) {
        const auto* usage = object.if_contains("usage");
        if (!usage || !usage->is_object()) return;
        const auto* total = usage->as_object().if_contains("total_tokens");
        if (total && total->is_int64()) state_.usage_tokens = static_cast<int>(total->as_int64());
        if (total && total->is_uint64()) state_.usage_tokens = static_cast<int>(total->as_uint64());
    }

    bool Deliver(std::string_view piece) {
        if (piece.empty()) return true;
        state_.text.append(piece);
        state_.pending.emplace_back(piece);
        return true;
    }

    AttemptState& state_;
    bool done_ = false;
    std::optional<AttemptFailure> failure_;
};

struct AttemptContext {
    const OpenAiOptions& options;
    const OpenAiEndpoint& endpoint;
    const std::string& body;
    SteadyClock::time_point deadline;
    const AsyncChunkCallback& on_chunk;
};

// Hands the pieces parsed so far to the caller, in order. A failure when the caller cancelled.
asio::awaitable<std::optional<AttemptFailure>> DeliverPending(const AttemptContext& ctx, AttemptState& state) {
    auto pieces = std::move(state.pending);
    state.pending.clear();
    if (!ctx.on_chunk) co_return std::nullopt;
    for (auto& piece : pieces) {
        state.delivered = true;
        if (!co_await ctx.on_chunk(std::move(piece))) {
            co_return Failure(ErrorCode::kCancelled, "llm call cancelled", false);
        }
    }
    co_return std::nullopt;
}

// Sends the request on a connected stream and reads the answer. std::nullopt = success (state holds the text).
template <class Stream>
asio::awaitable<std::optional<AttemptFailure>> Exchange(Stream& stream, const AttemptContext& ctx,
                                                        AttemptState& state) {
    auto& lowest = beast::get_lowest_layer(stream);
    http::request<http::string_body> request{http::verb::post, ctx.endpoint.target, 11};
    request.set(http::field::host, ctx.endpoint.host_header);
    request.set(http::field::user_agent, "netra");
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "text/event-stream");
    if (!ctx.options.api_key.empty()) request.set(http::field::authorization, "Bearer " + ctx.options.api_key);
    request.body() = ctx.body;
    request.prepare_payload();

    // The first-byte timeout runs from the start of the write until the response headers are in.
    auto budget = BudgetFor(ctx.options.first_byte_timeout, ctx.deadline);
    lowest.expires_after(budget.duration);
    auto ec = co_await Await([&](auto token) { return http::async_write(stream, request, token); });
    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(ctx.options.max_response_bytes);
    if (!ec) ec = co_await Await([&](auto token) { return http::async_read_header(stream, buffer, parser, token); });
    if (ec == beast::error::timeout)
        co_return TimeoutFailure(budget, "waiting for the response", ctx.options.first_byte_timeout);
    if (ec) co_return Failure(ErrorCode::kServiceUnavailable, "request failed: " + ec.message(), true);

    const unsigned status = parser.get().result_int();
    std::string content_type(parser.get()[http::field::content_type]);
    const bool ok_status = status == 200;
    const bool whole_json = content_type.rfind("application/json", 0) == 0;
    if (ok_status && !whole_json && !content_type.empty() && content_type.rfind("text/event-stream", 0) != 0) {
        co_return Failure(ErrorCode::kServiceUnavailable, "malformed response: unexpected content type " + content_type,
                          false);
    }

    StreamHandler handler(state);
    SseParser sse(ctx.options.max_response_bytes);
    auto sink = [&handler](std::string_view data) { return handler.OnData(data); };
    std::string collected;  // error bodies and non-streamed JSON
    std::array<char, kReadPieceBytes> piece{};
    while (!parser.is_done()) {
        parser.get().body().data = piece.data();
        parser.get().body().size = piece.size();
        budget = BudgetFor(ctx.options.idle_timeout, ctx.deadline);
        lowest.expires_after(budget.duration);
        ec = co_await Await([&](auto token) { return http::async_read_some(stream, buffer, parser, token); });
        if (ec == http::error::need_buffer) ec = {};
        std::string_view got(piece.data(), piece.size() - parser.get().body().size);
        if (!ok_status) {
            collected.append(got.substr(0, kErrorBodyBytes - std::min(collected.size(), kErrorBodyBytes)));
            if (ec || collected.size() >= kErrorBodyBytes) break;  // the status says enough; the body is a bonus
            continue;
        }
        if (whole_json) {
            collected.append(got);
        } else if (!got.empty()) {
            bool fed = sse.Feed(got, sink);
            // What parsed cleanly reaches the caller before anything else happens (failure included).
            auto cancelled = co_await DeliverPending(ctx, state);
            if (cancelled) co_return cancelled;
            if (!fed) {
                if (handler.failure()) co_return std::move(handler.failure());
                co_return Failure(ErrorCode::kServiceUnavailable, "malformed response: SSE line too long", false);
            }
        }
        if (handler.done()) co_return std::nullopt;  // [DONE] is the end, whatever the connection does next
        if (ec == beast::error::timeout)
            co_return TimeoutFailure(budget, "waiting for stream data", ctx.options.idle_timeout);
        if (ec == http::error::body_limit) {
            co_return Failure(ErrorCode::kServiceUnavailable, "response larger than max_response_bytes", false);
        }
        if (ec) {
            co_return Failure(ErrorCode::kServiceUnavailable, "connection closed mid-stream: " + ec.message(), true);
        }
    }

    if (!ok_status) {
        std::string message = "HTTP " + std::to_string(status);
        if (!collected.empty()) message += ": " + collected.substr(0, 512);
        const bool retryable = status == 429 || status >= 500;
        AttemptFailure failure = Failure(ErrorCode::kServiceUnavailable, std::move(message), retryable);
        if (retryable) failure.retry_after = ParseRetryAfter(parser.get().base());
        co_return failure;
    }
    if (whole_json) {
        bool parsed = handler.OnWholeBody(collected);
        auto cancelled = co_await DeliverPending(ctx, state);
        if (cancelled) co_return cancelled;
        if (!parsed) co_return std::move(handler.failure());
        co_return std::nullopt;
    }
    bool finished = sse.Finish(sink);
    auto cancelled = co_await DeliverPending(ctx, state);
    if (cancelled) co_return cancelled;
    if (!finished) co_return std::move(handler.failure());
    if (!handler.done()) {
        co_return Failure(ErrorCode::kServiceUnavailable, "stream ended before data: [DONE]", true);
    }
    co_return std::nullopt;
}

// Resolves and connects within the connect timeout. std::nullopt = connected.
asio::awaitable<std::optional<AttemptFailure>> Connect(beast::tcp_stream& stream, const AttemptContext& ctx) {
    auto budget = BudgetFor(ctx.options.connect_timeout, ctx.deadline);
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    asio::steady_timer timer(executor);
    // The resolver has no timeout of its own: a timer cancels it. Both complete on this coroutine's executor.
    auto timed_out = std::make_shared<bool>(false);
    timer.expires_after(budget.duration);
    timer.async_wait([timed_out, &resolver](beast::error_code timer_ec) {
        if (timer_ec) return;
        *timed_out = true;
        resolver.cancel();
    });
    auto [ec, endpoints] =
        co_await resolver.async_resolve(ctx.endpoint.host, ctx.endpoint.port, asio::as_tuple(asio::use_awaitable));
    timer.cancel();
    if (*timed_out) co_return TimeoutFailure(budget, "resolving the host", ctx.options.connect_timeout);
    if (ec) {
        co_return Failure(ErrorCode::kServiceUnavailable, "cannot resolve " + ctx.endpoint.host + ": " + ec.message(),
                          true);
    }

    budget = BudgetFor(ctx.options.connect_timeout, ctx.deadline);
    stream.expires_after(budget.duration);
    auto [cec, connected] = co_await stream.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    (void)connected;
    if (cec == beast::error::timeout) co_return TimeoutFailure(budget, "connecting", ctx.options.connect_timeout);
    if (cec) {
        co_return Failure(ErrorCode::kServiceUnavailable,
                          "cannot connect to " + ctx.endpoint.host + ":" + ctx.endpoint.port + ": " + cec.message(),
                          true);
    }
    co_return std::nullopt;
}

#if NETRA_LLM_TLS
// TLS handshake with SNI and host name verification, within the connect timeout.
asio::awaitable<std::optional<AttemptFailure>> Handshake(beast::ssl_stream<beast::tcp_stream>& stream,
                                                         const AttemptContext& ctx) {
    if (!SSL_set_tlsext_host_name(stream.native_handle(), ctx.endpoint.host.c_str())) {
        co_return Failure(ErrorCode::kServiceUnavailable, "cannot set TLS server name", false);
    }
    stream.set_verify_callback(asio::ssl::host_name_verification(ctx.endpoint.host));
    auto budget = BudgetFor(ctx.options.connect_timeout, ctx.deadline);
    beast::get_lowest_layer(stream).expires_after(budget.duration);
    auto ec = co_await Await([&](auto token) { return stream.async_handshake(asio::ssl::stream_base::client, token); });
    if (ec == beast::error::timeout) co_return TimeoutFailure(budget, "TLS handshake", ctx.options.connect_timeout);
    // A certificate or protocol mismatch will not fix itself on the next attempt.
    if (ec) co_return Failure(ErrorCode::kServiceUnavailable, "TLS handshake failed: " + ec.message(), false);
    co_return std::nullopt;
}
#endif

// One attempt on a fresh connection, on the calling coroutine's executor.
asio::awaitable<std::optional<AttemptFailure>> Attempt(const AttemptContext& ctx, AttemptState& state,
                                                       [[maybe_unused]] asio::ssl::context* tls_context) {
    auto executor = co_await asio::this_coro::executor;
    beast::error_code ignored;
#if NETRA_LLM_TLS
    if (ctx.endpoint.tls) {
        beast::ssl_stream<beast::tcp_stream> stream(executor, *tls_context);
        auto failure = co_await Connect(beast::get_lowest_layer(stream), ctx);
        if (!failure) failure = co_await Handshake(stream, ctx);
        if (!failure) failure = co_await Exchange(stream, ctx, state);
        // No TLS close_notify exchange: the answer is complete (or abandoned) and the socket is not reused.
        beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(stream).socket().close(ignored);
        co_return failure;
    }
#endif
    beast::tcp_stream stream(executor);
    auto failure = co_await Connect(stream, ctx);
    if (!failure) failure = co_await Exchange(stream, ctx, state);
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
    co_return failure;
}

std::string BuildBody(const OpenAiOptions& options, const CompletionRequest& request) {
    json::object body;
    body["model"] = options.model;
    json::array messages;
    for (const auto& message : request.messages) {
        messages.push_back(json::object{{"role", message.role}, {"content", message.content}});
    }
    body["messages"] = std::move(messages);
    body["stream"] = true;
    body["max_tokens"] = request.max_tokens;
    body["temperature"] = request.temperature;
    if (options.include_usage) body["stream_options"] = json::object{{"include_usage", true}};
    return core::JsonText(body);
}

}  // namespace

bool OpenAiTlsSupported() { return NETRA_LLM_TLS != 0; }

core::Result<OpenAiEndpoint> ParseOpenAiEndpoint(std::string_view base_url) {
    auto invalid = [&](std::string why) {
        return core::MakeError(ErrorCode::kInvalidRequest,
                               "OPENAI_BASE_URL '" + std::string(base_url) + "' is invalid: " + std::move(why));
    };
    auto parsed = boost::urls::parse_uri(base_url);
    if (!parsed) return invalid("not an absolute URL");
    OpenAiEndpoint endpoint;
    std::string scheme(parsed->scheme());
    if (scheme == "https") {
        endpoint.tls = true;
        if (!OpenAiTlsSupported()) return invalid("https is not supported by this build (use http)");
    } else if (scheme != "http") {
        return invalid("the scheme must be http or https");
    }
    if (!parsed->has_authority() || parsed->host().empty()) return invalid("no host");
    if (parsed->has_query() || parsed->has_fragment()) return invalid("a query or fragment is not allowed");
    endpoint.host = std::string(parsed->host_address());  // IPv6 without brackets, for the resolver
    endpoint.port = parsed->has_port() ? std::string(parsed->port()) : (endpoint.tls ? "443" : "80");
    endpoint.host_header = std::string(parsed->encoded_host());
    if (parsed->has_port()) endpoint.host_header += ":" + endpoint.port;
    std::string path(parsed->encoded_path());
    while (!path.empty() && path.back() == '/') path.pop_back();
    // Accept both "http://h:1234" and "http://h:1234/v1" (the OpenAI SDKs' convention).
    if (path.size() < 3 || path.compare(path.size() - 3, 3, "/v1") != 0) path += "/v1";
    endpoint.target = path + std::string(kChatPath);
    return endpoint;
}

OpenAiProvider::OpenAiProvider(OpenAiOptions options)
    : options_(std::move(options)),
      endpoint_(ParseOpenAiEndpoint(options_.base_url)),
      random_(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}()) {
#if NETRA_LLM_TLS
    if (endpoint_.ok() && endpoint_->tls) {
        tls_context_ = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
        tls_context_->set_verify_mode(asio::ssl::verify_peer);
        beast::error_code ec;
        tls_context_->set_default_verify_paths(ec);
        if (!ec && !options_.ca_file.empty()) tls_context_->load_verify_file(options_.ca_file, ec);
        // Unusable trust settings make every call fail the same way: report them as a configuration error.
        if (ec) endpoint_ = core::MakeError(ErrorCode::kInvalidRequest, "openai TLS trust store: " + ec.message());
    }
#endif
}

std::chrono::milliseconds OpenAiProvider::Backoff(int attempt) {
    // Full jitter: spreads clients that failed together so they do not retry together.
    auto cap = options_.backoff_base.count() << std::min(attempt, 20);
    cap = std::min<long long>(cap, options_.backoff_max.count());
    if (cap <= 0) return milliseconds(0);
    std::lock_guard lock(random_mutex_);
    return milliseconds(std::uniform_int_distribution<long long>(0, cap)(random_));
}

asio::awaitable<core::Result<CompletionResult>> OpenAiProvider::CompleteAsync(const CompletionRequest& request,
                                                                              AsyncChunkCallback on_chunk) {
    if (!endpoint_.ok()) {
        consecutive_failures_.fetch_add(1);
        co_return endpoint_.error();
    }
    const auto body = BuildBody(options_, request);
    const auto deadline = SteadyClock::now() + options_.total_timeout;
    AttemptContext ctx{options_, endpoint_.value(), body, deadline, on_chunk};
    const int attempts = 1 + std::max(options_.max_retries, 0);
    for (int attempt = 1;; ++attempt) {
        AttemptState state;
        std::optional<AttemptFailure> failure;
        if (options_.fault_hook) {
            auto injected = co_await options_.fault_hook();
            if (!injected.ok()) failure = AttemptFailure{injected.error(), true, std::nullopt};
        }
        if (!failure) failure = co_await Attempt(ctx, state, tls_context_.get());
        if (!failure) {
            consecutive_failures_.store(0);
            CompletionResult result;
            result.text = std::move(state.text);
            result.provider = "openai";
            result.attempts = attempt;
            result.tokens_used = state.usage_tokens >= 0 ? state.usage_tokens : EstimateTokens(request, result.text);
            co_return result;
        }
        if (failure->error.code == ErrorCode::kCancelled) co_return failure->error;  // not the server's fault
        std::string why;
        if (!failure->retryable) {
            why = "not retryable";
        } else if (state.delivered) {
            why = "text already streamed";
        } else if (attempt >= attempts) {
            why = "retries exhausted";
        } else {
            auto wait = failure->retry_after ? *failure->retry_after : Backoff(attempt - 1);
            if (failure->retry_after && wait > options_.max_retry_after) {
                why = "Retry-After " + std::to_string(wait.count()) + " ms exceeds max_retry_after";
            } else if (SteadyClock::now() + wait >= deadline) {
                why = "no time left for another attempt";
            } else {
                asio::steady_timer backoff(co_await asio::this_coro::executor);  // waits without a thread
                backoff.expires_after(wait);
                co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
                continue;
            }
        }
        consecutive_failures_.fetch_add(1);
        co_return core::MakeError(failure->error.code, "openai: " + failure->error.message + " (attempt " +
                                                           std::to_string(attempt) + " of " + std::to_string(attempts) +
                                                           ", " + why + ")");
    }
}

ProviderHealth OpenAiProvider::Health() const {
    ProviderHealth health;
    health.provider = "openai";
    health.model = options_.model;
    health.status = "up";
    health.breaker_state = "closed";
    health.consecutive_failures = consecutive_failures_.load();
    if (!endpoint_.ok()) {
        health.status = "down";
    } else if (health.consecutive_failures > 0) {
        health.status = "degraded";
    }
    return health;
}

}  // namespace netra::llm

#pragma once
// One Redis connection driven by Asio: hiredis's async API (Debian's libhiredis 0.14) parses and builds RESP,
// and this class gives it an event loop — the socket's readiness is awaited with posix::stream_descriptor on a
// strand, so no thread ever blocks on Redis. hiredis ships adapters for libevent, libuv, … but none for Asio;
// this file is that adapter (addRead/delRead/addWrite/delWrite/cleanup), plus what 0.14 lacks: command time-outs
// (a Redis that stops answering is noticed), reconnection with backoff, and re-subscribing after a reconnect.
//
// A connection is either a command connection (Command/Call) or a subscriber (Subscribe/Unsubscribe, messages
// to the handler): Redis allows nothing else on a subscribed connection.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cluster/redis_url.hpp"
#include "core/error.hpp"

struct redisAsyncContext;

namespace netra::cluster {

struct RedisReply {
    enum class Kind { kNil, kInteger, kString, kStatus, kArray };
    Kind kind = Kind::kNil;
    long long integer = 0;
    std::string text;  // kString, kStatus
    std::vector<RedisReply> elements;
};

struct RedisOptions {
    RedisEndpoint endpoint;
    std::string name;  // for logs: "commands", "subscriber"
    bool subscriber = false;
    std::chrono::milliseconds command_timeout{2000};  // no reply within it: the connection is dropped and redialled
    std::chrono::milliseconds reconnect_min{100};
    std::chrono::milliseconds reconnect_max{2000};
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
  public:
    using ReplyHandler = std::function<void(core::Result<RedisReply>)>;
    using MessageHandler = std::function<void(const std::string& channel, const std::string& payload)>;
    using StateHandler = std::function<void(bool connected)>;

    // Handlers are called on the connection's strand and must not block. `on_state` hears every connect and
    // disconnect (a subscriber that reconnects has missed what was published meanwhile).
    static std::shared_ptr<RedisConnection> Create(boost::asio::io_context& ioc, RedisOptions options,
                                                   MessageHandler on_message = {}, StateHandler on_state = {});
    ~RedisConnection();

    // Dials, and keeps redialling with backoff until Stop.
    void Start();
    void Stop();

    // Thread-safe. Fails at once with kServiceUnavailable while disconnected; a Redis error reply is kInternal.
    void Command(std::vector<std::string> args, ReplyHandler handler);
    boost::asio::awaitable<core::Result<RedisReply>> Call(std::vector<std::string> args);

    // Drops the connection and dials again (a subscriber whose messages stopped arriving).
    void Redial(const std::string& why);

    // Subscriber connections: channels are remembered and subscribed again after every reconnect.
    void Subscribe(const std::string& channel);
    void Unsubscribe(const std::string& channel);

    bool Connected() const;
    std::string LastError() const;

  private:
    struct Watch;
    struct Pending;

    RedisConnection(boost::asio::io_context& ioc, RedisOptions options, MessageHandler on_message,
                    StateHandler on_state);
    void Dial();
    void Attach(redisAsyncContext* ac);
    void OnConnected(int status);
    void OnDisconnected(int status);
    void ScheduleRedial();
    void SetState(bool connected, const std::string& error);
    void SendSubscribe(const std::string& verb, const std::string& channel);
    void Send(std::vector<std::string> args, ReplyHandler handler);
    void OnMessageReply(void* reply);
    void CheckTimeouts();

    static void ConnectCallback(const redisAsyncContext* ac, int status);
    static void DisconnectCallback(const redisAsyncContext* ac, int status);
    static void ReplyCallback(redisAsyncContext* ac, void* reply, void* privdata);
    static void SubscriberCallback(redisAsyncContext* ac, void* reply, void* privdata);

    boost::asio::strand<boost::asio::io_context::executor_type> strand_;
    RedisOptions options_;
    MessageHandler on_message_;
    StateHandler on_state_;

    // Strand-only state.
    redisAsyncContext* ac_ = nullptr;
    std::shared_ptr<Watch> watch_;
    bool connected_ = false;
    bool stopped_ = false;
    std::chrono::milliseconds backoff_;
    boost::asio::steady_timer redial_timer_;
    boost::asio::steady_timer timeout_timer_;
    std::deque<std::chrono::steady_clock::time_point> sent_;  // one per command awaiting its reply, oldest first
    std::set<std::string> channels_;

    mutable std::mutex state_mutex_;  // what other threads read
    bool connected_shared_ = false;
    std::string last_error_ = "not connected yet";
};

// The reply's text for logs and errors.
std::string Describe(const RedisReply& reply);

}  // namespace netra::cluster

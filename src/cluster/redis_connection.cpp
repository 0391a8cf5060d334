#include "cluster/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace netra::cluster {
namespace asio = boost::asio;
using core::ErrorCode;
using core::MakeError;

// The socket hiredis owns, watched for readiness on the connection's strand. hiredis says what it wants to hear
// about (add/del read/write); a wait is armed while it wants it, and each readiness is handed back to hiredis.
struct RedisConnection::Watch : std::enable_shared_from_this<Watch> {
    Watch(asio::strand<asio::io_context::executor_type> strand, int fd) : descriptor(strand, fd) {}

    asio::posix::stream_descriptor descriptor;
    redisAsyncContext* ac = nullptr;  // null once hiredis cleaned up: late completions do nothing
    bool want_read = false, want_write = false, read_armed = false, write_armed = false;

    void ArmRead() {
        if (read_armed || !want_read || !ac) return;
        read_armed = true;
        descriptor.async_wait(asio::posix::descriptor_base::wait_read,
                              [self = shared_from_this()](const boost::system::error_code& ec) {
                                  self->read_armed = false;
                                  if (ec || !self->ac || !self->want_read) return;
                                  redisAsyncHandleRead(self->ac);  // may free the context (cleanup nulls ac)
                                  self->ArmRead();
                              });
    }
    void ArmWrite() {
        if (write_armed || !want_write || !ac) return;
        write_armed = true;
        descriptor.async_wait(asio::posix::descriptor_base::wait_write,
                              [self = shared_from_this()](const boost::system::error_code& ec) {
                                  self->write_armed = false;
                                  if (ec || !self->ac || !self->want_write) return;
                                  redisAsyncHandleWrite(self->ac);
                                  self->ArmWrite();
                              });
    }

    static void AddRead(void* p) {
        auto* w = static_cast<Watch*>(p);
        w->want_read = true;
        w->ArmRead();
    }
    static void DelRead(void* p) { static_cast<Watch*>(p)->want_read = false; }
    static void AddWrite(void* p) {
        auto* w = static_cast<Watch*>(p);
        w->want_write = true;
        w->ArmWrite();
    }
    static void DelWrite(void* p) { static_cast<Watch*>(p)->want_write = false; }
    // hiredis frees the context (and closes the socket itself): the descriptor lets go of the fd without closing it.
    static void Cleanup(void* p) {
        auto* w = static_cast<Watch*>(p);
        w->ac = nullptr;
        w->want_read = w->want_write = false;
        boost::system::error_code ignored;
        w->descriptor.cancel(ignored);
        (void)w->descriptor.release();
    }
};

struct RedisConnection::Pending {
    ReplyHandler handler;
};

namespace {

RedisReply Convert(const redisReply* r) {
    RedisReply out;
    switch (r->type) {
        case REDIS_REPLY_INTEGER:
            out.kind = RedisReply::Kind::kInteger;
            out.integer = r->integer;
            break;
        case REDIS_REPLY_STRING:
            out.kind = RedisReply::Kind::kString;
            out.text.assign(r->str, r->len);
            break;
        case REDIS_REPLY_STATUS:
            out.kind = RedisReply::Kind::kStatus;
            out.text.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ARRAY:
            out.kind = RedisReply::Kind::kArray;
            out.elements.reserve(r->elements);
            for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
            break;
        default:
            break;  // nil
    }
    return out;
}

}  // namespace

std::string Describe(const RedisReply& reply) {
    switch (reply.kind) {
        case RedisReply::Kind::kInteger:
            return std::to_string(reply.integer);
        case RedisReply::Kind::kString:
        case RedisReply::Kind::kStatus:
            return reply.text;
        case RedisReply::Kind::kArray:
            return "array of " + std::to_string(reply.elements.size());
        case RedisReply::Kind::kNil:
            break;
    }
    return "nil";
}

std::shared_ptr<RedisConnection> RedisConnection::Create(asio::io_context& ioc, RedisOptions options,
                                                         MessageHandler on_message, StateHandler on_state) {
    return std::shared_ptr<RedisConnection>(
        new RedisConnection(ioc, std::move(options), std::move(on_message), std::move(on_state)));
}

RedisConnection::RedisConnection(asio::io_context& ioc, RedisOptions options, MessageHandler on_message,
                                 StateHandler on_state)
    : strand_(asio::make_strand(ioc)),
      options_(std::move(options)),
      on_message_(std::move(on_message)),
      on_state_(std::move(on_state)),
      backoff_(options_.reconnect_min),
      redial_timer_(strand_),
      timeout_timer_(strand_) {}

RedisConnection::~RedisConnection() {
    // Whoever gave the handlers may be going away too: freeing the context below must not call them.
    on_message_ = nullptr;
    on_state_ = nullptr;
    if (ac_) {
        stopped_ = true;
        redisAsyncContext* ac = ac_;
        ac_ = nullptr;
        redisAsyncFree(ac);
    }
}

void RedisConnection::Start() {
    asio::post(strand_, [self = shared_from_this()] {
        self->Dial();
        self->CheckTimeouts();
    });
}

void RedisConnection::Stop() {
    asio::post(strand_, [self = shared_from_this()] {
        self->stopped_ = true;
        self->redial_timer_.cancel();
        self->timeout_timer_.cancel();
        if (self->ac_) redisAsyncFree(self->ac_);  // pending callbacks hear "connection lost"
        self->ac_ = nullptr;
    });
}

void RedisConnection::Dial() {
    if (stopped_ || ac_) return;
    // The host is resolved here, asynchronously: hiredis would call getaddrinfo on this thread.
    auto resolver = std::make_shared<asio::ip::tcp::resolver>(strand_);
    resolver->async_resolve(
        options_.endpoint.host, std::to_string(options_.endpoint.port),
        asio::bind_executor(strand_, [self = shared_from_this(), resolver](const boost::system::error_code& ec,
                                                                           asio::ip::tcp::resolver::results_type r) {
            if (self->stopped_) return;
            if (ec || r.empty()) {
                self->SetState(false, "cannot resolve " + self->options_.endpoint.host + ": " + ec.message());
                self->ScheduleRedial();
                return;
            }
            const auto endpoint = r.begin()->endpoint();
            redisAsyncContext* ac = redisAsyncConnect(endpoint.address().to_string().c_str(), endpoint.port());
            if (!ac || ac->err) {
                self->SetState(false, ac ? ac->errstr : "out of memory");
                if (ac) redisAsyncFree(ac);
                self->ScheduleRedial();
                return;
            }
            self->Attach(ac);
        }));
}

void RedisConnection::Attach(redisAsyncContext* ac) {
    ac_ = ac;
    ac->data = this;
    watch_ = std::make_shared<Watch>(strand_, ac->c.fd);
    watch_->ac = ac;
    ac->ev.data = watch_.get();
    ac->ev.addRead = &Watch::AddRead;
    ac->ev.delRead = &Watch::DelRead;
    ac->ev.addWrite = &Watch::AddWrite;
    ac->ev.delWrite = &Watch::DelWrite;
    ac->ev.cleanup = &Watch::Cleanup;
    // hiredis 0.14 leaves keep-alive off: a subscriber, which never writes, would not notice a Redis that vanished.
    (void)redisEnableKeepAlive(&ac->c);
    redisAsyncSetDisconnectCallback(ac, &RedisConnection::DisconnectCallback);
    // Set last: it arms the first write wait, whose readiness tells that the non-blocking connect finished.
    redisAsyncSetConnectCallback(ac, &RedisConnection::ConnectCallback);
}

void RedisConnection::ConnectCallback(const redisAsyncContext* ac, int status) {
    static_cast<RedisConnection*>(ac->data)->OnConnected(status);
}

void RedisConnection::DisconnectCallback(const redisAsyncContext* ac, int status) {
    static_cast<RedisConnection*>(ac->data)->OnDisconnected(status);
}

void RedisConnection::OnConnected(int status) {
    if (status != REDIS_OK) {
        SetState(false, std::string("connect: ") + (ac_ ? ac_->errstr : "failed"));
        ac_ = nullptr;  // hiredis frees a context whose connect failed
        sent_.clear();
        ScheduleRedial();
        return;
    }
    // Authenticate and choose the database before anything else is sent; the connection counts as up only then.
    auto self = shared_from_this();
    auto ready = [self] {
        self->connected_ = true;
        self->backoff_ = self->options_.reconnect_min;
        self->SetState(true, "");
        spdlog::info("redis {}: connected to {}:{}", self->options_.name, self->options_.endpoint.host,
                     self->options_.endpoint.port);
        for (const auto& channel : self->channels_) self->SendSubscribe("SUBSCRIBE", channel);
        if (self->on_state_) self->on_state_(true);
    };
    auto fail = [self](const std::string& what, const core::Error& error) {
        self->SetState(false, what + ": " + error.message);
        if (self->ac_) redisAsyncDisconnect(self->ac_);
    };
    auto select = [self, ready, fail] {
        if (self->options_.endpoint.db == 0) return ready();
        self->Send({"SELECT", std::to_string(self->options_.endpoint.db)}, [ready, fail](core::Result<RedisReply> r) {
            if (!r.ok()) return fail("SELECT", r.error());
            ready();
        });
    };
    if (options_.endpoint.password.empty()) return select();
    std::vector<std::string> auth{"AUTH"};
    if (!options_.endpoint.user.empty()) auth.push_back(options_.endpoint.user);
    auth.push_back(options_.endpoint.password);
    Send(std::move(auth), [select, fail](core::Result<RedisReply> r) {
        if (!r.ok()) return fail("AUTH", r.error());
        select();
    });
}

void RedisConnection::OnDisconnected(int status) {
    const bool was_connected = connected_;
    std::string why = status == REDIS_OK ? "disconnected" : std::string("connection lost: ") + ac_->errstr;
    ac_ = nullptr;  // hiredis frees it after this callback
    connected_ = false;
    sent_.clear();
    // Before the connection was up, the reason it failed (AUTH, SELECT) is already recorded: keep it.
    if (was_connected) SetState(false, why);
    if (was_connected) spdlog::warn("redis {}: {}", options_.name, why);
    if (was_connected && on_state_) on_state_(false);
    ScheduleRedial();
}

void RedisConnection::ScheduleRedial() {
    if (stopped_) return;
    redial_timer_.expires_after(backoff_);
    backoff_ = std::min(backoff_ * 2, options_.reconnect_max);
    redial_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->Dial();
    });
}

// A Redis that accepts the connection but stops answering (paused, overloaded, a dead peer behind a NAT) holds
// every pending command: past command_timeout the connection is dropped, its commands fail, and it is redialled.
void RedisConnection::CheckTimeouts() {
    if (stopped_) return;
    if (ac_ && !sent_.empty() && std::chrono::steady_clock::now() - sent_.front() > options_.command_timeout) {
        spdlog::warn("redis {}: no reply within {} ms; reconnecting", options_.name, options_.command_timeout.count());
        redisAsyncContext* ac = ac_;
        redisAsyncFree(ac);  // calls the disconnect callback, which schedules the redial
        ac_ = nullptr;
        SetState(false, "no reply within " + std::to_string(options_.command_timeout.count()) + " ms");
    }
    timeout_timer_.expires_after(std::chrono::milliseconds(100));
    timeout_timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
        if (!ec) self->CheckTimeouts();
    });
}

void RedisConnection::SetState(bool connected, const std::string& error) {
    std::lock_guard lock(state_mutex_);
    connected_shared_ = connected;
    if (!connected) last_error_ = error;
}

bool RedisConnection::Connected() const {
    std::lock_guard lock(state_mutex_);
    return connected_shared_;
}

std::string RedisConnection::LastError() const {
    std::lock_guard lock(state_mutex_);
    return connected_shared_ ? std::string() : last_error_;
}

void RedisConnection::Command(std::vector<std::string> args, ReplyHandler handler) {
    asio::post(strand_, [self = shared_from_this(), args = std::move(args), handler = std::move(handler)]() mutable {
        if (!self->connected_ || !self->ac_) {
            handler(MakeError(ErrorCode::kServiceUnavailable, "redis unavailable: " + self->LastError()));
            return;
        }
        self->Send(std::move(args), std::move(handler));
    });
}

void RedisConnection::Send(std::vector<std::string> args, ReplyHandler handler) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& a : args) {
        argv.push_back(a.data());
        lengths.push_back(a.size());
    }
    auto* pending = new Pending{std::move(handler)};
    if (redisAsyncCommandArgv(ac_, &RedisConnection::ReplyCallback, pending, static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
        auto h = std::move(pending->handler);
        delete pending;
        h(MakeError(ErrorCode::kServiceUnavailable, "redis: the connection is closing"));
        return;
    }
    sent_.push_back(std::chrono::steady_clock::now());
}

void RedisConnection::ReplyCallback(redisAsyncContext* ac, void* reply, void* privdata) {
    std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
    auto* self = static_cast<RedisConnection*>(ac->data);
    if (!reply) {  // the connection went away with the command unanswered
        pending->handler(MakeError(ErrorCode::kServiceUnavailable, "redis: connection lost before the reply"));
        return;
    }
    if (!self->sent_.empty()) self->sent_.pop_front();
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type == REDIS_REPLY_ERROR) {
        pending->handler(MakeError(ErrorCode::kInternal, "redis: " + std::string(r->str, r->len)));
        return;
    }
    pending->handler(Convert(r));
}

asio::awaitable<core::Result<RedisReply>> RedisConnection::Call(std::vector<std::string> args) {
    auto initiate = [self = shared_from_this(), args = std::move(args)](auto handler) mutable {
        // The Asio handler is move-only; std::function needs a copyable callable.
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        self->Command(std::move(args), [shared](core::Result<RedisReply> result) {
            auto ex = asio::get_associated_executor(*shared);
            asio::post(ex, [shared, result = std::move(result)]() mutable { std::move (*shared)(std::move(result)); });
        });
    };
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(core::Result<RedisReply>)>(
        std::move(initiate), asio::use_awaitable);
}

void RedisConnection::Redial(const std::string& why) {
    asio::post(strand_, [self = shared_from_this(), why] {
        if (!self->ac_ || self->stopped_) return;
        spdlog::warn("redis {}: {}; reconnecting", self->options_.name, why);
        redisAsyncContext* ac = self->ac_;
        redisAsyncFree(ac);  // the disconnect callback schedules the redial
        self->ac_ = nullptr;
        self->SetState(false, why);
    });
}

void RedisConnection::Subscribe(const std::string& channel) {
    asio::post(strand_, [self = shared_from_this(), channel] {
        if (!self->channels_.insert(channel).second) return;
        if (self->connected_ && self->ac_) self->SendSubscribe("SUBSCRIBE", channel);
    });
}

void RedisConnection::Unsubscribe(const std::string& channel) {
    asio::post(strand_, [self = shared_from_this(), channel] {
        if (self->channels_.erase(channel) == 0) return;
        if (self->connected_ && self->ac_) self->SendSubscribe("UNSUBSCRIBE", channel);
    });
}

void RedisConnection::SendSubscribe(const std::string& verb, const std::string& channel) {
    const char* argv[] = {verb.c_str(), channel.c_str()};
    const std::size_t lengths[] = {verb.size(), channel.size()};
    // hiredis calls the subscriber callback for the confirmation and for every message on the channel.
    (void)redisAsyncCommandArgv(ac_, &RedisConnection::SubscriberCallback, nullptr, 2, argv, lengths);
}

void RedisConnection::SubscriberCallback(redisAsyncContext* ac, void* reply, void*) {
    if (!reply) return;  // connection gone: the state handler hears it
    static_cast<RedisConnection*>(ac->data)->OnMessageReply(reply);
}

void RedisConnection::OnMessageReply(void* reply) {
    const auto* r = static_cast<const redisReply*>(reply);
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
    const redisReply* kind = r->element[0];
    if (kind->type != REDIS_REPLY_STRING || std::string_view(kind->str, kind->len) != "message") return;
    const redisReply* channel = r->element[1];
    const redisReply* payload = r->element[2];
    if (channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING) return;
    if (on_message_) on_message_(std::string(channel->str, channel->len), std::string(payload->str, payload->len));
}

}  // namespace netra::cluster

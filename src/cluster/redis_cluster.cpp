#include "cluster/redis_cluster.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cmath>
#include <future>
#include <set>

#include "core/ids.hpp"
#include "core/offload.hpp"
#include "core/time.hpp"
#include "runs/event_envelope.hpp"

namespace netra::cluster {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view kUserChannelPrefix = "netra:user:";
constexpr std::string_view kSignalChannel = "netra:signals";
constexpr std::string_view kHeartbeatChannelPrefix = "netra:heartbeat:";  // an instance hears its own beat
constexpr auto kHeartbeatSilence = 5s;  // no beat heard this long while the commands answer: redial the subscriber
constexpr auto kTick = 250ms;
constexpr auto kDegradedPoll = 500ms;   // how often the database is polled while Redis is down
constexpr auto kSilentRun = 2s;         // a followed run silent this long is checked against the database
constexpr auto kForgetEnded = 120s;     // an ended run's sequencer state is kept this long (late duplicates)
constexpr auto kWatchedCheck = 500ms;   // a newly watched user's runs are checked once after its SUBSCRIBE
constexpr auto kLimitDeadline = 250ms;  // a rate-limit take waits this long for Redis, then decides locally
constexpr std::string_view kInstancePrefix = "netra:instance:";  // heartbeat keys: an instance is alive
constexpr int kHeartbeatTtlMs = 10'000;

// A token bucket like core::RateLimiter's (capacity = the minute's allowance, refilled continuously) on Redis's
// clock, so instances with skewed clocks share one bucket. Tokens are returned as text: Lua numbers would be
// truncated to integers on the way out.
constexpr std::string_view kTakeScript = R"lua(
local cap = tonumber(ARGV[1])
local per_ms = cap / 60000
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(b[1]) or cap
local updated = tonumber(b[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - updated) * per_ms)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', tostring(now))
redis.call('PEXPIRE', KEYS[1], 61000)
return {allowed, tostring(tokens)}
)lua";

// The login throttle's sliding windows: KEYS are the windows (sorted sets of attempt ids by time); ARGV: the limit, the
// window in ms, this attempt's id. Every key is checked before any is written, so a refused attempt counts nowhere.
// Redis's clock, not the instances': they need not agree. Answers {allowed, ms until the oldest attempt leaves the
// fullest window, ms until its newest does}.
constexpr std::string_view kAttemptScript = R"lua(
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    return {0, tonumber(oldest[2]) + window - now, tonumber(newest[2]) + window - now}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return {1, 0, 0}
)lua";

// A successful login: KEYS[1]'s window (the email's) is cleared, the attempt ARGV[1] leaves the others (the IP's).
constexpr std::string_view kForgetAttemptScript = R"lua(
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do redis.call('ZREM', KEYS[i], ARGV[1]) end
return 1
)lua";

// KEYS[1]: the user's hash of instance -> open connections. ARGV: instance id, its count after admitting this one,
// the limit, the heartbeat key prefix. Reads other instances' heartbeat keys (fine on one Redis; a Redis Cluster
// would need them in one hash slot).
constexpr std::string_view kAdmitScript = R"lua(
local total = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if fields[i] ~= ARGV[1] then
    if redis.call('EXISTS', ARGV[4] .. fields[i]) == 1 then
      total = total + tonumber(fields[i + 1])
    else
      redis.call('HDEL', KEYS[1], fields[i])
    end
  end
end
if total + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], 86400000)
return 1
)lua";

std::string HashedKey(std::string_view prefix, const std::string& key) {
    return std::string(prefix) + core::Sha256Hex(key).substr(0, 32);  // no user data in Redis, not even an email
}

// An event on the wire: a header line per field, then the envelope exactly as clients receive it.
std::string Encode(const std::string& origin, const runs::LiveEvent& e) {
    std::string out;
    out.reserve(e.frame->size() + 128);
    out.append(origin).push_back('\n');
    out.append(e.run_id).push_back('\n');
    out.append(e.thread_id).push_back('\n');
    out.append(std::to_string(e.seq)).push_back('\n');
    out.append(domain::Name(e.type)).push_back('\n');
    out.append(*e.frame);
    return out;
}

// nullopt for anything malformed (a foreign publisher on our channel): dropped, never half-delivered.
std::optional<std::pair<std::string, runs::LiveEvent>> Decode(const std::string& user_id, const std::string& payload) {
    std::string_view rest(payload);
    std::string_view fields[5];
    for (auto& f : fields) {
        auto nl = rest.find('\n');
        if (nl == std::string_view::npos) return std::nullopt;
        f = rest.substr(0, nl);
        rest.remove_prefix(nl + 1);
    }
    runs::LiveEvent e;
    e.user_id = user_id;
    e.run_id = std::string(fields[1]);
    e.thread_id = std::string(fields[2]);
    auto [ptr, ec] = std::from_chars(fields[3].data(), fields[3].data() + fields[3].size(), e.seq);
    if (ec != std::errc() || e.seq <= 0) return std::nullopt;
    auto type = domain::ParseEventType(fields[4]);
    if (!type) return std::nullopt;
    e.type = *type;
    e.frame = std::make_shared<const std::string>(rest);
    return std::make_pair(std::string(fields[0]), std::move(e));
}

}  // namespace

RedisCluster::RedisCluster(asio::io_context& ioc, const RedisEndpoint& endpoint, std::string instance_id,
                           runs::EventBus& local, runs::EventReader& reader, std::shared_ptr<storage::Store> store,
                           asio::thread_pool& blocking)
    : strand_(asio::make_strand(ioc)),
      instance_id_(std::move(instance_id)),
      local_(local),
      reader_(reader),
      store_(std::move(store)),
      blocking_(blocking),
      tick_timer_(strand_) {
    commands_ = RedisConnection::Create(ioc, RedisOptions{endpoint, "commands", false});
    subscriber_ = RedisConnection::Create(
        ioc, RedisOptions{endpoint, "subscriber", true},
        [this](const std::string& channel, const std::string& payload) { OnMessage(channel, payload); },
        [this](bool connected) { OnSubscriberState(connected); });
    local_.SetWatchObserver(this);
}

RedisCluster::~RedisCluster() {
    local_.SetWatchObserver(nullptr);
    Stop();
}

void RedisCluster::Start() {
    subscriber_->Subscribe(std::string(kSignalChannel));
    subscriber_->Subscribe(std::string(kHeartbeatChannelPrefix) + instance_id_);
    heartbeat_heard_ = core::NowMs();
    for (const auto& user : local_.WatchedUsers()) OnWatched(user);
    commands_->Start();
    subscriber_->Start();
    asio::co_spawn(strand_, Tick(), asio::detached);
}

void RedisCluster::Stop() {
    if (stopped_.exchange(true)) return;
    asio::post(strand_, [this] { tick_timer_.cancel(); });
    commands_->Stop();
    subscriber_->Stop();
}

// --- outgoing ---------------------------------------------------------------------------------------------

void RedisCluster::Publish(const std::shared_ptr<const runs::LiveEvent>& event) {
    local_.Publish(event);
    // Posted in seq order from the run's strand onto one connection: Redis delivers them in that order.
    commands_->Command({"PUBLISH", std::string(kUserChannelPrefix) + event->user_id, Encode(instance_id_, *event)},
                       [this](core::Result<RedisReply> r) {
                           if (r.ok()) {
                               ++published_;
                           } else {
                               ++publish_failures_;  // stored all the same: receivers fill it from the database
                           }
                       });
}

void RedisCluster::SignalWork() { Signal("work " + instance_id_); }

void RedisCluster::SignalCancel(const std::string& run_id) { Signal("cancel " + instance_id_ + " " + run_id); }

void RedisCluster::Signal(const std::string& message) {
    commands_->Command({"PUBLISH", std::string(kSignalChannel), message}, [](core::Result<RedisReply> r) {
        if (!r.ok()) spdlog::debug("redis signal not sent: {}", r.error().message);
    });
}

void RedisCluster::Listen(runs::SignalListener* listener) {
    std::lock_guard lock(listener_mutex_);
    listener_ = listener;
}

void RedisCluster::OnWatched(const std::string& user_id) {
    subscriber_->Subscribe(std::string(kUserChannelPrefix) + user_id);
    // An event published between the connection's own replay read and this SUBSCRIBE reaching Redis would be
    // missed; the user's runs are checked against the database once the subscription is surely in place.
    auto timer = std::make_shared<asio::steady_timer>(strand_, kWatchedCheck);
    timer->async_wait([this, timer, user_id](const boost::system::error_code& ec) {
        if (ec || stopped_) return;
        asio::co_spawn(strand_, PollUsers({user_id}, core::NowMs() - 5000), asio::detached);
    });
}

void RedisCluster::OnUnwatched(const std::string& user_id) {
    subscriber_->Unsubscribe(std::string(kUserChannelPrefix) + user_id);
}

// --- incoming ---------------------------------------------------------------------------------------------

void RedisCluster::OnMessage(const std::string& channel, const std::string& payload) {
    ++received_;
    if (channel.rfind(kHeartbeatChannelPrefix, 0) == 0) {
        heartbeat_heard_ = core::NowMs();
        return;
    }
    if (channel == kSignalChannel) {
        std::string_view text(payload);
        auto space = text.find(' ');
        std::string_view verb = text.substr(0, space);
        std::string_view rest = space == std::string_view::npos ? std::string_view() : text.substr(space + 1);
        auto origin_end = rest.find(' ');
        std::string_view origin = rest.substr(0, origin_end);
        if (origin == instance_id_) return;  // our own signal: already acted on here
        std::lock_guard lock(listener_mutex_);
        if (!listener_) return;
        if (verb == "work") {
            listener_->OnWorkSignal();
        } else if (verb == "cancel" && origin_end != std::string_view::npos) {
            listener_->OnCancelSignal(std::string(rest.substr(origin_end + 1)));
        }
        return;
    }
    if (channel.rfind(kUserChannelPrefix, 0) != 0) return;
    auto decoded = Decode(channel.substr(kUserChannelPrefix.size()), payload);
    if (!decoded) {
        spdlog::warn("redis: malformed event on {} dropped", channel);
        return;
    }
    if (decoded->first == instance_id_) return;  // ours: the local bus had it when it was published
    auto event = std::make_shared<const runs::LiveEvent>(std::move(decoded->second));
    asio::post(strand_, [this, event] { Accept(event); });
}

void RedisCluster::OnSubscriberState(bool connected) {
    // Back after an outage: what was published while the subscriber was away is read from the database.
    if (connected) asio::post(strand_, [this] { poll_after_reconnect_ = true; });
}

void RedisCluster::Accept(const std::shared_ptr<const runs::LiveEvent>& event) {
    auto& run = runs_[event->run_id];
    run.user_id = event->user_id;
    run.touched = std::chrono::steady_clock::now();
    if (event->seq <= run.last) return;  // delivered already (Redis and the database both had it)
    run.waiting.emplace(event->seq, event);
    Drain(event->run_id);
}

void RedisCluster::Drain(const std::string& run_id) {
    auto it = runs_.find(run_id);
    if (it == runs_.end()) return;
    RemoteRun& run = it->second;
    while (!run.waiting.empty()) {
        auto next = run.waiting.begin();
        if (next->first <= run.last) {
            run.waiting.erase(next);
            continue;
        }
        if (next->first != run.last + 1) {  // a gap: nothing after it goes out before it is filled
            Fill(run_id, run.user_id);
            return;
        }
        local_.Publish(next->second);
        run.last = next->first;
        if (domain::IsTerminal(next->second->type)) run.ended = true;
        run.waiting.erase(next);
    }
}

void RedisCluster::Fill(const std::string& run_id, const std::string& user_id) {
    auto& run = runs_[run_id];
    run.user_id = user_id;
    if (run.filling) return;
    run.filling = true;
    run.touched = std::chrono::steady_clock::now();
    asio::co_spawn(strand_, FillFromDatabase(run_id, user_id, run.last), asio::detached);
}

asio::awaitable<void> RedisCluster::FillFromDatabase(std::string run_id, std::string user_id, std::int64_t after) {
    auto read_events = [this, run_id, user_id, after] {
        domain::EventFilter filter;
        filter.after_seq = after;
        filter.limit = 0;  // every event after `after`, page by page
        return reader_.ReadRunEvents(user_id, run_id, filter);
    };
    auto read = co_await core::Offload(blocking_, std::move(read_events));
    if (!read.ok()) {
        // The database is down too: the next tick tries again (the run stays held, nothing is skipped).
        spdlog::debug("redis relay: reading run {} failed: {}", run_id, read.error().message);
        auto it = runs_.find(run_id);
        if (it != runs_.end()) {
            asio::steady_timer wait(strand_, kDegradedPoll);
            co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
            it = runs_.find(run_id);
            if (it != runs_.end()) it->second.filling = false;
        }
        co_return;
    }
    auto it = runs_.find(run_id);
    if (it == runs_.end()) co_return;
    RemoteRun& run = it->second;
    run.filling = false;
    std::int64_t read_max = after;
    for (const auto& stored : read->events) {
        read_max = std::max(read_max, stored.seq);
        if (stored.seq <= run.last || run.waiting.count(stored.seq)) continue;
        auto live = std::make_shared<runs::LiveEvent>();
        live->user_id = user_id;
        live->run_id = run_id;
        live->thread_id = read->run.thread_id;
        live->seq = stored.seq;
        live->type = stored.type;
        live->frame = std::make_shared<const std::string>(runs::SerializeEnvelope(stored, read->run.thread_id));
        run.waiting.emplace(stored.seq, std::move(live));
        ++filled_;
    }
    // A seq the read covered but did not return was never stored (a failed write gives its seq back): final.
    while (!run.waiting.empty() && run.waiting.begin()->first > run.last + 1 &&
           run.waiting.begin()->first <= read_max + 1) {
        run.last = run.waiting.begin()->first - 1;
    }
    Drain(run_id);
}

// --- the tick: health, polling while degraded, silent runs ----------------------------------------------

asio::awaitable<void> RedisCluster::Tick() {
    auto last_ping = std::chrono::steady_clock::time_point{};
    auto last_poll = std::chrono::steady_clock::time_point{};
    core::Millis degraded_since = 0;
    while (!stopped_) {
        tick_timer_.expires_after(kTick);
        auto [ec] = co_await tick_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec || stopped_) co_return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ping >= 1s && commands_->Connected()) {
            last_ping = now;
            const auto t0 = std::chrono::steady_clock::now();
            std::vector<std::string> ping{"PING"};  // named: no temporaries inside co_await (GCC 12)
            auto pong = co_await commands_->Call(std::move(ping));
            if (pong.ok()) latency_ms_ = core::ElapsedMs(t0);
            // This instance is alive: its connection counts hold (AdmitConnection drops those of lapsed ones).
            commands_->Command(
                {"SET", std::string(kInstancePrefix) + instance_id_, "1", "PX", std::to_string(kHeartbeatTtlMs)},
                [](core::Result<RedisReply>) {});
            // The subscriber's own liveness: it hears this beat, or it is redialled below.
            commands_->Command({"PUBLISH", std::string(kHeartbeatChannelPrefix) + instance_id_, "1"},
                               [](core::Result<RedisReply>) {});
            const core::Millis heard = heartbeat_heard_.load();
            if (subscriber_->Connected() && heard != 0 &&
                core::NowMs() - heard >
                    std::chrono::duration_cast<std::chrono::milliseconds>(kHeartbeatSilence).count()) {
                heartbeat_heard_ = core::NowMs();  // one redial per silence
                subscriber_->Redial("its own heartbeat was not heard for 5 s");
            }
        }
        // Without the commands connection no beat is sent: its silence says nothing about the subscriber.
        if (!commands_->Connected()) heartbeat_heard_ = core::NowMs();
        // Either connection down: events may be missing here (subscriber) or were not published (commands).
        const bool degraded = !subscriber_->Connected() || !commands_->Connected();
        if (degraded && degraded_since == 0) degraded_since = core::NowMs();
        if ((degraded && now - last_poll >= kDegradedPoll) || (!degraded && poll_after_reconnect_)) {
            // The window reaches back to the outage's start (plus a margin for runs that ended just before it).
            const core::Millis since = (degraded_since ? degraded_since : core::NowMs()) - 5000;
            if (!degraded) {
                poll_after_reconnect_ = false;
                degraded_since = 0;
            }
            last_poll = now;
            co_await PollUsers(local_.WatchedUsers(), since);
        }
        const auto watched_list = local_.WatchedUsers();
        const std::set<std::string> watched(watched_list.begin(), watched_list.end());
        for (auto it = runs_.begin(); it != runs_.end();) {
            RemoteRun& run = it->second;
            const bool forget = run.ended || !watched.count(run.user_id);  // nobody here listens any more
            // (An unwatched run is forgotten even with events waiting: nobody here would receive them.)
            if (forget && !run.filling && now - run.touched > (run.ended ? kForgetEnded : kSilentRun)) {
                it = runs_.erase(it);
                continue;
            }
            // A followed run that went quiet may have lost its last events (a publish that failed): checked.
            if (!forget && !run.filling && now - run.touched > kSilentRun) Fill(it->first, run.user_id);
            ++it;
        }
    }
}

asio::awaitable<void> RedisCluster::PollUsers(std::vector<std::string> users, core::Millis since) {
    if (users.empty()) co_return;
    auto list = [store = store_, users, since, self = instance_id_] {
        std::vector<std::pair<std::string, std::string>> runs;  // run id, user id
        for (const auto& user : users) {
            auto listed = store->ListUserRunsSince(user, since);
            if (!listed.ok()) return core::Result<decltype(runs)>(listed.error());
            for (const auto& run : *listed) {
                // Runs executing here reach the local bus directly.
                if (run.status == domain::RunStatus::kRunning && run.owner_instance == self) continue;
                if (run.status == domain::RunStatus::kQueued) continue;  // nothing to deliver yet
                runs.emplace_back(run.id, user);
            }
        }
        return core::Result<decltype(runs)>(std::move(runs));
    };
    auto listed = co_await core::Offload(blocking_, std::move(list));
    if (!listed.ok()) co_return;
    for (const auto& [run_id, user_id] : *listed) {
        auto it = runs_.find(run_id);
        if (it != runs_.end() && it->second.ended && it->second.waiting.empty()) continue;
        Fill(run_id, user_id);
    }
}

// --- cluster-wide limits -----------------------------------------------------------------------------------

std::optional<core::RateDecision> RedisCluster::Take(std::string_view scope, const std::string& key, int per_minute) {
    if (!commands_->Connected()) return std::nullopt;
    auto answer = std::make_shared<std::promise<core::Result<RedisReply>>>();
    auto future = answer->get_future();
    commands_->Command({"EVAL", std::string(kTakeScript), "1", HashedKey("netra:rate:" + std::string(scope) + ":", key),
                        std::to_string(per_minute)},
                       [answer](core::Result<RedisReply> r) { answer->set_value(std::move(r)); });
    // Called on the worker pool (Submit, BeginUpload), never on the connection's own threads.
    if (future.wait_for(kLimitDeadline) != std::future_status::ready) return std::nullopt;
    auto reply = future.get();
    if (!reply.ok() || reply->kind != RedisReply::Kind::kArray || reply->elements.size() != 2) return std::nullopt;
    double tokens = 0;
    try {
        tokens = std::stod(reply->elements[1].text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
    core::RateDecision d;
    const double per_ms = per_minute / 60'000.0;
    d.allowed = reply->elements[0].integer == 1;
    d.info.limit = per_minute;
    d.info.remaining = static_cast<std::int64_t>(std::floor(tokens));
    d.info.retry_after_ms = d.allowed ? 0 : static_cast<std::int64_t>(std::ceil((1.0 - tokens) / per_ms));
    d.info.reset_ms = static_cast<std::int64_t>(std::ceil((per_minute - tokens) / per_ms));
    return d;
}

std::optional<core::RateDecision> RedisCluster::TryAttempt(const std::vector<std::string>& keys, int limit,
                                                           std::int64_t window_ms, const std::string& attempt_id) {
    if (!commands_->Connected() || keys.empty()) return std::nullopt;
    std::vector<std::string> eval{"EVAL", std::string(kAttemptScript), std::to_string(keys.size())};
    for (const auto& k : keys) eval.push_back(HashedKey("netra:login:", k));
    eval.push_back(std::to_string(limit));
    eval.push_back(std::to_string(window_ms));
    eval.push_back(attempt_id);
    auto answer = std::make_shared<std::promise<core::Result<RedisReply>>>();
    auto future = answer->get_future();
    commands_->Command(std::move(eval), [answer](core::Result<RedisReply> r) { answer->set_value(std::move(r)); });
    // Called on the worker pool (Login), never on the connection's own threads.
    if (future.wait_for(kLimitDeadline) != std::future_status::ready) return std::nullopt;
    auto reply = future.get();
    if (!reply.ok() || reply->kind != RedisReply::Kind::kArray || reply->elements.size() != 3) return std::nullopt;
    core::RateDecision d;
    d.allowed = reply->elements[0].integer == 1;
    d.info.limit = limit;
    d.info.remaining = 0;
    d.info.retry_after_ms = d.allowed ? 0 : std::max<std::int64_t>(1, reply->elements[1].integer);
    d.info.reset_ms = d.allowed ? 0 : std::max<std::int64_t>(1, reply->elements[2].integer);
    return d;
}

void RedisCluster::ForgetAttempt(const std::vector<std::string>& keys, const std::string& attempt_id) {
    if (!commands_->Connected() || keys.empty()) return;
    std::vector<std::string> eval{"EVAL", std::string(kForgetAttemptScript), std::to_string(keys.size())};
    for (const auto& k : keys) eval.push_back(HashedKey("netra:login:", k));
    eval.push_back(attempt_id);
    commands_->Command(std::move(eval), [](core::Result<RedisReply>) {});  // best effort: not awaited
}

asio::awaitable<std::optional<bool>> RedisCluster::AdmitConnection(std::string user_id, int here_after, int limit) {
    if (!commands_->Connected()) co_return std::nullopt;
    std::vector<std::string> eval{"EVAL",
                                  std::string(kAdmitScript),
                                  "1",
                                  HashedKey("netra:connections:", user_id),
                                  instance_id_,
                                  std::to_string(here_after),
                                  std::to_string(limit),
                                  std::string(kInstancePrefix)};
    auto reply = co_await commands_->Call(std::move(eval));
    if (!reply.ok() || reply->kind != RedisReply::Kind::kInteger) co_return std::nullopt;
    co_return reply->integer == 1;
}

void RedisCluster::ReportConnections(const std::string& user_id, int here) {
    auto key = HashedKey("netra:connections:", user_id);
    std::vector<std::string> command = here > 0
                                           ? std::vector<std::string>{"HSET", key, instance_id_, std::to_string(here)}
                                           : std::vector<std::string>{"HDEL", key, instance_id_};
    commands_->Command(std::move(command), [](core::Result<RedisReply>) {});
}

RedisHealth RedisCluster::Health() const {
    RedisHealth h;
    h.up = commands_->Connected() && subscriber_->Connected();
    h.latency_ms = latency_ms_.load();
    if (!h.up) h.error = commands_->Connected() ? subscriber_->LastError() : commands_->LastError();
    h.published = published_;
    h.publish_failures = publish_failures_;
    h.received = received_;
    h.filled_from_database = filled_;
    return h;
}

}  // namespace netra::cluster

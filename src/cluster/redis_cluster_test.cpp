// Against a real Redis: NETRA_TEST_REDIS_URL names one (scripts/redis-test-server.sh); without it every test here
// is SKIPPED and says why. Two RedisCluster objects with their own buses and instance ids play two instances
// sharing one database (an SQLite file store) and one Redis.
#include "cluster/redis_cluster.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <thread>

#include "core/ids.hpp"
#include "runs/event_envelope.hpp"
#include "storage/open_store.hpp"

namespace netra::cluster {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

std::optional<RedisEndpoint> TestRedis() {
    const char* url = std::getenv("NETRA_TEST_REDIS_URL");
    if (!url || !*url) return std::nullopt;
    auto endpoint = ParseRedisUrl(url);
    if (!endpoint.ok()) return std::nullopt;
    return *endpoint;
}

#define REQUIRE_REDIS()                                                                                    \
    auto endpoint_opt = TestRedis();                                                                       \
    if (!endpoint_opt) GTEST_SKIP() << "SKIPPED: set NETRA_TEST_REDIS_URL (scripts/redis-test-server.sh)"; \
    const RedisEndpoint endpoint = *endpoint_opt

template <class Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout = 3s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
        if (pred()) return true;
        std::this_thread::sleep_for(10ms);
    }
    return pred();
}

struct IoThreads {
    asio::io_context ioc;
    asio::executor_work_guard<asio::io_context::executor_type> guard{ioc.get_executor()};
    std::vector<std::thread> threads;
    IoThreads() {
        for (int i = 0; i < 2; ++i) threads.emplace_back([this] { ioc.run(); });
    }
    ~IoThreads() { Join(); }
    void Join() {
        guard.reset();
        ioc.stop();
        for (auto& t : threads) {
            if (t.joinable()) t.join();
        }
    }
};

core::Result<RedisReply> CallSync(asio::io_context&, RedisConnection& c, std::vector<std::string> args) {
    std::promise<core::Result<RedisReply>> answer;
    auto future = answer.get_future();
    c.Command(std::move(args), [&answer](core::Result<RedisReply> r) { answer.set_value(std::move(r)); });
    return future.get();
}

TEST(RedisConnection, CommandsRoundTripAndErrorsAreErrors) {
    REQUIRE_REDIS();
    IoThreads io;
    auto c = RedisConnection::Create(io.ioc, RedisOptions{endpoint, "test"});
    c->Start();
    ASSERT_TRUE(WaitFor([&] { return c->Connected(); })) << c->LastError();
    const std::string key = "netra:test:" + core::NewId();
    auto set = CallSync(io.ioc, *c, {"SET", key, std::string("a\0b", 3), "PX", "10000"});
    ASSERT_TRUE(set.ok()) << set.error().message;
    auto get = CallSync(io.ioc, *c, {"GET", key});
    ASSERT_TRUE(get.ok());
    EXPECT_EQ(get->kind, RedisReply::Kind::kString);
    EXPECT_EQ(get->text, std::string("a\0b", 3));  // binary-safe
    auto wrong = CallSync(io.ioc, *c, {"INCR", key});
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().code, core::ErrorCode::kInternal);
    c->Stop();
}

TEST(RedisConnection, UnreachableOrRefusedFailsFastWithTheReason) {
    REQUIRE_REDIS();
    IoThreads io;
    RedisEndpoint nowhere = endpoint;
    nowhere.port = 1;  // nothing listens there
    auto c = RedisConnection::Create(io.ioc, RedisOptions{nowhere, "nowhere"});
    c->Start();
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(c->Connected());
    EXPECT_FALSE(c->LastError().empty());
    auto r = CallSync(io.ioc, *c, {"PING"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, core::ErrorCode::kServiceUnavailable);
    c->Stop();

    if (endpoint.password.empty()) return;
    RedisEndpoint wrong = endpoint;
    wrong.password = "not-the-password";
    auto w = RedisConnection::Create(io.ioc, RedisOptions{wrong, "wrong-password"});
    w->Start();
    ASSERT_TRUE(WaitFor([&] { return w->LastError().find("AUTH") != std::string::npos; })) << w->LastError();
    EXPECT_FALSE(w->Connected());
    w->Stop();
}

TEST(RedisConnection, SubscriberReceivesWhatIsPublished) {
    REQUIRE_REDIS();
    IoThreads io;
    std::mutex mu;
    std::vector<std::string> got;
    auto sub = RedisConnection::Create(io.ioc, RedisOptions{endpoint, "sub", true},
                                       [&](const std::string&, const std::string& payload) {
                                           std::lock_guard lock(mu);
                                           got.push_back(payload);
                                       });
    auto pub = RedisConnection::Create(io.ioc, RedisOptions{endpoint, "pub"});
    const std::string channel = "netra:test:" + core::NewId();
    sub->Subscribe(channel);
    sub->Start();
    pub->Start();
    ASSERT_TRUE(WaitFor([&] { return sub->Connected() && pub->Connected(); }));
    // The SUBSCRIBE is on its way once connected; publish until it is in place, then count in order.
    ASSERT_TRUE(WaitFor([&] {
        auto n = CallSync(io.ioc, *pub, {"PUBLISH", channel, "probe"});
        return n.ok() && n->integer == 1;
    }));
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(CallSync(io.ioc, *pub, {"PUBLISH", channel, std::to_string(i)}).ok());
    ASSERT_TRUE(WaitFor([&] {
        std::lock_guard lock(mu);
        return !got.empty() && got.back() == "99";
    }));
    std::lock_guard lock(mu);
    std::vector<std::string> numbers;
    for (const auto& p : got) {
        if (p != "probe") numbers.push_back(p);
    }
    ASSERT_EQ(numbers.size(), 100u);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(numbers[i], std::to_string(i));  // in order
    sub->Stop();
    pub->Stop();
}

// Two instances sharing a database and a Redis.
struct Recorder : runs::EventListener {
    std::mutex mu;
    std::vector<std::int64_t> seqs;
    void OnEvent(const std::shared_ptr<const runs::LiveEvent>& e) override {
        std::lock_guard lock(mu);
        seqs.push_back(e->seq);
    }
    std::vector<std::int64_t> Seqs() {
        std::lock_guard lock(mu);
        return seqs;
    }
};

struct SignalRecorder : runs::SignalListener {
    std::mutex mu;
    int work = 0;
    std::vector<std::string> cancels;
    void OnWorkSignal() override {
        std::lock_guard lock(mu);
        ++work;
    }
    void OnCancelSignal(const std::string& run_id) override {
        std::lock_guard lock(mu);
        cancels.push_back(run_id);
    }
};

// Waits until Redis counts `n` subscribers of `channel` (PUBSUB NUMSUB).
bool WaitSubscribers(asio::io_context& ioc, const RedisEndpoint& endpoint, const std::string& channel, long long n) {
    auto c = RedisConnection::Create(ioc, RedisOptions{endpoint, "numsub"});
    c->Start();
    const bool ok = WaitFor([&] { return c->Connected(); }) && WaitFor([&] {
                        auto r = CallSync(ioc, *c, {"PUBSUB", "NUMSUB", channel});
                        return r.ok() && r->elements.size() == 2 && r->elements[1].integer == n;
                    });
    c->Stop();
    return ok;
}

struct TwoInstances {
    IoThreads io;
    asio::thread_pool blocking{2};
    std::filesystem::path dir = std::filesystem::temp_directory_path() / ("netra-redis-test-" + core::NewId());
    std::shared_ptr<storage::Store> store;
    std::unique_ptr<runs::StoreEventReader> reader;
    runs::EventBus bus_a, bus_b;
    std::unique_ptr<RedisCluster> a, b;
    domain::User user;
    domain::Thread thread;
    domain::Run run;

    explicit TwoInstances(const RedisEndpoint& endpoint) {
        std::filesystem::create_directories(dir);
        auto opened = storage::OpenStore("sqlite://" + (dir / "netra.db").string(), 4);
        EXPECT_TRUE(opened.ok());
        store = *opened;
        EXPECT_TRUE(store->Migrate().ok());
        reader = std::make_unique<runs::StoreEventReader>(store);
        a = std::make_unique<RedisCluster>(io.ioc, endpoint, "instance-a-" + core::NewId(), bus_a, *reader, store,
                                           blocking);
        b = std::make_unique<RedisCluster>(io.ioc, endpoint, "instance-b-" + core::NewId(), bus_b, *reader, store,
                                           blocking);
        a->Start();
        b->Start();
        user = domain::User{core::NewId(), core::NewId() + "@example.com", "u", "", {"user"}, 1};
        EXPECT_TRUE(store->EnsureUser(user).ok());
        thread = domain::Thread{core::NewId(), user.id, "t", 1, 1};
        EXPECT_TRUE(store->CreateThread(thread).ok());
        run.id = core::NewId();
        run.thread_id = thread.id;
        run.user_id = user.id;
        run.created_at = 1;
        run.request = "r";
        domain::Message m{core::NewId(), thread.id, user.id, domain::MessageRole::kUser, "r", run.id, std::nullopt, 1};
        EXPECT_TRUE(store->InsertMessageAndRun(m, run).ok());
    }
    ~TwoInstances() {
        a->Stop();
        b->Stop();
        std::this_thread::sleep_for(50ms);
        // The I/O threads stop before the clusters are destroyed (after this body), as in the server: Stop's
        // handlers may still be running (ThreadSanitizer caught ~RedisCluster racing the tick timer's cancel).
        io.Join();
        blocking.join();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }

    domain::RunEvent Stored(std::int64_t seq) {
        domain::RunEvent e{
            run.id, seq, domain::EventType::kAgentThinking, "triage", "{\"n\":" + std::to_string(seq) + "}", seq};
        EXPECT_TRUE(store->AppendEvents({e}).ok());
        return e;
    }
    std::shared_ptr<runs::LiveEvent> Live(const domain::RunEvent& e) {
        auto live = std::make_shared<runs::LiveEvent>();
        live->user_id = user.id;
        live->run_id = run.id;
        live->thread_id = thread.id;
        live->seq = e.seq;
        live->type = e.type;
        live->frame = std::make_shared<const std::string>(runs::SerializeEnvelope(e, thread.id));
        return live;
    }
};

TEST(RedisCluster, EventsReachTheOtherInstanceOnceInOrderAndGapsAreFilledFromTheDatabase) {
    REQUIRE_REDIS();
    TwoInstances c(endpoint);
    ASSERT_TRUE(WaitFor([&] { return c.a->Health().up && c.b->Health().up; }));
    auto local = std::make_shared<Recorder>(), remote = std::make_shared<Recorder>();
    c.bus_a.Subscribe(c.user.id, local);
    c.bus_b.Subscribe(c.user.id, remote);  // instance B subscribes to the user's channel (and A, for its own)
    ASSERT_TRUE(WaitSubscribers(c.io.ioc, endpoint, "netra:user:" + c.user.id, 2))
        << "the two SUBSCRIBEs never reached Redis";

    c.a->Publish(c.Live(c.Stored(1)));
    ASSERT_TRUE(WaitFor([&] { return remote->Seqs().size() == 1; }));
    c.Stored(2);  // stored, its publish lost
    auto third = c.Stored(3);
    c.a->Publish(c.Live(third));
    c.a->Publish(c.Live(third));  // a duplicate
    ASSERT_TRUE(WaitFor([&] { return remote->Seqs().size() >= 3; }));
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(remote->Seqs(), (std::vector<std::int64_t>{1, 2, 3}));
    EXPECT_EQ(local->Seqs(), (std::vector<std::int64_t>{1, 3, 3}));  // the local bus hears the publisher as is
    EXPECT_GE(c.b->Health().filled_from_database, 1u);
}

TEST(RedisCluster, SignalsReachTheOtherInstancesOnly) {
    REQUIRE_REDIS();
    TwoInstances c(endpoint);
    SignalRecorder at_a, at_b;
    c.a->Listen(&at_a);
    c.b->Listen(&at_b);
    ASSERT_TRUE(WaitFor([&] { return c.a->Health().up && c.b->Health().up; }));
    // Each one's SUBSCRIBE is in place once a probe (a cancel of no run) from the other reaches it; probes still on
    // their way may follow, and are left out below.
    auto probe = [](RedisCluster& from, SignalRecorder& to) {
        return WaitFor([&] {
            from.SignalCancel("probe");
            std::this_thread::sleep_for(50ms);
            std::lock_guard lock(to.mu);
            return !to.cancels.empty();
        });
    };
    ASSERT_TRUE(probe(*c.a, at_b));
    ASSERT_TRUE(probe(*c.b, at_a));
    auto cancels = [](const SignalRecorder& at) {  // at.mu held
        std::vector<std::string> real;
        for (const auto& id : at.cancels) {
            if (id != "probe") real.push_back(id);
        }
        return real;
    };
    c.a->SignalCancel("run-42");
    c.a->SignalWork();
    ASSERT_TRUE(WaitFor([&] {
        std::lock_guard lock(at_b.mu);
        return at_b.work == 1 && cancels(at_b).size() == 1;
    }));
    {
        // Released before Listen: a signal arriving meanwhile would take the cluster's listener lock, then these
        // (ThreadSanitizer: lock-order inversion).
        std::lock_guard lock(at_b.mu);
        EXPECT_EQ(cancels(at_b), std::vector<std::string>{"run-42"});
        std::lock_guard lock_a(at_a.mu);
        EXPECT_EQ(at_a.work, 0);
        EXPECT_TRUE(cancels(at_a).empty());
    }
    c.a->Listen(nullptr);
    c.b->Listen(nullptr);
}

TEST(RedisCluster, AllowancesAndConnectionLimitsAreTheClusters) {
    REQUIRE_REDIS();
    TwoInstances c(endpoint);
    ASSERT_TRUE(WaitFor([&] { return c.a->Health().up && c.b->Health().up; }));
    const std::string key = "user-" + core::NewId();
    auto t1 = c.a->Take("messages", key, 3);
    auto t2 = c.b->Take("messages", key, 3);
    auto t3 = c.a->Take("messages", key, 3);
    auto t4 = c.b->Take("messages", key, 3);
    ASSERT_TRUE(t1 && t2 && t3 && t4);
    EXPECT_TRUE(t1->allowed && t2->allowed && t3->allowed);
    EXPECT_FALSE(t4->allowed);
    EXPECT_GT(t4->info.retry_after_ms, 0);
    EXPECT_EQ(t4->info.limit, 3);
    EXPECT_TRUE(c.a->Take("messages", "someone-else-" + key, 3)->allowed);  // per key

    std::this_thread::sleep_for(1200ms);  // both heartbeats are in place
    auto admit = [&](RedisCluster& at, int here_after) {
        return asio::co_spawn(c.io.ioc, at.AdmitConnection(key, here_after, 2), asio::use_future).get();
    };
    EXPECT_EQ(admit(*c.a, 1), std::optional<bool>(true));
    EXPECT_EQ(admit(*c.b, 1), std::optional<bool>(true));
    EXPECT_EQ(admit(*c.b, 2), std::optional<bool>(false));  // 1 on A + 2 on B > 2
    c.a->ReportConnections(key, 0);                         // A's connection closed (the HDEL is on its way)
    EXPECT_TRUE(WaitFor([&] { return admit(*c.b, 2) == std::optional<bool>(true); }));
}

TEST(RedisCluster, LoginAttemptWindowsAreTheClusters) {
    REQUIRE_REDIS();
    TwoInstances c(endpoint);
    ASSERT_TRUE(WaitFor([&] { return c.a->Health().up && c.b->Health().up; }));
    const std::string email = "email:" + core::NewId() + "@example.com", ip = "ip:10.9." + core::NewId();
    const std::vector<std::string> keys{email, ip};
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {  // alternately on A and B: one window
        ids.push_back(core::NewId());
        auto d = (i % 2 ? c.b : c.a)->TryAttempt(keys, 3, 60'000, ids.back());
        ASSERT_TRUE(d);
        EXPECT_TRUE(d->allowed) << i;
    }
    auto refused = c.b->TryAttempt(keys, 3, 60'000, core::NewId());
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->allowed);
    EXPECT_GT(refused->info.retry_after_ms, 55'000);  // the oldest attempt leaves the window in about a minute
    EXPECT_LE(refused->info.retry_after_ms, 60'000);
    // Another email from the same IP is refused too (the IP's window is full); a refused attempt counted nowhere.
    const std::vector<std::string> other{"email:" + core::NewId(), ip};
    EXPECT_FALSE(c.a->TryAttempt(other, 3, 60'000, core::NewId())->allowed);
    // A success on A forgets the email's window and its own attempt under the IP: the IP has room for one more.
    c.a->ForgetAttempt(keys, ids.back());  // on its way: B's attempt is allowed once it has landed
    EXPECT_TRUE(WaitFor([&] { return c.b->TryAttempt(keys, 3, 60'000, core::NewId())->allowed; }));
    EXPECT_FALSE(c.b->TryAttempt(keys, 3, 60'000, core::NewId())->allowed);  // the IP's window is full again
    // Windows slide: with a 2 s window (long enough that a stalled machine does not slide it between two calls),
    // attempts older than that no longer count.
    const std::vector<std::string> fast{"email:" + core::NewId()};
    EXPECT_TRUE(c.a->TryAttempt(fast, 1, 2000, core::NewId())->allowed);
    EXPECT_FALSE(c.b->TryAttempt(fast, 1, 2000, core::NewId())->allowed);
    std::this_thread::sleep_for(2100ms);
    EXPECT_TRUE(c.b->TryAttempt(fast, 1, 2000, core::NewId())->allowed);
}

}  // namespace
}  // namespace netra::cluster

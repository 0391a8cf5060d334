#include "auth/auth_service.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "core/ids.hpp"
#include "storage/open_store.hpp"

namespace netra::auth {
namespace {

using core::ErrorCode;

constexpr char kPassword[] = "correct horse";

class AuthServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto opened = storage::OpenStore("sqlite::memory:");
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = std::shared_ptr<storage::Store>(std::move(*opened));
        ASSERT_TRUE(store_->Migrate().ok());
        settings_.jwt_secret = "unit-test-secret-unit-test-secret-0123";
        settings_.limits.login_attempts_per_minute = 3;
        settings_.e2e_bypass_key = "bypass-key";
        Rebuild();
    }

    // A service with the current settings_, the cheapest Argon2 limits and a clock the test moves.
    void Rebuild() {
        AuthOptions options;
        options.password = PasswordParams::Minimum();
        options.clock = [this] { return now_ms_.load(); };
        service_ = std::make_unique<AuthService>(settings_, store_, *shared_, options);
    }

    void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

    // `n` threads present the same refresh token at once.
    std::vector<core::Result<TokenPair>> RefreshConcurrently(const std::string& token, int n) {
        std::vector<core::Result<TokenPair>> results(n, core::MakeError(ErrorCode::kInternal, "not run"));
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { results[i] = service_->Refresh(token); });
        for (auto& t : threads) t.join();
        return results;
    }

    TokenPair MustRegister(const std::string& email, const std::string& password = kPassword) {
        auto r = service_->Register(email, password, "Test User");
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : TokenPair{};
    }

    core::NoSharedRateLimits no_shared_;
    core::SharedRateLimits* shared_ = &no_shared_;  // a test may put the cluster's windows here, then Rebuild
    config::Settings settings_;
    std::shared_ptr<storage::Store> store_;
    std::atomic<core::Millis> now_ms_{core::NowMs()};
    std::unique_ptr<AuthService> service_;
};

template <class T>
ErrorCode CodeOf(const core::Result<T>& r) {
    return r.ok() ? static_cast<ErrorCode>(-1) : r.error().code;
}
template <class T>
std::string MessageOf(const core::Result<T>& r) {
    return r.ok() ? "ok" : r.error().message;
}

TEST_F(AuthServiceTest, RegisterIssuesPairForNormalisedUser) {
    auto pair = MustRegister("  Alice@Example.COM ");
    EXPECT_EQ(pair.user.email, "alice@example.com");
    EXPECT_EQ(pair.user.name, "Test User");
    EXPECT_EQ(pair.user.permissions, (std::vector<std::string>{"user"}));
    EXPECT_TRUE(pair.user.password_hash.empty());  // never handed out
    EXPECT_EQ(pair.expires_in, 900);
    EXPECT_EQ(pair.refresh_token.size(), 64u);
    auto claims = service_->jwt().Verify(pair.access_token);
    ASSERT_TRUE(claims.ok()) << MessageOf(claims);
    EXPECT_EQ(claims->user_id, pair.user.id);
    EXPECT_EQ(claims->email, "alice@example.com");

    // Stored hashed: the plain token is not in the table, its SHA-256 is.
    auto stored = store_->FindRefreshTokenByHash(core::Sha256Hex(pair.refresh_token));
    ASSERT_TRUE(stored.ok() && stored->has_value());
    EXPECT_EQ((*stored)->user_id, pair.user.id);
    auto user = store_->FindUserById(pair.user.id);
    ASSERT_TRUE(user.ok() && user->has_value());
    EXPECT_EQ((*user)->password_hash.rfind("$argon2id$", 0), 0u);
}

TEST_F(AuthServiceTest, RegisterConflictIsCaseInsensitive) {
    MustRegister("bob@example.com");
    auto again = service_->Register("BOB@example.com", "another password", "");
    EXPECT_EQ(CodeOf(again), ErrorCode::kConflict);
}

TEST_F(AuthServiceTest, RegisterValidation) {
    for (const std::string bad : {"", "plain", "@example.com", "a@", "a@b", "a@@b.com", "a@b@c.com", "a b@c.com",
                                  "a@.com", "a@b.com.", "a@b..com"}) {
        auto r = service_->Register(bad, kPassword, "");
        EXPECT_EQ(CodeOf(r), ErrorCode::kValidationFailed) << bad;
    }
    EXPECT_EQ(CodeOf(service_->Register(std::string(250, 'a') + "@b.com", kPassword, "")),
              ErrorCode::kValidationFailed);
    auto short_pw = service_->Register("c@example.com", "1234567", "");
    EXPECT_EQ(CodeOf(short_pw), ErrorCode::kValidationFailed);
    EXPECT_NE(MessageOf(short_pw).find("at least 8 characters"), std::string::npos);
    // Characters, not bytes: 7 umlauts are 14 bytes but still too short; 8 are fine.
    EXPECT_EQ(CodeOf(service_->Register("c@example.com", "äääääää", "")), ErrorCode::kValidationFailed);
    EXPECT_TRUE(service_->Register("c@example.com", "ääääääää", "").ok());
}

TEST_F(AuthServiceTest, LoginSameMessageForUnknownEmailAndWrongPassword) {
    MustRegister("carol@example.com");
    auto ok = service_->Login("Carol@Example.com", kPassword, "10.0.0.1");
    ASSERT_TRUE(ok.ok()) << MessageOf(ok);
    EXPECT_TRUE(service_->jwt().Verify(ok->access_token).ok());

    auto wrong = service_->Login("carol@example.com", "wrong password", "10.0.0.2");
    auto unknown = service_->Login("nobody@example.com", kPassword, "10.0.0.3");
    EXPECT_EQ(CodeOf(wrong), ErrorCode::kUnauthenticated);
    EXPECT_EQ(CodeOf(unknown), ErrorCode::kUnauthenticated);
    EXPECT_EQ(MessageOf(wrong), MessageOf(unknown));
    EXPECT_EQ(MessageOf(wrong), "invalid email or password");
}

TEST_F(AuthServiceTest, LoginThrottledPerEmail) {
    MustRegister("dave@example.com");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(CodeOf(service_->Login("dave@example.com", "bad password", "ip-" + std::to_string(i))),
                  ErrorCode::kUnauthenticated);
    }
    // The right password is refused too while the email is throttled, from any address.
    auto limited = service_->Login("DAVE@example.com", kPassword, "ip-9");
    EXPECT_EQ(CodeOf(limited), ErrorCode::kRateLimited);
    ASSERT_FALSE(limited.ok());
    ASSERT_TRUE(limited.error().rate_limit);
    EXPECT_EQ(limited.error().rate_limit->retry_after_ms, 60'000);
    EXPECT_EQ(limited.error().message, "too many login attempts; retry in 60 s");
    Advance(std::chrono::seconds(15));
    auto later = service_->Login("dave@example.com", kPassword, "ip-9");
    ASSERT_FALSE(later.ok());
    ASSERT_TRUE(later.error().rate_limit);
    EXPECT_EQ(later.error().rate_limit->retry_after_ms, 45'000);  // the real wait, for Retry-After
    EXPECT_EQ(later.error().rate_limit->limit, 3);
    // Sliding window: a minute after the failures the user gets in.
    Advance(std::chrono::seconds(46));
    EXPECT_TRUE(service_->Login("dave@example.com", kPassword, "ip-9").ok());
}

TEST_F(AuthServiceTest, LoginThrottledPerIp) {
    MustRegister("erin@example.com");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(CodeOf(service_->Login("guess" + std::to_string(i) + "@example.com", kPassword, "192.0.2.7")),
                  ErrorCode::kUnauthenticated);
    }
    EXPECT_EQ(CodeOf(service_->Login("erin@example.com", kPassword, "192.0.2.7")), ErrorCode::kRateLimited);
    EXPECT_TRUE(service_->Login("erin@example.com", kPassword, "192.0.2.8").ok());
}

// The cluster's windows (Redis in a deployment), as the throttle sees them through SharedRateLimits.
class FakeSharedWindows final : public core::SharedRateLimits {
  public:
    std::optional<core::RateDecision> Take(std::string_view, const std::string&, int) override { return std::nullopt; }
    std::optional<core::RateDecision> TryAttempt(const std::vector<std::string>& keys, int limit,
                                                 std::int64_t window_ms, const std::string& attempt_id) override {
        if (unreachable) return std::nullopt;
        tried.push_back({keys, limit, window_ms, attempt_id});
        core::RateDecision d;
        d.allowed = allow;
        if (!allow) d.info.retry_after_ms = 42'000;
        return d;
    }
    void ForgetAttempt(const std::vector<std::string>& keys, const std::string& attempt_id) override {
        forgotten.push_back({keys, 0, 0, attempt_id});
    }
    struct Call {
        std::vector<std::string> keys;
        int limit;
        std::int64_t window_ms;
        std::string attempt_id;
    };
    bool allow = true;
    bool unreachable = false;
    std::vector<Call> tried, forgotten;
};

TEST_F(AuthServiceTest, LoginThrottleUsesTheClusterWindowsWhileTheyAnswer) {
    FakeSharedWindows windows;
    shared_ = &windows;
    Rebuild();
    MustRegister("dana@example.com");
    // Allowed by the cluster: the local windows are not consulted, so more than the local limit (3) get through.
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(service_->Login("dana@example.com", "wrong-pass", "10.1.1.1").error().code,
                  ErrorCode::kUnauthenticated);
    ASSERT_EQ(windows.tried.size(), 5u);
    EXPECT_EQ(windows.tried[0].keys, (std::vector<std::string>{"email:dana@example.com", "ip:10.1.1.1"}));
    EXPECT_EQ(windows.tried[0].limit, 3);
    EXPECT_EQ(windows.tried[0].window_ms, 60'000);
    EXPECT_NE(windows.tried[0].attempt_id, windows.tried[1].attempt_id);
    EXPECT_TRUE(windows.forgotten.empty());
    // A success forgets its own attempt in the cluster's windows.
    ASSERT_TRUE(service_->Login("dana@example.com", kPassword, "10.1.1.1").ok());
    ASSERT_EQ(windows.forgotten.size(), 1u);
    EXPECT_EQ(windows.forgotten[0].attempt_id, windows.tried.back().attempt_id);
    // Refused by the cluster: 429 with the cluster's wait, whatever this instance counted.
    windows.allow = false;
    auto refused = service_->Login("dana@example.com", kPassword, "10.1.1.1");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
    ASSERT_TRUE(refused.error().rate_limit);
    EXPECT_EQ(refused.error().rate_limit->retry_after_ms, 42'000);
    // Unreachable: this instance's own windows decide (the limit of 3 per email).
    windows.unreachable = true;
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(service_->Login("dana@example.com", "wrong-pass", "").error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(service_->Login("dana@example.com", "wrong-pass", "").error().code, ErrorCode::kRateLimited);
}

TEST_F(AuthServiceTest, SuccessfulLoginsAreNotThrottled) {
    MustRegister("frank@example.com");
    for (int i = 0; i < 10; ++i) {
        auto r = service_->Login("frank@example.com", kPassword, "127.0.0.1");
        ASSERT_TRUE(r.ok()) << i << ": " << MessageOf(r);
    }
    // A success also clears the email's earlier failures.
    EXPECT_FALSE(service_->Login("frank@example.com", "bad password", "127.0.0.1").ok());
    EXPECT_FALSE(service_->Login("frank@example.com", "bad password", "127.0.0.2").ok());
    EXPECT_TRUE(service_->Login("frank@example.com", kPassword, "127.0.0.3").ok());
    EXPECT_FALSE(service_->Login("frank@example.com", "bad password", "127.0.0.4").ok());
    EXPECT_FALSE(service_->Login("frank@example.com", "bad password", "127.0.0.5").ok());
    EXPECT_TRUE(service_->Login("frank@example.com", kPassword, "127.0.0.6").ok());
}

TEST_F(AuthServiceTest, RefreshRotatesAndDetectsReuse) {
    auto first = MustRegister("grace@example.com");
    auto second = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok()) << MessageOf(second);
    EXPECT_NE(second->refresh_token, first.refresh_token);
    EXPECT_EQ(second->user.id, first.user.id);
    EXPECT_TRUE(service_->jwt().Verify(second->access_token).ok());

    // The spent token again after the grace window: theft detection revokes the whole family, including the fresh
    // token.
    Advance(settings_.refresh_reuse_grace + std::chrono::milliseconds(1));
    auto reuse = service_->Refresh(first.refresh_token);
    EXPECT_EQ(CodeOf(reuse), ErrorCode::kUnauthenticated);
    EXPECT_EQ(MessageOf(reuse), "refresh token reuse detected");
    auto after = service_->Refresh(second->refresh_token);
    EXPECT_EQ(CodeOf(after), ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, StrictModeConcurrentRefreshOfOneTokenHasOneWinnerAndRevokesFamily) {
    settings_.refresh_reuse_grace = std::chrono::seconds(0);  // no grace window: every second use is reuse
    Rebuild();
    auto pair = MustRegister("race@example.com");
    auto results = RefreshConcurrently(pair.refresh_token, 6);
    int winners = 0;
    std::string winner_token;
    for (const auto& r : results) {
        if (r.ok()) {
            ++winners;
            winner_token = r->refresh_token;
        } else {
            EXPECT_EQ(r.error().code, ErrorCode::kUnauthenticated) << r.error().message;
        }
    }
    ASSERT_EQ(winners, 1);
    // Every loser presented a spent token, so the family is gone, the winner's new token included.
    EXPECT_EQ(CodeOf(service_->Refresh(winner_token)), ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, ConcurrentRefreshesOfOneTokenAllGetTheSameSuccessor) {
    auto pair = MustRegister("tabs@example.com");
    auto results = RefreshConcurrently(pair.refresh_token, 6);
    std::set<std::string> successors;
    for (const auto& r : results) {
        ASSERT_TRUE(r.ok()) << r.error().message;
        EXPECT_TRUE(service_->jwt().Verify(r->access_token).ok());
        successors.insert(r->refresh_token);
    }
    ASSERT_EQ(successors.size(), 1u);  // the family has one live token, whichever tab stores its answer last
    auto next = service_->Refresh(*successors.begin());
    ASSERT_TRUE(next.ok()) << MessageOf(next);
    EXPECT_TRUE(service_->Refresh(next->refresh_token).ok());
}

TEST_F(AuthServiceTest, ConcurrentFailedLoginsRespectTheLimit) {
    MustRegister("burst@example.com");
    constexpr int kThreads = 8;
    std::vector<ErrorCode> codes(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] { codes[i] = CodeOf(service_->Login("burst@example.com", "bad password", "")); });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(std::count(codes.begin(), codes.end(), ErrorCode::kUnauthenticated), 3);
    EXPECT_EQ(std::count(codes.begin(), codes.end(), ErrorCode::kRateLimited), kThreads - 3);
}

TEST_F(AuthServiceTest, RefreshChainKeepsWorking) {
    auto pair = MustRegister("heidi@example.com");
    std::string token = pair.refresh_token;
    for (int i = 0; i < 5; ++i) {
        auto next = service_->Refresh(token);
        ASSERT_TRUE(next.ok()) << i << ": " << MessageOf(next);
        token = next->refresh_token;
    }
}

TEST_F(AuthServiceTest, RefreshRejectsUnknownEmptyAndExpired) {
    EXPECT_EQ(CodeOf(service_->Refresh(core::RandomHex(32))), ErrorCode::kUnauthenticated);
    EXPECT_EQ(CodeOf(service_->Refresh("")), ErrorCode::kInvalidRequest);
    auto pair = MustRegister("ivan@example.com");
    Advance(settings_.refresh_token_ttl + std::chrono::seconds(1));
    auto expired = service_->Refresh(pair.refresh_token);
    EXPECT_EQ(CodeOf(expired), ErrorCode::kUnauthenticated);
    EXPECT_EQ(MessageOf(expired), "refresh token expired");
}

TEST_F(AuthServiceTest, LogoutRevokesOnlyThatFamilyAndIsIdempotent) {
    auto registered = MustRegister("judy@example.com");
    auto other_session = service_->Login("judy@example.com", kPassword, "127.0.0.1");
    ASSERT_TRUE(other_session.ok());
    auto rotated = service_->Refresh(registered.refresh_token);
    ASSERT_TRUE(rotated.ok());

    EXPECT_TRUE(service_->Logout(rotated->refresh_token).ok());
    EXPECT_EQ(MessageOf(service_->Refresh(rotated->refresh_token)), "refresh token revoked");
    EXPECT_TRUE(service_->Logout(rotated->refresh_token).ok());    // again
    EXPECT_TRUE(service_->Logout(registered.refresh_token).ok());  // a spent member of the family
    EXPECT_TRUE(service_->Logout(core::RandomHex(32)).ok());       // never issued
    EXPECT_EQ(CodeOf(service_->Logout("")), ErrorCode::kInvalidRequest);
    // The login's family is a different session and still works.
    EXPECT_TRUE(service_->Refresh(other_session->refresh_token).ok());
}

TEST_F(AuthServiceTest, AuthenticateKnownAndExternalUsers) {
    auto pair = MustRegister("ken@example.com");
    auto claims = service_->Authenticate(pair.access_token);
    ASSERT_TRUE(claims.ok()) << MessageOf(claims);
    EXPECT_EQ(claims->user_id, pair.user.id);

    // A token minted elsewhere with the shared secret, for a subject we have never seen.
    const std::string external = service_->jwt().Issue("ext-user-1", "Ext@Example.com", {"user", "analyst"});
    auto ext = service_->Authenticate(external);
    ASSERT_TRUE(ext.ok()) << MessageOf(ext);
    auto me = service_->Me("ext-user-1");
    ASSERT_TRUE(me.ok()) << MessageOf(me);
    EXPECT_EQ(me->email, "ext@example.com");
    EXPECT_TRUE(service_->Authenticate(external).ok());  // and again (many connections, one token)

    // Without an email the user still gets a row.
    EXPECT_TRUE(service_->Authenticate(service_->jwt().Issue("ext-user-2", "", {})).ok());
    EXPECT_TRUE(service_->Me("ext-user-2").ok());

    EXPECT_EQ(CodeOf(service_->Authenticate("garbage")), ErrorCode::kUnauthenticated);
    EXPECT_EQ(CodeOf(service_->Authenticate("")), ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, AuthenticateRejectsExternalTokenStealingAnEmail) {
    MustRegister("lisa@example.com");
    auto r = service_->Authenticate(service_->jwt().Issue("someone-else", "lisa@example.com", {}));
    EXPECT_EQ(CodeOf(r), ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, TestAuthBypass) {
    EXPECT_EQ(CodeOf(service_->TestAuth("wrong", "t@example.com", "", {})), ErrorCode::kUnauthenticated);
    EXPECT_EQ(CodeOf(service_->TestAuth("", "t@example.com", "", {})), ErrorCode::kUnauthenticated);

    auto first = service_->TestAuth("bypass-key", "T@example.com", "Tester", {"user", "admin"});
    ASSERT_TRUE(first.ok()) << MessageOf(first);
    EXPECT_EQ(first->user.email, "t@example.com");
    auto claims = service_->Authenticate(first->access_token);
    ASSERT_TRUE(claims.ok());
    EXPECT_EQ(claims->permissions, (std::vector<std::string>{"user", "admin"}));
    EXPECT_TRUE(service_->Refresh(first->refresh_token).ok());

    auto second = service_->TestAuth("bypass-key", "t@example.com", "", {});
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->user.id, first->user.id);
    EXPECT_EQ(CodeOf(service_->TestAuth("bypass-key", "not-an-email", "", {})), ErrorCode::kValidationFailed);

    settings_.e2e_bypass_key.clear();
    EXPECT_EQ(CodeOf(service_->TestAuth("bypass-key", "t@example.com", "", {})), ErrorCode::kNotFound);
}

TEST_F(AuthServiceTest, MeUnknownUser) {
    EXPECT_EQ(CodeOf(service_->Me("no-such-user")), ErrorCode::kNotFound);
    auto pair = MustRegister("mallory@example.com");
    auto me = service_->Me(pair.user.id);
    ASSERT_TRUE(me.ok());
    EXPECT_TRUE(me->password_hash.empty());
}

// --- the refresh reuse grace window (issue 13) ---

TEST_F(AuthServiceTest, ReplayInsideTheGraceWindowGetsTheSameSuccessor) {
    auto first = MustRegister("retry@example.com");
    auto second = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok()) << MessageOf(second);
    // The answer was lost (the page unloaded): the client presents its old token again a few seconds later.
    Advance(settings_.refresh_reuse_grace - std::chrono::seconds(1));
    auto again = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(again.ok()) << MessageOf(again);
    EXPECT_EQ(again->refresh_token, second->refresh_token);
    EXPECT_EQ(again->user.id, first.user.id);
    auto claims = service_->jwt().Verify(again->access_token);
    ASSERT_TRUE(claims.ok()) << MessageOf(claims);
    EXPECT_EQ(claims->user_id, first.user.id);
    // Still one family with one live token: it rotates on as usual.
    auto third = service_->Refresh(second->refresh_token);
    ASSERT_TRUE(third.ok()) << MessageOf(third);
    EXPECT_NE(third->refresh_token, second->refresh_token);
    EXPECT_TRUE(service_->Refresh(third->refresh_token).ok());
}

TEST_F(AuthServiceTest, ReplayAfterTheGraceWindowRevokesTheFamily) {
    auto first = MustRegister("late@example.com");
    auto second = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE(service_->Refresh(first.refresh_token).ok());  // inside: fine
    Advance(settings_.refresh_reuse_grace + std::chrono::milliseconds(1));
    auto late = service_->Refresh(first.refresh_token);
    EXPECT_EQ(MessageOf(late), "refresh token reuse detected");
    EXPECT_EQ(CodeOf(service_->Refresh(second->refresh_token)), ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, ReplayOfAnOlderGenerationRevokesTheFamilyEvenInsideTheWindow) {
    auto first = MustRegister("older@example.com");
    auto second = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok());
    auto third = service_->Refresh(second->refresh_token);
    ASSERT_TRUE(third.ok());
    // The first token's successor has been rotated already: no race explains presenting it now.
    auto replay = service_->Refresh(first.refresh_token);
    EXPECT_EQ(MessageOf(replay), "refresh token reuse detected");
    EXPECT_EQ(CodeOf(service_->Refresh(third->refresh_token)), ErrorCode::kUnauthenticated);
    EXPECT_EQ(CodeOf(service_->Refresh(second->refresh_token)), ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, ReplayAfterLogoutStaysRevoked) {
    auto first = MustRegister("bye@example.com");
    auto second = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE(service_->Logout(second->refresh_token).ok());
    EXPECT_EQ(MessageOf(service_->Refresh(first.refresh_token)), "refresh token revoked");
    EXPECT_EQ(MessageOf(service_->Refresh(second->refresh_token)), "refresh token revoked");
}

TEST_F(AuthServiceTest, ZeroGraceIsStrict) {
    settings_.refresh_reuse_grace = std::chrono::seconds(0);
    Rebuild();
    auto first = MustRegister("strict@example.com");
    auto second = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(MessageOf(service_->Refresh(first.refresh_token)), "refresh token reuse detected");
    EXPECT_EQ(CodeOf(service_->Refresh(second->refresh_token)), ErrorCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, SuccessorIsStoredOnlyAsItsHash) {
    auto first = MustRegister("hashed@example.com");
    auto second = service_->Refresh(first.refresh_token);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->refresh_token.size(), 64u);
    auto by_hash = store_->FindRefreshTokenByHash(core::Sha256Hex(second->refresh_token));
    ASSERT_TRUE(by_hash.ok() && by_hash->has_value());
    EXPECT_NE((*by_hash)->token_hash, second->refresh_token);
    auto by_plain = store_->FindRefreshTokenByHash(second->refresh_token);
    ASSERT_TRUE(by_plain.ok());
    EXPECT_FALSE(by_plain->has_value());
    // Another secret derives another successor: a replay then cannot be answered and counts as reuse.
    settings_.jwt_secret = "another-unit-test-secret-0123456789abcdef";
    Rebuild();
    EXPECT_EQ(MessageOf(service_->Refresh(first.refresh_token)), "refresh token reuse detected");
}

// Two instances share nothing but the database: one rotates, the other answers the replay.
class RefreshGraceAcrossInstances : public ::testing::TestWithParam<std::string> {
  protected:
    void SetUp() override {
        std::string url = GetParam();
        if (url == "postgres") {
            const char* pg = std::getenv("NETRA_TEST_PG_URL");
            if (pg == nullptr || *pg == '\0') GTEST_SKIP() << "NETRA_TEST_PG_URL not set: no PostgreSQL server";
            url = pg;
        } else {
            dir_ = std::filesystem::temp_directory_path() / ("netra-auth-test-" + core::RandomHex(8));
            std::filesystem::create_directories(dir_);
            url = "sqlite://" + (dir_ / "netra.db").string();
        }
        settings_.jwt_secret = "unit-test-secret-unit-test-secret-0123";
        settings_.refresh_reuse_grace = std::chrono::seconds(10);
        AuthOptions options;
        options.password = PasswordParams::Minimum();
        options.clock = [this] { return now_ms_.load(); };
        for (auto& instance : instances_) {
            auto opened = storage::OpenStore(url);  // a store (a connection pool) of its own per instance
            ASSERT_TRUE(opened.ok()) << opened.error().message;
            std::shared_ptr<storage::Store> store(std::move(*opened));
            ASSERT_TRUE(store->Migrate().ok());
            instance = std::make_unique<AuthService>(settings_, store, no_shared_, options);
        }
    }
    void TearDown() override {
        for (auto& instance : instances_) instance.reset();
        if (!dir_.empty()) std::filesystem::remove_all(dir_);
    }

    core::NoSharedRateLimits no_shared_;
    config::Settings settings_;
    std::atomic<core::Millis> now_ms_{core::NowMs()};
    std::array<std::unique_ptr<AuthService>, 2> instances_;
    std::filesystem::path dir_;
};

TEST_P(RefreshGraceAcrossInstances, ReplayOnTheOtherInstance) {
    auto& a = *instances_[0];
    auto& b = *instances_[1];
    auto first = a.Register("x-" + core::RandomHex(6) + "@example.com", kPassword, "");
    ASSERT_TRUE(first.ok()) << MessageOf(first);
    auto second = a.Refresh(first->refresh_token);
    ASSERT_TRUE(second.ok()) << MessageOf(second);
    now_ms_ += 3'000;
    auto replay = b.Refresh(first->refresh_token);
    ASSERT_TRUE(replay.ok()) << MessageOf(replay);
    EXPECT_EQ(replay->refresh_token, second->refresh_token);
    // Outside the window the other instance detects the reuse, and the first one sees the family revoked.
    auto third = b.Refresh(second->refresh_token);
    ASSERT_TRUE(third.ok()) << MessageOf(third);
    now_ms_ += 11'000;
    EXPECT_EQ(MessageOf(b.Refresh(second->refresh_token)), "refresh token reuse detected");
    EXPECT_EQ(CodeOf(a.Refresh(third->refresh_token)), ErrorCode::kUnauthenticated);
}

TEST_P(RefreshGraceAcrossInstances, ConcurrentRefreshesOnBothInstances) {
    auto first = instances_[0]->Register("y-" + core::RandomHex(6) + "@example.com", kPassword, "");
    ASSERT_TRUE(first.ok()) << MessageOf(first);
    constexpr int kThreads = 6;
    std::vector<core::Result<TokenPair>> results(kThreads, core::MakeError(ErrorCode::kInternal, "not run"));
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] { results[i] = instances_[i % 2]->Refresh(first->refresh_token); });
    }
    for (auto& t : threads) t.join();
    std::set<std::string> successors;
    for (const auto& r : results) {
        ASSERT_TRUE(r.ok()) << r.error().message;
        successors.insert(r->refresh_token);
    }
    EXPECT_EQ(successors.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, RefreshGraceAcrossInstances, ::testing::Values("sqlite-file", "postgres"),
                         [](const auto& param_info) {
                             return std::string(param_info.param == "postgres" ? "Postgres" : "SqliteFile");
                         });

TEST_F(AuthServiceTest, EmptySecretRefused) {
    settings_.jwt_secret.clear();
    EXPECT_THROW(Rebuild(), std::invalid_argument);
}

}  // namespace
}  // namespace netra::auth

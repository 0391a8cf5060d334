// netra_bench_claims: the throughput of the database run queue (SPEC §7, §12; issue 10), Store::ClaimNextRun on a real
// database. Every instance of a cluster claims its runs from the runs table of the shared PostgreSQL, one statement
// under a transaction-scoped advisory lock with FOR UPDATE SKIP LOCKED, so the queue's claims are serialized
// cluster-wide: this measures how many the database hands out per second, and how long one takes, when several
// claimers contend for it.
//
//   1. set-up (not timed): U users x T threads x R queued runs (Store::InsertMessageAndRun; run r of a thread is
//      created r ms after run 0, so each thread's runs have their order);
//   2. C claimer threads, each with its own owner name, call ClaimNextRun(owner, now + 60 s, now, per_user_limit)
//      until every run was claimed, and "finish" each claimed run at once (FinishRun(completed, owner nullopt, no
//      events)) so the next run of its thread becomes claimable. With --hold H the claimers together keep the H
//      runs they claimed last running (each its share, finishing its oldest when it claims one more, or when a
//      claim finds nothing), as instances executing H runs do: the claim statement's cost grows with the running
//      runs too. A claim that finds nothing while other claimers hold runs is retried after 200 µs (counted as an
//      empty claim); one that finds nothing while nobody holds a run and runs are left is a failure;
//   3. checks: every run claimed exactly once, every run of the set and none other; a thread's runs in their order;
//      never two runs of a thread, nor more than per_user_limit of a user, between a claim's return and the
//      FinishRun call that follows it (both lower bounds of what the database held as running, so a violation seen
//      here is a real one); then deletes the threads (with their messages and runs) unless --keep.
//
// Reports claims/s over the claim phase (claims + finishes, C at a time), the latency of a successful claim and of a
// finish (p50/p95/p99/max), the claim p50 over the first and the last tenth of the claims (the queue's depth falls
// from U x T x R to 0), the wall time, and a `RESULT {json}` line per database.
//
//   netra_bench_claims [URL] [--sqlite] [--users 200] [--threads 5] [--runs 10] [--claimers 4]
//                      [--per-user-limit 4] [--hold 0] [--keep]
//
// URL: postgresql://… (default: NETRA_TEST_PG_URL) or any URL storage::OpenStore takes. --sqlite adds a run on a
// SQLite file in a fresh temporary directory (deleted afterwards), for comparison. The database must hold no
// waiting (queued or interrupted) runs: the claimers would take them too. Exit status 1 when a check fails, 2 on
// bad arguments or a set-up failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "storage/open_store.hpp"
#include "storage/store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using netra::domain::Message;
using netra::domain::Run;
using netra::domain::RunStatus;
using netra::storage::Store;

struct Options {
    std::string url;
    bool sqlite = false;
    int users = 200;
    int threads = 5;
    int runs = 10;
    int claimers = 4;
    int per_user_limit = 4;
    int hold = 0;
    bool keep = false;
};

int Usage() {
    std::fprintf(stderr,
                 "usage: netra_bench_claims [URL] [--sqlite] [--users 200] [--threads 5] [--runs 10] [--claimers 4]\n"
                 "                          [--per-user-limit 4] [--hold 0] [--keep]\n"
                 "  URL: postgresql://... (default: NETRA_TEST_PG_URL); --sqlite adds a SQLite run in a temp dir\n");
    return 2;
}

[[noreturn]] void Die(const std::string& message) {
    std::fprintf(stderr, "netra_bench_claims: %s\n", message.c_str());
    std::exit(2);
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Nearest-rank percentile of sorted values.
double Percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

struct Latency {
    double p50 = 0, p95 = 0, p99 = 0, max = 0;
    static Latency Of(std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return {Percentile(v, 50), Percentile(v, 95), Percentile(v, 99), v.empty() ? 0 : v.back()};
    }
    std::string Text() const {
        char buf[160];
        std::snprintf(buf, sizeof(buf), "p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms", p50, p95, p99, max);
        return buf;
    }
    std::string Json() const {
        char buf[200];
        std::snprintf(buf, sizeof(buf), "{\"p50\":%.4f,\"p95\":%.4f,\"p99\":%.4f,\"max\":%.4f}", p50, p95, p99, max);
        return buf;
    }
};

// One run of the set: which user and thread (indexes), its place in its thread.
struct RunInfo {
    int user = 0;
    int thread = 0;  // global thread index
    int order = 0;   // r
};

// What a claimer saw of one claim.
struct Claimed {
    std::string run_id;
    Clock::time_point returned;   // ClaimNextRun returned
    Clock::time_point finishing;  // FinishRun called
};

// Runs `n` jobs over `workers` threads; fn(job index) returns an error message or "".
template <typename Fn>
std::string Parallel(int n, int workers, Fn fn) {
    std::atomic<int> next{0};
    std::mutex mutex;
    std::string first_error;
    std::vector<std::thread> pool;
    for (int w = 0; w < std::max(1, workers); ++w) {
        pool.emplace_back([&] {
            for (int i = next++; i < n; i = next++) {
                std::string error = fn(i);
                if (!error.empty()) {
                    std::lock_guard lock(mutex);
                    if (first_error.empty()) first_error = error;
                    next = n;
                }
            }
        });
    }
    for (auto& t : pool) t.join();
    return first_error;
}

// Returns the RESULT json, or exits; sets `ok` false when a check failed.
std::string RunBench(const std::string& label, const std::string& url, const Options& o, bool& ok) {
    const int n_threads = o.users * o.threads;
    const int n_runs = n_threads * o.runs;
    auto opened = netra::storage::OpenStore(url, o.claimers + 1);
    if (!opened) Die(label + ": cannot open the store: " + opened.error().message);
    std::shared_ptr<Store> store = *opened;
    if (auto s = store->Migrate(); !s) Die(label + ": migrate failed: " + s.error().message);
    for (RunStatus waiting : {RunStatus::kQueued, RunStatus::kInterrupted}) {
        auto runs = store->ListRunsByStatus(waiting);
        if (!runs) Die(label + ": " + runs.error().message);
        if (!runs->empty()) {
            Die(label + ": the database already holds " + std::to_string(runs->size()) + " " +
                std::string(netra::domain::Name(waiting)) + " runs, which the claimers would take: use an empty one");
        }
    }
    std::printf(
        "== %s: %d users x %d threads x %d runs = %d queued runs, %d claimers, per-user limit %d, %d held "
        "running\n",
        label.c_str(), o.users, o.threads, o.runs, n_runs, o.claimers, o.per_user_limit, o.hold);

    // 1. set-up.
    const auto setup0 = Clock::now();
    const std::string tag = netra::core::RandomHex(4);
    const netra::core::Millis base = netra::core::NowMs();
    std::vector<std::string> user_ids(o.users), thread_ids(n_threads);
    std::vector<std::string> run_ids(n_runs);
    std::unordered_map<std::string, RunInfo> info;
    info.reserve(n_runs);
    for (int u = 0; u < o.users; ++u) user_ids[u] = netra::core::NewId();
    for (int t = 0; t < n_threads; ++t) thread_ids[t] = netra::core::NewId();
    for (int t = 0; t < n_threads; ++t) {
        for (int r = 0; r < o.runs; ++r) {
            const int i = t * o.runs + r;
            run_ids[i] = netra::core::NewId();
            info[run_ids[i]] = RunInfo{t / o.threads, t, r};
        }
    }
    const int setup_workers = std::max(o.claimers, 4);
    std::string error = Parallel(o.users, setup_workers, [&](int u) -> std::string {
        netra::domain::User user{
            user_ids[u], "claims-" + tag + "-" + std::to_string(u) + "@example.com", "claims bench", "", {}, base};
        if (auto s = store->CreateUser(user); !s) return "CreateUser: " + s.error().message;
        for (int k = 0; k < o.threads; ++k) {
            const int t = u * o.threads + k;
            netra::domain::Thread th{thread_ids[t], user_ids[u], "claims bench", base, base};
            if (auto s = store->CreateThread(th); !s) return "CreateThread: " + s.error().message;
        }
        return "";
    });
    if (!error.empty()) Die(label + ": set-up: " + error);
    error = Parallel(n_threads, setup_workers, [&](int t) -> std::string {
        for (int r = 0; r < o.runs; ++r) {
            const std::string& run_id = run_ids[t * o.runs + r];
            const std::string& user_id = user_ids[t / o.threads];
            Message m;
            m.id = netra::core::NewId();
            m.thread_id = thread_ids[t];
            m.user_id = user_id;
            m.content = "claims bench";
            m.run_id = run_id;
            m.created_at = base + r;
            Run run;
            run.id = run_id;
            run.thread_id = thread_ids[t];
            run.user_id = user_id;
            run.created_at = base + r;
            run.request = m.content;
            if (auto s = store->InsertMessageAndRun(m, run); !s) return "InsertMessageAndRun: " + s.error().message;
        }
        return "";
    });
    if (!error.empty()) Die(label + ": set-up: " + error);
    std::printf("set-up: %.2f s (%d users, %d threads, %d messages + runs, %d writers)\n",
                std::chrono::duration<double>(Clock::now() - setup0).count(), o.users, n_threads, n_runs,
                setup_workers);

    // 2. claims. held_by_thread / held_by_user count runs between a claim's return and its FinishRun call.
    std::vector<std::atomic<int>> held_by_thread(n_threads), held_by_user(o.users);
    std::atomic<int> held{0}, finished{0}, max_user_held{0}, thread_overlaps{0}, user_over_limit{0};
    std::atomic<int> foreign{0};
    std::atomic<bool> stuck{false}, failed{false};
    std::mutex error_mutex;
    std::string claim_error;
    std::vector<std::vector<Claimed>> claims(o.claimers);
    std::vector<std::vector<double>> claim_ms(o.claimers), finish_ms(o.claimers);
    std::vector<std::vector<std::pair<Clock::time_point, double>>> claim_at(o.claimers);
    std::vector<std::int64_t> empty_claims(o.claimers, 0);
    auto fail = [&](const std::string& message) {
        std::lock_guard lock(error_mutex);
        if (claim_error.empty()) claim_error = message;
        failed = true;
    };
    const auto claim0 = Clock::now();
    std::vector<std::thread> claimers;
    for (int k = 0; k < o.claimers; ++k) {
        claimers.emplace_back([&, k] {
            const std::string owner = "bench-claimer-" + tag + "-" + std::to_string(k);
            claims[k].reserve(n_runs / o.claimers + 16);
            claim_ms[k].reserve(n_runs / o.claimers + 16);
            finish_ms[k].reserve(n_runs / o.claimers + 16);
            // The runs this claimer holds ("executes"), oldest first; with --hold 0 each is finished at once.
            struct Held {
                Claimed record;
                const RunInfo* info;
            };
            std::deque<Held> mine;
            const std::size_t hold_here =
                static_cast<std::size_t>(o.hold / o.claimers + (k < o.hold % o.claimers ? 1 : 0));
            // Finishes the oldest run held here. Counters first, so they stay below the database's own count of
            // running runs.
            auto finish_oldest = [&]() -> bool {
                Held h = std::move(mine.front());
                mine.pop_front();
                held_by_thread[h.info->thread].fetch_sub(1);
                held_by_user[h.info->user].fetch_sub(1);
                h.record.finishing = Clock::now();
                auto s = store->FinishRun(h.record.run_id, RunStatus::kCompleted, std::nullopt, netra::core::NowMs(),
                                          std::nullopt, {}, std::nullopt);
                const auto f1 = Clock::now();
                --held;
                if (!s) {
                    fail("FinishRun " + h.record.run_id + ": " + s.error().message);
                    return false;
                }
                finish_ms[k].push_back(Ms(f1 - h.record.finishing));
                claims[k].push_back(std::move(h.record));
                ++finished;
                return true;
            };
            while (!failed && finished.load() < n_runs) {
                if (mine.size() > hold_here) {
                    if (!finish_oldest()) return;
                    continue;
                }
                const auto c0 = Clock::now();
                const netra::core::Millis now = netra::core::NowMs();
                auto claimed = store->ClaimNextRun(owner, now + 60'000, now, o.per_user_limit);
                const auto c1 = Clock::now();
                if (!claimed) return fail("ClaimNextRun: " + claimed.error().message);
                if (!*claimed) {
                    ++empty_claims[k];
                    if (!mine.empty()) {  // what this claimer holds blocks its threads or users: end one
                        if (!finish_oldest()) return;
                        continue;
                    }
                    if (finished.load() >= n_runs) break;
                    if (held.load() == 0) {
                        // Nobody holds a run, yet nothing is claimable: ask once more after a moment (a finish may
                        // have committed between the claim and the check), then give up.
                        std::this_thread::sleep_for(std::chrono::milliseconds(20));
                        if (held.load() == 0 && finished.load() < n_runs) {
                            auto again =
                                store->ClaimNextRun(owner, now + 60'000, netra::core::NowMs(), o.per_user_limit);
                            if (again && !*again && held.load() == 0 && finished.load() < n_runs) {
                                stuck = true;
                                return fail(std::to_string(n_runs - finished.load()) +
                                            " runs left that no claim returns");
                            }
                            if (again && *again) claimed = std::move(again);
                        }
                    }
                    if (!*claimed) {
                        std::this_thread::sleep_for(std::chrono::microseconds(200));
                        continue;
                    }
                }
                const Run& run = **claimed;
                ++held;
                auto it = info.find(run.id);
                if (it == info.end()) {
                    ++foreign;
                    --held;
                    return fail("claimed run " + run.id + ", which is not one of the set");
                }
                const RunInfo& ri = it->second;
                if (held_by_thread[ri.thread].fetch_add(1) + 1 > 1) ++thread_overlaps;
                const int by_user = held_by_user[ri.user].fetch_add(1) + 1;
                if (by_user > o.per_user_limit) ++user_over_limit;
                for (int m = max_user_held.load(); by_user > m && !max_user_held.compare_exchange_weak(m, by_user);) {
                }
                claim_ms[k].push_back(Ms(c1 - c0));
                claim_at[k].emplace_back(c1, Ms(c1 - c0));
                mine.push_back(Held{Claimed{run.id, c1, {}}, &ri});
                if (mine.size() > hold_here && !finish_oldest()) return;
            }
            while (!mine.empty() && finish_oldest()) {
            }
        });
    }
    for (auto& t : claimers) t.join();
    const auto claim1 = Clock::now();
    const double wall_s = std::chrono::duration<double>(claim1 - claim0).count();

    // 3. checks.
    std::vector<const Claimed*> all;
    all.reserve(n_runs);
    for (const auto& v : claims) {
        for (const auto& c : v) all.push_back(&c);
    }
    std::unordered_map<std::string, int> times;
    for (const Claimed* c : all) ++times[c->run_id];
    int duplicates = 0;
    for (const auto& [id, n] : times) duplicates += n > 1 ? n - 1 : 0;
    const int distinct = static_cast<int>(times.size());
    // Per thread, in the order the claims returned: run 0, 1, … and each claimed after the previous one's finish.
    std::vector<std::vector<const Claimed*>> by_thread(n_threads);
    for (const Claimed* c : all) by_thread[info.at(c->run_id).thread].push_back(c);
    int out_of_order = 0, before_previous_finish = 0;
    for (auto& v : by_thread) {
        std::sort(v.begin(), v.end(), [](const Claimed* a, const Claimed* b) { return a->returned < b->returned; });
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (info.at(v[i]->run_id).order != static_cast<int>(i)) ++out_of_order;
            if (i > 0 && v[i]->returned < v[i - 1]->finishing) ++before_previous_finish;
        }
    }

    std::vector<double> all_claim_ms, all_finish_ms;
    std::vector<std::pair<Clock::time_point, double>> timeline;
    std::int64_t empties = 0;
    for (int k = 0; k < o.claimers; ++k) {
        all_claim_ms.insert(all_claim_ms.end(), claim_ms[k].begin(), claim_ms[k].end());
        all_finish_ms.insert(all_finish_ms.end(), finish_ms[k].begin(), finish_ms[k].end());
        timeline.insert(timeline.end(), claim_at[k].begin(), claim_at[k].end());
        empties += empty_claims[k];
    }
    std::sort(timeline.begin(), timeline.end());
    const std::size_t tenth = std::max<std::size_t>(1, timeline.size() / 10);
    auto p50_of = [](auto first, auto last) {
        std::vector<double> v;
        for (auto it = first; it != last; ++it) v.push_back(it->second);
        std::sort(v.begin(), v.end());
        return Percentile(v, 50);
    };
    const double first_tenth_p50 =
        timeline.empty() ? 0 : p50_of(timeline.begin(), timeline.begin() + static_cast<std::ptrdiff_t>(tenth));
    const double last_tenth_p50 =
        timeline.empty() ? 0 : p50_of(timeline.end() - static_cast<std::ptrdiff_t>(tenth), timeline.end());
    const Latency claim_lat = Latency::Of(all_claim_ms);
    const Latency finish_lat = Latency::Of(all_finish_ms);
    const int claimed_total = static_cast<int>(all.size());
    const double claims_per_s = wall_s > 0 ? claimed_total / wall_s : 0;

    std::printf("claim phase: %d claims in %.3f s = %.0f claims/s (and as many FinishRun; %lld empty claims)\n",
                claimed_total, wall_s, claims_per_s, static_cast<long long>(empties));
    std::printf("  ClaimNextRun: %s\n", claim_lat.Text().c_str());
    std::printf("  claim p50 over the first tenth of the claims (queue %d → %d) %.3f ms, the last tenth %.3f ms\n",
                n_runs, n_runs - static_cast<int>(tenth), first_tenth_p50, last_tenth_p50);
    std::printf("  FinishRun:    %s\n", finish_lat.Text().c_str());
    std::printf("  per claimer:");
    for (int k = 0; k < o.claimers; ++k) std::printf(" %zu", claims[k].size());
    std::printf("\n");

    std::vector<std::string> problems;
    if (!claim_error.empty()) problems.push_back(claim_error);
    if (duplicates) problems.push_back(std::to_string(duplicates) + " runs claimed twice");
    if (distinct != n_runs) problems.push_back(std::to_string(n_runs - distinct) + " runs never claimed");
    if (foreign) problems.push_back(std::to_string(foreign.load()) + " claims of runs outside the set");
    if (out_of_order) problems.push_back(std::to_string(out_of_order) + " runs claimed out of their thread's order");
    if (thread_overlaps || before_previous_finish) {
        problems.push_back(std::to_string(thread_overlaps.load() + before_previous_finish) +
                           " claims while the thread had a running run");
    }
    if (user_over_limit) problems.push_back(std::to_string(user_over_limit.load()) + " claims over the per-user limit");
    std::printf(
        "checks: %d distinct runs claimed of %d, %d claimed twice, %d out of thread order, %d while the thread "
        "was running, %d over the per-user limit (most held by one user at once: %d)%s\n",
        distinct, n_runs, duplicates, out_of_order, thread_overlaps.load() + before_previous_finish,
        user_over_limit.load(), max_user_held.load(), stuck ? "; STUCK" : "");
    if (!problems.empty()) {
        ok = false;
        for (const auto& p : problems) std::printf("FAILED: %s\n", p.c_str());
    }

    if (!o.keep) {
        const auto del0 = Clock::now();
        error = Parallel(n_threads, setup_workers, [&](int t) -> std::string {
            auto r = store->DeleteThread(user_ids[t / o.threads], thread_ids[t]);
            return r ? "" : "DeleteThread: " + r.error().message;
        });
        if (!error.empty()) std::printf("clean-up: %s\n", error.c_str());
        std::printf("clean-up: deleted the %d threads with their messages and runs in %.2f s (the users stay)\n",
                    n_threads, std::chrono::duration<double>(Clock::now() - del0).count());
    }

    char buf[512];
    std::snprintf(buf, sizeof(buf),
                  "{\"backend\":\"%s\",\"users\":%d,\"threads_per_user\":%d,\"runs_per_thread\":%d,\"runs\":%d,"
                  "\"claimers\":%d,\"per_user_limit\":%d,\"hold\":%d,\"claimed\":%d,\"distinct\":%d,\"duplicates\":%d,"
                  "\"empty_claims\":%lld,\"wall_s\":%.4f,\"claims_per_s\":%.1f,",
                  label.c_str(), o.users, o.threads, o.runs, n_runs, o.claimers, o.per_user_limit, o.hold,
                  claimed_total, distinct, duplicates, static_cast<long long>(empties), wall_s, claims_per_s);
    std::string json = buf;
    json += "\"claim_ms\":" + claim_lat.Json() + ",\"finish_ms\":" + finish_lat.Json();
    std::snprintf(buf, sizeof(buf), ",\"claim_p50_first_tenth_ms\":%.4f,\"claim_p50_last_tenth_ms\":%.4f,\"ok\":%s}",
                  first_tenth_p50, last_tenth_p50, problems.empty() ? "true" : "false");
    json += buf;
    return json;
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    if (const char* env = std::getenv("NETRA_TEST_PG_URL"); env != nullptr) o.url = env;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto number = [&](int min) {
            if (i + 1 >= argc) std::exit(Usage());
            char* end = nullptr;
            const long v = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || v < min || v > 1'000'000) std::exit(Usage());
            return static_cast<int>(v);
        };
        if (arg == "--sqlite") {
            o.sqlite = true;
        } else if (arg == "--users") {
            o.users = number(1);
        } else if (arg == "--threads") {
            o.threads = number(1);
        } else if (arg == "--runs") {
            o.runs = number(1);
        } else if (arg == "--claimers") {
            o.claimers = number(1);
        } else if (arg == "--per-user-limit") {
            o.per_user_limit = number(1);
        } else if (arg == "--hold") {
            o.hold = number(0);
        } else if (arg == "--keep") {
            o.keep = true;
        } else if (arg == "--help" || arg == "-h" || arg.starts_with("-")) {
            return Usage();
        } else {
            o.url = std::string(arg);
        }
    }
    if (o.url.empty() && !o.sqlite) return Usage();
    if (static_cast<long long>(o.users) * o.threads * o.runs > 10'000'000) return Usage();

    bool ok = true;
    std::vector<std::string> results;
    if (!o.url.empty()) {
        const bool pg = o.url.starts_with("postgres");
        results.push_back(RunBench(pg ? "postgresql" : "database", o.url, o, ok));
    }
    if (o.sqlite) {
        std::string dir_template = (std::filesystem::temp_directory_path() / "netra-bench-claims.XXXXXX").string();
        if (::mkdtemp(dir_template.data()) == nullptr) Die("mkdtemp failed");
        const std::filesystem::path dir = dir_template;
        results.push_back(RunBench("sqlite", "sqlite://" + (dir / "claims.db").string(), o, ok));
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    for (const auto& r : results) std::printf("RESULT %s\n", r.c_str());
    return ok ? 0 : 1;
}

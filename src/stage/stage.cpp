#include "stage/stage.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "stage/process.hpp"
#include "stage/suite.hpp"

namespace netra::stage {

namespace json = boost::json;

namespace {

TestResult RunOne(StageContext& ctx, const TestCase& test) {
    TestResult r;
    r.name = test.name;
    ctx.TakeNotes();
    const auto started = core::MonoNow();
    try {
        test.fn(ctx);
        r.status = TestStatus::kPassed;
    } catch (const TestSkipped& e) {
        r.status = TestStatus::kSkipped;
        r.reason = e.what();
    } catch (const TestFailure& e) {
        r.status = TestStatus::kFailed;
        r.reason = e.what();
    } catch (const std::exception& e) {
        r.status = TestStatus::kFailed;
        r.reason = std::string("exception: ") + e.what();
    } catch (...) {
        r.status = TestStatus::kFailed;
        r.reason = "unknown exception";
    }
    r.duration_ms = core::ElapsedMs(started);
    r.details = ctx.TakeNotes();
    return r;
}

}  // namespace

int RunStage(const StageOptions& options_in) {
    StageOptions options = options_in;
    StageReport report;
    report.started_at = core::FormatRfc3339Ms(core::NowMs());
    const auto started = core::MonoNow();

    std::unique_ptr<SpawnedServer> spawned, spawned2;
    std::string data_dir;
    std::string admin_key;
    std::vector<std::string> token_env;
    if (options.instances == 2 && !options.spawn) {
        std::cerr << "netra stage: --instances 2 goes with --spawn (for a deployment of your own, give --url2)\n";
        return 2;
    }
    if (options.spawn) {
        std::string binary = options.netra_binary.empty() ? SelfExecutable() : options.netra_binary;
        // Fault injection with a key of our own lets modules that need slow runs or failures (§11) use
        // /api/admin/faults; the key is not used for sign-in (auth stays --register unless told otherwise).
        admin_key = core::RandomHex(16);
        std::vector<std::string> env = {"NETRA_FAULT_INJECTION=1", "NETRA_E2E_BYPASS_KEY=" + admin_key};
        if (options.instances == 2) {
            const char* db = std::getenv("DATABASE_URL");
            const char* redis = std::getenv("REDIS_URL");
            const std::string db_url = db ? db : "";
            if ((db_url.rfind("postgresql://", 0) != 0 && db_url.rfind("postgres://", 0) != 0) || !redis || !*redis) {
                std::cerr << "netra stage: --instances 2 needs DATABASE_URL=postgresql://… and REDIS_URL (the two "
                             "servers share one database and one Redis)\n";
                return 2;
            }
            // A cluster (§12): one JWT secret so a token works on either instance; short leases so a killed
            // instance's run is taken over within seconds (module 9's owner_killed_takeover); at most
            // kRunsPerInstance runs executing per instance, so a handful of slowed runs overflows one instance and
            // the other claims the rest (cross_instance_execution).
            constexpr int kRunsPerInstance = 4;
            token_env = {"JWT_SECRET=" + core::RandomHex(32)};
            env.insert(env.end(), token_env.begin(), token_env.end());
            env.insert(env.end(),
                       {"NETRA_RUNS_PER_INSTANCE=" + std::to_string(kRunsPerInstance), "NETRA_RUN_LEASE_MS=3000",
                        "NETRA_RUN_LEASE_RENEW_MS=500", "NETRA_RUN_LEASE_CHECK_MS=300"});
        }
        for (int i = 1; i <= options.instances; ++i) {
            const std::string which = options.instances == 1 ? "" : " (instance " + std::to_string(i) + ")";
            std::cout << "Spawning " << binary << " serve on a free loopback port" << which << "…" << std::endl;
            // One after the other: the first applies the shared database's migrations before the second starts.
            auto s = SpawnedServer::Start(binary, 60, env);
            if (!s.ok()) {
                std::cerr << "netra stage: could not start a local server" << which << ": " << s.error().message
                          << "\n";
                std::cout << "0 passed, 1 failed, 0 skipped" << std::endl;
                return 1;
            }
            std::cout << "Server" << which << " ready at " << (*s)->url() << " after "
                      << static_cast<long>((*s)->startup_ms()) << " ms (data dir " << (*s)->data_dir() << ")"
                      << std::endl;
            (i == 1 ? spawned : spawned2) = std::move(s).value();
        }
        options.url = spawned->url();
        data_dir = spawned->data_dir();
        if (spawned2) options.url2 = spawned2->url();
    }
    auto server = ParseServerUrl(options.url);
    if (!server.ok()) {
        std::cerr << "netra stage: " << server.error().message << "\n";
        return 2;
    }
    server->ca_file = options.ca_file;
    report.url = options.url;
    report.spawned = options.spawn;

    StageContext ctx(options, *server, options.spawn, data_dir);
    ctx.SetAdminKey(admin_key);
    ctx.SetTokenEnv(token_env);
    if (spawned2) ctx.SetSpawnedInstances({spawned.get(), spawned2.get()});
    {
        auto http = ctx.Http();
        auto h = http.Get("/health");
        if (h.ok() && h->JsonObject()) report.server_version = JStr(*h->JsonObject(), "version");
        if (!h.ok()) std::cerr << "warning: GET /health failed: " << h.error().message << " (tests will fail)\n";
    }

    auto modules = AllModules();
    std::string server_death;  // set once a spawned server has died: later tests fail with this reason
    for (const auto& mod : modules) {
        if (!options.modules.empty() &&
            std::find(options.modules.begin(), options.modules.end(), mod.number) == options.modules.end()) {
            continue;
        }
        auto selected = [&](const TestCase& test) {
            return options.tests.empty() ||
                   std::find(options.tests.begin(), options.tests.end(), test.name) != options.tests.end();
        };
        if (!options.tests.empty() && std::none_of(mod.tests.begin(), mod.tests.end(), selected)) continue;
        ModuleResult mr;
        mr.number = mod.number;
        mr.name = mod.name;
        if (mod.tests.empty()) {
            mr.tests.push_back(TestResult{"module_" + mod.name, TestStatus::kSkipped,
                                          "module " + std::to_string(mod.number) + " is not implemented in this build",
                                          "", 0});
        }
        for (const auto& test : mod.tests) {
            if (!selected(test)) continue;
            if (spawned && !server_death.empty()) {
                mr.tests.push_back(TestResult{test.name, TestStatus::kFailed, server_death, "", 0});
                continue;
            }
            if (options.verbose) std::cout << "  running " << mod.name << "/" << test.name << "…" << std::flush;
            auto r = RunOne(ctx, test);
            if (options.verbose) {
                std::cout << " " << StatusName(r.status) << " (" << static_cast<long>(r.duration_ms) << " ms)"
                          << (r.reason.empty() ? "" : ": " + r.reason)
                          << (r.details.empty() ? "" : " [" + r.details + "]") << std::endl;
            }
            mr.tests.push_back(std::move(r));
            for (SpawnedServer* s : {spawned.get(), spawned2.get()}) {
                if (!s || !server_death.empty()) continue;
                std::string how = s->ExitDescription();
                if (!how.empty()) {
                    server_death = std::string(s == spawned2.get() ? "the second spawned server (--url2) "
                                                                   : "the spawned server ") +
                                   how + " during " + mod.name + "/" + test.name;
                    std::cerr << server_death << "; last log lines:\n" << s->LogTail(1500) << "\n";
                }
            }
        }
        std::cout << RenderModuleTable(mr) << std::endl;
        report.modules.push_back(std::move(mr));
    }
    report.metrics = ctx.Metrics();
    if (!report.metrics.empty()) std::cout << RenderMetricsTable(report.metrics) << std::endl;

    if (spawned) {
        std::string how = spawned->Stop();
        std::cout << "Spawned server stopped (" << how << ")" << std::endl;
    }
    if (spawned2) {
        std::string how = spawned2->Stop();
        std::cout << "Second spawned server stopped (" << how << ")" << std::endl;
    }
    report.duration_ms = core::ElapsedMs(started);

    int exit_code = report.Tally().failed == 0 ? 0 : 1;
    if (!options.json_report_path.empty()) {
        auto st = WriteTextFile(options.json_report_path, json::serialize(ReportToJson(report)) + "\n");
        if (!st.ok()) {
            std::cerr << "netra stage: " << st.error().message << "\n";
            exit_code = exit_code ? exit_code : 2;
        }
    }
    if (!options.markdown_report_path.empty()) {
        auto st = WriteTextFile(options.markdown_report_path, RenderMarkdown(report));
        if (!st.ok()) {
            std::cerr << "netra stage: " << st.error().message << "\n";
            exit_code = exit_code ? exit_code : 2;
        }
    }
    std::cout << SummaryLine(report) << std::endl;
    return exit_code;
}

}  // namespace netra::stage

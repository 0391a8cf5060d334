#include "stage/stage.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstdio>
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

    std::unique_ptr<SpawnedServer> spawned;
    std::string data_dir;
    std::string admin_key;
    if (options.spawn) {
        std::string binary = options.netra_binary.empty() ? SelfExecutable() : options.netra_binary;
        std::cout << "Spawning " << binary << " serve on a free loopback port…" << std::endl;
        // Fault injection with a key of our own lets modules that need slow runs or failures (§11) use
        // /api/admin/faults; the key is not used for sign-in (auth stays --register unless told otherwise).
        admin_key = core::RandomHex(16);
        auto s = SpawnedServer::Start(binary, 60, {"NETRA_FAULT_INJECTION=1", "NETRA_E2E_BYPASS_KEY=" + admin_key});
        if (!s.ok()) {
            std::cerr << "netra stage: could not start a local server: " << s.error().message << "\n";
            std::cout << "0 passed, 1 failed, 0 skipped" << std::endl;
            return 1;
        }
        spawned = std::move(s).value();
        options.url = spawned->url();
        data_dir = spawned->data_dir();
        std::cout << "Server ready at " << options.url << " after " << static_cast<long>(spawned->startup_ms())
                  << " ms (data dir " << data_dir << ")" << std::endl;
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
            if (spawned && server_death.empty()) {
                std::string how = spawned->ExitDescription();
                if (!how.empty()) {
                    server_death = "the spawned server " + how + " during " + mod.name + "/" + test.name;
                    std::cerr << server_death << "; last log lines:\n" << spawned->LogTail(1500) << "\n";
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

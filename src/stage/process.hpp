#pragma once
// Process control for `netra stage --spawn`: a local `netra serve` on a free loopback port with a temp
// data dir, and running `netra token` against the same data dir.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace netra::stage {

// The path of the running executable (the suite ships inside `netra`).
std::string SelfExecutable();

// A free TCP port on 127.0.0.1 (bound then released; a tiny race is acceptable for a test tool).
core::Result<int> FreeLoopbackPort();

struct CommandOutput {
    int exit_code = -1;
    std::string output;        // stdout + stderr (RunCapture); stdout only (RunCaptureStdout)
    std::string error_output;  // stderr (RunCaptureStdout only)
};
// Runs argv[0] with `extra_env` ("K=V") added to the environment, capturing output.
core::Result<CommandOutput> RunCapture(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env);
// The same with stdout and stderr apart: for commands whose stdout is a document (`netra analyze --json`).
core::Result<CommandOutput> RunCaptureStdout(const std::vector<std::string>& argv,
                                             const std::vector<std::string>& extra_env);

class SpawnedServer {
  public:
    // Starts `binary serve --host 127.0.0.1 --port P` with NETRA_DATA_DIR=<new temp dir> plus `extra_env`
    // ("K=V", e.g. a short ping interval for one test) and waits up to `ready_timeout_s` for GET /health/ready
    // to answer 200.
    // `wait_ready` false: returns once GET /health answers 200 (liveness), before start-up has finished — for a
    // test that watches start-up itself (a database that is not there yet).
    static core::Result<std::unique_ptr<SpawnedServer>> Start(const std::string& binary, double ready_timeout_s = 60,
                                                              std::vector<std::string> extra_env = {},
                                                              bool wait_ready = true);
    // Waits up to `timeout_s` for GET /health/ready to answer 200.
    core::Status WaitReady(double timeout_s);
    ~SpawnedServer();  // Stop()

    const std::string& url() const { return url_; }
    const std::string& data_dir() const { return data_dir_; }
    const std::string& binary() const { return binary_; }
    double startup_ms() const { return startup_ms_; }
    std::vector<std::string> Env() const;  // env additions that point a `netra` command at this server's data

    // "" while the process runs; otherwise how it ended ("killed by signal 11"). Reaps it.
    std::string ExitDescription();

    // SIGTERM, wait up to `grace_s`, then SIGKILL. Returns the exit status description.
    std::string Stop(double grace_s = 30);
    // A caller's note kept with the server (the suite stores the bypass key it gave it).
    void SetNote(std::string note) { note_ = std::move(note); }
    const std::string& note() const { return note_; }

    // Sends SIGTERM without waiting (a test then watches what clients see); Stop() reaps it later.
    void Terminate();
    // SIGKILL and reap: a crash, nothing flushed or drained.
    void Kill();
    // After Stop() or Kill(): starts it again on the same port, data dir and environment, and waits for readiness
    // (the log continues in the same file).
    core::Status Restart(double ready_timeout_s = 60);
    std::string LogTail(std::size_t max_bytes = 2000) const;

  private:
    SpawnedServer() = default;
    core::Status Launch(double ready_timeout_s, bool wait_ready = true);
    int pid_ = -1;
    int port_ = 0;
    std::string url_, data_dir_, binary_, log_path_;
    std::vector<std::string> extra_env_;
    std::string note_;
    double startup_ms_ = 0;
    std::string exit_description_;
};

}  // namespace netra::stage

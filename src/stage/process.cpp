#include "stage/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "stage/http_client.hpp"

extern char** environ;

namespace netra::stage {

using core::ErrorCode;
using core::MakeError;

std::string SelfExecutable() {
    std::error_code ec;
    auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ec ? std::string("netra") : p.string();
}

core::Result<int> FreeLoopbackPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return MakeError(ErrorCode::kInternal, std::string("socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        return MakeError(ErrorCode::kInternal, std::string("bind: ") + std::strerror(errno));
    }
    int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

namespace {

// The environment for a child: ours plus `extra` (which overrides same-named variables). Built before fork
// because only async-signal-safe calls are allowed in the child of a multi-threaded process.
std::vector<std::string> BuildEnv(const std::vector<std::string>& extra) {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv(*e);
        auto name = kv.substr(0, kv.find('='));
        bool overridden = false;
        for (const auto& x : extra) overridden |= x.substr(0, x.find('=')) == name;
        if (!overridden) env.push_back(std::move(kv));
    }
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
    std::vector<char*> out;
    for (auto& s : v) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

}  // namespace

namespace {

// Forks and execs argv; with `split` stdout goes to `output` and stderr to `error_output`, otherwise both to
// `output`.
core::Result<CommandOutput> Capture(const std::vector<std::string>& argv_in, const std::vector<std::string>& extra_env,
                                    bool split) {
    std::vector<std::string> argv = argv_in;
    std::vector<std::string> env = BuildEnv(extra_env);
    auto cargv = CStrings(argv);
    auto cenv = CStrings(env);
    int out_fds[2];
    int err_fds[2] = {-1, -1};
    if (::pipe(out_fds) != 0) return MakeError(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
    if (split && ::pipe(err_fds) != 0) {
        ::close(out_fds[0]);
        ::close(out_fds[1]);
        return MakeError(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        int err = errno;
        for (int fd : {out_fds[0], out_fds[1], err_fds[0], err_fds[1]}) {
            if (fd >= 0) ::close(fd);
        }
        return MakeError(ErrorCode::kInternal, std::string("fork: ") + std::strerror(err));
    }
    if (pid == 0) {
        ::dup2(out_fds[1], 1);
        ::dup2(split ? err_fds[1] : out_fds[1], 2);
        ::close(out_fds[0]);
        ::close(out_fds[1]);
        if (split) {
            ::close(err_fds[0]);
            ::close(err_fds[1]);
        }
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
    ::close(out_fds[1]);
    if (split) ::close(err_fds[1]);
    CommandOutput out;
    // Both pipes are drained together: a child that fills one while we block on the other would never exit.
    pollfd fds[2] = {{out_fds[0], POLLIN, 0}, {err_fds[0], POLLIN, 0}};
    std::string* sinks[2] = {&out.output, &out.error_output};
    int open_fds = split ? 2 : 1;
    char buf[4096];
    while (open_fds > 0) {
        if (::poll(fds, split ? 2 : 1, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || fds[i].revents == 0) continue;
            ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds) {
        if (f.fd >= 0) ::close(f.fd);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out;
}

}  // namespace

core::Result<CommandOutput> RunCapture(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& extra_env) {
    return Capture(argv, extra_env, false);
}

core::Result<CommandOutput> RunCaptureStdout(const std::vector<std::string>& argv,
                                             const std::vector<std::string>& extra_env) {
    return Capture(argv, extra_env, true);
}

core::Result<std::unique_ptr<SpawnedServer>> SpawnedServer::Start(const std::string& binary, double ready_timeout_s,
                                                                  std::vector<std::string> extra_env, bool wait_ready) {
    auto port = FreeLoopbackPort();
    if (!port.ok()) return port.error();
    char tmpl[] = "/tmp/netra-stage-XXXXXX";
    if (!::mkdtemp(tmpl)) return MakeError(ErrorCode::kInternal, std::string("mkdtemp: ") + std::strerror(errno));

    std::unique_ptr<SpawnedServer> s(new SpawnedServer());
    // Absolute: the child changes into the data dir before exec.
    s->binary_ = std::filesystem::absolute(binary).string();
    s->extra_env_ = std::move(extra_env);
    s->data_dir_ = tmpl;
    s->log_path_ = s->data_dir_ + "/server.log";
    s->url_ = "http://127.0.0.1:" + std::to_string(*port);

    s->port_ = *port;
    if (auto launched = s->Launch(ready_timeout_s, wait_ready); !launched.ok()) return launched.error();
    return s;
}

core::Status SpawnedServer::WaitReady(double timeout_s) {
    auto server = ParseServerUrl(url_);
    HttpClient http(*server);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
        auto r = http.Request("GET", "/health/ready", {}, {}, HttpRequestOptions{std::chrono::milliseconds(2000)});
        if (r.ok() && r->status == 200) return core::Ok();
        last = r.ok() ? r->Describe(200) : r.error().message;
        http.Disconnect();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return MakeError(ErrorCode::kTimeout, "not ready after " + std::to_string(timeout_s) + " s (last: " + last + ")");
}

core::Status SpawnedServer::Restart(double ready_timeout_s) {
    if (pid_ > 0) return MakeError(ErrorCode::kInvalidRequest, "the server is still running");
    return Launch(ready_timeout_s);
}

void SpawnedServer::Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exit_description_ = "killed by signal " + std::to_string(SIGKILL);
    pid_ = -1;
}

namespace {
std::string DescribeStatus(int status) {
    return WIFEXITED(status) ? "exited " + std::to_string(WEXITSTATUS(status))
                             : "killed by signal " + std::to_string(WTERMSIG(status));
}
}  // namespace

// Starts `serve` on this server's port and data dir and waits for readiness.
core::Status SpawnedServer::Launch(double ready_timeout_s, bool wait_ready) {
    std::vector<std::string> argv = {binary_, "serve", "--host", "127.0.0.1", "--port", std::to_string(port_)};
    std::vector<std::string> child_env = Env();
    child_env.insert(child_env.end(), extra_env_.begin(), extra_env_.end());
    std::vector<std::string> env = BuildEnv(child_env);
    auto cargv = CStrings(argv);
    auto cenv = CStrings(env);
    std::string data_dir = data_dir_;
    std::string log_path = log_path_;
    const auto started = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid < 0) return MakeError(ErrorCode::kInternal, std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Working directory = data dir, so a default ./netra-data also lands in the temp dir.
        if (::chdir(data_dir.c_str()) != 0) ::_exit(126);
        int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log >= 0) {
            ::dup2(log, 1);
            ::dup2(log, 2);
            ::close(log);
        }
        ::execve(cargv[0], cargv.data(), cenv.data());
        ::_exit(127);
    }
    pid_ = pid;
    exit_description_.clear();  // running again: what ended the previous process is history

    auto server = ParseServerUrl(url_);
    HttpClient http(*server);
    const auto deadline = started + std::chrono::milliseconds(static_cast<long>(ready_timeout_s * 1000));
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            pid_ = -1;
            exit_description_ = DescribeStatus(status) + " during start-up";
            return MakeError(ErrorCode::kServiceUnavailable, "spawned server exited during start-up (status " +
                                                                 std::to_string(status) + "): " + LogTail());
        }
        auto r = http.Request("GET", wait_ready ? "/health/ready" : "/health", {}, {},
                              HttpRequestOptions{std::chrono::milliseconds(2000)});
        if (r.ok() && r->status == 200) {
            startup_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            return core::Ok();
        }
        last = r.ok() ? r->Describe(200) : r.error().message;
        http.Disconnect();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    exit_description_ = "was not ready within " + std::to_string(static_cast<int>(ready_timeout_s)) +
                        " s of starting (stopped: " + Stop(5) + ")";
    return MakeError(ErrorCode::kTimeout, "spawned server not ready after " + std::to_string(ready_timeout_s) +
                                              " s (last: " + last + "): " + LogTail());
}

std::vector<std::string> SpawnedServer::Env() const { return {"NETRA_DATA_DIR=" + data_dir_}; }

SpawnedServer::~SpawnedServer() {
    Stop();
    // A spawned server's data and log are scratch: failures print the log's tail as they happen. Kept on request
    // for a closer look (a thousand runs of the suite otherwise fill /tmp).
    if (const char* keep = std::getenv("NETRA_STAGE_KEEP_DATA"); keep == nullptr || std::string(keep) != "1") {
        std::error_code ec;
        std::filesystem::remove_all(data_dir_, ec);
    }
}

void SpawnedServer::Terminate() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
}

std::string SpawnedServer::ExitDescription() {
    if (pid_ > 0) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_description_ = DescribeStatus(status);
            pid_ = -1;
        }
    }
    return exit_description_;
}

std::string SpawnedServer::Stop(double grace_s) {
    if (pid_ <= 0) return exit_description_.empty() ? "not running" : "had already " + exit_description_;
    ::kill(pid_, SIGTERM);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(grace_s * 1000));
    int status = 0;
    std::string result;
    for (;;) {
        pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            result = DescribeStatus(status);
            break;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            result = "did not stop within " + std::to_string(static_cast<int>(grace_s)) + " s of SIGTERM; killed";
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return result;
}

std::string SpawnedServer::LogTail(std::size_t max_bytes) const {
    std::ifstream f(log_path_, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    if (s.size() > max_bytes) s = "…" + s.substr(s.size() - max_bytes);
    return s;
}

}  // namespace netra::stage

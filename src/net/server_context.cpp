#include "net/server_context.hpp"

#include "core/ids.hpp"
#include "net/ws/session_registry.hpp"

namespace netra::net {

void StartupState::PhaseDone(const std::string& phase, double duration_ms) {
    std::lock_guard lock(mutex_);
    completed_.emplace_back(phase, duration_ms);
}
void StartupState::SetPhase(const std::string& phase) {
    std::lock_guard lock(mutex_);
    phase_ = phase;
}
void StartupState::MarkReady(double total_ms) {
    std::lock_guard lock(mutex_);
    phase_ = "ready";
    total_ms_ = total_ms;
}
std::string StartupState::phase() const {
    std::lock_guard lock(mutex_);
    return phase_;
}
std::vector<std::pair<std::string, double>> StartupState::completed() const {
    std::lock_guard lock(mutex_);
    return completed_;
}
double StartupState::total_ms() const {
    std::lock_guard lock(mutex_);
    return total_ms_;
}

ServerContext::ServerContext(const config::Settings& settings_in, boost::asio::thread_pool& workers_in,
                             std::string version_in)
    : sessions_owned_(std::make_unique<ws::WsSessionRegistry>()),
      settings(settings_in),
      workers(workers_in),
      sessions(*sessions_owned_),
      version(std::move(version_in)),
      instance_id(core::NewId()),
      started_at(std::chrono::steady_clock::now()) {}

ServerContext::~ServerContext() = default;

void ServerContext::Open(std::shared_ptr<const Services> services, double startup_total_ms) {
    startup.MarkReady(startup_total_ms);
    services_ = std::move(services);
    opened_.store(true, std::memory_order_release);
}

}  // namespace netra::net

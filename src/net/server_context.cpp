#include "net/server_context.hpp"

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
    {
        std::lock_guard lock(mutex_);
        phase_ = "ready";
        total_ms_ = total_ms;
    }
    ready_ = true;
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

}  // namespace netra::net

#include "core/faults.hpp"

#include <algorithm>

namespace netra::core {

void FaultRegistry::Set(FaultSpec spec) {
    if (spec.duration_s > 0) spec.expires_at = std::chrono::steady_clock::now() + std::chrono::seconds(spec.duration_s);
    std::lock_guard lock(mutex_);
    faults_.erase(
        std::remove_if(faults_.begin(), faults_.end(), [&](const FaultSpec& f) { return f.target == spec.target; }),
        faults_.end());
    faults_.push_back(std::move(spec));
}

void FaultRegistry::Clear() {
    std::lock_guard lock(mutex_);
    faults_.clear();
}

std::vector<FaultSpec> FaultRegistry::Active() {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    faults_.erase(std::remove_if(faults_.begin(), faults_.end(),
                                 [&](const FaultSpec& f) { return f.duration_s > 0 && f.expires_at <= now; }),
                  faults_.end());
    return faults_;
}

std::optional<FaultSpec> FaultRegistry::Check(const std::string& target) {
    std::lock_guard lock(mutex_);
    if (faults_.empty()) return std::nullopt;
    auto now = std::chrono::steady_clock::now();
    for (auto it = faults_.begin(); it != faults_.end();) {
        if (it->duration_s > 0 && it->expires_at <= now) {
            it = faults_.erase(it);
            continue;
        }
        bool matches = it->target == target || (it->target == "tool:*" && target.rfind("tool:", 0) == 0);
        if (matches) {
            if (it->rate >= 1.0 || std::uniform_real_distribution<double>(0, 1)(random_) < it->rate) return *it;
            return std::nullopt;
        }
        ++it;
    }
    return std::nullopt;
}

}  // namespace netra::core

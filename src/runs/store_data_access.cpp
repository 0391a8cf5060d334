#include "runs/store_data_access.hpp"

namespace netra::runs {

core::Result<std::optional<agents::DatasetView>> StoreDataAccess::LoadDataset(const std::string& user_id,
                                                                              const std::string& dataset_id) {
    auto meta = store_->GetDataset(user_id, dataset_id);
    if (!meta.ok()) return meta.error();
    if (!*meta) {
        std::lock_guard lock(mutex_);
        if (auto it = by_id_.find(dataset_id); it != by_id_.end()) {  // deleted (or never the user's): forget it
            cached_records_ -= it->second->second->size();
            lru_.erase(it->second);
            by_id_.erase(it);
        }
        return std::optional<agents::DatasetView>{};
    }
    auto records = Cached(dataset_id);
    if (!records) {
        auto loaded = store_->LoadUsageRecords(dataset_id);
        if (!loaded.ok()) return loaded.error();
        records = std::make_shared<const Records>(std::move(*loaded));
        Remember(dataset_id, records);
    }
    return std::optional<agents::DatasetView>(agents::DatasetView{std::move(**meta), *records});
}

std::shared_ptr<const StoreDataAccess::Records> StoreDataAccess::Cached(const std::string& dataset_id) {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(dataset_id);
    if (it == by_id_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
}

void StoreDataAccess::Remember(const std::string& dataset_id, std::shared_ptr<const Records> records) {
    if (records->size() > record_budget_) return;  // larger than the whole budget: not worth evicting everything
    std::lock_guard lock(mutex_);
    if (by_id_.count(dataset_id)) return;  // another run loaded it meanwhile
    cached_records_ += records->size();
    lru_.emplace_front(dataset_id, std::move(records));
    by_id_[dataset_id] = lru_.begin();
    while (cached_records_ > record_budget_ && !lru_.empty()) {
        cached_records_ -= lru_.back().second->size();
        by_id_.erase(lru_.back().first);
        lru_.pop_back();
    }
}

}  // namespace netra::runs

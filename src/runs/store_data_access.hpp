#pragma once
// The agents' view of usage datasets, served from storage (user-scoped: another user's dataset is not found).
// Datasets never change after their upload, so their records are cached by id (least recently used first out,
// within a record budget): reading 10 000 records back from storage was most of a run's time. Ownership and
// existence are still checked in storage on every load, so a deleted or foreign dataset is never served.
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "agents/data_access.hpp"
#include "storage/store.hpp"

namespace netra::runs {

class StoreDataAccess : public agents::DataAccess {
  public:
    static constexpr std::size_t kDefaultRecordBudget = 500'000;

    explicit StoreDataAccess(std::shared_ptr<storage::Store> store, std::size_t record_budget = kDefaultRecordBudget)
        : store_(std::move(store)), record_budget_(record_budget) {}

    core::Result<std::optional<agents::DatasetView>> LoadDataset(const std::string& user_id,
                                                                 const std::string& dataset_id) override;

    using Records = std::vector<storage::UsageRecord>;
    // Called after an upload stored the records: the first run on a fresh dataset need not read them back.
    void Remember(const std::string& dataset_id, std::shared_ptr<const Records> records);

  private:
    std::shared_ptr<const Records> Cached(const std::string& dataset_id);

    std::shared_ptr<storage::Store> store_;
    std::size_t record_budget_;
    std::mutex mutex_;
    std::list<std::pair<std::string, std::shared_ptr<const Records>>> lru_;  // most recent first
    std::unordered_map<std::string, decltype(lru_)::iterator> by_id_;
    std::size_t cached_records_ = 0;
};

}  // namespace netra::runs

#pragma once
// The agents' view of usage datasets, served from storage (user-scoped: another user's dataset is not found).
#include <memory>

#include "agents/data_access.hpp"
#include "storage/store.hpp"

namespace netra::runs {

class StoreDataAccess : public agents::DataAccess {
  public:
    explicit StoreDataAccess(std::shared_ptr<storage::Store> store) : store_(std::move(store)) {}

    core::Result<std::optional<agents::DatasetView>> LoadDataset(const std::string& user_id,
                                                                 const std::string& dataset_id) override {
        auto meta = store_->GetDataset(user_id, dataset_id);
        if (!meta.ok()) return meta.error();
        if (!*meta) return std::optional<agents::DatasetView>{};
        auto records = store_->LoadUsageRecords(dataset_id);
        if (!records.ok()) return records.error();
        return std::optional<agents::DatasetView>(agents::DatasetView{std::move(**meta), std::move(*records)});
    }

  private:
    std::shared_ptr<storage::Store> store_;
};

}  // namespace netra::runs

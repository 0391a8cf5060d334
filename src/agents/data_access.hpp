#pragma once
// How agents read a user's usage datasets without knowing about storage: the runs module implements it over
// the Store (scoped by user), `netra analyze` over the file it just ingested.
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "domain/records.hpp"

namespace netra::agents {

struct DatasetView {
    domain::Dataset meta;
    std::vector<domain::UsageRecord> records;  // in timestamp order (as storage returns them)
};

class DataAccess {
  public:
    virtual ~DataAccess() = default;
    // nullopt when the dataset does not exist or belongs to another user.
    virtual core::Result<std::optional<DatasetView>> LoadDataset(const std::string& user_id,
                                                                 const std::string& dataset_id) = 0;
};

}  // namespace netra::agents

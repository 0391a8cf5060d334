#pragma once
// How agents read a user's usage datasets without knowing about storage: the runs module implements it over
// the Store (scoped by user), `netra analyze` over the file it just ingested.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/record_spans.hpp"
#include "core/error.hpp"
#include "domain/records.hpp"

namespace netra::agents {

struct DatasetView {
    using Chunk = std::vector<domain::UsageRecord>;
    domain::Dataset meta;
    // The records in timestamp order (as storage returns them), in one or more chunks shared with whoever else
    // holds them (the dataset cache, `netra analyze`'s parts): a run never copies them.
    std::vector<std::shared_ptr<const Chunk>> chunks;

    analysis::RecordSpans Records() const {
        std::vector<analysis::RecordSpans::Span> spans;
        for (const auto& c : chunks) spans.emplace_back(*c);
        return analysis::RecordSpans(spans);
    }
    std::size_t RowCount() const {
        std::size_t n = 0;
        for (const auto& c : chunks) n += c->size();
        return n;
    }
};

class DataAccess {
  public:
    virtual ~DataAccess() = default;
    // nullopt when the dataset does not exist or belongs to another user.
    virtual core::Result<std::optional<DatasetView>> LoadDataset(const std::string& user_id,
                                                                 const std::string& dataset_id) = 0;
};

}  // namespace netra::agents

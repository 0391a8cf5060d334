#pragma once
// Usage datasets as a service (SPEC §9): an upload streams through the ingest, is stored in bulk, profiled once
// and cached; runs read datasets back through the agents' DataAccess seam. Every call is scoped by user (another
// user's dataset answers exactly like a missing one). Synchronous: callers run it on the worker pool.
//
// Datasets never change after their upload, so their records are cached by id (least recently used first out,
// within a record budget): reading 10 000 records back from storage was most of a run's time. Ownership and
// existence are still checked in storage on every load, so a deleted or foreign dataset is never served.
#include <boost/json/object.hpp>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "agents/data_access.hpp"
#include "analysis/catalog.hpp"
#include "analysis/ingest.hpp"
#include "core/rate_limiter.hpp"
#include "storage/store.hpp"

namespace netra::datasets {

// One upload in progress: the body is fed chunk by chunk (each call on the worker pool, one at a time).
class Upload {
  public:
    // Sizes the ingest's record buffer once from the declared body size (Content-Length).
    void ExpectBytes(std::size_t total) { ingest_.ExpectBytes(total); }
    // After a fatal parse error the rest of the body is drained by the caller, not parsed: Failed() tells.
    core::Status Feed(std::string_view chunk);
    bool Failed() const { return !status_.ok(); }

  private:
    friend class DatasetService;
    Upload(std::string user_id, std::optional<std::string> thread_id, std::string name, analysis::FormatRequest format,
           const analysis::Catalog& catalog)
        : user_id_(std::move(user_id)),
          thread_id_(std::move(thread_id)),
          name_(std::move(name)),
          ingest_(format, catalog) {}

    std::string user_id_;
    std::optional<std::string> thread_id_;
    std::string name_;
    analysis::UsageIngest ingest_;
    core::Status status_;
};

struct UploadResult {
    domain::Dataset dataset;
    std::vector<analysis::RowError> errors;  // rejected rows, by line (the first kMaxErrors)
    std::vector<std::string> warnings;
};

class DatasetService : public agents::DataAccess {
  public:
    static constexpr std::size_t kDefaultRecordBudget = 500'000;

    // `uploads_per_minute`: each user's allowance of uploads (0 = unlimited), cluster-wide through `shared_limits`.
    DatasetService(std::shared_ptr<storage::Store> store, const analysis::Catalog& catalog, int uploads_per_minute,
                   core::SharedRateLimits& shared_limits, std::size_t record_budget = kDefaultRecordBudget);

    // Checks, before a byte of the body is read, the user's upload allowance (kRateLimited) and that the thread
    // (when given) is the user's. `name` empty =
    // "usage"; longer than 200 bytes is kValidationFailed. What `format` leaves open is detected from the data.
    core::Result<std::unique_ptr<Upload>> BeginUpload(const std::string& user_id,
                                                      const std::optional<std::string>& thread_id, std::string name,
                                                      analysis::FormatRequest format);
    // Ends the ingest, stores the records in bulk with the profile, and caches them. An empty file or one without
    // a usable header is the user's data problem: kValidationFailed.
    core::Result<UploadResult> FinishUpload(Upload& upload);

    core::Result<domain::Page<domain::Dataset>> List(const std::string& user_id, int limit,
                                                     const std::optional<std::string>& cursor);
    core::Result<domain::Dataset> Get(const std::string& user_id, const std::string& dataset_id);
    core::Status Delete(const std::string& user_id, const std::string& dataset_id);
    // kNotFound unless the dataset exists and is the user's.
    core::Status CheckOwned(const std::string& user_id, const std::string& dataset_id);

    // agents::DataAccess: the records in timestamp order, from the cache or storage.
    core::Result<std::optional<agents::DatasetView>> LoadDataset(const std::string& user_id,
                                                                 const std::string& dataset_id) override;

  private:
    using Records = std::vector<domain::UsageRecord>;
    std::shared_ptr<const Records> Cached(const std::string& dataset_id);
    void Remember(const std::string& dataset_id, std::shared_ptr<const Records> records);
    void Forget(const std::string& dataset_id);

    std::shared_ptr<storage::Store> store_;
    const analysis::Catalog& catalog_;
    std::size_t record_budget_;
    core::RateLimiter upload_limiter_;
    std::mutex mutex_;
    std::list<std::pair<std::string, std::shared_ptr<const Records>>> lru_;  // most recent first
    std::unordered_map<std::string, decltype(lru_)::iterator> by_id_;
    std::size_t cached_records_ = 0;
};

}  // namespace netra::datasets

#include "datasets/dataset_service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <thread>

#include "analysis/profile.hpp"
#include "core/ids.hpp"
#include "core/json_write.hpp"
#include "core/time.hpp"

namespace netra::datasets {
using core::ErrorCode;
using core::MakeError;

core::Status Upload::Feed(std::string_view chunk) {
    if (status_.ok()) status_ = ingest_.Feed(chunk);
    return status_;
}

DatasetService::DatasetService(std::shared_ptr<storage::Store> store, const analysis::Catalog& catalog,
                               int uploads_per_minute, core::SharedRateLimits& shared_limits, std::size_t record_budget)
    : store_(std::move(store)),
      catalog_(catalog),
      record_budget_(record_budget),
      upload_limiter_(uploads_per_minute, "uploads", shared_limits) {}

core::Result<std::unique_ptr<Upload>> DatasetService::BeginUpload(const std::string& user_id,
                                                                  const std::optional<std::string>& thread_id,
                                                                  std::string name, analysis::FormatRequest format) {
    if (name.empty()) name = format.syntax ? "usage." + std::string(analysis::FormatName(*format.syntax)) : "usage";
    if (name.size() > 200) return MakeError(ErrorCode::kValidationFailed, "name is longer than 200 bytes");
    if (auto d = upload_limiter_.Take(user_id); !d.allowed) return core::RateLimited("uploads", d.info);
    if (thread_id) {
        auto thread = store_->GetThread(user_id, *thread_id);
        if (!thread.ok()) return thread.error();
        if (!*thread) return MakeError(ErrorCode::kNotFound, "thread not found");
    }
    return std::unique_ptr<Upload>(new Upload(user_id, thread_id, std::move(name), format, catalog_));
}

core::Result<UploadResult> DatasetService::FinishUpload(Upload& upload) {
    auto finished = [&]() -> core::Status {
        if (!upload.status_.ok()) return upload.status_;
        return upload.ingest_.Finish();
    }();
    if (!finished.ok()) {
        auto error = finished.error();
        // Empty files and files without a usable header are the user's data problem, not a server error.
        if (error.code == ErrorCode::kInvalidRequest) error.code = ErrorCode::kValidationFailed;
        return error;
    }
    const auto& summary = upload.ingest_.Summary();
    UploadResult out;
    domain::Dataset& d = out.dataset;
    d.id = core::NewId();
    d.user_id = upload.user_id_;
    d.thread_id = upload.thread_id_;
    d.name = upload.name_;
    d.format = std::string(analysis::FormatName(summary.syntax));
    d.source_format = std::string(analysis::SourceName(summary.source));
    d.grain = summary.grain == analysis::Grain::kAggregate ? "aggregate" : "request";
    d.rows = summary.rows;
    d.rejected_rows = summary.rejected_rows;
    d.columns = summary.columns;
    d.created_at = core::NowMs();
    auto records = upload.ingest_.TakeRecords();
    // In the order storage returns them (timestamp, then upload order), profiled and cached, so results never
    // depend on whether a run read the records from the cache or from storage.
    analysis::OrderByTime(records);
    d.profile = "{}";
    if (auto s = store_->CreateDataset(d); !s.ok()) return s.error();
    // The profile is computed while the records are stored (both only read them): storing is the longer of the
    // two, so the profile costs no time of its own. A thread of its own: this is already a worker's task, and the
    // profile joins before the dataset is finalized (jthread joins on every exit path).
    std::string profile;
    {
        std::jthread profiler(
            [&] { profile = core::JsonText(analysis::ProfileToJson(analysis::ProfileUsage(records, catalog_))); });
        if (auto s = store_->InsertUsageRecords(d.id, records); !s.ok()) return s.error();
    }
    d.profile = std::move(profile);
    if (auto s = store_->FinalizeDataset(d.id, d.rows, d.rejected_rows, d.columns, d.profile); !s.ok()) {
        return s.error();
    }
    Remember(d.id, std::make_shared<const Records>(std::move(records)));
    out.errors = summary.errors;
    out.warnings = summary.warnings;
    return out;
}

core::Result<domain::Page<domain::Dataset>> DatasetService::List(const std::string& user_id, int limit,
                                                                 const std::optional<std::string>& cursor) {
    return store_->ListDatasets(user_id, limit, cursor);
}

core::Result<domain::Dataset> DatasetService::Get(const std::string& user_id, const std::string& dataset_id) {
    auto d = store_->GetDataset(user_id, dataset_id);
    if (!d.ok()) return d.error();
    if (!*d) return MakeError(ErrorCode::kNotFound, "dataset not found");
    return std::move(**d);
}

core::Status DatasetService::CheckOwned(const std::string& user_id, const std::string& dataset_id) {
    auto d = Get(user_id, dataset_id);
    if (!d.ok()) return d.error();
    return core::Ok();
}

core::Status DatasetService::Delete(const std::string& user_id, const std::string& dataset_id) {
    auto deleted = store_->DeleteDataset(user_id, dataset_id);
    if (!deleted.ok()) return deleted.error();
    if (!*deleted) return MakeError(ErrorCode::kNotFound, "dataset not found");
    Forget(dataset_id);
    return core::Ok();
}

core::Result<std::optional<agents::DatasetView>> DatasetService::LoadDataset(const std::string& user_id,
                                                                             const std::string& dataset_id) {
    auto meta = store_->GetDataset(user_id, dataset_id);
    if (!meta.ok()) return meta.error();
    if (!*meta) {
        Forget(dataset_id);  // deleted (or never the user's)
        return std::optional<agents::DatasetView>{};
    }
    auto records = Cached(dataset_id);
    if (!records) {
        auto loaded = store_->LoadUsageRecords(dataset_id);
        if (!loaded.ok()) return loaded.error();
        records = std::make_shared<const Records>(std::move(*loaded));
        Remember(dataset_id, records);
    }
    return std::optional<agents::DatasetView>(agents::DatasetView{std::move(**meta), {std::move(records)}});
}

std::shared_ptr<const DatasetService::Records> DatasetService::Cached(const std::string& dataset_id) {
    std::lock_guard lock(mutex_);
    auto it = by_id_.find(dataset_id);
    if (it == by_id_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
}

void DatasetService::Remember(const std::string& dataset_id, std::shared_ptr<const Records> records) {
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

void DatasetService::Forget(const std::string& dataset_id) {
    std::lock_guard lock(mutex_);
    if (auto it = by_id_.find(dataset_id); it != by_id_.end()) {
        cached_records_ -= it->second->second->size();
        lru_.erase(it->second);
        by_id_.erase(it);
    }
}

}  // namespace netra::datasets

#include "datasets/dataset_service.hpp"

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "storage/open_store.hpp"

namespace netra::datasets {
namespace {

core::NoSharedRateLimits no_shared_limits;  // one instance: every allowance is local

struct Fixture {
    std::shared_ptr<storage::Store> store;
    std::string user = core::NewId();
    Fixture() {
        store = *storage::OpenStore("sqlite::memory:");
        EXPECT_TRUE(store->Migrate().ok());
        domain::User u;
        u.id = user;
        u.email = user + "@example.com";
        u.created_at = 1;
        EXPECT_TRUE(store->CreateUser(u).ok());
    }
    std::string Dataset(int rows) {
        domain::Dataset d;
        d.id = core::NewId();
        d.user_id = user;
        d.name = "d";
        d.format = "csv";
        d.profile = "{}";
        d.created_at = 1;
        EXPECT_TRUE(store->CreateDataset(d).ok());
        std::vector<domain::UsageRecord> records(static_cast<std::size_t>(rows));
        for (int i = 0; i < rows; ++i) {
            records[static_cast<std::size_t>(i)].ts = i;
            records[static_cast<std::size_t>(i)].model = "gpt-4o";
            records[static_cast<std::size_t>(i)].input_tokens = i;
        }
        EXPECT_TRUE(store->InsertUsageRecords(d.id, records).ok());
        EXPECT_TRUE(store->FinalizeDataset(d.id, rows, 0, {"timestamp"}, "{}").ok());
        return d.id;
    }
};

}  // namespace

TEST(DatasetService, ServesCachedRecordsButChecksOwnershipAndDeletion) {
    Fixture f;
    DatasetService access(f.store, analysis::BundledCatalog(), 0, no_shared_limits, 10);
    auto id = f.Dataset(5);
    auto first = access.LoadDataset(f.user, id);
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ((*first)->RowCount(), 5u);
    auto again = access.LoadDataset(f.user, id);
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_EQ((*again)->chunks.at(0)->at(4).input_tokens, 4);
    auto stranger = access.LoadDataset(core::NewId(), id);
    ASSERT_TRUE(stranger.ok());
    EXPECT_FALSE(stranger->has_value());
    ASSERT_TRUE(f.store->DeleteDataset(f.user, id).ok());
    auto deleted = access.LoadDataset(f.user, id);
    ASSERT_TRUE(deleted.ok());
    EXPECT_FALSE(deleted->has_value());
}

TEST(DatasetService, EvictsWithinTheRecordBudget) {
    Fixture f;
    DatasetService access(f.store, analysis::BundledCatalog(), 0, no_shared_limits, 10);
    auto a = f.Dataset(6), b = f.Dataset(6), big = f.Dataset(11);
    for (const auto& id : {a, b, big, a}) {
        auto r = access.LoadDataset(f.user, id);
        ASSERT_TRUE(r.ok() && r->has_value());
    }
    auto r = access.LoadDataset(f.user, b);  // evicted by `a` coming back: still served from storage
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->RowCount(), 6u);
}

TEST(DatasetService, UploadStoresProfilesAndServesTheRecords) {
    Fixture f;
    DatasetService service(f.store, analysis::BundledCatalog(), 0, no_shared_limits);
    auto foreign = service.BeginUpload(f.user, core::NewId(), "", analysis::FormatRequest{analysis::Format::kCsv, {}});
    ASSERT_FALSE(foreign.ok());
    EXPECT_EQ(foreign.error().code, core::ErrorCode::kNotFound);
    auto long_name = service.BeginUpload(f.user, std::nullopt, std::string(201, 'x'),
                                         analysis::FormatRequest{analysis::Format::kCsv, {}});
    ASSERT_FALSE(long_name.ok());
    EXPECT_EQ(long_name.error().code, core::ErrorCode::kValidationFailed);

    auto upload = service.BeginUpload(f.user, std::nullopt, "", analysis::FormatRequest{analysis::Format::kCsv, {}});
    ASSERT_TRUE(upload.ok());
    ASSERT_TRUE((*upload)->Feed("timestamp,model,input_tokens,output_tokens\n2025-01-02T00:00:00Z,gpt-4o,100,").ok());
    ASSERT_TRUE((*upload)->Feed("20\n2025-01-01T00:00:00Z,gpt-4o,50,10\nnot-a-time,gpt-4o,1,1\n").ok());
    auto done = service.FinishUpload(**upload);
    ASSERT_TRUE(done.ok()) << done.error().message;
    EXPECT_EQ(done->dataset.name, "usage.csv");
    EXPECT_EQ(done->dataset.rows, 2);
    EXPECT_EQ(done->dataset.rejected_rows, 1);
    ASSERT_EQ(done->errors.size(), 1u);
    EXPECT_EQ(done->errors[0].line, 4);
    auto view = service.LoadDataset(f.user, done->dataset.id);
    ASSERT_TRUE(view.ok() && view->has_value());
    ASSERT_EQ((*view)->RowCount(), 2u);
    EXPECT_EQ((*view)->chunks.at(0)->at(0).input_tokens, 50);  // timestamp order, as storage returns them
    ASSERT_TRUE(service.Delete(f.user, done->dataset.id).ok());
    EXPECT_EQ(service.Delete(f.user, done->dataset.id).error().code, core::ErrorCode::kNotFound);

    auto empty =
        service.BeginUpload(f.user, std::nullopt, "empty", analysis::FormatRequest{analysis::Format::kCsv, {}});
    ASSERT_TRUE(empty.ok());
    auto refused = service.FinishUpload(**empty);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, core::ErrorCode::kValidationFailed);
}

}  // namespace netra::datasets

#include "runs/store_data_access.hpp"

#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "storage/open_store.hpp"

namespace netra::runs {
namespace {

struct Fixture {
    std::shared_ptr<storage::Store> store;
    std::string user = core::NewId();
    Fixture() {
        store = *storage::OpenStore("sqlite::memory:");
        EXPECT_TRUE(store->Migrate().ok());
        storage::User u;
        u.id = user;
        u.email = user + "@example.com";
        u.created_at = 1;
        EXPECT_TRUE(store->CreateUser(u).ok());
    }
    std::string Dataset(int rows) {
        storage::Dataset d;
        d.id = core::NewId();
        d.user_id = user;
        d.name = "d";
        d.format = "csv";
        d.profile = "{}";
        d.created_at = 1;
        EXPECT_TRUE(store->CreateDataset(d).ok());
        std::vector<storage::UsageRecord> records(static_cast<std::size_t>(rows));
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

TEST(StoreDataAccess, ServesCachedRecordsButChecksOwnershipAndDeletion) {
    Fixture f;
    StoreDataAccess access(f.store, 10);
    auto id = f.Dataset(5);
    auto first = access.LoadDataset(f.user, id);
    ASSERT_TRUE(first.ok() && first->has_value());
    EXPECT_EQ((*first)->records.size(), 5u);
    auto again = access.LoadDataset(f.user, id);
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_EQ((*again)->records[4].input_tokens, 4);
    auto stranger = access.LoadDataset(core::NewId(), id);
    ASSERT_TRUE(stranger.ok());
    EXPECT_FALSE(stranger->has_value());
    ASSERT_TRUE(f.store->DeleteDataset(f.user, id).ok());
    auto deleted = access.LoadDataset(f.user, id);
    ASSERT_TRUE(deleted.ok());
    EXPECT_FALSE(deleted->has_value());
}

TEST(StoreDataAccess, EvictsWithinTheRecordBudget) {
    Fixture f;
    StoreDataAccess access(f.store, 10);
    auto a = f.Dataset(6), b = f.Dataset(6), big = f.Dataset(11);
    for (const auto& id : {a, b, big, a}) {
        auto r = access.LoadDataset(f.user, id);
        ASSERT_TRUE(r.ok() && r->has_value());
    }
    auto r = access.LoadDataset(f.user, b);  // evicted by `a` coming back: still served from storage
    ASSERT_TRUE(r.ok() && r->has_value());
    EXPECT_EQ((*r)->records.size(), 6u);
}

}  // namespace netra::runs

#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <set>

namespace netra::core {

TEST(Ids, AreUuidV7AndInCreationOrder) {
    std::string previous;
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        std::string id = NewId();
        ASSERT_EQ(id.size(), 36u);
        EXPECT_EQ(id[14], '7');
        EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
        EXPECT_LT(previous, id);
        EXPECT_TRUE(seen.insert(id).second);
        previous = id;
    }
}

TEST(Ids, HexAndHash) {
    EXPECT_EQ(RandomHex(32).size(), 64u);
    EXPECT_NE(RandomHex(), RandomHex());
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace netra::core

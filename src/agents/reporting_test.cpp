#include "agents/reporting.hpp"

#include <gtest/gtest.h>

namespace netra::agents {

TEST(Reporting, ChunksConcatenateToTheReport) {
    auto t = Triage({"We spend $40k/month on GPT-4o for customer support"}, false);
    std::string md = RenderReport(t);
    EXPECT_NE(md.find("$40,000"), std::string::npos);
    for (std::size_t limit : {16u, 64u, 512u, 100000u}) {
        auto chunks = ChunkReport(md, limit);
        std::string joined;
        for (const auto& c : chunks) {
            EXPECT_FALSE(c.empty());
            joined += c;
        }
        EXPECT_EQ(joined, md);
        EXPECT_GT(chunks.size(), 1u);
    }
}

}  // namespace netra::agents

#include "core/faults.hpp"

#include <gtest/gtest.h>

namespace netra::core {

TEST(Faults, MatchesTargetsAndWildcardAndClears) {
    FaultRegistry faults;
    EXPECT_FALSE(faults.Check("llm"));
    faults.Set(FaultSpec{"tool:*", "latency", 1.0, 50, 0, {}, {}});
    auto f = faults.Check("tool:render_report");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->latency_ms, 50);
    EXPECT_FALSE(faults.Check("llm"));
    faults.Set(FaultSpec{"llm", "error", 0.0, 0, 0, {}, {}});
    EXPECT_FALSE(faults.Check("llm"));  // rate 0 never fires
    EXPECT_EQ(faults.Active().size(), 2u);
    faults.Clear();
    EXPECT_FALSE(faults.Check("tool:x"));
}

}  // namespace netra::core

#include "core/time.hpp"

#include <gtest/gtest.h>

namespace netra::core {

TEST(Time, FormatsRfc3339WithMillis) {
    EXPECT_EQ(FormatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(FormatRfc3339Ms(1764030804123), "2025-11-25T00:33:24.123Z");
}

TEST(Time, ParsesRfc3339AndEpochForms) {
    EXPECT_EQ(ParseTimestamp("2025-11-25T00:33:24.123Z"), 1764030804123);
    EXPECT_EQ(ParseTimestamp("2025-11-25T01:33:24.123+01:00"), 1764030804123);
    EXPECT_EQ(ParseTimestamp("2025-11-25T00:33:24Z"), 1764030804000);
    EXPECT_EQ(ParseTimestamp("1764030804"), 1764030804000);
    EXPECT_EQ(ParseTimestamp("1764030804123"), 1764030804123);
    EXPECT_EQ(ParseTimestamp("2025-11-25"), 1764028800000);
}

TEST(Time, RejectsGarbage) {
    EXPECT_FALSE(ParseTimestamp(""));
    EXPECT_FALSE(ParseTimestamp("yesterday"));
    EXPECT_FALSE(ParseTimestamp("2025-13-01T00:00:00Z"));
    EXPECT_FALSE(ParseTimestamp("2025-11-25T00:33:24Q"));
}

// Found by fuzz/fuzz_otlp: a digits-only timestamp past int64 milliseconds (~9.2e24 as nanoseconds) was cast from
// double to int64, which is undefined behaviour (UBSan: float-cast-overflow). It is refused instead.
TEST(Time, RejectsEpochNumbersPastInt64Millis) {
    EXPECT_FALSE(ParseTimestamp("1748770000000000000000000000000.5"));
    EXPECT_FALSE(ParseTimestamp("17487700000000000000000000000000"));
    EXPECT_FALSE(ParseTimestamp("9000000000000000000000000"));
    EXPECT_TRUE(ParseTimestamp("8999999999999999000000000").has_value());
    EXPECT_EQ(ParseTimestamp("1748772000000000000.5"), Millis{1748772000000});
}

TEST(Time, RoundTrips) {
    for (Millis ms : {Millis{0}, Millis{1}, Millis{951782400999}, Millis{4102444800000}}) {
        EXPECT_EQ(ParseTimestamp(FormatRfc3339Ms(ms)), ms);
    }
}

}  // namespace netra::core

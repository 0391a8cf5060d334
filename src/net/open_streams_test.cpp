#include "net/open_streams.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace netra::net {
namespace {

TEST(OpenStreams, StopAllStopsEveryOpenStreamOnce) {
    OpenStreams streams;
    int a = 0, b = 0;
    {
        OpenStreams::Registration first(streams, [&] { ++a; });
        OpenStreams::Registration second(streams, [&] { ++b; });
        EXPECT_EQ(streams.size(), 2u);
        streams.StopAll();
        EXPECT_EQ(a, 1);
        EXPECT_EQ(b, 1);
    }
    EXPECT_EQ(streams.size(), 0u);
}

TEST(OpenStreams, AnEndedStreamIsNotStopped) {
    OpenStreams streams;
    int stopped = 0;
    {
        OpenStreams::Registration ended(streams, [&] { ++stopped; });
    }
    streams.StopAll();
    EXPECT_EQ(stopped, 0);
}

TEST(OpenStreams, AStreamOpenedAfterStopAllIsStoppedAtOnce) {
    // A stream that passed the shutting-down check just before the shutdown stopped the others must not wait for its
    // next event or keep-alive.
    OpenStreams streams;
    streams.StopAll();
    int stopped = 0;
    std::optional<OpenStreams::Registration> late;
    late.emplace(streams, [&] { ++stopped; });
    EXPECT_EQ(stopped, 1);
    EXPECT_EQ(streams.size(), 0u);
    late.reset();
}

}  // namespace
}  // namespace netra::net

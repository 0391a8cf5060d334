#include "llm/sse_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netra::llm {
namespace {

std::vector<std::string> ParseInPieces(std::string_view text, std::size_t piece) {
    SseParser parser;
    std::vector<std::string> events;
    auto sink = [&](std::string_view data) {
        events.emplace_back(data);
        return true;
    };
    for (std::size_t i = 0; i < text.size(); i += piece) EXPECT_TRUE(parser.Feed(text.substr(i, piece), sink));
    EXPECT_TRUE(parser.Finish(sink));
    return events;
}

TEST(SseParser, EventsSurviveAnySplit) {
    const std::string text =
        ": keep-alive\r\n\r\nevent: message\r\ndata: {\"a\":1}\r\n\r\ndata:{\"b\":2}\n\ndata: x\ndata: y\r\rdata: "
        "[DONE]\n\n";
    for (std::size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
        auto events = ParseInPieces(text, piece);
        ASSERT_EQ(events.size(), 4u) << "piece " << piece;
        EXPECT_EQ(events[0], "{\"a\":1}");
        EXPECT_EQ(events[1], "{\"b\":2}");
        EXPECT_EQ(events[2], "x\ny");
        EXPECT_EQ(events[3], "[DONE]");
    }
}

TEST(SseParser, FinishDispatchesALastEventWithoutBlankLine) {
    auto events = ParseInPieces("data: [DONE]", 5);
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0], "[DONE]");
}

TEST(SseParser, SinkCanStopAndLongLinesAreRefused) {
    SseParser parser;
    int seen = 0;
    EXPECT_FALSE(parser.Feed("data: 1\n\ndata: 2\n\n", [&](std::string_view) { return ++seen < 1; }));
    EXPECT_EQ(seen, 1);
    SseParser small(8);
    EXPECT_FALSE(small.Feed("data: 0123456789", [](std::string_view) { return true; }));
    EXPECT_TRUE(small.line_too_long());
}

}  // namespace
}  // namespace netra::llm

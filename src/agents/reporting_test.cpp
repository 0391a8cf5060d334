#include "agents/reporting.hpp"

#include <gtest/gtest.h>

namespace netra::agents {

TEST(Reporting, ChunksConcatenateToTheReport) {
    auto t = Triage({"We spend $40k/month on GPT-4o for customer support — help"}, false);
    ReportInputs in;
    in.triage = &t;
    std::string md = RenderReport(in);
    EXPECT_NE(md.find("$40,000.00"), std::string::npos);
    EXPECT_EQ(ReportType(in), "guidance");
    for (std::size_t limit : {16u, 64u, 512u, 100000u}) {
        auto chunks = ChunkReport(md, limit);
        std::string joined;
        for (const auto& c : chunks) {
            EXPECT_FALSE(c.empty());
            EXPECT_NE(static_cast<unsigned char>(c[0]) & 0xC0, 0x80u);  // never starts inside a UTF-8 sequence
            joined += c;
        }
        EXPECT_EQ(joined, md);
        EXPECT_GT(chunks.size(), 1u);
    }
}

TEST(Reporting, Money) {
    EXPECT_EQ(Money(0), "$0.00");
    EXPECT_EQ(Money(1.281), "$1.28");
    EXPECT_EQ(Money(1234567.891), "$1,234,567.89");
    EXPECT_EQ(Money(-40000), "-$40,000.00");
}

TEST(Reporting, AStaleCatalogIsNamedAmongTheDataGaps) {
    auto t = Triage({"How can we cut costs?"}, true);
    analysis::Profile profile;
    profile.rows = 1;
    profile.end_ts = 1'767'225'600'000;  // 2026-01-01
    ReportInputs in;
    in.triage = &t;
    in.profile = &profile;
    in.catalog_as_of = "2025-04-15";
    std::string md = RenderReport(in);
    EXPECT_NE(md.find("The supply catalog is as of 2025-04-15, 261 days before the last day of the data"),
              std::string::npos)
        << md;
    in.catalog_as_of = "2025-12-01";  // 31 days: current enough
    EXPECT_EQ(RenderReport(in).find("The supply catalog is as of"), std::string::npos);
}

}  // namespace netra::agents

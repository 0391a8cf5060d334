#pragma once
// Shared by the ingest unit tests: feeding a text through UsageIngest in chunks of a given size.
#include <string_view>
#include <vector>

#include "analysis/ingest.hpp"

namespace netra::analysis::ingest_testing {

struct Ingested {
    core::Status status;
    std::vector<domain::UsageRecord> records;
    IngestSummary summary;
};

// Feeds `text` in chunks of `chunk` bytes (0 = all at once), then finishes.
inline Ingested Ingest(FormatRequest format, std::string_view text, std::size_t chunk, const Catalog& catalog) {
    UsageIngest ingest(format, catalog);
    Ingested out;
    if (chunk == 0) chunk = text.size() + 1;
    for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
        out.status = ingest.Feed(text.substr(pos, chunk));
        if (!out.status.ok()) break;
    }
    if (out.status.ok()) out.status = ingest.Finish();
    out.records = ingest.TakeRecords();
    out.summary = ingest.Summary();
    return out;
}

}  // namespace netra::analysis::ingest_testing

#pragma once
// Shared by the usage-importer fuzz targets: the input's first byte picks the chunk size the rest is fed in (a
// line or record may straddle chunks) and, where the syntax is fixed, a forced source; then the rest is fed
// through analysis::UsageIngest against the bundled catalog and finished, as an upload is.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "analysis/catalog.hpp"
#include "analysis/ingest.hpp"
#include "analysis/usage_formats.hpp"

namespace netra::fuzzing {

inline void FuzzIngest(std::optional<analysis::Format> syntax, std::optional<analysis::SourceFormat> source,
                       bool pick_source, const std::uint8_t* data, std::size_t size) {
    if (size < 1) return;
    const std::uint8_t control = data[0];
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    // Low 3 bits: chunk size (0 = all at once, else 1 << bits bytes). High bits: a forced source, when allowed.
    const unsigned chunk_bits = control & 7u;
    const std::size_t chunk = chunk_bits == 0 ? text.size() + 1 : (std::size_t{1} << (chunk_bits - 1));
    if (pick_source) {
        const auto sources = analysis::AllSources();
        const unsigned pick = control >> 3;
        if (pick != 0 && pick <= sources.size()) source = sources[pick - 1].id;
    }
    static const analysis::Catalog& catalog = analysis::BundledCatalog();
    analysis::UsageIngest ingest(analysis::FormatRequest{syntax, source}, catalog);
    ingest.ExpectBytes(text.size());
    core::Status status;
    for (std::size_t pos = 0; pos < text.size(); pos += chunk) {
        status = ingest.Feed(text.substr(pos, chunk));
        if (!status.ok()) break;
        if (pos % 4096 == 0) (void)ingest.TakeRecords();  // callers drain while streaming
    }
    if (status.ok()) (void)ingest.Finish();
    (void)ingest.TakeRecords();
    (void)ingest.Summary();
}

}  // namespace netra::fuzzing

#pragma once
// A usage log held whole in memory (`netra analyze` maps its file), parsed on several threads: the input is cut at
// record boundaries (newlines outside CSV quotes) into one part per worker, each part is parsed by its own
// UsageIngest that continues the first one's header and line count, and each keeps its records where it built them
// (joining them would copy hundreds of megabytes: the analysis reads parts as they are, analysis::RecordSpans). The
// records, the summary, the errors (with their file lines) and the warnings are those one UsageIngest fed the same
// bytes gives; a JSON document, and input too small to be worth cutting, are parsed on the calling thread.
#include <string_view>
#include <vector>

#include "analysis/catalog.hpp"
#include "analysis/ingest.hpp"
#include "core/error.hpp"
#include "domain/records.hpp"

namespace netra::analysis {

struct WholeIngest {
    IngestSummary summary;
    std::vector<std::vector<domain::UsageRecord>> parts;  // the records in input order, part after part (none empty)
};

// Parts smaller than this are not worth a thread: starting one and joining the parts costs about as much.
inline constexpr std::size_t kMinPartBytes = 4u << 20;

// `workers`: threads to use, the calling one included (1 = no other thread). `min_part_bytes`: see kMinPartBytes
// (tests cut small inputs with a smaller one).
core::Result<WholeIngest> IngestWhole(std::string_view data, FormatRequest format, const Catalog& catalog,
                                      unsigned workers, std::size_t min_part_bytes = kMinPartBytes);

// OrderByTime across parts: nothing moves when they are in order already (the common case), else they are joined
// into one and ordered.
void OrderByTime(std::vector<std::vector<domain::UsageRecord>>& parts);

}  // namespace netra::analysis

// libFuzzer target: the usage importer on JSONL input (analysis::UsageIngest, the syntax forced to JSONL; the
// source detected from the keys or forced by the first byte's high bits). See usage_fuzz.hpp.
#include "usage_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    netra::fuzzing::FuzzIngest(netra::analysis::Format::kJsonl, std::nullopt, true, data, size);
    return 0;
}

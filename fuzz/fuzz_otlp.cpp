// libFuzzer target: the usage importer on OTLP JSON (OpenTelemetry GenAI spans): source forced to OTel, syntax
// detected (an OTLP export is one JSON document, or one per line). See usage_fuzz.hpp.
#include "usage_fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    netra::fuzzing::FuzzIngest(std::nullopt, netra::analysis::SourceFormat::kOtel, false, data, size);
    return 0;
}

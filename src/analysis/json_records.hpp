#pragma once
// Internal to the ingest: finding the usage records inside a JSON document (a provider's API report, an OTLP trace
// export, an array of logged requests) and flattening one record's nested fields into dotted names.
#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/usage_formats.hpp"
#include "core/error.hpp"

namespace netra::analysis::json_records {

// One scalar field of a record: its dotted path (lower-case keys) and its value as text.
struct Field {
    std::string path;
    std::string text;
};

// Appends the scalar fields under `element` to `out`, keys joined with '.' below `prefix`. Arrays of scalars
// become one comma-separated value; arrays of {key, value} objects (OTLP attributes) become fields named by their
// keys, with OTLP's typed value wrappers ({"stringValue": …}) unwrapped; other arrays are skipped.
void Flatten(simdjson::dom::element element, std::string_view prefix, std::vector<Field>& out);

// Line numbers of a JSON text's objects in document order (the n-th '{' outside strings is the n-th object a
// pre-order walk of the parsed document meets): how a bad record in a pretty-printed report gets its line.
std::vector<std::int64_t> ObjectLines(std::string_view json);

struct Record {
    simdjson::dom::element object;  // a JSON object
    std::int64_t line = 0;
    const std::vector<Field>* context = nullptr;  // the enclosing bucket's or resource's fields
};

// Calls `visit` for every record of `source` in `root`, in document order. Where the records lie:
//   bucketed reports (OpenAI, Anthropic): {data:[{…bucket, results:[record…]}]}, or an array of such pages;
//   OTLP: {resourceSpans:[{resource:{attributes}, scopeSpans:[{spans:[record…]}]}]};
//   anything else: an array of records, or {data:[record…]} (also "observations", "requests", "logs").
// Fails when the document holds no such list.
core::Status ForEachRecord(SourceFormat source, simdjson::dom::element root, const std::vector<std::int64_t>& lines,
                           const std::function<void(const Record&)>& visit);

// The distinctive keys of the first record `ForEachRecord` would visit, flattened (for DetectSource), plus the
// root's keys; empty when the document has no records.
std::vector<std::string> SampleKeys(simdjson::dom::element root);

}  // namespace netra::analysis::json_records

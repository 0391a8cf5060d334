#include "analysis/json_records.hpp"

#include <charconv>

namespace netra::analysis::json_records {
namespace dom = simdjson::dom;
using core::ErrorCode;
using core::MakeError;

namespace {

constexpr int kMaxDepth = 32;

// An empty object and an empty array, each in a document of its own: what AsObject / AsArray return for an element
// of another type. A default-constructed dom::object or dom::array points at no document, and iterating one reads
// through a null pointer (found by fuzz/fuzz_usage_json: a bucketed export whose "data" is an object).
const dom::object& EmptyObject() {
    static const simdjson::padded_string json(std::string_view("{}"));
    static dom::parser parser;
    static const dom::object empty = parser.parse(json).get_object().value();
    return empty;
}

const dom::array& EmptyArray() {
    static const simdjson::padded_string json(std::string_view("[]"));
    static dom::parser parser;
    static const dom::array empty = parser.parse(json).get_array().value();
    return empty;
}

// Unwrapped into locals first: a range-for over get_object().value_unsafe() would iterate a dangling temporary.
dom::object AsObject(dom::element e) {
    dom::object o;
    if (e.get_object().get(o) != simdjson::SUCCESS) return EmptyObject();
    return o;
}

dom::array AsArray(dom::element e) {
    dom::array a;
    if (e.get_array().get(a) != simdjson::SUCCESS) return EmptyArray();
    return a;
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string Join(std::string_view prefix, std::string_view key) {
    std::string path = Lower(key);
    return prefix.empty() ? path : std::string(prefix) + "." + path;
}

bool ScalarText(dom::element e, std::string& out) {
    char buf[32];
    switch (e.type()) {
        case dom::element_type::STRING:
            out.assign(std::string_view(e.get_string().value_unsafe()));
            return true;
        case dom::element_type::INT64: {
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, e.get_int64().value_unsafe());
            out.assign(buf, p);
            return true;
        }
        case dom::element_type::UINT64: {
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, e.get_uint64().value_unsafe());
            out.assign(buf, p);
            return true;
        }
        case dom::element_type::DOUBLE: {
            auto [p, ec] = std::to_chars(buf, buf + sizeof buf, e.get_double().value_unsafe());
            out.assign(buf, p);
            return true;
        }
        case dom::element_type::BOOL:
            out = e.get_bool().value_unsafe() ? "true" : "false";
            return true;
        default:
            return false;
    }
}

// OTLP JSON wraps attribute values: {"stringValue": "x"}, {"intValue": "12"}, {"arrayValue": {"values": […]}}.
dom::element Unwrap(dom::element value) {
    dom::object o;
    if (value.get_object().get(o) != simdjson::SUCCESS || o.size() != 1) return value;
    auto kv = *o.begin();
    std::string_view key = kv.key;
    if (key == "arrayValue") {
        dom::element values;
        if (kv.value.at_key("values").get(values) == simdjson::SUCCESS) return values;
        return value;
    }
    if (key.size() > 5 && key.ends_with("Value")) return kv.value;
    return value;
}

void FlattenAt(dom::element e, const std::string& prefix, std::vector<Field>& out, int depth) {
    if (depth > kMaxDepth) return;
    switch (e.type()) {
        case dom::element_type::OBJECT:
            for (auto kv : AsObject(e)) FlattenAt(kv.value, Join(prefix, kv.key), out, depth + 1);
            return;
        case dom::element_type::ARRAY: {
            dom::array a = AsArray(e);
            bool scalars = true, key_values = a.size() > 0;
            for (dom::element item : a) {
                if (item.is_object()) {
                    scalars = false;
                    dom::object o = AsObject(item);
                    dom::element k;
                    if (o.at_key("key").get(k) != simdjson::SUCCESS || !k.is_string() || o.at_key("value").error()) {
                        key_values = false;
                    }
                } else {
                    key_values = false;
                    if (item.is_array()) scalars = false;
                }
            }
            if (key_values) {
                for (dom::element item : a) {
                    dom::object o = AsObject(item);
                    FlattenAt(Unwrap(o["value"].value_unsafe()),
                              Join(prefix, std::string_view(o["key"].get_string().value_unsafe())), out, depth + 1);
                }
                return;
            }
            if (!scalars) return;
            std::string joined, text;
            for (dom::element item : a) {
                dom::element v = Unwrap(item);
                if (!ScalarText(v, text)) continue;
                if (!joined.empty()) joined.push_back(',');
                joined += text;
            }
            out.push_back(Field{prefix, std::move(joined)});
            return;
        }
        default: {
            std::string text;
            if (ScalarText(e, text)) out.push_back(Field{prefix, std::move(text)});
            return;
        }
    }
}

std::size_t CountObjects(dom::element e, int depth = 0) {
    if (depth > 512) return 0;
    std::size_t n = 0;
    if (e.is_object()) {
        n = 1;
        for (auto kv : AsObject(e)) n += CountObjects(kv.value, depth + 1);
    } else if (e.is_array()) {
        for (dom::element item : AsArray(e)) n += CountObjects(item, depth + 1);
    }
    return n;
}

// Keeps the pre-order object count in step with the document while the walk skips what it does not read.
class Walk {
  public:
    Walk(const std::vector<std::int64_t>& lines, const std::function<void(const Record&)>& visit)
        : lines_(lines), visit_(visit) {}

    std::int64_t Enter() {
        std::int64_t line = next_ < lines_.size() ? lines_[next_] : 0;
        ++next_;
        return line;
    }
    void Skip(dom::element e) { next_ += CountObjects(e); }
    // A record: reported, then its nested objects counted.
    void Visit(dom::element record, const std::vector<Field>* context) {
        Record r{record, Enter(), context};
        visit_(r);
        for (auto kv : AsObject(record)) Skip(kv.value);
        ++visited_;
    }
    std::size_t visited() const { return visited_; }
    bool found_list = false;

  private:
    const std::vector<std::int64_t>& lines_;
    const std::function<void(const Record&)>& visit_;
    std::size_t next_ = 0;
    std::size_t visited_ = 0;
};

void Scalars(dom::object o, std::vector<Field>& out) {
    std::string text;
    for (auto kv : o) {
        if (ScalarText(kv.value, text)) out.push_back(Field{Lower(kv.key), text});
    }
}

// {…bucket fields, results:[record…]}
void WalkBucket(Walk& walk, dom::object bucket) {
    walk.Enter();
    std::vector<Field> context;
    Scalars(bucket, context);
    for (auto kv : bucket) {
        if (kv.key == "results" && kv.value.is_array()) {
            walk.found_list = true;
            for (dom::element item : AsArray(kv.value)) {
                if (item.is_object()) {
                    walk.Visit(item, &context);
                } else {
                    walk.Skip(item);
                }
            }
        } else {
            walk.Skip(kv.value);
        }
    }
}

void WalkBucketList(Walk& walk, dom::array buckets);

// A page: {data:[bucket…], has_more, …}
void WalkPage(Walk& walk, dom::object page) {
    walk.Enter();
    for (auto kv : page) {
        if (kv.key == "data" && kv.value.is_array()) {
            WalkBucketList(walk, AsArray(kv.value));
        } else {
            walk.Skip(kv.value);
        }
    }
}

void WalkBucketList(Walk& walk, dom::array buckets) {
    for (dom::element item : buckets) {
        dom::object o;
        if (item.get_object().get(o) != simdjson::SUCCESS) {
            walk.Skip(item);
        } else if (!o.at_key("results").error()) {
            WalkBucket(walk, o);
        } else if (!o.at_key("data").error()) {
            WalkPage(walk, o);
        } else {
            walk.Skip(item);
        }
    }
}

void WalkOtlp(Walk& walk, dom::object root) {
    walk.Enter();
    for (auto kv : root) {
        if (kv.key != "resourceSpans" || !kv.value.is_array()) {
            walk.Skip(kv.value);
            continue;
        }
        walk.found_list = true;
        for (dom::element rs : AsArray(kv.value)) {
            dom::object rso;
            if (rs.get_object().get(rso) != simdjson::SUCCESS) {
                walk.Skip(rs);
                continue;
            }
            walk.Enter();
            std::vector<Field> context;
            if (dom::element resource; rso.at_key("resource").get(resource) == simdjson::SUCCESS) {
                FlattenAt(resource, "resource", context, 0);
            }
            for (auto field : rso) {
                if ((field.key != "scopeSpans" && field.key != "instrumentationLibrarySpans") ||
                    !field.value.is_array()) {
                    walk.Skip(field.value);
                    continue;
                }
                for (dom::element ss : AsArray(field.value)) {
                    dom::object sso;
                    if (ss.get_object().get(sso) != simdjson::SUCCESS) {
                        walk.Skip(ss);
                        continue;
                    }
                    walk.Enter();
                    for (auto sf : sso) {
                        if (sf.key != "spans" || !sf.value.is_array()) {
                            walk.Skip(sf.value);
                            continue;
                        }
                        for (dom::element span : AsArray(sf.value)) {
                            if (span.is_object()) {
                                walk.Visit(span, &context);
                            } else {
                                walk.Skip(span);
                            }
                        }
                    }
                }
            }
        }
    }
}

constexpr std::string_view kListKeys[] = {"data", "observations", "requests", "logs", "items", "results"};

void WalkRecordList(Walk& walk, dom::array records) {
    walk.found_list = true;
    for (dom::element item : records) {
        if (item.is_object()) {
            walk.Visit(item, nullptr);
        } else {
            walk.Skip(item);
        }
    }
}

bool IsBucketed(SourceFormat source) {
    return source == SourceFormat::kOpenAiUsage || source == SourceFormat::kOpenAiCosts ||
           source == SourceFormat::kAnthropicUsage || source == SourceFormat::kAnthropicCosts;
}

// The first bucket or record list found, for detection: the first record and its bucket's fields.
bool FirstRecord(dom::element e, std::vector<Field>& keys, int depth) {
    if (depth > 4) return false;
    dom::object o;
    dom::array a;
    if (e.get_array().get(a) == simdjson::SUCCESS) {
        for (dom::element item : a) {
            dom::object io;
            if (item.get_object().get(io) != simdjson::SUCCESS) continue;
            if (!io.at_key("results").error() || !io.at_key("data").error()) {
                if (FirstRecord(item, keys, depth + 1)) return true;
                continue;
            }
            FlattenAt(item, "", keys, 0);
            return true;
        }
        return false;
    }
    if (e.get_object().get(o) != simdjson::SUCCESS) return false;
    if (dom::element results; o.at_key("results").get(results) == simdjson::SUCCESS && results.is_array()) {
        for (dom::element item : AsArray(results)) {
            if (!item.is_object()) continue;
            Scalars(o, keys);
            FlattenAt(item, "", keys, 0);
            return true;
        }
        return false;
    }
    for (std::string_view list : kListKeys) {
        if (dom::element inner; o.at_key(list).get(inner) == simdjson::SUCCESS && inner.is_array()) {
            return FirstRecord(inner, keys, depth + 1);
        }
    }
    return false;
}

}  // namespace

void Flatten(dom::element element, std::string_view prefix, std::vector<Field>& out) {
    FlattenAt(element, std::string(prefix), out, 0);
}

std::vector<std::int64_t> ObjectLines(std::string_view json) {
    std::vector<std::int64_t> lines;
    std::int64_t line = 1;
    bool in_string = false;
    for (std::size_t i = 0; i < json.size(); ++i) {
        const char c = json[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            } else if (c == '\n') {
                ++line;  // not valid JSON, but keeps counting honest
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{') {
            lines.push_back(line);
        } else if (c == '\n') {
            ++line;
        }
    }
    return lines;
}

core::Status ForEachRecord(SourceFormat source, dom::element root, const std::vector<std::int64_t>& lines,
                           const std::function<void(const Record&)>& visit) {
    Walk walk(lines, visit);
    dom::object o;
    dom::array a;
    const bool is_object = root.get_object().get(o) == simdjson::SUCCESS;
    if (source == SourceFormat::kOtel) {
        if (is_object && !o.at_key("resourceSpans").error()) WalkOtlp(walk, o);
    } else if (IsBucketed(source) && root.get_array().get(a) == simdjson::SUCCESS) {
        WalkBucketList(walk, a);
        walk.found_list = true;
    } else if (IsBucketed(source) && is_object && !o.at_key("data").error()) {
        bool has_buckets = false;
        for (dom::element item : AsArray(o["data"])) {
            if (item.is_object() && !AsObject(item).at_key("results").error()) has_buckets = true;
        }
        if (has_buckets) {
            WalkPage(walk, o);
        } else {
            walk.Enter();
            for (auto kv : o) {
                if (kv.key == "data" && kv.value.is_array()) {
                    WalkRecordList(walk, AsArray(kv.value));
                } else {
                    walk.Skip(kv.value);
                }
            }
        }
    } else if (root.get_array().get(a) == simdjson::SUCCESS) {
        WalkRecordList(walk, a);
    } else if (is_object) {
        walk.Enter();
        bool listed = false;
        for (auto kv : o) {
            bool is_list = false;
            for (std::string_view list : kListKeys) is_list = is_list || kv.key == list;
            if (is_list && !listed && kv.value.is_array()) {
                listed = true;
                WalkRecordList(walk, AsArray(kv.value));
            } else {
                walk.Skip(kv.value);
            }
        }
    }
    if (!walk.found_list) {
        return MakeError(ErrorCode::kValidationFailed,
                         "no usage records found in the JSON document: expected " +
                             std::string(source == SourceFormat::kOtel ? "OTLP JSON {\"resourceSpans\": […]}"
                                         : IsBucketed(source)          ? "a report {\"data\": [{\"results\": […]}]}"
                                                                       : "an array of records or {\"data\": […]}"));
    }
    return core::Ok();
}

std::vector<std::string> SampleKeys(dom::element root) {
    std::vector<std::string> names;
    dom::object o;
    if (root.get_object().get(o) == simdjson::SUCCESS) {
        for (auto kv : o) names.push_back(Lower(kv.key));
        if (!o.at_key("resourceSpans").error()) return names;
    }
    std::vector<Field> keys;
    FirstRecord(root, keys, 0);
    for (auto& f : keys) names.push_back(std::move(f.path));
    return names;
}

}  // namespace netra::analysis::json_records

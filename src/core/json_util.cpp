#include "core/json_util.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "core/json_write.hpp"
namespace netra::core {

namespace json = boost::json;

Result<json::value> ParseJson(std::string_view text, const JsonLimits& limits) {
    json::parse_options opts;
    opts.max_depth = limits.max_depth;
    boost::system::error_code ec;
    json::value v = json::parse(json::string_view(text.data(), text.size()), ec, {}, opts);
    if (ec) {
        if (ec == json::error::too_deep) {
            return MakeError(ErrorCode::kInvalidRequest,
                             "JSON nesting deeper than " + std::to_string(limits.max_depth) + " levels");
        }
        return MakeError(ErrorCode::kInvalidRequest, "invalid JSON: " + ec.message());
    }
    return v;
}

Result<json::object> ParseJsonObject(std::string_view text, const JsonLimits& limits) {
    auto v = ParseJson(text, limits);
    if (!v.ok()) return v.error();
    if (!v->is_object()) return MakeError(ErrorCode::kInvalidRequest, "expected a JSON object");
    return std::move(v->as_object());
}

std::optional<std::string> GetString(const json::object& obj, std::string_view key) {
    auto it = obj.find(json::string_view(key.data(), key.size()));
    if (it == obj.end() || !it->value().is_string()) return std::nullopt;
    const auto& s = it->value().get_string();
    return std::string(s.data(), s.size());
}

std::optional<std::int64_t> GetInt(const json::object& obj, std::string_view key) {
    auto it = obj.find(json::string_view(key.data(), key.size()));
    if (it == obj.end()) return std::nullopt;
    const auto& v = it->value();
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    // A whole double in int64's range (-2^63 ≤ d < 2^63): casting one outside it is undefined behaviour.
    if (v.is_double()) {
        const double d = v.get_double();
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 && d == std::trunc(d)) {
            return static_cast<std::int64_t>(d);
        }
    }
    return std::nullopt;
}

std::optional<bool> GetBool(const json::object& obj, std::string_view key) {
    auto it = obj.find(json::string_view(key.data(), key.size()));
    if (it == obj.end() || !it->value().is_bool()) return std::nullopt;
    return it->value().get_bool();
}

const json::object* GetObject(const json::object& obj, std::string_view key) {
    auto it = obj.find(json::string_view(key.data(), key.size()));
    if (it == obj.end() || !it->value().is_object()) return nullptr;
    return &it->value().get_object();
}

std::string Serialize(const json::value& value) { return JsonText(value); }
std::string Serialize(const json::object& value) { return JsonText(value); }

}  // namespace netra::core

#pragma once
// Small helpers over Boost.JSON used by every layer that reads untrusted JSON.
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace netra::core {

struct JsonLimits {
    std::size_t max_depth = 64;
};

// Parses `text` as one JSON value with a depth limit; errors say what went wrong, for users.
Result<boost::json::value> ParseJson(std::string_view text, const JsonLimits& limits = {});
// Parses and requires an object.
Result<boost::json::object> ParseJsonObject(std::string_view text, const JsonLimits& limits = {});

// Field readers that tolerate absence and wrong types by returning nullopt.
std::optional<std::string> GetString(const boost::json::object& obj, std::string_view key);
std::optional<std::int64_t> GetInt(const boost::json::object& obj, std::string_view key);
std::optional<bool> GetBool(const boost::json::object& obj, std::string_view key);
const boost::json::object* GetObject(const boost::json::object& obj, std::string_view key);

std::string Serialize(const boost::json::value& value);
std::string Serialize(const boost::json::object& value);

}  // namespace netra::core

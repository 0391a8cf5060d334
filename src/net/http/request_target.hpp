#pragma once
// The request target of an HTTP request: its path and its percent-decoded query parameters.
#include <string>
#include <string_view>
#include <unordered_map>

namespace netra::net::http {

// Splits a request target into a path and percent-decoded query parameters (`+` is a space; a key without `=`
// has an empty value; the first of repeated keys wins).
void ParseTarget(std::string_view target, std::string& path, std::unordered_map<std::string, std::string>& query);
std::string PercentDecode(std::string_view in);

}  // namespace netra::net::http

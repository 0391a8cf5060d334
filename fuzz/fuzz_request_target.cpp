// libFuzzer target: an HTTP request target (path + query string) through net::http::ParseTarget and
// PercentDecode.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/http/request_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view target(reinterpret_cast<const char*>(data), size);
    std::string path;
    std::unordered_map<std::string, std::string> query;
    netra::net::http::ParseTarget(target, path, query);
    // Decoding never grows the text.
    if (netra::net::http::PercentDecode(target).size() > target.size()) __builtin_trap();
    return 0;
}

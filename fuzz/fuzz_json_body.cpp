// libFuzzer target: a JSON request body through core::ParseJson / ParseJsonObject with the default depth limit
// (what every HTTP handler and the MCP endpoint read bodies with), then the field readers and re-serialisation.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto value = netra::core::ParseJson(text);
    if (value.ok()) {
        const std::string once = netra::core::Serialize(value.value());
        // What was serialised parses back (a body echoed or stored is read again).
        auto again = netra::core::ParseJson(once, netra::core::JsonLimits{.max_depth = 1024});
        if (!again.ok()) __builtin_trap();
    }
    auto object = netra::core::ParseJsonObject(text, netra::core::JsonLimits{.max_depth = 8});
    if (object.ok()) {
        const auto& obj = object.value();
        for (const char* key : {"content", "thread_id", "limit", "stream", "input", "payload"}) {
            (void)netra::core::GetString(obj, key);
            (void)netra::core::GetInt(obj, key);
            (void)netra::core::GetBool(obj, key);
            (void)netra::core::GetObject(obj, key);
        }
    }
    return 0;
}

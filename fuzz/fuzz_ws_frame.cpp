// libFuzzer target: a client WebSocket text frame through net::ws::ParseClientFrame with the server's limits.
// Any input must give a frame or an error frame; the error frame must serialise.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "net/ws/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const netra::net::ws::ParseLimits limits;
    auto parsed = netra::net::ws::ParseClientFrame(text, limits);
    if (auto* error = std::get_if<netra::net::ws::FrameError>(&parsed)) {
        (void)netra::net::ws::ErrorFrame(error->code, error->message, error->request_type, std::nullopt,
                                         error->client_message_id);
    } else {
        auto& frame = std::get<netra::net::ws::ClientFrame>(parsed);
        if (frame.content.size() > limits.max_content_bytes) __builtin_trap();  // the limit must hold
    }
    return 0;
}

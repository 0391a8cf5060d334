#pragma once
// JSON text as people and tools expect it (issue 12): what boost::json::serialize writes, except numbers.
//
// Boost.JSON 1.81 writes every double in exponent form (`6.819411046760217E3`, `9E1`, `0E0`) and writes NaN and
// Infinity as the invalid tokens `NaN` / `Infinity`, with no hook to change either. JsonText writes every number
// in plain decimal notation instead:
// - a double as the shortest digits that read back to the same double (the digits json::serialize writes, Ryu's),
//   with the decimal point in place: 6819.411046760217, 23.15, 0.0000001, 1000000000000000000000; an integral
//   double has no fraction (90.0 -> `90`); past 2^53 the digits end in zeros (2^60 -> 1152921504606847000, as
//   JavaScript writes it); -0.0 -> `0`; NaN and +-Infinity -> `null` (JSON has no such numbers). Below 2^53 this is
//   what std::to_chars(chars_format::fixed) writes;
// - int64 and uint64 as integers.
// Everything else is byte-for-byte what boost::json::serialize writes: keys in insertion order, no whitespace,
// strings escaped as JSON requires (`"` `\` and control characters below 0x20 as \b \t \n \f \r or \u00xx;
// every other byte, UTF-8 included, as it is).
//
// Every JSON the server writes to the wire or to storage goes through here (HTTP bodies, WebSocket frames, SSE,
// stored event payloads and profiles, LLM request bodies, `netra analyze --json`).
#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>

namespace netra::core {

std::string JsonText(const boost::json::value& value);
std::string JsonText(const boost::json::object& object);
std::string JsonText(const boost::json::array& array);

// Appends the text to `out` (one buffer for a frame with a prefix, say).
void AppendJsonText(std::string& out, const boost::json::value& value);
void AppendJsonText(std::string& out, const boost::json::object& object);
void AppendJsonText(std::string& out, const boost::json::array& array);

// The pieces, for hand-built JSON: a double as above, and a string as a quoted, escaped JSON string.
void AppendJsonNumber(std::string& out, double number);
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace netra::core

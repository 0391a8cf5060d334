#include "core/json_write.hpp"

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/detail/format.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace netra::core {

namespace json = boost::json;

namespace {

// What each byte of a string becomes: 0 = itself; otherwise the letter after the backslash ('u' = \u00xx).
// The same table as Boost.JSON's serializer, so strings come out exactly as json::serialize writes them.
constexpr std::array<char, 256> kEscape = [] {
    std::array<char, 256> t{};
    for (int c = 0; c < 0x20; ++c) t[c] = 'u';
    t['\b'] = 'b';
    t['\t'] = 't';
    t['\n'] = 'n';
    t['\f'] = 'f';
    t['\r'] = 'r';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
}();

constexpr char kHex[] = "0123456789abcdef";

// The first byte of [p, end) that needs an escape, or `end`.
inline const char* SkipUnescaped(const char* p, const char* end) {
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i control = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                         _mm_cmpeq_epi8(_mm_min_epu8(v, control), v));  // v <= 0x1F
        const int mask = _mm_movemask_epi8(hit);
        if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
        p += 16;
    }
#endif
    while (p != end && kEscape[static_cast<unsigned char>(*p)] == 0) ++p;
    return p;
}

// Writes `count` '0's at `out` and returns the end; may write up to 15 more (the caller reserved the room).
inline char* Zeros(char* out, int count) {
    for (int i = 0; i < count; i += 16) std::memcpy(out + i, "0000000000000000", 16);
    return out + count;
}

// Rewrites Ryu's text of a finite, non-zero double ("-6.819411046760217E3", "9E1", "1E-7": the shortest digits that
// read back to the double, json::serialize's form) as plain decimal ("-6819.411046760217", "90", "0.0000001") at
// `out`, which has kNumberRoom bytes of room; returns the end, or nullptr when `text` is not in that form. Copies
// fixed-size blocks (turned into a few vector moves) and advances by the real lengths: the tail past the end is
// scratch.
char* PlainDecimal(const char* text, std::size_t size, char* out) {
    const char* p = text;
    const char* const end = text + size;
    const bool negative = *p == '-';
    if (negative) ++p;
    if (end - p < 3 || *p < '1' || *p > '9') return nullptr;
    // The exponent, read from the end: up to 3 digits, maybe a '-', then the 'E'.
    const char* e = end;
    int exponent = 0;
    for (int scale = 1; e - p > 2 && e[-1] >= '0' && e[-1] <= '9' && scale <= 100; scale *= 10) {
        exponent += (*--e - '0') * scale;
    }
    if (e == end) return nullptr;
    if (e[-1] == '-') {
        exponent = -exponent;
        --e;
    }
    if (e[-1] != 'E') return nullptr;
    --e;                   // now at the 'E'
    char digits[48] = {};  // the significant digits, contiguous; digits[n, 48) scratch
    digits[0] = p[0];
    int n = 1;
    if (e - p > 1) {  // "d.ddd"
        const auto fraction = static_cast<int>(e - p - 2);
        if (p[1] != '.' || fraction < 1 || fraction > 16) return nullptr;
        std::memcpy(digits + 1, p + 2, 16);  // `text` has room past its end (see Number)
        n += fraction;
    }
    const int point = 1 + exponent;  // digits before the decimal point

    if (negative) *out++ = '-';
    if (point <= 0) {  // 0.000ddd
        out[0] = '0';
        out[1] = '.';
        out = Zeros(out + 2, -point);
        std::memcpy(out, digits, 17);
        return out + n;
    }
    if (point >= n) {  // ddd000
        std::memcpy(out, digits, 17);
        return Zeros(out + n, point - n);
    }
    std::memcpy(out, digits, 16);  // ddd.ddd (point <= 16)
    out[point] = '.';
    std::memcpy(out + point + 1, digits + point, 16);
    return out + n + 1;
}

// The room a number needs at most. The longest shortest-round-trip fixed text of a double: a sign, "0.", 323 zeros
// and 17 digits (a subnormal), or 309 digits (near DBL_MAX).
constexpr std::size_t kNumberRoom = 384;

// Writes into a std::string through raw pointers: one capacity check per piece, no per-byte bookkeeping. `out`
// holds [0, pos) written bytes and spare room up to its size; Finish() trims it to the written bytes.
class Writer {
  public:
    explicit Writer(std::string& out) : out_(out), start_(out.size()) {
        out_.resize(std::max<std::size_t>(out_.capacity(), start_ + 512));
        pos_ = out_.data() + start_;
        end_ = out_.data() + out_.size();
    }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    void Finish() { out_.resize(static_cast<std::size_t>(pos_ - out_.data())); }

    void Value(const json::value& value) {
        switch (value.kind()) {
            case json::kind::null:
                Literal("null", 4);
                return;
            case json::kind::bool_:
                if (value.get_bool()) {
                    Literal("true", 4);
                } else {
                    Literal("false", 5);
                }
                return;
            case json::kind::int64:
                Reserve(24);
                pos_ = std::to_chars(pos_, end_, value.get_int64()).ptr;
                return;
            case json::kind::uint64:
                Reserve(24);
                pos_ = std::to_chars(pos_, end_, value.get_uint64()).ptr;
                return;
            case json::kind::double_:
                Number(value.get_double());
                return;
            case json::kind::string: {
                const json::string& s = value.get_string();
                String(s.data(), s.size());
                return;
            }
            case json::kind::array:
                Array(value.get_array());
                return;
            case json::kind::object:
                Object(value.get_object());
                return;
        }
    }

    void Object(const json::object& object) {
        Reserve(1);
        *pos_++ = '{';
        bool first = true;
        for (const auto& kv : object) {
            if (!first) {
                Reserve(1);
                *pos_++ = ',';
            }
            first = false;
            String(kv.key().data(), kv.key().size());
            Reserve(1);
            *pos_++ = ':';
            Value(kv.value());
        }
        Reserve(1);
        *pos_++ = '}';
    }

    void Array(const json::array& array) {
        Reserve(1);
        *pos_++ = '[';
        bool first = true;
        for (const auto& v : array) {
            if (!first) {
                Reserve(1);
                *pos_++ = ',';
            }
            first = false;
            Value(v);
        }
        Reserve(1);
        *pos_++ = ']';
    }

    void Number(double number) {
        if (!std::isfinite(number)) {
            Literal("null", 4);
            return;
        }
        Reserve(kNumberRoom);
        if (number == 0) {  // +0 and -0 alike
            *pos_++ = '0';
            return;
        }
        // Boost's Ryu gives the shortest digits that read back to `number` (the digits json::serialize writes),
        // in exponent form; PlainDecimal moves the decimal point instead. Faster than std::to_chars(fixed), which
        // writes the same text below 2^53 (and the exact integer above).
        char exponent_form[48] = {};
        const unsigned size = json::detail::format_double(exponent_form, number);
        char* const end = PlainDecimal(exponent_form, size, pos_);
        if (end != nullptr) [[likely]] {
            pos_ = end;
        } else {  // not Ryu's form (another Boost version?): std::to_chars, slower (the exact integer past 2^53)
            pos_ = std::to_chars(pos_, end_, number, std::chars_format::fixed).ptr;
        }
    }

    void String(const char* data, std::size_t size) {
        Reserve(size + 2);
        *pos_++ = '"';
        const char* p = data;
        const char* const end = data + size;
        for (;;) {
            const char* q = SkipUnescaped(p, end);
            Copy(p, static_cast<std::size_t>(q - p));
            if (q == end) break;
            // The escape (at most 6 bytes), then the rest of the string and the closing quote.
            Reserve(6 + static_cast<std::size_t>(end - q));
            const auto byte = static_cast<unsigned char>(*q);
            const char escape = kEscape[byte];
            *pos_++ = '\\';
            if (escape == 'u') {
                pos_[0] = 'u';
                pos_[1] = '0';
                pos_[2] = '0';
                pos_[3] = kHex[byte >> 4];
                pos_[4] = kHex[byte & 0xF];
                pos_ += 5;
            } else {
                *pos_++ = escape;
            }
            p = q + 1;
        }
        *pos_++ = '"';
    }

  private:
    // Makes room for `n` more bytes.
    void Reserve(std::size_t n) {
        if (static_cast<std::size_t>(end_ - pos_) >= n) [[likely]] {
            return;
        }
        Grow(n);
    }

    void Grow(std::size_t n) {
        const auto written = static_cast<std::size_t>(pos_ - out_.data());
        out_.resize(std::max(out_.size() * 2, written + n));
        pos_ = out_.data() + written;
        end_ = out_.data() + out_.size();
    }

    // Copies bytes that already have room (String reserves for its whole unescaped length).
    void Copy(const char* data, std::size_t n) {
        std::memcpy(pos_, data, n);
        pos_ += n;
    }

    void Literal(const char* text, std::size_t n) {
        Reserve(n);
        Copy(text, n);
    }

    std::string& out_;
    std::size_t start_;
    char* pos_ = nullptr;
    char* end_ = nullptr;
};

}  // namespace

void AppendJsonNumber(std::string& out, double number) {
    Writer w(out);
    w.Number(number);
    w.Finish();
}

void AppendJsonString(std::string& out, std::string_view text) {
    Writer w(out);
    w.String(text.data(), text.size());
    w.Finish();
}

void AppendJsonText(std::string& out, const json::value& value) {
    Writer w(out);
    w.Value(value);
    w.Finish();
}

void AppendJsonText(std::string& out, const json::object& object) {
    Writer w(out);
    w.Object(object);
    w.Finish();
}

void AppendJsonText(std::string& out, const json::array& array) {
    Writer w(out);
    w.Array(array);
    w.Finish();
}

std::string JsonText(const json::value& value) {
    std::string out;
    AppendJsonText(out, value);
    return out;
}

std::string JsonText(const json::object& object) {
    std::string out;
    AppendJsonText(out, object);
    return out;
}

std::string JsonText(const json::array& array) {
    std::string out;
    AppendJsonText(out, array);
    return out;
}

}  // namespace netra::core

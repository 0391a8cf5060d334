#include "core/json_write.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace netra::core {
namespace {

namespace json = boost::json;

std::string Number(double d) { return JsonText(json::value(d)); }

// What std::to_chars writes for `d` in fixed notation, shortest round trip (GCC 12 libstdc++). Below 2^53 that is
// the shortest digits with the point in place; above, it writes the double's exact integer value.
std::string ToCharsFixed(double d) {
    char buf[512];
    auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    return std::string(buf, res.ptr);
}

// Reads `text` back with a correctly rounded reader. (Boost.JSON 1.81's parser is not correctly rounded: about one
// random double in five does not survive json::parse(json::serialize(d)) either. Browsers, Python and
// std::from_chars read exactly.)
double ReadBack(const std::string& text) {
    double d = 0;
    auto res = std::from_chars(text.data(), text.data() + text.size(), d);
    EXPECT_EQ(res.ec, std::errc{}) << text;
    EXPECT_EQ(res.ptr, text.data() + text.size()) << text;
    return d;
}

// The significant digits of a number's text, without sign, point, exponent, leading or trailing zeros.
std::string SignificantDigits(const std::string& text) {
    std::string digits;
    for (char c : text) {
        if (c == 'e' || c == 'E') break;
        if (c >= '0' && c <= '9' && !(digits.empty() && c == '0')) digits.push_back(c);
    }
    while (!digits.empty() && digits.back() == '0') digits.pop_back();
    return digits;
}

TEST(JsonText, DoublesArePlainDecimal) {
    EXPECT_EQ(Number(90.0), "90");
    EXPECT_EQ(Number(6819.411046760217), "6819.411046760217");
    EXPECT_EQ(Number(23.15), "23.15");
    EXPECT_EQ(Number(1e-7), "0.0000001");
    EXPECT_EQ(Number(1e21), "1000000000000000000000");
    EXPECT_EQ(Number(-0.5), "-0.5");
    EXPECT_EQ(Number(0.5), "0.5");
    EXPECT_EQ(Number(1.0), "1");
    EXPECT_EQ(Number(-90.0), "-90");
    EXPECT_EQ(Number(0.1), "0.1");
    EXPECT_EQ(Number(0.85), "0.85");
    EXPECT_EQ(Number(123456.789), "123456.789");
    EXPECT_EQ(Number(1.5e-5), "0.000015");
    EXPECT_EQ(Number(2.5e10), "25000000000");
    EXPECT_EQ(Number(9007199254740993.0), "9007199254740992");
    EXPECT_EQ(Number(0.30000000000000004), "0.30000000000000004");
    EXPECT_EQ(Number(5e-324), "0." + std::string(323, '0') + "5");
    // Above 2^53: the shortest digits, then zeros (as JavaScript writes 2**60: 1152921504606847000).
    EXPECT_EQ(Number(1152921504606846976.0), "1152921504606847000");
    EXPECT_EQ(Number(std::numeric_limits<double>::max()), "17976931348623157" + std::string(292, '0'));
    EXPECT_EQ(Number(-std::numeric_limits<double>::denorm_min()), "-0." + std::string(323, '0') + "5");
}

TEST(JsonText, ZeroAndNonFiniteDoubles) {
    EXPECT_EQ(Number(0.0), "0");
    EXPECT_EQ(Number(-0.0), "0");
    EXPECT_EQ(Number(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(Number(std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(Number(-std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(JsonText(json::array{1.5, std::nan(""), -0.0}), "[1.5,null,0]");
}

TEST(JsonText, IntegersAsIntegers) {
    EXPECT_EQ(JsonText(json::value(std::int64_t{0})), "0");
    EXPECT_EQ(JsonText(json::value(std::int64_t{-42})), "-42");
    EXPECT_EQ(JsonText(json::value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
    EXPECT_EQ(JsonText(json::value(std::numeric_limits<std::int64_t>::max())), "9223372036854775807");
    EXPECT_EQ(JsonText(json::value(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
}

// Random bit patterns over the whole range (subnormals included) and money-like values: the text has no exponent,
// has the significant digits json::serialize writes (Ryu's shortest), is what std::to_chars(fixed) writes below 2^53,
// and reads back to the same double, bit for bit.
TEST(JsonText, RandomDoublesRoundTripWithBoostsDigits) {
    std::mt19937_64 rng(12);
    std::uniform_real_distribution<double> money(0.0, 100000.0);
    for (int i = 0; i < 200000; ++i) {
        double d = i % 2 == 0 ? std::bit_cast<double>(rng()) : money(rng);
        if (!std::isfinite(d) || d == 0) continue;
        const std::string text = Number(d);
        ASSERT_EQ(text.find_first_of("eE"), std::string::npos) << text;
        ASSERT_EQ(SignificantDigits(text), SignificantDigits(json::serialize(json::value(d)))) << text;
        if (std::fabs(d) < 9007199254740992.0) {
            ASSERT_EQ(text, ToCharsFixed(d));
        }
        ASSERT_EQ(std::bit_cast<std::uint64_t>(ReadBack(text)), std::bit_cast<std::uint64_t>(d)) << text;
    }
}

// Whole documents come back equal through json::parse (with numbers Boost 1.81 reads exactly: cents).
TEST(JsonText, RoundTripsDocuments) {
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> cents(-100000000, 100000000);
    json::object o;
    json::array a;
    for (int i = 0; i < 1000; ++i) {
        const std::int64_t c = cents(rng);
        if (c % 100 == 0) continue;  // an integral double reads back as an integer (same number, other kind)
        a.push_back(static_cast<double>(c) / 100);
    }
    o["values"] = a;
    o["tiny"] = 0.25;
    o["nested"] = json::object{{"list", json::array{json::object{{"x", 23.15}}, "s", nullptr}}};
    const json::value back = json::parse(JsonText(o));
    EXPECT_EQ(back, json::value(o));
}

TEST(JsonText, StringsEscapedLikeBoost) {
    const std::string control = [] {
        std::string s;
        for (int c = 0; c < 0x20; ++c) s.push_back(static_cast<char>(c));
        s += "\x7f";
        return s;
    }();
    const std::vector<std::string> cases = {
        "",
        "plain",
        "say \"hi\"",
        "back\\slash",
        "a/b",
        "tab\tnew\nline\rcr\bback\fform",
        control,
        "caf\xc3\xa9 \xe2\x80\x94 \xe4\xbe\xa1\xe6\xa0\xbc \xf0\x9f\x98\x80",  // café — 価格 😀
        "\xff\xfe invalid UTF-8 bytes pass through as Boost leaves them",
        std::string("nul\0inside", 10),
        std::string(100, 'x') + "\"" + std::string(37, 'y') + "\n",
        "\"\"\"\\\\\\",
    };
    for (const auto& s : cases) {
        EXPECT_EQ(JsonText(json::value(json::string(s))), json::serialize(json::string(s))) << s;
        std::string appended;
        AppendJsonString(appended, s);
        EXPECT_EQ(appended, json::serialize(json::string(s)));
        json::object keyed;
        keyed[s] = s;
        EXPECT_EQ(JsonText(keyed), json::serialize(keyed));
    }
    EXPECT_EQ(JsonText(json::value("\x01\x1f")), "\"\\u0001\\u001f\"");
}

TEST(JsonText, SameAsBoostWithoutDoubles) {
    const json::value doc = json::parse(R"({
        "type": "run_completed", "seq": 17, "big": 18446744073709551615, "neg": -9223372036854775808,
        "ok": true, "no": false, "nothing": null, "empty_o": {}, "empty_a": [],
        "nested": {"a": [1, [2, [3, {"b": "c\"d"}]]], "z": {"y": {"x": []}}},
        "list": ["a", 1, true, null, {"k": "v"}], "unicode": "h\u00e9llo \ud83d\ude00 \u0007"
    })");
    EXPECT_EQ(JsonText(doc), json::serialize(doc));
    EXPECT_EQ(JsonText(doc.as_object()), json::serialize(doc.as_object()));
    EXPECT_EQ(JsonText(doc.at("list").as_array()), json::serialize(doc.at("list").as_array()));
    EXPECT_EQ(JsonText(json::value(nullptr)), "null");
    EXPECT_EQ(JsonText(json::value(true)), "true");
}

TEST(JsonText, KeysInInsertionOrder) {
    json::object o;
    o["zeta"] = 1;
    o["alpha"] = 2.5;
    o["mid"] = json::array{0.25, 90.0};
    EXPECT_EQ(JsonText(o), R"({"zeta":1,"alpha":2.5,"mid":[0.25,90]})");
}

TEST(JsonText, DeepAndLargeDocuments) {
    json::value v = 0.5;
    for (int i = 0; i < 64; ++i) v = json::array{v, json::object{{"d", i + 0.125}}};
    json::parse_options deep;
    deep.max_depth = 256;
    EXPECT_EQ(json::parse(JsonText(v), {}, deep), v);

    json::array big;  // grows the buffer many times over
    for (int i = 0; i < 20000; ++i) big.push_back(json::object{{"i", i}, {"cost", i + 0.25}, {"s", "\n"}});
    const std::string big_text = JsonText(big);
    EXPECT_EQ(json::parse(big_text), json::value(big));
}

TEST(JsonText, AppendsAfterExistingText) {
    std::string out = "data: ";
    AppendJsonText(out, json::object{{"cost", 6819.411046760217}, {"n", 9e1}});
    EXPECT_EQ(out, R"(data: {"cost":6819.411046760217,"n":90})");
    AppendJsonNumber(out, 1e-7);
    EXPECT_EQ(out, R"(data: {"cost":6819.411046760217,"n":90}0.0000001)");
}

}  // namespace
}  // namespace netra::core

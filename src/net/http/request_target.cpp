#include "net/http/request_target.hpp"

#include <cctype>
#include <string>

namespace netra::net::http {

std::string PercentDecode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
            out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

void ParseTarget(std::string_view target, std::string& path, std::unordered_map<std::string, std::string>& query) {
    auto q = target.find('?');
    path = std::string(target.substr(0, q));
    if (q == std::string_view::npos) return;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        auto eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
        if (!key.empty()) query.emplace(std::move(key), std::move(value));
        if (amp == std::string_view::npos) break;
        rest = rest.substr(amp + 1);
    }
}

}  // namespace netra::net::http

#include "net/http/router.hpp"

namespace netra::net::http {

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        std::size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) out.push_back(path.substr(i, j - i));
        i = j;
    }
    return out;
}

void Router::Add(bhttp::verb method, const std::string& pattern, Handler handler) {
    routes_.push_back(Route{method, SplitPath(pattern), std::move(handler)});
}

std::vector<Router::RouteInfo> Router::Routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const auto& route : routes_) {
        std::string pattern;
        for (const auto& segment : route.segments) pattern += "/" + segment;
        out.push_back(RouteInfo{route.method, pattern.empty() ? "/" : pattern});
    }
    return out;
}

Router::Match Router::Find(bhttp::verb method, const std::string& path) const {
    Match result;
    auto segments = SplitPath(path);
    for (const auto& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        std::unordered_map<std::string, std::string> params;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            const auto& want = route.segments[i];
            if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
                params[want.substr(1, want.size() - 2)] = segments[i];
            } else {
                ok = want == segments[i];
            }
        }
        if (!ok) continue;
        bool method_ok = route.method == method || (method == bhttp::verb::head && route.method == bhttp::verb::get);
        if (method_ok) {
            result.handler = &route.handler;
            result.params = std::move(params);
            return result;
        }
        std::string name(bhttp::to_string(route.method));
        if (result.allow.find(name) == std::string::npos) result.allow += (result.allow.empty() ? "" : ", ") + name;
    }
    return result;
}

}  // namespace netra::net::http

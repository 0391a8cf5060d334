#pragma once
// Method + path-pattern routing. A path that matches a route under another method is 405 (with Allow);
// a path that matches nothing is 404. Patterns use `{name}` for one path segment.
#include <string>
#include <vector>

#include "net/http/http_types.hpp"

namespace netra::net::http {

class Router {
  public:
    void Add(bhttp::verb method, const std::string& pattern, Handler handler);

    struct Match {
        const Handler* handler = nullptr;
        std::unordered_map<std::string, std::string> params;
        std::string allow;  // methods allowed on the path when handler is null but the path exists
    };
    Match Find(bhttp::verb method, const std::string& path) const;

    // Every registered route as (method, pattern), in registration order; the pattern is normalised to
    // "/segment/{name}/…" ("/" for the root). The OpenAPI test compares this with the document.
    struct RouteInfo {
        bhttp::verb method;
        std::string pattern;
    };
    std::vector<RouteInfo> Routes() const;

  private:
    struct Route {
        bhttp::verb method;
        std::vector<std::string> segments;
        Handler handler;
    };
    std::vector<Route> routes_;
};

std::vector<std::string> SplitPath(const std::string& path);

}  // namespace netra::net::http

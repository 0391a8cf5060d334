#pragma once
// The web UI's files (web/ in the source tree), embedded in the binary at build time, each with its gzip form:
// `netra serve` needs no asset directory and works offline.
#include <string_view>
#include <vector>

namespace netra::net::http {

struct WebAsset {
    std::string_view name;  // "index.html", "app.js", …
    std::string_view raw;
    std::string_view gzip;  // gzip -9 -n of raw
};

const std::vector<WebAsset>& WebAssets();

}  // namespace netra::net::http

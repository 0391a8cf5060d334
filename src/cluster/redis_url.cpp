#include "cluster/redis_url.hpp"

#include <boost/url/parse.hpp>
#include <charconv>

namespace netra::cluster {

core::Result<RedisEndpoint> ParseRedisUrl(const std::string& url) {
    auto invalid = [&](const std::string& why) {
        return core::MakeError(core::ErrorCode::kInvalidRequest, "REDIS_URL " + MaskRedisUrl(url) + ": " + why);
    };
    auto parsed = boost::urls::parse_uri(url);
    if (!parsed) return invalid("not a URL (expected redis://[:password@]host[:port][/db])");
    if (parsed->scheme() != "redis") {
        return invalid(
            "scheme must be redis:// (rediss:// with TLS is not supported; keep Redis on a private network)");
    }
    RedisEndpoint endpoint;
    if (!parsed->encoded_host().empty()) endpoint.host = std::string(parsed->host_address());
    if (parsed->has_port()) {
        const auto port = parsed->port();
        int value = 0;
        auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || ptr != port.data() + port.size() || value <= 0 || value > 65535) {
            return invalid("port must be 1-65535");
        }
        endpoint.port = value;
    }
    if (parsed->has_userinfo()) {
        endpoint.user = std::string(parsed->user());
        endpoint.password = std::string(parsed->password());
    }
    std::string path = std::string(parsed->path());
    if (!path.empty() && path != "/") {
        std::string db = path.substr(1);
        int value = -1;
        auto [ptr, ec] = std::from_chars(db.data(), db.data() + db.size(), value);
        if (ec != std::errc() || ptr != db.data() + db.size() || value < 0 || value > 15) {
            return invalid("database must be a number 0-15");
        }
        endpoint.db = value;
    }
    return endpoint;
}

std::string MaskRedisUrl(const std::string& url) {
    auto at = url.rfind('@');
    auto scheme = url.find("://");
    if (at == std::string::npos || scheme == std::string::npos || at < scheme) return url;
    auto colon = url.find(':', scheme + 3);
    if (colon == std::string::npos || colon > at) return url;  // a user without a password
    return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace netra::cluster

#pragma once
// REDIS_URL as operators write it: redis://[[user]:password@]host[:port][/db]. Pure; unit-tested.
#include <string>

#include "core/error.hpp"

namespace netra::cluster {

struct RedisEndpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string user;  // empty: AUTH with the password alone (Redis < 6 style, and the default user)
    std::string password;
    int db = 0;
};

core::Result<RedisEndpoint> ParseRedisUrl(const std::string& url);
// The URL with its password replaced by ***, for logs and /health.
std::string MaskRedisUrl(const std::string& url);

}  // namespace netra::cluster

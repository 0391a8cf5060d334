#pragma once
// The OpenAPI 3.1 description of every HTTP route (src/net/http/openapi.json), embedded in the binary at configure
// time with its gzip form and served at GET /openapi.json. openapi_test.cpp checks it against the route table.
#include "net/http/web_assets.hpp"

namespace netra::net::http {

const WebAsset& OpenApiDocument();

}  // namespace netra::net::http

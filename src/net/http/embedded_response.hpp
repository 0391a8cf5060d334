#pragma once
// A file embedded in the binary (the web UI's, the OpenAPI document) as an HTTP response: revalidated by its ETag
// (Cache-Control: no-cache, then 304 while unchanged), gzipped for clients that accept it, HEAD without a body.
#include <string>
#include <string_view>

#include "net/http/http_types.hpp"
#include "net/http/web_assets.hpp"

namespace netra::net::http {

// A strong ETag from the file's content (a SHA-256 prefix, quoted).
std::string ContentEtag(std::string_view raw);

Response EmbeddedResponse(const RequestContext& ctx, const WebAsset& asset, const std::string& etag,
                          std::string_view content_type);

}  // namespace netra::net::http

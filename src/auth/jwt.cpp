#include "auth/jwt.hpp"

#include <jwt.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "auth/base64url.hpp"
#include "core/ids.hpp"
#include "core/json_util.hpp"
#include "core/json_write.hpp"
#include "core/time.hpp"

namespace netra::auth {
namespace {

namespace json = boost::json;
using core::ErrorCode;
using core::MakeError;

struct JwtDeleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;

// libjwt hands out malloc'ed strings (jansson's json_dumps) that the caller frees.
struct CFree {
    void operator()(char* p) const { std::free(p); }
};
using CString = std::unique_ptr<char, CFree>;

core::Error Unauthenticated(std::string reason) { return MakeError(ErrorCode::kUnauthenticated, std::move(reason)); }

bool IsBase64UrlChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A JSON NumericDate: integer or fractional seconds. Fractions are truncated toward the past, which only
// ever makes exp stricter by under a second.
std::optional<std::int64_t> NumericDate(const json::object& obj, std::string_view key) {
    auto it = obj.find(json::string_view(key.data(), key.size()));
    if (it == obj.end()) return std::nullopt;
    const json::value& v = it->value();
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    if (v.is_double() && std::isfinite(v.get_double()) && std::fabs(v.get_double()) < 9.0e15) {
        return static_cast<std::int64_t>(std::floor(v.get_double()));
    }
    return std::nullopt;
}

std::string Lower(std::string s) {
    for (char& c : s) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return s;
}

bool HasKey(const json::object& obj, std::string_view key) {
    return obj.find(json::string_view(key.data(), key.size())) != obj.end();
}

}  // namespace

JwtCodec::JwtCodec(std::string secret, std::string issuer, std::chrono::seconds ttl)
    : secret_(std::move(secret)), issuer_(std::move(issuer)), ttl_(ttl) {
    if (secret_.empty()) throw std::invalid_argument("JWT secret must not be empty");
}

std::string JwtCodec::Issue(const std::string& user_id, const std::string& email,
                            const std::vector<std::string>& permissions) const {
    const std::int64_t now = core::NowMs() / 1000;
    return IssueAt(user_id, email, permissions, now, now + ttl_.count());
}

std::string JwtCodec::IssueAt(const std::string& user_id, const std::string& email,
                              const std::vector<std::string>& permissions, std::int64_t iat, std::int64_t exp) const {
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
    JwtPtr jwt(raw);
    if (jwt_set_alg(jwt.get(), JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(secret_.data()),
                    static_cast<int>(secret_.size())) != 0) {
        throw std::runtime_error("jwt_set_alg(HS256) failed");
    }
    // All claims go in as one JSON object so strings are escaped by the JSON library, not by hand.
    json::array perms;
    for (const auto& p : permissions) perms.emplace_back(p);
    json::object claims;
    claims["sub"] = user_id;
    claims["email"] = email;
    claims["permissions"] = std::move(perms);
    claims["iat"] = iat;
    claims["exp"] = exp;
    claims["iss"] = issuer_;
    claims["jti"] = core::NewId();
    claims["type"] = "access";
    const std::string grants = core::JsonText(claims);
    if (jwt_add_grants_json(jwt.get(), grants.c_str()) != 0) throw std::runtime_error("jwt_add_grants_json failed");
    CString encoded(jwt_encode_str(jwt.get()));
    if (!encoded) throw std::runtime_error("jwt_encode_str failed");
    return std::string(encoded.get());
}

namespace {

// The number of members of the JSON object `text` (valid JSON, checked by the caller) as written, duplicates
// included: a parsed object keeps one of two equal keys, so a token whose count differs says one thing twice
// ("sub" twice, say), and which of the two a reader believes is up to the reader. Such a token is refused.
std::size_t WrittenMemberCount(std::string_view text) {
    std::size_t members = 0;
    int depth = 0;
    bool in_string = false, escaped = false, after_string = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
                after_string = true;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            continue;
        }
        if (c == ':' && after_string && depth == 1) ++members;
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') after_string = false;
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') --depth;
    }
    return members;
}

}  // namespace

core::Result<AccessClaims> JwtCodec::Verify(const std::string& token) const {
    return VerifyAt(token, core::NowMs() / 1000);
}

core::Result<AccessClaims> JwtCodec::VerifyAt(const std::string& token, std::int64_t now_s) const {
    if (token.empty()) return Unauthenticated("missing token");
    if (token.size() > kMaxTokenBytes) return Unauthenticated("malformed token");

    // Shape: exactly three base64url segments. Checked here so libjwt only ever sees well-formed input.
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = dot1 == std::string::npos ? std::string::npos : token.find('.', dot1 + 1);
    if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) {
        return Unauthenticated("malformed token");
    }
    for (char c : token) {
        if (c != '.' && !IsBase64UrlChar(c)) return Unauthenticated("malformed token");
    }
    const std::string_view header_b64(token.data(), dot1);
    const std::string_view signature_b64(token.data() + dot2 + 1, token.size() - dot2 - 1);

    // The algorithm is decided by us, not by the token: read the header ourselves and refuse anything but
    // HS256 before libjwt is asked to do anything (libjwt skips signature checks for alg "none").
    auto header_json = Base64UrlDecode(header_b64);
    if (!header_json) return Unauthenticated("malformed token");
    auto header = core::ParseJsonObject(*header_json, core::JsonLimits{8});
    if (!header.ok()) return Unauthenticated("malformed token");
    if (WrittenMemberCount(*header_json) != header->size()) return Unauthenticated("duplicate header parameter");
    auto alg = core::GetString(*header, "alg");
    if (!alg) return Unauthenticated("malformed token");
    if (*alg != "HS256") return Unauthenticated("unsupported alg");
    // RFC 7515 §4.1.11: extensions marked critical must be understood, and this verifier understands none.
    // (kid, jku, x5u and the like are ignored, never fetched: the key is the server's own.)
    if (header->contains("crit")) return Unauthenticated("unsupported critical header");
    // libjwt insists on typ "JWT" when typ is present; say so instead of reporting a bad signature.
    if (auto typ = core::GetString(*header, "typ"); typ && Lower(*typ) != "jwt") {
        return Unauthenticated("unsupported token type");
    }
    if (signature_b64.empty()) return Unauthenticated("invalid signature");

    jwt_t* raw = nullptr;
    const int rc = jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(secret_.data()),
                              static_cast<int>(secret_.size()));
    JwtPtr jwt(raw);
    if (rc != 0 || !jwt) {
        // libjwt reports a bad signature and a bad payload alike (EINVAL); tell them apart for the user.
        const std::string_view payload_b64(token.data() + dot1 + 1, dot2 - dot1 - 1);
        auto payload_json = Base64UrlDecode(payload_b64);
        if (!payload_json || !core::ParseJsonObject(*payload_json, core::JsonLimits{16}).ok()) {
            return Unauthenticated("malformed token");
        }
        return Unauthenticated("invalid signature");
    }
    // Belt and braces: what libjwt verified with must be what we accepted above.
    if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) return Unauthenticated("unsupported alg");

    {
        const std::string_view payload_b64(token.data() + dot1 + 1, dot2 - dot1 - 1);
        auto payload_json = Base64UrlDecode(payload_b64);
        auto payload = payload_json ? core::ParseJsonObject(*payload_json, core::JsonLimits{16})
                                    : core::Result<json::object>(core::MakeError(core::ErrorCode::kInvalidRequest, ""));
        if (!payload.ok()) return Unauthenticated("malformed token");
        if (WrittenMemberCount(*payload_json) != payload->size()) return Unauthenticated("duplicate claim");
    }
    CString grants_text(jwt_get_grants_json(jwt.get(), nullptr));
    if (!grants_text) return Unauthenticated("malformed token");
    auto grants = core::ParseJsonObject(grants_text.get(), core::JsonLimits{16});
    if (!grants.ok()) return Unauthenticated("malformed token");
    const json::object& claims = *grants;

    for (const char* key : {"type", "token_type"}) {
        if (core::GetString(claims, key).value_or("") == "refresh") {
            return Unauthenticated("refresh token is not an access token");
        }
    }
    auto exp = NumericDate(claims, "exp");
    if (!exp) return Unauthenticated(HasKey(claims, "exp") ? "malformed token" : "missing exp");
    if (now_s > *exp + kLeewaySeconds) return Unauthenticated("token expired");
    if (HasKey(claims, "nbf")) {
        auto nbf = NumericDate(claims, "nbf");
        if (!nbf) return Unauthenticated("malformed token");
        if (*nbf > now_s + kLeewaySeconds) return Unauthenticated("token not yet valid");
    }
    if (core::GetString(claims, "iss").value_or("") != issuer_) return Unauthenticated("invalid issuer");
    auto sub = core::GetString(claims, "sub");
    if (!sub || sub->empty()) return Unauthenticated("missing sub");

    AccessClaims out;
    out.user_id = std::move(*sub);
    out.email = core::GetString(claims, "email").value_or("");
    if (auto it = claims.find("permissions"); it != claims.end() && it->value().is_array()) {
        for (const auto& p : it->value().get_array()) {
            if (p.is_string()) out.permissions.emplace_back(p.get_string().data(), p.get_string().size());
        }
    }
    out.issued_at = NumericDate(claims, "iat").value_or(0);
    out.expires_at = *exp;
    out.jti = core::GetString(claims, "jti").value_or("");
    return out;
}

}  // namespace netra::auth

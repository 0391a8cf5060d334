#include "net/http/handlers/handler_util.hpp"

#include <charconv>

#include "auth/credentials.hpp"
#include "core/time.hpp"

namespace netra::net::http {
namespace json = boost::json;

std::optional<std::string> BearerTokenOf(std::string_view header) { return auth::BearerToken(header); }

int LimitParam(const RequestContext& ctx, int fallback) {
    auto v = ctx.Query("limit");
    if (!v || v->empty()) return fallback;
    try {
        return std::clamp(std::stoi(*v), 1, 200);
    } catch (...) {
        return fallback;
    }
}

std::optional<std::int64_t> ParseSeq(std::string_view text) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

namespace {
json::value OptString(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
json::value OptTime(const std::optional<core::Millis>& t) {
    return t ? json::value(core::FormatRfc3339Ms(*t)) : json::value(nullptr);
}
}  // namespace

json::object UserJson(const domain::User& u) {
    json::array perms;
    for (const auto& p : u.permissions) perms.emplace_back(p);
    return json::object{{"id", u.id},
                        {"email", u.email},
                        {"name", u.name},
                        {"permissions", std::move(perms)},
                        {"created_at", core::FormatRfc3339Ms(u.created_at)}};
}

json::object ThreadJson(const domain::Thread& t) {
    return json::object{{"id", t.id},
                        {"title", t.title},
                        {"created_at", core::FormatRfc3339Ms(t.created_at)},
                        {"updated_at", core::FormatRfc3339Ms(t.updated_at)}};
}

json::object MessageJson(const domain::Message& m) {
    return json::object{{"id", m.id},
                        {"thread_id", m.thread_id},
                        {"role", domain::Name(m.role)},
                        {"content", m.content},
                        {"run_id", OptString(m.run_id)},
                        {"dataset_id", OptString(m.dataset_id)},
                        {"created_at", core::FormatRfc3339Ms(m.created_at)}};
}

json::object RunJson(const domain::Run& r) {
    return json::object{{"id", r.id},
                        {"run_id", r.id},
                        {"thread_id", r.thread_id},
                        {"status", domain::Name(r.status)},
                        {"policy", domain::Name(r.policy)},
                        {"error", OptString(r.error)},
                        {"created_at", core::FormatRfc3339Ms(r.created_at)},
                        {"started_at", OptTime(r.started_at)},
                        {"finished_at", OptTime(r.finished_at)},
                        {"attempt", r.attempt},
                        // The instance that executes it, or last executed it (a cluster's /api/health instance_id).
                        {"instance_id", OptString(r.owner_instance)}};
}

}  // namespace netra::net::http

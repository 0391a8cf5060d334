#include "runs/thread_service.hpp"

#include <cctype>

#include "core/ids.hpp"
#include "core/time.hpp"

namespace netra::runs {
using core::ErrorCode;
using core::MakeError;

namespace {
constexpr std::size_t kMaxTitleBytes = 200;

core::Status ValidateTitle(const std::string& title) {
    if (title.size() > kMaxTitleBytes) {
        return MakeError(ErrorCode::kValidationFailed, "title must be at most 200 bytes");
    }
    return core::Ok();
}

core::Status ValidateClientId(const std::string& id) {
    bool ok = !id.empty() && id.size() <= 64;
    for (char c : id) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    if (!ok) return MakeError(ErrorCode::kValidationFailed, "thread id must be 1-64 characters of A-Z a-z 0-9 - _");
    return core::Ok();
}
}  // namespace

core::Result<domain::Thread> ThreadService::Create(const std::string& user_id, const std::optional<std::string>& title,
                                                   const std::optional<std::string>& id) {
    std::string t = title.value_or("New conversation");
    if (auto s = ValidateTitle(t); !s.ok()) return s.error();
    if (id) {
        if (auto s = ValidateClientId(*id); !s.ok()) return s.error();
    }
    core::Millis now = core::NowMs();
    domain::Thread thread{id.value_or(core::NewId()), user_id, t, now, now};
    if (auto s = store_->CreateThread(thread); !s.ok()) return s.error();
    return thread;
}

core::Result<domain::Thread> ThreadService::Get(const std::string& user_id, const std::string& thread_id) {
    auto t = store_->GetThread(user_id, thread_id);
    if (!t.ok()) return t.error();
    if (!*t) return MakeError(ErrorCode::kNotFound, "thread not found");
    return **t;
}

core::Result<domain::Page<domain::Thread>> ThreadService::List(const std::string& user_id, int limit,
                                                               const std::optional<std::string>& cursor) {
    return store_->ListThreads(user_id, limit, cursor);
}

core::Result<domain::Thread> ThreadService::Rename(const std::string& user_id, const std::string& thread_id,
                                                   const std::string& title) {
    if (auto s = ValidateTitle(title); !s.ok()) return s.error();
    auto updated = store_->UpdateThreadTitle(user_id, thread_id, title, core::NowMs());
    if (!updated.ok()) return updated.error();
    if (!*updated) return MakeError(ErrorCode::kNotFound, "thread not found");
    return Get(user_id, thread_id);
}

core::Status ThreadService::Delete(const std::string& user_id, const std::string& thread_id) {
    auto t = Get(user_id, thread_id);
    if (!t.ok()) return t.error();
    runs_.CancelThreadRuns(user_id, thread_id);
    auto deleted = store_->DeleteThread(user_id, thread_id);
    if (!deleted.ok()) return deleted.error();
    if (!*deleted) return MakeError(ErrorCode::kNotFound, "thread not found");
    return core::Ok();
}

core::Result<domain::Page<domain::Message>> ThreadService::Messages(const std::string& user_id,
                                                                    const std::string& thread_id, int limit,
                                                                    const std::optional<std::string>& cursor) {
    if (auto t = Get(user_id, thread_id); !t.ok()) return t.error();
    return store_->ListMessages(user_id, thread_id, limit, cursor);
}

core::Result<std::vector<domain::Run>> ThreadService::Runs(const std::string& user_id, const std::string& thread_id) {
    if (auto t = Get(user_id, thread_id); !t.ok()) return t.error();
    return store_->ListThreadRuns(user_id, thread_id);
}

}  // namespace netra::runs

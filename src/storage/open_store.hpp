#pragma once
// Picks the storage backend from the database URL. (To log a URL, use config::MaskDatabaseUrl.)
#include <memory>
#include <string>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace netra::storage {

// Opens the store for `url` (does not migrate; call Store::Migrate()):
//   sqlite:///abs/path.db   sqlite://relative/path.db   sqlite::memory:   → SQLite
//   postgres://…            postgresql://…                                → PostgreSQL (libpq URL syntax)
// `pool_size` is the PostgreSQL connection count (SQLite: read connections beside its single writer, at most 8).
// kInvalidRequest for an unsupported or malformed URL (the message never contains the URL's password),
// kServiceUnavailable when the database cannot be reached.
// `hook` (optional): consulted before every connection borrow (fault injection, see store.hpp).
core::Result<std::shared_ptr<Store>> OpenStore(const std::string& url, int pool_size = 8, AcquireHook hook = {});

}  // namespace netra::storage

#pragma once
// The embedded SQLite backend (the zero-configuration default). No sqlite3 types leak out of this header.
#include <memory>
#include <string>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace netra::storage {

struct SqliteOptions {
    std::string path;            // a file path, or ":memory:" for a private in-process database
    int reader_connections = 4;  // read-only connections beside the single writer (file databases only)
    int busy_timeout_ms = 5000;  // waits for another process's write lock before reporting busy
    // PRAGMA synchronous under WAL: "normal" (a commit survives the process crashing, not necessarily power loss) or
    // "full"/"extra" (fsync per commit: it survives power loss too). From the URL: sqlite:///path.db?synchronous=full
    std::string synchronous = "normal";
    bool create_parent_dirs = true;
    AcquireHook acquire_hook;  // optional (fault injection): see store.hpp
};

// Opens (creating if needed) the database; does not migrate. kServiceUnavailable when it cannot be opened.
core::Result<std::shared_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace netra::storage

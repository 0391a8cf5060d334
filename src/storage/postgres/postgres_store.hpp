#pragma once
// The PostgreSQL backend (production, scale-out) on libpq. No libpq types leak out of this header.
#include <memory>
#include <string>

#include "core/error.hpp"
#include "storage/store.hpp"

namespace netra::storage {

struct PostgresOptions {
    std::string conninfo;        // a postgres:// or postgresql:// URL (or a libpq keyword/value string)
    int pool_size = 8;           // fixed number of connections; callers wait when all are borrowed
    int connect_timeout_s = 10;  // unless the URL sets connect_timeout itself
    AcquireHook acquire_hook;    // optional (fault injection): see store.hpp
};

// Creates the pool and checks that one connection can be made (kServiceUnavailable when the server cannot be
// reached, kInvalidRequest for a malformed URL); does not migrate. Broken connections are re-opened on their
// next use, so the store survives a database restart.
core::Result<std::shared_ptr<Store>> OpenPostgresStore(const PostgresOptions& options);

}  // namespace netra::storage

#pragma once
// Versioned schema migrations (SPEC §3). Each version is a list of statements applied in one transaction
// together with its schema_migrations row, so a version is either fully applied or not at all, and applying
// twice is a no-op. On PostgreSQL an advisory lock serialises instances that start at the same time.
//
// Conventions of the schema, identical on both backends:
//  - times are BIGINT UTC epoch milliseconds;
//  - JSON columns are TEXT on both backends: the server parses JSON itself, and TEXT keeps event payloads
//    byte-identical on replay (JSONB would reorder keys and normalise numbers);
//  - emails are stored lower-cased, which makes the plain UNIQUE constraint case-insensitive.
#include <string>
#include <vector>

#include "core/error.hpp"
#include "storage/sql/sql_backend.hpp"

namespace netra::storage {

struct Migration {
    int version = 0;
    std::string name;
    std::vector<std::string> statements;  // rendered for one dialect
};

// All migrations in version order, rendered for `dialect`.
std::vector<Migration> Migrations(sql::Dialect dialect);
// The version the code expects after Migrate().
int LatestSchemaVersion();

// Applies the pending migrations through `backend` (idempotent).
core::Status ApplyMigrations(sql::SqlBackend& backend);
// The highest applied version (0 on an empty database).
core::Result<int> AppliedSchemaVersion(sql::SqlBackend& backend);

}  // namespace netra::storage

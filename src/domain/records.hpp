#pragma once
// The domain room: plain records of the §3 data model and the closed sets of values they hold, shared by
// storage, analysis, agents, runs and net. Times are UTC milliseconds since the epoch (core::Millis).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "domain/values.hpp"

namespace netra::domain {

using core::Millis;

struct User {
    std::string id;
    std::string email;
    std::string name;
    std::string password_hash;             // empty for users created from an external token
    std::vector<std::string> permissions;  // stored as a JSON array
    Millis created_at = 0;
};

struct RefreshToken {
    std::string id;
    std::string user_id;
    std::string family_id;
    std::string token_hash;  // SHA-256 hex of the opaque token
    Millis expires_at = 0;
    std::optional<Millis> revoked_at;
    std::optional<std::string> replaced_by;
};

struct Thread {
    std::string id;
    std::string user_id;
    std::string title;
    Millis created_at = 0;
    Millis updated_at = 0;
};

struct Message {
    std::string id;
    std::string thread_id;
    std::string user_id;
    MessageRole role = MessageRole::kUser;
    std::string content;
    std::optional<std::string> run_id;
    std::optional<std::string> dataset_id;
    Millis created_at = 0;
};

struct Run {
    std::string id;
    std::string thread_id;
    std::string user_id;
    RunStatus status = RunStatus::kQueued;
    DoubleTextPolicy policy = DoubleTextPolicy::kEnqueue;
    std::optional<std::string> error;
    Millis created_at = 0;
    std::optional<Millis> started_at;
    std::optional<Millis> finished_at;
    std::optional<std::string> owner_instance;
    std::optional<Millis> lease_until;
    int attempt = 0;
    std::string request;  // the user request that started the run (message content)
};

struct RunEvent {
    std::string run_id;
    std::int64_t seq = 0;
    EventType type = EventType::kRunStarted;
    std::string agent_name;  // empty when the event belongs to the run, not an agent
    std::string payload;     // serialized JSON object
    Millis created_at = 0;
};

// A usage dataset's metadata (§9). `columns` are the canonical column names found in the file.
struct Dataset {
    std::string id;
    std::string user_id;
    std::optional<std::string> thread_id;
    std::string name;
    std::string format;              // csv | jsonl
    std::int64_t rows = 0;           // valid rows stored
    std::int64_t rejected_rows = 0;  // bad rows counted (never stored)
    std::vector<std::string> columns;
    std::string profile;  // serialized JSON object (the data profile), "{}" until computed
    Millis created_at = 0;
};

// One LLM call of a usage log (§9), already validated and normalised by the ingest.
struct UsageRecord {
    Millis ts = 0;
    std::string model;     // canonical catalog name when the model is known, else as written
    std::string provider;  // empty when unknown
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_tokens = 0;
    std::optional<double> latency_ms;
    std::optional<double> cost_usd;  // as given, or computed from the catalog when absent
    std::string prompt_hash;
    std::string prefix_hash;
    std::string feature;
    bool batchable = false;
    bool success = true;  // status ok/success/2xx
};

template <class T>
struct Page {
    std::vector<T> data;
    std::optional<std::string> next_cursor;  // opaque; absent on the last page
};

struct EventFilter {
    std::int64_t after_seq = 0;
    std::optional<EventType> type;
    std::optional<std::string> agent_name;
    int limit = 10000;
};

}  // namespace netra::domain

#pragma once
// The domain room: plain records of the §3 data model and the closed sets of values they hold, shared by
// storage, analysis, agents, runs and net. Times are UTC milliseconds since the epoch (core::Millis).
#include <boost/container/string.hpp>
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
    std::string request;               // the user request that started the run (message content)
    std::string agent = "supervisor";  // the pipeline, or the agent start_agent named (its prerequisites first)
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
    std::string format;              // the syntax: csv | jsonl | json
    std::string source_format;       // the export it came from: netra | openai_usage | anthropic_usage | … (§9)
    std::string grain;               // request (a row is one call) | aggregate (a row is a time bucket)
    std::int64_t rows = 0;           // valid rows stored
    std::int64_t rejected_rows = 0;  // bad rows counted (never stored)
    std::vector<std::string> columns;
    std::string profile;  // serialized JSON object (the data profile), "{}" until computed
    Millis created_at = 0;
};

// A usage record's text field: Boost.Container's string is 24 bytes and keeps up to 22 characters inline, where
// std::string takes 32 and goes to the heap past 15 — and a 16-hex-digit prompt hash is the common case. A million
// records are then 80 MB smaller and parse without two allocations each. It converts to std::string_view.
using RecordText = boost::container::string;

// One LLM call of a usage log (§9), or for an aggregate-grade export one time bucket of calls, already validated
// and normalised by the ingest. Token partitions follow one convention whatever the source: `input_tokens` counts
// every input token — uncached, cache reads and cache writes — so uncached = input − cache read − cache writes.
struct UsageRecord {
    Millis ts = 0;
    RecordText model;                        // canonical catalog name when the model is known, else as written
    RecordText provider;                     // empty when unknown
    std::int64_t input_tokens = 0;           // all input tokens (see above)
    std::int64_t output_tokens = 0;          // all output tokens, reasoning included
    std::int64_t cached_tokens = 0;          // prompt-cache reads (part of input_tokens)
    std::int64_t cache_write_5m_tokens = 0;  // prompt-cache writes with the 5-minute lifetime (part of input_tokens)
    std::int64_t cache_write_1h_tokens = 0;  // prompt-cache writes with the 1-hour lifetime (part of input_tokens)
    std::int64_t reasoning_tokens = 0;       // part of output_tokens, where the source says
    // Calls this row stands for: 1 for a request log; an aggregate export's count; 0 when it does not say.
    std::int64_t request_count = 1;
    std::optional<double> latency_ms;
    std::optional<double> cost_usd;       // the bill: as the file gives it, else the catalog's list price
    std::optional<double> list_cost_usd;  // the catalog's price for these tokens; absent for an unknown model
    RecordText prompt_hash;
    RecordText prefix_hash;
    RecordText feature;
    // Attribution, whatever the format carries (empty when it does not).
    RecordText user;     // the end user or the account's user
    RecordText team;     // team or workspace
    RecordText api_key;  // the key's id or name (never a secret: exports carry ids)
    RecordText project;
    RecordText tags;              // comma-separated request tags
    bool cost_from_file = false;  // cost_usd is the file's own figure (reconciled against list_cost_usd)
    bool batchable = false;       // could wait for the batch API (a hint in request logs)
    bool batched = false;         // was made through the batch API (priced at the batch discount)
    bool long_context = false;    // the source says the call was billed at a long-context tier
    bool success = true;          // status ok/success/2xx
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

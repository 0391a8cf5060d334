#pragma once
// Derived data the profile computes once and the strategies reuse (they run on the same records).
//
// Groups records by a hash column in one pass: a dense group id per record (-1 when the column is empty) and
// the size of each group. Ids follow first occurrence, so sums over groups run in a fixed order.
//
// The analysis groups a million rows several times (prompt hashes, prefix hashes, models, providers, features),
// so this is an open-addressing table over string_views with a cheap word-at-a-time hash instead of
// std::unordered_map (one node allocation per key, a byte-wise hash, a pointer chase per probe). The hash only
// decides where a key is looked for; keys are always compared in full, so results do not depend on it.
#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/record_spans.hpp"
#include "domain/records.hpp"

namespace netra::analysis {

inline std::uint64_t HashKey(std::string_view s) {
    std::uint64_t h = 0x9E3779B97F4A7C15ULL ^ (s.size() * 0xff51afd7ed558ccdULL);
    const char* p = s.data();
    std::size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
    }
    if (n > 0) {
        std::uint64_t w = 0;
        std::memcpy(&w, p, n);
        h = (h ^ w) * 0x94d049bb133111ebULL;
        h ^= h >> 29;
    }
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

// Dense ids for distinct string keys, in order of first occurrence. The caller keeps the keys' bytes alive
// (records, or strings it owns) for the index's lifetime.
class StringIndex {
  public:
    explicit StringIndex(std::size_t expected_keys = 16) {
        std::size_t slots = std::bit_ceil(std::max<std::size_t>(16, expected_keys * 2));
        slots_.assign(slots, Slot{});
        mask_ = slots - 1;
    }

    // The key's id, adding it when new (`inserted` says so).
    std::int32_t Id(std::string_view key, bool& inserted) { return Id(key, HashKey(key), inserted); }
    // … with the key's HashKey already computed.
    std::int32_t Id(std::string_view key, std::uint64_t h, bool& inserted) {
        const auto tag = static_cast<std::uint32_t>(h >> 32);
        for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (s.id < 0) {
                inserted = true;
                s = Slot{tag, static_cast<std::int32_t>(keys_.size())};
                keys_.push_back(key);
                hashes_.push_back(h);
                if (keys_.size() * 2 > slots_.size()) Grow();
                return static_cast<std::int32_t>(keys_.size() - 1);
            }
            if (s.tag == tag && keys_[static_cast<std::size_t>(s.id)] == key) {
                inserted = false;
                return s.id;
            }
        }
    }
    // Points key `id` at other bytes equal to it (a copy the caller owns), returning the id.
    std::int32_t Rebind(std::size_t id, std::string_view same_key) {
        keys_[id] = same_key;
        return static_cast<std::int32_t>(id);
    }
    std::size_t size() const { return keys_.size(); }
    // Asks for the cache line a key with hash `h` is looked up in first (see GroupBuilder).
    void Prefetch(std::uint64_t h) const { __builtin_prefetch(&slots_[h & mask_]); }
    std::string_view Key(std::size_t id) const { return keys_[id]; }

  private:
    struct Slot {
        std::uint32_t tag = 0;  // high half of the hash: most mismatches end here without touching the key
        std::int32_t id = -1;
    };
    void Grow() {
        slots_.assign(slots_.size() * 2, Slot{});
        mask_ = slots_.size() - 1;
        for (std::size_t id = 0; id < hashes_.size(); ++id) {
            std::size_t i = hashes_[id] & mask_;
            while (slots_[i].id >= 0) i = (i + 1) & mask_;
            slots_[i] = Slot{static_cast<std::uint32_t>(hashes_[id] >> 32), static_cast<std::int32_t>(id)};
        }
    }
    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    std::vector<std::string_view> keys_;
    std::vector<std::uint64_t> hashes_;
};

struct HashGroups {
    std::vector<std::int32_t> id_of;  // per record
    std::vector<std::int64_t> size;   // per group
};

// Builds HashGroups from keys added in record order. With hundreds of thousands of distinct keys the table does not
// fit in the cache and every lookup waits for memory; so each key's slot is prefetched when it is added and the
// key is placed kLookahead keys later, by which time the line has arrived. Keys are placed in the order they were
// added, so ids still follow first occurrence.
class GroupBuilder {
  public:
    GroupBuilder(HashGroups& groups, std::size_t records) : groups_(groups), index_(1024) {
        groups_.id_of.assign(records, -1);
    }
    void Add(std::string_view key, std::size_t record) {
        const std::uint64_t h = HashKey(key);
        index_.Prefetch(h);
        Pending& slot = ring_[added_ % kLookahead];
        if (added_ >= kLookahead) Place(slot);
        slot = Pending{key, h, record};
        ++added_;
    }
    // Places the keys still in flight; call once after the last Add.
    void Finish() {
        for (std::size_t k = added_ > kLookahead ? added_ - kLookahead : 0; k < added_; ++k) {
            Place(ring_[k % kLookahead]);
        }
        added_ = 0;
    }

  private:
    static constexpr std::size_t kLookahead = 8;
    struct Pending {
        std::string_view key;
        std::uint64_t hash = 0;
        std::size_t record = 0;
    };
    void Place(const Pending& p) {
        bool inserted = false;
        const std::int32_t id = index_.Id(p.key, p.hash, inserted);
        if (inserted) groups_.size.push_back(0);
        ++groups_.size[static_cast<std::size_t>(id)];
        groups_.id_of[p.record] = id;
    }
    HashGroups& groups_;
    StringIndex index_;
    std::array<Pending, kLookahead> ring_{};
    std::size_t added_ = 0;
};

inline HashGroups GroupByHash(const RecordSpans& records, domain::RecordText domain::UsageRecord::*column) {
    HashGroups g;
    GroupBuilder builder(g, records.size());
    std::size_t i = 0;
    for (const auto& r : records) {
        const domain::RecordText& key = r.*column;
        if (!key.empty()) builder.Add(key, i);
        ++i;
    }
    builder.Finish();
    return g;
}

// The record fields the strategies read, packed. Every strategy scans all rows; 40 bytes per row stream through
// the cache several times faster than a UsageRecord with its five strings.
struct CompactRecord {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t cached_tokens = 0;
    std::int64_t requests = 1;  // calls the row stands for (aggregate exports), at least 1
    double cost_usd = 0;        // meaningful when has_cost
    std::int32_t model = 0;     // index into RecordColumns::model_names
    bool has_cost = false;
    bool batchable = false;
};

struct RecordColumns {
    std::vector<CompactRecord> rows;       // per record, same order
    std::vector<std::string> model_names;  // by model id (first occurrence order)
};

inline CompactRecord Compact(const domain::UsageRecord& r, std::int32_t model) {
    CompactRecord c;
    c.input_tokens = r.input_tokens;
    c.output_tokens = r.output_tokens;
    c.cached_tokens = r.cached_tokens;
    c.requests = std::max<std::int64_t>(r.request_count, 1);
    c.cost_usd = r.cost_usd.value_or(0);
    c.model = model;
    c.has_cost = r.cost_usd.has_value();
    c.batchable = r.batchable && !r.batched;  // calls already made through the batch API have nothing left to gain
    return c;
}

inline RecordColumns BuildColumns(const RecordSpans& records) {
    RecordColumns c;
    c.rows.reserve(records.size());
    StringIndex models;
    for (const auto& r : records) {
        bool inserted = false;
        const std::int32_t id = models.Id(r.model, inserted);
        if (inserted) c.model_names.push_back(r.model);
        c.rows.push_back(Compact(r, id));
    }
    return c;
}

}  // namespace netra::analysis

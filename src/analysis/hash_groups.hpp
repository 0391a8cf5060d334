#pragma once
// Groups records by a hash column in one pass: a dense group id per record (-1 when the column is empty) and
// the size of each group. Ids follow first occurrence, so sums over groups run in a fixed order.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "storage/records.hpp"

namespace netra::analysis {

struct HashGroups {
    std::vector<std::int32_t> id_of;  // per record
    std::vector<std::int64_t> size;   // per group
};

inline HashGroups GroupByHash(const std::vector<storage::UsageRecord>& records,
                              std::string storage::UsageRecord::*column) {
    HashGroups g;
    g.id_of.resize(records.size(), -1);
    std::unordered_map<std::string_view, std::int32_t> ids;
    ids.reserve(records.size() / 2 + 16);
    for (std::size_t i = 0; i < records.size(); ++i) {
        const std::string& key = records[i].*column;
        if (key.empty()) continue;
        auto [it, inserted] = ids.try_emplace(std::string_view(key), static_cast<std::int32_t>(g.size.size()));
        if (inserted) g.size.push_back(0);
        ++g.size[static_cast<std::size_t>(it->second)];
        g.id_of[i] = it->second;
    }
    return g;
}

}  // namespace netra::analysis

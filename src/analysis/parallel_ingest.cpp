#include "analysis/parallel_ingest.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <thread>

namespace netra::analysis {

namespace {

// The first part begins with this much of the input (then up to a newline), fed before the cut so the header,
// the syntax and the source are known to every part.
constexpr std::size_t kHeadBytes = 64u << 10;

std::int64_t CountNewlines(std::string_view s) {
    return static_cast<std::int64_t>(std::count(s.begin(), s.end(), '\n'));
}

// The position just past the first newline at or after `from` that is outside CSV quotes, given that `base` is
// outside quotes; `csv` false: any newline (JSON Lines never holds one inside a record). npos when there is none.
// Quote parity from `base` is exactly the state UsageIngest's own record scanner keeps.
std::size_t CutAfter(std::string_view data, std::size_t base, std::size_t from, bool csv) {
    bool quoted = false;
    if (csv) {
        for (const char* p = data.data() + base; p < data.data() + from;) {
            const void* q = std::memchr(p, '"', static_cast<std::size_t>(data.data() + from - p));
            if (q == nullptr) break;
            quoted = !quoted;
            p = static_cast<const char*>(q) + 1;
        }
    }
    for (std::size_t pos = from; pos < data.size();) {
        const void* hit = std::memchr(data.data() + pos, '\n', data.size() - pos);
        if (hit == nullptr) return std::string_view::npos;
        const auto nl = static_cast<std::size_t>(static_cast<const char*>(hit) - data.data());
        if (csv) {
            for (std::size_t q = pos; q < nl;) {
                const void* qh = std::memchr(data.data() + q, '"', nl - q);
                if (qh == nullptr) break;
                quoted = !quoted;
                q = static_cast<std::size_t>(static_cast<const char*>(qh) - data.data()) + 1;
            }
        }
        if (!quoted) return nl + 1;
        pos = nl + 1;
    }
    return std::string_view::npos;
}

void AddPart(WholeIngest& out, std::vector<domain::UsageRecord> records) {
    if (!records.empty()) out.parts.push_back(std::move(records));
}

}  // namespace

core::Result<WholeIngest> IngestWhole(std::string_view data, FormatRequest format, const Catalog& catalog,
                                      unsigned workers, std::size_t min_part_bytes) {
    UsageIngest head(format, catalog);
    // Sized for the whole input before the first bytes (the buffer is reserved once they show the bytes per row);
    // when the input is cut, the capacity past the first part is never touched, so it costs address space only.
    head.ExpectBytes(data.size());
    WholeIngest out;
    std::size_t fed = std::min({data.size(), kHeadBytes, min_part_bytes});
    if (fed < data.size()) {
        const void* nl = std::memchr(data.data() + fed, '\n', data.size() - fed);
        fed = nl == nullptr ? data.size() : static_cast<std::size_t>(static_cast<const char*>(nl) - data.data()) + 1;
    }
    if (auto s = head.Feed(data.substr(0, fed)); !s.ok()) return s.error();
    const std::size_t rest = data.size() - fed;
    const unsigned parts = std::max(
        1u, std::min<unsigned>(workers, static_cast<unsigned>(rest / std::max<std::size_t>(min_part_bytes, 1))));
    if (parts <= 1 || !head.AtPartBoundary()) {
        if (auto s = head.Feed(data.substr(fed)); !s.ok()) return s.error();
        if (auto s = head.Finish(); !s.ok()) return s.error();
        out.summary = head.Summary();
        AddPart(out, head.TakeRecords());
        return out;
    }

    // Cut points: one newline outside quotes near each 1/parts of the rest.
    const bool csv = head.Summary().syntax == Format::kCsv;
    std::vector<std::size_t> cuts{fed};
    for (unsigned k = 1; k < parts; ++k) {
        const std::size_t target = std::max(cuts.back(), fed + rest / parts * k);
        const std::size_t cut = CutAfter(data, cuts.back(), target, csv);
        if (cut == std::string_view::npos || cut >= data.size()) break;
        cuts.push_back(cut);
    }
    cuts.push_back(data.size());

    // Part k > 0 runs on a thread of its own (its parser made here, before the first part's parser moves on); each
    // counts the lines before it (a vectorised pass) to number its rows as the file does.
    std::vector<std::unique_ptr<UsageIngest>> later;
    for (std::size_t k = 0; k + 2 < cuts.size(); ++k) later.push_back(head.Continuation());
    std::vector<core::Status> status(later.size(), core::Ok());
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < later.size(); ++k) {
        threads.emplace_back([&, k] {
            later[k]->SetLinesBefore(CountNewlines(data.substr(0, cuts[k + 1])));
            const std::string_view part = data.substr(cuts[k + 1], cuts[k + 2] - cuts[k + 1]);
            later[k]->ExpectBytes(part.size());
            auto s = later[k]->Feed(part);
            if (s.ok()) s = later[k]->FlushPart();
            status[k] = s;
        });
    }
    auto first = head.Feed(data.substr(fed, cuts[1] - fed));
    for (auto& t : threads) t.join();
    if (!first.ok()) return first.error();
    AddPart(out, head.TakeRecords());
    for (std::size_t k = 0; k < later.size(); ++k) {
        if (!status[k].ok()) return status[k].error();
        head.Absorb(*later[k]);
        AddPart(out, later[k]->TakeRecords());
        later[k].reset();
    }
    if (auto s = head.Finish(); !s.ok()) return s.error();
    out.summary = head.Summary();
    return out;
}

void OrderByTime(std::vector<std::vector<domain::UsageRecord>>& parts) {
    auto by_time = [](const domain::UsageRecord& a, const domain::UsageRecord& b) { return a.ts < b.ts; };
    bool ordered = true;
    for (std::size_t k = 0; ordered && k < parts.size(); ++k) {
        ordered = std::is_sorted(parts[k].begin(), parts[k].end(), by_time) &&
                  (k == 0 || parts[k - 1].back().ts <= parts[k].front().ts);
    }
    if (ordered || parts.empty()) return;
    for (std::size_t k = 1; k < parts.size(); ++k) {
        parts[0].insert(parts[0].end(), std::make_move_iterator(parts[k].begin()),
                        std::make_move_iterator(parts[k].end()));
    }
    parts.resize(1);
    OrderByTime(parts[0]);
}

}  // namespace netra::analysis

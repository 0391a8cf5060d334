#pragma once
// A read-only view of usage records held in one or more contiguous chunks, in order: the analysis reads a dataset
// through it, so records parsed in parts (parallel_ingest.hpp) are never copied to be joined, and a run reads the
// dataset cache's records where they lie. A `const std::vector<UsageRecord>&` converts to it (one chunk, no copy).
#include <cstddef>
#include <iterator>
#include <span>
#include <vector>

#include "domain/records.hpp"

namespace netra::analysis {

class RecordSpans {
  public:
    using Span = std::span<const domain::UsageRecord>;

    RecordSpans() = default;
    RecordSpans(const std::vector<domain::UsageRecord>& records) {  // NOLINT(google-explicit-constructor): a view
        Add(records);
    }
    explicit RecordSpans(const std::vector<Span>& spans) {
        for (const Span& s : spans) Add(s);
    }

    const std::vector<Span>& spans() const { return spans_; }
    std::size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    const domain::UsageRecord& front() const { return spans_.front().front(); }

    // For loops that are not hot (hot ones walk spans() directly): every record, in order.
    class Iterator {
      public:
        using iterator_category = std::forward_iterator_tag;
        using value_type = domain::UsageRecord;
        using difference_type = std::ptrdiff_t;
        using pointer = const domain::UsageRecord*;
        using reference = const domain::UsageRecord&;

        Iterator() = default;
        Iterator(const std::vector<Span>* spans, std::size_t span) : spans_(spans), span_(span) {}
        reference operator*() const { return (*spans_)[span_][pos_]; }
        pointer operator->() const { return &**this; }
        Iterator& operator++() {
            if (++pos_ == (*spans_)[span_].size()) {
                ++span_;
                pos_ = 0;
            }
            return *this;
        }
        Iterator operator++(int) {
            Iterator before = *this;
            ++*this;
            return before;
        }
        bool operator==(const Iterator& o) const { return span_ == o.span_ && pos_ == o.pos_; }

      private:
        const std::vector<Span>* spans_ = nullptr;
        std::size_t span_ = 0;
        std::size_t pos_ = 0;
    };
    Iterator begin() const { return Iterator(&spans_, 0); }
    Iterator end() const { return Iterator(&spans_, spans_.size()); }

  private:
    void Add(Span s) {
        if (s.empty()) return;  // no empty spans: iteration never stops on one
        spans_.push_back(s);
        size_ += s.size();
    }

    std::vector<Span> spans_;
    std::size_t size_ = 0;
};

}  // namespace netra::analysis

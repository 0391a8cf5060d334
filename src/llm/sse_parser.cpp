#include "llm/sse_parser.hpp"

namespace netra::llm {

bool SseParser::Feed(std::string_view bytes, const Sink& sink) {
    for (char c : bytes) {
        if (skip_lf_) {
            skip_lf_ = false;
            if (c == '\n') continue;
        }
        if (c == '\r' || c == '\n') {
            skip_lf_ = c == '\r';
            std::string line = std::move(line_);
            line_.clear();
            if (!Line(line, sink)) return false;
            continue;
        }
        line_.push_back(c);
        if (line_.size() > max_line_bytes_) {
            line_too_long_ = true;
            return false;
        }
    }
    return true;
}

bool SseParser::Finish(const Sink& sink) {
    if (!line_.empty()) {
        std::string line = std::move(line_);
        line_.clear();
        if (!Line(line, sink)) return false;
    }
    return Dispatch(sink);
}

bool SseParser::Line(std::string_view line, const Sink& sink) {
    if (line.empty()) return Dispatch(sink);
    if (line.front() == ':') return true;  // comment (keep-alive)
    auto colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field != "data") return true;
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
    return true;
}

bool SseParser::Dispatch(const Sink& sink) {
    if (!has_data_) return true;
    std::string data = std::move(data_);
    data_.clear();
    has_data_ = false;
    return sink(data);
}

}  // namespace netra::llm

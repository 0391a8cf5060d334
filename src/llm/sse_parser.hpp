#pragma once
// An incremental Server-Sent Events parser (the subset OpenAI-compatible streams use): bytes arrive in arbitrary
// pieces; each complete event's `data` (several data lines joined by '\n') is handed to the sink. Comment lines
// (":…") and other fields (event, id, retry) are ignored. Lines end with \n, \r\n or \r.
#include <functional>
#include <string>
#include <string_view>

namespace netra::llm {

class SseParser {
  public:
    // Return false to stop parsing (the sink saw enough or found an error); Feed then returns false too.
    using Sink = std::function<bool(std::string_view data)>;

    explicit SseParser(std::size_t max_line_bytes = 1 << 20) : max_line_bytes_(max_line_bytes) {}

    // False when the sink stopped or a line exceeded max_line_bytes (then line_too_long() is true).
    bool Feed(std::string_view bytes, const Sink& sink);
    // End of stream: dispatches a last event not followed by a blank line (servers that close right after
    // `data: [DONE]`). False when the sink stopped.
    bool Finish(const Sink& sink);
    bool line_too_long() const { return line_too_long_; }

  private:
    bool Line(std::string_view line, const Sink& sink);
    bool Dispatch(const Sink& sink);

    std::size_t max_line_bytes_;
    std::string line_;
    std::string data_;
    bool has_data_ = false;
    bool skip_lf_ = false;  // the previous line ended with \r: a following \n belongs to it
    bool line_too_long_ = false;
};

}  // namespace netra::llm

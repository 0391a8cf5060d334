#pragma once
// The long responses that wait for a run's events (SSE streams, runs/wait, MCP tool calls): at shutdown each is
// told to end at once, so its client sees the stream end cleanly before the server exits instead of waiting for
// the next event or keep-alive — or the process's exit — to notice.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace netra::net {

class OpenStreams {
  public:
    using Stop = std::function<void()>;  // must only post to the stream's executor: called under no lock, any thread

    // Registered for its lifetime; one registered after StopAll is stopped at once.
    class Registration {
      public:
        Registration(OpenStreams& streams, Stop stop);
        ~Registration();
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;

      private:
        OpenStreams& streams_;
        std::uint64_t id_;
    };

    void StopAll();
    std::size_t size() const;

  private:
    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 1;
    bool stopped_ = false;
    std::unordered_map<std::uint64_t, Stop> stops_;
};

}  // namespace netra::net

#pragma once
// A run's events as a Server-Sent Events response: the stored events after a given seq, then the live ones, each
// once and in seq order (the replay ledger merges the two), until the run's terminal event. What each event becomes
// on the wire is a translator's: Netra's own stream writes the envelope (GET /api/runs/{id}/stream), the protocol
// adapters (LangGraph, AG-UI) write their protocols' events. One implementation of "replay, then follow", however
// many vocabularies.
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "domain/records.hpp"
#include "net/server_context.hpp"
#include "runs/event_replay.hpp"

namespace netra::net::http {

class SseTranslator {
  public:
    virtual ~SseTranslator() = default;
    // Bytes right after the response head, before any event ("retry: …", a protocol's opening event).
    virtual std::string Begin() { return {}; }
    // The bytes for one event, in seq order (empty: the event has no counterpart in the protocol).
    virtual std::string Translate(const runs::ReplayEvent& event) = 0;
    // After the terminal event was translated, or when the run had ended before the stream began and the client
    // holds its events already. Not called when the stream ends early (the client left, the server stops).
    virtual std::string End() { return {}; }
};

struct SseStreamOptions {
    std::int64_t after_seq = 0;  // replay the stored events after this one
    std::string extra_headers;   // whole header lines, each ending in \r\n (e.g. Content-Location)
};

// How a stream ended.
enum class StreamEnd {
    kRunEnded,    // the run's terminal event was sent (or the client held them all already)
    kClientLeft,  // a write failed: the client closed the connection or stopped reading
    kStopped,     // the server stops, the client fell too far behind, or the stored events could not be read
};

// Writes the response on `stream` (the request's connection, taken over by the handler) and closes it when done.
// A failed read of the stored events answers its JSON error instead of a stream with a hole in it.
boost::asio::awaitable<StreamEnd> StreamRunEvents(ServerContext& server, std::shared_ptr<const Services> services,
                                                  boost::beast::tcp_stream& stream, domain::Run run,
                                                  std::string request_id, SseStreamOptions options,
                                                  std::shared_ptr<SseTranslator> translator);

// Waits, without holding a thread, until the user's run has ended or `timeout` has passed, and answers the run as
// stored then (finished or not: the caller looks at its status). Woken by the run's terminal event on the bus, and
// re-reads the store every second as well (an event relayed late from another instance cannot delay it much).
// `on_event` sees the run's live events as they arrive while it waits (on `executor`); `on_subscribed` is called once
// the wait listens, so a caller that starts the run there misses none of them (an event relayed late from another
// instance may still come after the end: it is for progress, not for the record).
boost::asio::awaitable<core::Result<domain::Run>> AwaitRunEnd(
    ServerContext& server, std::shared_ptr<const Services> services, boost::asio::any_io_executor executor,
    std::string user_id, std::string run_id, std::chrono::milliseconds timeout,
    std::function<void(const runs::LiveEvent&)> on_event = {}, std::function<void()> on_subscribed = {});

// One SSE frame: optional id and event name, then the data (one line: serialized JSON has no newlines).
std::string SseFrame(std::string_view id, std::string_view event, std::string_view data);

}  // namespace netra::net::http

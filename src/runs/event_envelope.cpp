#include "runs/event_envelope.hpp"

#include <boost/json.hpp>

#include "core/json_write.hpp"
#include "core/time.hpp"

namespace netra::runs {

boost::json::object EnvelopeJson(const domain::RunEvent& event, const std::string& thread_id) {
    boost::json::object o;
    o["type"] = domain::Name(event.type);
    o["run_id"] = event.run_id;
    o["thread_id"] = thread_id;
    o["seq"] = event.seq;
    o["timestamp"] = core::FormatRfc3339Ms(event.created_at);
    if (!event.agent_name.empty()) o["agent_name"] = event.agent_name;
    boost::system::error_code ec;
    boost::json::value payload = boost::json::parse(event.payload, ec);
    o["payload"] = ec || !payload.is_object() ? boost::json::value(boost::json::object{}) : std::move(payload);
    return o;
}

std::string SerializeEnvelope(const domain::RunEvent& event, const std::string& thread_id) {
    return core::JsonText(EnvelopeJson(event, thread_id));
}

}  // namespace netra::runs

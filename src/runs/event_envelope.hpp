#pragma once
// The one envelope of §6 shared by live delivery, subscribe replay, the events endpoint and SSE.
#include <boost/json/object.hpp>
#include <string>

#include "domain/records.hpp"

namespace netra::runs {

boost::json::object EnvelopeJson(const domain::RunEvent& event, const std::string& thread_id);
std::string SerializeEnvelope(const domain::RunEvent& event, const std::string& thread_id);

}  // namespace netra::runs

#include "stage/event_checks.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <map>

namespace netra::stage {

namespace json = boost::json;

namespace {

std::string Str(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end() || !it->value().is_string()) return {};
    return std::string(it->value().get_string());
}

std::optional<std::int64_t> Int(const json::object& o, std::string_view key) {
    auto it = o.find(key);
    if (it == o.end()) return std::nullopt;
    if (it->value().is_int64()) return it->value().get_int64();
    if (it->value().is_uint64()) return static_cast<std::int64_t>(it->value().get_uint64());
    return std::nullopt;
}

const json::object* Payload(const json::object& e) {
    auto it = e.find("payload");
    return it != e.end() && it->value().is_object() ? &it->value().get_object() : nullptr;
}

// agent_name at top level, else payload.agent.
std::string AgentOf(const json::object& e) {
    std::string a = Str(e, "agent_name");
    if (a.empty()) {
        if (const auto* p = Payload(e)) a = Str(*p, "agent");
    }
    return a;
}

}  // namespace

bool IsTerminalRunEvent(std::string_view type) {
    return type == "run_completed" || type == "run_failed" || type == "run_cancelled";
}

bool IsRfc3339Millis(std::string_view t) {
    // YYYY-MM-DDTHH:MM:SS.mmm then Z or ±HH:MM
    auto digits = [&](std::size_t pos, std::size_t n) {
        if (pos + n > t.size()) return false;
        for (std::size_t i = pos; i < pos + n; ++i) {
            if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
        }
        return true;
    };
    if (t.size() < 24) return false;
    if (!digits(0, 4) || t[4] != '-' || !digits(5, 2) || t[7] != '-' || !digits(8, 2) || t[10] != 'T' ||
        !digits(11, 2) || t[13] != ':' || !digits(14, 2) || t[16] != ':' || !digits(17, 2) || t[19] != '.' ||
        !digits(20, 3)) {
        return false;
    }
    std::string_view zone = t.substr(23);
    if (zone == "Z") return true;
    return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(24, 2) && zone[3] == ':' && digits(27, 2);
}

std::vector<std::string> ValidateRunSequence(const std::vector<json::object>& events, const std::string& run_id,
                                             const std::string& thread_id) {
    std::vector<std::string> problems;
    auto add = [&](std::string p) {
        if (problems.size() < 20) problems.push_back(std::move(p));
    };
    if (events.empty()) {
        add("no events received");
        return problems;
    }
    std::size_t terminals = 0;
    // Per-agent state machine: 0 = started, 1 = thought, 2 = inside a tool pair, 3 = finished.
    std::map<std::string, int> agent_state;
    std::map<std::string, std::string> open_tool;
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& e = events[i];
        std::string type = Str(e, "type");
        std::string where = "event #" + std::to_string(i + 1) + " (" + (type.empty() ? "?" : type) + ")";
        if (type.empty()) add(where + ": missing type");
        if (Str(e, "run_id") != run_id) add(where + ": run_id '" + Str(e, "run_id") + "' != '" + run_id + "'");
        if (!thread_id.empty() && Str(e, "thread_id") != thread_id) {
            add(where + ": thread_id '" + Str(e, "thread_id") + "' != '" + thread_id + "'");
        }
        auto seq = Int(e, "seq");
        if (!seq) {
            add(where + ": seq missing or not an integer");
        } else if (*seq != static_cast<std::int64_t>(i + 1)) {
            add(where + ": seq " + std::to_string(*seq) + ", expected " + std::to_string(i + 1));
        }
        std::string ts = Str(e, "timestamp");
        if (!IsRfc3339Millis(ts)) add(where + ": timestamp '" + ts + "' is not RFC 3339 with milliseconds");
        if (!Payload(e)) add(where + ": payload missing or not an object");
        if (i == 0 && type != "run_started") add("first event is '" + type + "', expected run_started");
        if (IsTerminalRunEvent(type)) {
            ++terminals;
            if (i + 1 != events.size()) add(where + ": terminal event is not the last one");
            continue;
        }
        if (type == "run_resumed") {
            // A run taken over after its process stopped: the agent it was in never finished; what follows
            // starts afresh after its last completed agent.
            for (auto& [name, state] : agent_state) state = 3;
            continue;
        }
        if (type == "run_started" || type == "stream_chunk") continue;
        std::string agent = AgentOf(e);
        if (type == "agent_started") {
            if (agent.empty()) add(where + ": no agent name");
            if (agent_state.count(agent) && agent_state[agent] != 3) add(where + ": agent '" + agent + "' restarted");
            agent_state[agent] = 0;
            continue;
        }
        if (type != "agent_thinking" && type != "tool_executing" && type != "tool_completed" &&
            type != "agent_completed" && type != "agent_failed") {
            continue;  // other informational types are allowed
        }
        auto it = agent_state.find(agent);
        if (it == agent_state.end() || it->second == 3) {
            add(where + ": agent '" + agent + "' is not running (no agent_started before it)");
            continue;
        }
        int& st = it->second;
        const auto* p = Payload(e);
        std::string tool = p ? Str(*p, "tool") : "";
        if (type == "agent_thinking") {
            if (st == 2) add(where + ": thinking inside an open tool call '" + open_tool[agent] + "'");
            if (st == 0) st = 1;
        } else if (type == "tool_executing") {
            if (st == 0) add(where + ": tool_executing before any agent_thinking of '" + agent + "'");
            if (st == 2) add(where + ": tool_executing while '" + open_tool[agent] + "' is still open");
            st = 2;
            open_tool[agent] = tool;
        } else if (type == "tool_completed") {
            if (st != 2) {
                add(where + ": tool_completed without tool_executing");
            } else if (open_tool[agent] != tool) {
                add(where + ": tool_completed for '" + tool + "' but '" + open_tool[agent] + "' was executing");
            }
            st = 1;
        } else {  // agent_completed / agent_failed
            if (st == 0) add(where + ": agent '" + agent + "' finished without any agent_thinking");
            if (st == 2) add(where + ": agent '" + agent + "' finished with tool '" + open_tool[agent] + "' open");
            st = 3;
        }
    }
    if (terminals == 0) add("no terminal run_* event");
    if (terminals > 1) add(std::to_string(terminals) + " terminal events, expected exactly one");
    for (const auto& [agent, st] : agent_state) {
        if (st != 3) add("agent '" + agent + "' never completed or failed");
    }
    return problems;
}

std::vector<std::string> AgentOrder(const std::vector<json::object>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) {
        if (Str(e, "type") == "agent_started") out.push_back(AgentOf(e));
    }
    return out;
}

std::optional<std::string> ReportMarkdown(const json::object& event) {
    const auto* p = Payload(event);
    if (!p) return std::nullopt;
    auto it = p->find("result");
    if (it == p->end()) return std::nullopt;
    if (it->value().is_string()) return std::string(it->value().get_string());
    if (!it->value().is_object()) return std::nullopt;
    for (const char* key : {"markdown", "report", "report_markdown", "content", "text"}) {
        std::string s = Str(it->value().get_object(), key);
        if (!s.empty()) return s;
    }
    return std::nullopt;
}

std::string ConcatStreamChunks(const std::vector<json::object>& events) {
    struct Chunk {
        std::int64_t index;
        std::size_t arrival;
        std::string text;
    };
    std::vector<Chunk> chunks;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (Str(events[i], "type") != "stream_chunk") continue;
        const auto* p = Payload(events[i]);
        if (!p) continue;
        chunks.push_back({Int(*p, "index").value_or(static_cast<std::int64_t>(i)), i, Str(*p, "text")});
    }
    std::stable_sort(chunks.begin(), chunks.end(), [](const Chunk& a, const Chunk& b) { return a.index < b.index; });
    std::string out;
    for (const auto& c : chunks) out += c.text;
    return out;
}

std::string CheckErrorBody(int status, const std::optional<json::value>& body,
                           const std::optional<std::string>& request_id_header, int expected_status,
                           std::string_view expected_code) {
    std::string problems;
    auto add = [&](const std::string& p) { problems += (problems.empty() ? "" : "; ") + p; };
    if (status != expected_status) {
        add("status " + std::to_string(status) + ", expected " + std::to_string(expected_status));
    }
    if (!body || !body->is_object()) {
        add("body is not a JSON object");
        return problems;
    }
    const auto& o = body->get_object();
    std::string error = Str(o, "error");
    if (error.empty())
        add("no string 'error' field");
    else if (!expected_code.empty() && error != expected_code) {
        add("error '" + error + "', expected '" + std::string(expected_code) + "'");
    }
    if (o.find("message") == o.end() || !o.at("message").is_string()) add("no string 'message' field");
    std::string rid = Str(o, "request_id");
    if (rid.empty()) add("no 'request_id' field");
    if (!request_id_header)
        add("no X-Request-Id header");
    else if (!rid.empty() && *request_id_header != rid) {
        add("X-Request-Id '" + *request_id_header + "' != body request_id '" + rid + "'");
    }
    return problems;
}

NumberForms ScanNumberForms(std::string_view text) {
    NumberForms forms;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == '"') {  // a string literal: skip it, escapes included
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\') ++i;
            }
            ++i;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const std::size_t start = i;
            bool fraction = false;
            bool exponent = false;
            for (; i < text.size(); ++i) {
                const char d = text[i];
                if (d == '.') {
                    fraction = true;
                } else if (d == 'e' || d == 'E') {
                    exponent = true;
                } else if (!(d == '-' || d == '+' || (d >= '0' && d <= '9'))) {
                    break;
                }
            }
            if (exponent) {
                if (forms.exponent++ == 0) {
                    const std::size_t from = start > 40 ? start - 40 : 0;
                    forms.first_exponent = std::string(text.substr(from, i + 40 - from));
                }
            } else if (fraction) {
                ++forms.fractional;
            }
        } else {
            ++i;
        }
    }
    return forms;
}

}  // namespace netra::stage

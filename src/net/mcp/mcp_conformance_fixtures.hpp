#pragma once
// The fixtures the MCP conformance suite (@modelcontextprotocol/conformance) calls by name — tools such as
// test_simple_text or test_sampling, resources under test://, prompts such as test_simple_prompt — offered on /mcp
// beside Netra's own only when NETRA_MCP_CONFORMANCE_FIXTURES is on (refused in production). The suite is written
// against a reference server with exactly these; what they exercise is Netra's real protocol machinery (content
// kinds, log and progress notifications, the server's own sampling and elicitation requests answered by a later
// POST, resources, templates, subscriptions, prompts, completions), which Netra's own tools, resources and prompts
// use too. Each fixture follows the suite's description of it.
#include <boost/asio/awaitable.hpp>
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "net/mcp/mcp_outbound.hpp"
#include "net/mcp/mcp_tools.hpp"

namespace netra::net::mcp::fixtures {

const std::vector<ToolDef>& Tools();
const ToolDef* FindTool(std::string_view name);
// The CallToolResult, or a JSON-RPC-level failure (kInvalidParams for bad arguments).
boost::asio::awaitable<core::Result<boost::json::object>> CallTool(const ToolDef& tool, boost::json::object args,
                                                                   CallContext& call);

// resources/list and resources/templates/list entries.
boost::json::array Resources();
boost::json::array ResourceTemplates();
// resources/read's contents for a test:// URI, nullopt for any other.
std::optional<boost::json::array> ReadResource(std::string_view uri);
// resources/subscribe accepts these (the fixture's content never changes, so no update is ever sent).
bool Subscribable(std::string_view uri);

boost::json::array Prompts();
// nullopt: not a fixture prompt; an error: a fixture prompt with a missing argument.
std::optional<core::Result<boost::json::object>> GetPrompt(std::string_view name, const boost::json::object& args);

// completion/complete's values for a fixture prompt's argument; nullopt when the reference is not a fixture's.
std::optional<std::vector<std::string>> Complete(const boost::json::object& ref, std::string_view argument,
                                                 std::string_view value);

}  // namespace netra::net::mcp::fixtures

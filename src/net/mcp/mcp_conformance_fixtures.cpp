#include "net/mcp/mcp_conformance_fixtures.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/json_util.hpp"
#include "core/json_write.hpp"

namespace netra::net::mcp::fixtures {
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

// A 1×1 red PNG and eight samples of 8-bit silence as WAV: the smallest real files of their kinds.
constexpr std::string_view kPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
constexpr std::string_view kWavBase64 = "UklGRiwAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQgAAACAgICAgICAgA==";
constexpr auto kClientAnswerTimeout = std::chrono::seconds(60);
constexpr std::string_view kSchema2020 = "https://json-schema.org/draft/2020-12/schema";

json::object Text(std::string text) { return json::object{{"type", "text"}, {"text", std::move(text)}}; }
json::object Image() { return json::object{{"type", "image"}, {"data", kPngBase64}, {"mimeType", "image/png"}}; }

json::object Result(json::array content, bool is_error = false) {
    json::object out{{"content", std::move(content)}};
    if (is_error) out["isError"] = true;
    return out;
}

json::object NoArguments() { return json::object{{"type", "object"}, {"properties", json::object{}}}; }

json::object OneString(std::string_view name, std::string_view description) {
    return json::object{
        {"type", "object"},
        {"properties", json::object{{name, json::object{{"type", "string"}, {"description", description}}}}},
        {"required", json::array{name}}};
}

ToolDef Fixture(std::string name, std::string description, json::object input = NoArguments(), bool streams = false) {
    ToolDef t;
    t.name = std::move(name);
    t.title = t.name;
    t.description = std::move(description);
    t.input_schema = std::move(input);
    t.streams = streams;
    return t;
}

std::vector<ToolDef> MakeTools() {
    json::object schema_2020{
        {"$schema", kSchema2020},
        {"type", "object"},
        {"$defs", json::object{{"address", json::object{{"type", "object"},
                                                        {"properties",
                                                         json::object{{"street", json::object{{"type", "string"}}},
                                                                      {"city", json::object{{"type", "string"}}}}}}}}},
        {"properties", json::object{{"name", json::object{{"type", "string"}}},
                                    {"address", json::object{{"$ref", "#/$defs/address"}}}}},
        {"additionalProperties", false}};
    return {
        Fixture("test_simple_text", "Returns simple text content"),
        Fixture("test_image_content", "Returns image content"),
        Fixture("test_audio_content", "Returns audio content"),
        Fixture("test_embedded_resource", "Returns an embedded resource"),
        Fixture("test_multiple_content_types", "Returns text, image and resource content"),
        Fixture("test_tool_with_logging", "Sends three log messages while it runs", NoArguments(), true),
        Fixture("test_error_handling", "Always fails (isError)"),
        Fixture("test_tool_with_progress", "Reports progress 0, 50 and 100 of 100", NoArguments(), true),
        Fixture("test_sampling", "Asks the client's LLM (sampling/createMessage)",
                OneString("prompt", "The prompt to send to the LLM"), true),
        Fixture("test_elicitation", "Asks the user (elicitation/create)",
                OneString("message", "The message to show the user"), true),
        Fixture("test_elicitation_sep1034_defaults", "Elicitation with defaults for every primitive type (SEP-1034)",
                NoArguments(), true),
        Fixture("test_elicitation_sep1330_enums", "Elicitation with the five enum schemas (SEP-1330)", NoArguments(),
                true),
        Fixture("json_schema_2020_12_tool", "Tool with JSON Schema 2020-12 features", std::move(schema_2020)),
    };
}

asio::awaitable<void> Pause(std::chrono::milliseconds ms) {
    asio::steady_timer timer(co_await asio::this_coro::executor, ms);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

json::object ElicitSchema(json::object properties, json::array required = {}) {
    json::object out{{"type", "object"}, {"properties", std::move(properties)}};
    if (!required.empty()) out["required"] = std::move(required);
    return out;
}

json::array Options(std::initializer_list<std::pair<std::string_view, std::string_view>> options) {
    json::array out;
    for (const auto& [value, title] : options) out.push_back(json::object{{"const", value}, {"title", title}});
    return out;
}

json::object Sep1034Schema() {
    return ElicitSchema(json::object{{"name", json::object{{"type", "string"}, {"default", "John Doe"}}},
                                     {"age", json::object{{"type", "integer"}, {"default", 30}}},
                                     {"score", json::object{{"type", "number"}, {"default", 95.5}}},
                                     {"status", json::object{{"type", "string"},
                                                             {"enum", json::array{"active", "inactive", "pending"}},
                                                             {"default", "active"}}},
                                     {"verified", json::object{{"type", "boolean"}, {"default", true}}}});
}

json::object Sep1330Schema() {
    json::array three{"option1", "option2", "option3"};
    return ElicitSchema(json::object{
        {"untitledSingle", json::object{{"type", "string"}, {"enum", three}}},
        {"titledSingle", json::object{{"type", "string"},
                                      {"oneOf", Options({{"value1", "First Option"},
                                                         {"value2", "Second Option"},
                                                         {"value3", "Third Option"}})}}},
        {"legacyEnum", json::object{{"type", "string"},
                                    {"enum", json::array{"opt1", "opt2", "opt3"}},
                                    {"enumNames", json::array{"Option One", "Option Two", "Option Three"}}}},
        {"untitledMulti",
         json::object{{"type", "array"}, {"items", json::object{{"type", "string"}, {"enum", three}}}}},
        {"titledMulti", json::object{{"type", "array"},
                                     {"items", json::object{{"anyOf", Options({{"value1", "First Choice"},
                                                                               {"value2", "Second Choice"},
                                                                               {"value3", "Third Choice"}})}}}}}});
}

// elicitation/create with `message` and `schema`, answered as the suite expects ("… action=…, content={…}").
asio::awaitable<core::Result<json::object>> Elicit(CallContext& call, std::string message, json::object schema,
                                                   std::string prefix) {
    if (!call.session.client.elicitation) {
        json::object refused = Result(json::array{Text("the client did not declare the elicitation capability")}, true);
        co_return refused;
    }
    json::object params{{"message", std::move(message)}, {"requestedSchema", std::move(schema)}};
    auto answer = co_await call.outbound->Request("elicitation/create", std::move(params), kClientAnswerTimeout);
    if (!answer.ok()) {
        json::object failed = Result(json::array{Text("elicitation failed: " + answer.error().message)}, true);
        co_return failed;
    }
    std::string action = core::GetString(*answer, "action").value_or("");
    const json::value* content = answer->if_contains("content");
    std::string text = prefix + "action=" + action + ", content=";
    text += content ? core::JsonText(*content) : std::string("{}");
    json::object done = Result(json::array{Text(std::move(text))});
    co_return done;
}

}  // namespace

const std::vector<ToolDef>& Tools() {
    static const std::vector<ToolDef> kTools = MakeTools();
    return kTools;
}

const ToolDef* FindTool(std::string_view name) {
    for (const auto& t : Tools())
        if (t.name == name) return &t;
    return nullptr;
}

namespace {

// The fixtures that answer at once (no notifications, no requests of their own); nullopt for the others.
std::optional<json::object> Immediate(const std::string& name, const json::object& args) {
    if (name == "test_simple_text") return Result(json::array{Text("This is a simple text response for testing.")});
    if (name == "test_image_content") return Result(json::array{Image()});
    if (name == "test_audio_content") {
        json::object audio{{"type", "audio"}, {"data", kWavBase64}, {"mimeType", "audio/wav"}};
        return Result(json::array{std::move(audio)});
    }
    if (name == "test_embedded_resource") {
        json::object resource{{"uri", "test://embedded-resource"},
                              {"mimeType", "text/plain"},
                              {"text", "This is an embedded resource content."}};
        return Result(json::array{json::object{{"type", "resource"}, {"resource", std::move(resource)}}});
    }
    if (name == "test_multiple_content_types") {
        json::object resource{{"uri", "test://mixed-content-resource"},
                              {"mimeType", "application/json"},
                              {"text", R"({"test":"data","value":123})"}};
        json::object block{{"type", "resource"}, {"resource", std::move(resource)}};
        return Result(json::array{Text("Multiple content types test:"), Image(), std::move(block)});
    }
    if (name == "test_error_handling") {
        return Result(json::array{Text("This tool intentionally returns an error for testing")}, true);
    }
    // json_schema_2020_12_tool: what matters is its listed schema; the call echoes the arguments.
    if (name == "json_schema_2020_12_tool") return Result(json::array{Text("Received: " + core::JsonText(args))});
    return std::nullopt;
}

json::object TextResult(std::string text, bool is_error = false) {
    return Result(json::array{Text(std::move(text))}, is_error);
}

asio::awaitable<core::Result<json::object>> Sample(CallContext& call, const json::object& args) {
    auto prompt = core::GetString(args, "prompt");
    if (!prompt) {
        core::Error invalid =
            core::MakeError(core::ErrorCode::kInvalidRequest, "test_sampling needs prompt (a string)");
        co_return invalid;
    }
    if (!call.session.client.sampling) {
        json::object refused = TextResult("the client did not declare the sampling capability", true);
        co_return refused;
    }
    json::object message{{"role", "user"}, {"content", Text(*prompt)}};
    json::array messages;
    messages.push_back(std::move(message));
    json::object params{{"messages", std::move(messages)}, {"maxTokens", 100}};
    auto answer = co_await call.outbound->Request("sampling/createMessage", std::move(params), kClientAnswerTimeout);
    if (!answer.ok()) {
        json::object failed = TextResult("sampling failed: " + answer.error().message, true);
        co_return failed;
    }
    std::string text;
    if (auto c = answer->if_contains("content"); c && c->is_object())
        text = core::GetString(c->as_object(), "text").value_or("");
    json::object done = TextResult("LLM response: " + text);
    co_return done;
}

}  // namespace

asio::awaitable<core::Result<json::object>> CallTool(const ToolDef& tool, json::object args, CallContext& call) {
    const std::string& name = tool.name;
    if (auto at_once = Immediate(name, args)) co_return std::move(*at_once);
    if (name == "test_tool_with_logging") {
        Log(call, LogLevel::kInfo, "conformance", json::value("Tool execution started"));
        co_await Pause(std::chrono::milliseconds(50));
        Log(call, LogLevel::kInfo, "conformance", json::value("Tool processing data"));
        co_await Pause(std::chrono::milliseconds(50));
        Log(call, LogLevel::kInfo, "conformance", json::value("Tool execution completed"));
        json::object done = TextResult("Tool with logging executed successfully");
        co_return done;
    }
    if (name == "test_tool_with_progress") {
        for (int step = 0; step <= 2; ++step) {
            if (step > 0) co_await Pause(std::chrono::milliseconds(50));
            Progress(call, step * 50.0, 100.0);
        }
        json::object done = TextResult("Tool with progress executed successfully");
        co_return done;
    }
    if (name == "test_sampling") co_return co_await Sample(call, args);
    if (name == "test_elicitation") {
        auto message = core::GetString(args, "message");
        if (!message) {
            core::Error invalid =
                core::MakeError(core::ErrorCode::kInvalidRequest, "test_elicitation needs message (a string)");
            co_return invalid;
        }
        json::object properties{{"username", json::object{{"type", "string"}, {"description", "User's response"}}},
                                {"email", json::object{{"type", "string"}, {"description", "User's email address"}}}};
        json::array required{"username", "email"};
        json::object schema = ElicitSchema(std::move(properties), std::move(required));
        co_return co_await Elicit(call, *message, std::move(schema), "User response: ");
    }
    if (name == "test_elicitation_sep1034_defaults") {
        json::object schema = Sep1034Schema();
        co_return co_await Elicit(call, "Please review and update the form fields with defaults", std::move(schema),
                                  "Elicitation completed: ");
    }
    json::object schema = Sep1330Schema();  // test_elicitation_sep1330_enums
    co_return co_await Elicit(call, "Please select options from the enum fields", std::move(schema),
                              "Elicitation completed: ");
}

// --- Resources ---

json::array Resources() {
    auto entry = [](std::string_view uri, std::string_view name, std::string_view description, std::string_view mime) {
        return json::object{{"uri", uri}, {"name", name}, {"description", description}, {"mimeType", mime}};
    };
    return json::array{
        entry("test://static-text", "static-text", "A static text resource", "text/plain"),
        entry("test://static-binary", "static-binary", "A static binary resource (a PNG)", "image/png"),
        entry("test://watched-resource", "watched-resource", "A resource one may subscribe to", "text/plain")};
}

json::array ResourceTemplates() {
    return json::array{json::object{{"uriTemplate", "test://template/{id}/data"},
                                    {"name", "template-data"},
                                    {"description", "Data for an id"},
                                    {"mimeType", "application/json"}}};
}

std::optional<json::array> ReadResource(std::string_view uri) {
    auto text = [uri](std::string_view mime, std::string body) {
        return json::array{json::object{{"uri", uri}, {"mimeType", mime}, {"text", std::move(body)}}};
    };
    if (uri == "test://static-text") return text("text/plain", "This is the content of the static text resource.");
    if (uri == "test://watched-resource") return text("text/plain", "Watched resource content.");
    if (uri == "test://static-binary")
        return json::array{json::object{{"uri", uri}, {"mimeType", "image/png"}, {"blob", kPngBase64}}};
    constexpr std::string_view kPrefix = "test://template/", kSuffix = "/data";
    if (uri.starts_with(kPrefix) && uri.ends_with(kSuffix) && uri.size() > kPrefix.size() + kSuffix.size()) {
        std::string id(uri.substr(kPrefix.size(), uri.size() - kPrefix.size() - kSuffix.size()));
        json::object data{{"id", id}, {"templateTest", true}, {"data", "Data for ID: " + id}};
        return text("application/json", core::JsonText(data));
    }
    return std::nullopt;
}

bool Subscribable(std::string_view uri) { return uri.starts_with("test://"); }

// --- Prompts ---

json::array Prompts() {
    auto argument = [](std::string_view name, std::string_view description) {
        return json::object{{"name", name}, {"description", description}, {"required", true}};
    };
    return json::array{json::object{{"name", "test_simple_prompt"}, {"description", "A prompt without arguments"}},
                       json::object{{"name", "test_prompt_with_arguments"},
                                    {"description", "A prompt with two arguments"},
                                    {"arguments", json::array{argument("arg1", "First argument"),
                                                              argument("arg2", "Second argument")}}},
                       json::object{{"name", "test_prompt_with_embedded_resource"},
                                    {"description", "A prompt that embeds a resource"},
                                    {"arguments", json::array{argument("resourceUri", "The resource to embed")}}},
                       json::object{{"name", "test_prompt_with_image"}, {"description", "A prompt with an image"}}};
}

std::optional<core::Result<json::object>> GetPrompt(std::string_view name, const json::object& args) {
    auto user = [](json::object content) { return json::object{{"role", "user"}, {"content", std::move(content)}}; };
    auto missing = [name](std::string_view arg) -> core::Result<json::object> {
        return core::MakeError(core::ErrorCode::kInvalidRequest,
                               "prompt " + std::string(name) + " needs argument " + std::string(arg));
    };
    if (name == "test_simple_prompt") {
        return json::object{{"messages", json::array{user(Text("This is a simple prompt for testing."))}}};
    }
    if (name == "test_prompt_with_arguments") {
        auto a1 = core::GetString(args, "arg1");
        auto a2 = core::GetString(args, "arg2");
        if (!a1) return missing("arg1");
        if (!a2) return missing("arg2");
        return json::object{
            {"messages", json::array{user(Text("Prompt with arguments: arg1='" + *a1 + "', arg2='" + *a2 + "'"))}}};
    }
    if (name == "test_prompt_with_embedded_resource") {
        auto uri = core::GetString(args, "resourceUri");
        if (!uri) return missing("resourceUri");
        json::object resource{
            {"uri", *uri}, {"mimeType", "text/plain"}, {"text", "Embedded resource content for testing."}};
        json::object embedded{{"type", "resource"}, {"resource", std::move(resource)}};
        return json::object{{"messages", json::array{user(std::move(embedded)),
                                                     user(Text("Please process the embedded resource above."))}}};
    }
    if (name == "test_prompt_with_image") {
        return json::object{{"messages", json::array{user(Image()), user(Text("Please analyze the image above."))}}};
    }
    return std::nullopt;
}

std::optional<std::vector<std::string>> Complete(const json::object& ref, std::string_view argument,
                                                 std::string_view value) {
    if (core::GetString(ref, "type").value_or("") != "ref/prompt" ||
        core::GetString(ref, "name").value_or("") != "test_prompt_with_arguments")
        return std::nullopt;
    static const std::vector<std::string> kValues{"paris", "park", "party", "test", "testing"};
    std::vector<std::string> out;
    if (argument != "arg1" && argument != "arg2") return out;
    for (const auto& v : kValues)
        if (v.starts_with(value)) out.push_back(v);
    return out;
}

}  // namespace netra::net::mcp::fixtures

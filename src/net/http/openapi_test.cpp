// The OpenAPI document (openapi.json, as embedded in the binary) against the real route table: every route that
// BuildRouter() registers, and every endpoint the session answers before the router (SessionRoutes()), must be an
// operation of the document, and every operation of the document must be one of them. HEAD is implied by GET.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <map>
#include <set>

#include "net/http/handlers/dataset_upload.hpp"
#include "net/http/handlers/handlers.hpp"
#include "net/http/openapi_document.hpp"
#include "net/ws/ws_upgrade.hpp"

namespace netra::net::http {
namespace json = boost::json;

namespace {

constexpr const char* kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

std::string Lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// The embedded document; parsing throws (and fails the test) when it is not JSON.
json::value Document() { return json::parse(OpenApiDocument().raw); }

// "get /api/threads/{id}"
using Key = std::string;
Key KeyOf(std::string_view method, std::string_view pattern) { return Lower(method) + " " + std::string(pattern); }

std::set<Key> DocumentedOperations(const json::object& doc) {
    std::set<Key> out;
    for (const auto& [path, item] : doc.at("paths").as_object()) {
        for (const char* method : kMethods) {
            if (item.as_object().contains(method)) out.insert(KeyOf(method, path));
        }
    }
    return out;
}

std::set<Key> ServedOperations() {
    std::set<Key> out;
    for (const auto& r : BuildRouter()->Routes()) out.insert(KeyOf(bhttp::to_string(r.method), r.pattern));
    for (const auto& r : SessionRoutes()) out.insert(KeyOf(bhttp::to_string(r.method), r.pattern));
    return out;
}

std::string Join(const std::vector<Key>& keys) {
    std::string out;
    for (const auto& k : keys) out += "\n  " + k;
    return out;
}

// Follows a local "$ref" ("#/components/parameters/Limit") to the object it names.
const json::object& Resolve(const json::value& root, const json::object& node) {
    auto ref = node.find("$ref");
    if (ref == node.end()) return node;
    std::string pointer(ref->value().as_string());
    EXPECT_EQ(pointer.rfind("#/", 0), 0u) << pointer;
    return root.at_pointer(pointer.substr(1)).as_object();
}

}  // namespace

TEST(OpenApi, IsOpenApi31WithTheProjectVersion) {
    const json::value root = Document();
    const json::object& doc = root.as_object();
    EXPECT_EQ(std::string(doc.at("openapi").as_string()).rfind("3.1", 0), 0u);
    EXPECT_EQ(doc.at("info").at("title").as_string(), "Netra");
#ifdef NETRA_PROJECT_VERSION
    EXPECT_EQ(doc.at("info").at("version").as_string(), NETRA_PROJECT_VERSION);
#endif
    EXPECT_TRUE(doc.at("components").at("schemas").as_object().contains("Error"));
    EXPECT_TRUE(doc.at("components").at("securitySchemes").as_object().contains("bearerAuth"));
}

TEST(OpenApi, DocumentsEveryRouteAndNothingElse) {
    const json::value root = Document();
    const json::object& doc = root.as_object();
    const auto documented = DocumentedOperations(doc);
    const auto served = ServedOperations();
    std::vector<Key> undocumented;
    for (const auto& k : served) {
        if (!documented.contains(k)) undocumented.push_back(k);
    }
    std::vector<Key> unserved;
    for (const auto& k : documented) {
        // HEAD is answered wherever GET is (router.cpp); a document may spell it out.
        bool implied_head = k.rfind("head ", 0) == 0 && served.contains("get " + k.substr(5));
        if (!served.contains(k) && !implied_head) unserved.push_back(k);
    }
    EXPECT_TRUE(undocumented.empty()) << "routes missing from src/net/http/openapi.json:" << Join(undocumented);
    EXPECT_TRUE(unserved.empty()) << "operations in src/net/http/openapi.json that no route serves:" << Join(unserved);
}

// SessionRoutes() is a hand-kept list: hold it to the predicates the session really dispatches on.
TEST(OpenApi, SessionRoutesAreAnsweredBeforeTheRouter) {
    auto router = BuildRouter();
    for (const auto& r : SessionRoutes()) {
        bool session = false;
        if (r.method == bhttp::verb::post) {
            bhttp::request_header<> header;
            header.method(r.method);
            header.target(r.pattern);
            session = IsUploadRequest(header);
        } else if (r.method == bhttp::verb::get) {
            session = ws::IsWebSocketPath(r.pattern);
        }
        EXPECT_TRUE(session) << bhttp::to_string(r.method) << " " << r.pattern << " is not answered by the session";
        EXPECT_EQ(router->Find(r.method, r.pattern).handler, nullptr)
            << r.pattern << " is also a router route: list it in one place only";
    }
}

TEST(OpenApi, OperationsAreComplete) {
    const json::value root = Document();
    const json::object& doc = root.as_object();
    std::set<std::string> operation_ids;
    boost::system::error_code ec;
    for (const auto& [path, item] : doc.at("paths").as_object()) {
        // The path's {names}, each of which every operation must declare as a path parameter.
        std::set<std::string> names;
        for (std::size_t at = path.find('{'); at != std::string::npos; at = path.find('{', at + 1)) {
            names.insert(std::string(path.substr(at + 1, path.find('}', at) - at - 1)));
        }
        for (const char* method : kMethods) {
            auto it = item.as_object().find(method);
            if (it == item.as_object().end()) continue;
            const auto& op = it->value().as_object();
            const std::string where = Lower(method) + " " + std::string(path);
            ASSERT_TRUE(op.contains("operationId")) << where;
            EXPECT_TRUE(operation_ids.insert(std::string(op.at("operationId").as_string())).second)
                << where << ": duplicate operationId " << op.at("operationId");
            EXPECT_TRUE(op.contains("summary")) << where;
            EXPECT_TRUE(op.contains("tags")) << where;
            std::set<std::string> declared;
            if (auto params = op.find("parameters"); params != op.end()) {
                for (const auto& p : params->value().as_array()) {
                    const auto& param = Resolve(root, p.as_object());
                    if (param.at("in").as_string() == "path")
                        declared.insert(std::string(param.at("name").as_string()));
                }
            }
            EXPECT_EQ(declared, names) << where << ": path parameters";
            // Every error answer is the one Error shape (the readiness routes' 503 is their own report).
            bool success = false;
            for (const auto& [status, response] : op.at("responses").as_object()) {
                const int code = std::atoi(std::string(status).c_str());
                if (code >= 100 && code < 400) success = true;
                if (code < 400 || (code == 503 && path.find("health") != std::string::npos)) continue;
                const json::value r = Resolve(root, response.as_object());
                const json::value* schema = r.find_pointer("/content/application~1json/schema/$ref", ec);
                EXPECT_TRUE(schema && schema->is_string() && schema->as_string() == "#/components/schemas/Error")
                    << where << " " << status;
            }
            EXPECT_TRUE(success) << where << ": no success response";
        }
    }
}

TEST(OpenApi, PublicRoutesNeedNoCredentials) {
    const json::value root = Document();
    const json::object& doc = root.as_object();
    EXPECT_EQ(doc.at("security").as_array().at(0).at("bearerAuth").as_array().size(), 0u);  // the default: bearer
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{{"get", "/health"},
                                                                                       {"get", "/health/ready"},
                                                                                       {"post", "/auth/register"},
                                                                                       {"post", "/auth/login"},
                                                                                       {"post", "/auth/refresh"},
                                                                                       {"get", "/"},
                                                                                       {"get", "/assets/{name}"},
                                                                                       {"get", "/openapi.json"}}) {
        const auto& op = doc.at("paths").at(path).at(method).as_object();
        ASSERT_TRUE(op.contains("security")) << method << " " << path;
        EXPECT_TRUE(op.at("security").as_array().empty()) << method << " " << path << " must be public";
    }
    // An authenticated route keeps the default.
    EXPECT_FALSE(doc.at("paths").at("/api/threads").at("get").as_object().contains("security"));
}

TEST(OpenApi, EmbedsAGzipOfTheDocument) {
    const auto& doc = OpenApiDocument();
    ASSERT_GE(doc.gzip.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(doc.gzip[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(doc.gzip[1]), 0x8b);
    EXPECT_LT(doc.gzip.size(), doc.raw.size());
}

}  // namespace netra::net::http

#include "net/http/router.hpp"

#include <gtest/gtest.h>

#include "net/http/request_target.hpp"

namespace netra::net::http {

TEST(Router, MatchesParamsAndReports405And404) {
    Router r;
    Handler h = [](RequestContext&) -> boost::asio::awaitable<Response> { co_return Response{}; };
    r.Add(bhttp::verb::get, "/api/threads/{id}", h);
    r.Add(bhttp::verb::delete_, "/api/threads/{id}", h);
    auto m = r.Find(bhttp::verb::get, "/api/threads/abc");
    ASSERT_NE(m.handler, nullptr);
    EXPECT_EQ(m.params["id"], "abc");
    auto head = r.Find(bhttp::verb::head, "/api/threads/abc");
    EXPECT_NE(head.handler, nullptr);
    auto wrong = r.Find(bhttp::verb::put, "/api/threads/abc");
    EXPECT_EQ(wrong.handler, nullptr);
    EXPECT_EQ(wrong.allow, "GET, DELETE");
    auto none = r.Find(bhttp::verb::get, "/etc/passwd");
    EXPECT_EQ(none.handler, nullptr);
    EXPECT_TRUE(none.allow.empty());
}

TEST(Router, ParsesTargets) {
    std::string path;
    std::unordered_map<std::string, std::string> q;
    ParseTarget("/api/x?limit=5&cursor=a%2Fb&flag", path, q);
    EXPECT_EQ(path, "/api/x");
    EXPECT_EQ(q["limit"], "5");
    EXPECT_EQ(q["cursor"], "a/b");
    EXPECT_EQ(q.count("flag"), 1u);
}

}  // namespace netra::net::http

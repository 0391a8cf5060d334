#include "core/error.hpp"

#include <gtest/gtest.h>

namespace netra::core {

TEST(ErrorTable, MapsCodesToHttpAndWebSocket) {
    EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
    EXPECT_EQ(HttpErrorName(ErrorCode::kNotFound), "not_found");
    EXPECT_EQ(WsErrorCode(ErrorCode::kThreadBusy), "THREAD_BUSY");
    EXPECT_EQ(HttpStatus(ErrorCode::kThreadBusy), 409);
    EXPECT_EQ(HttpStatus(ErrorCode::kRateLimited), 429);
    EXPECT_EQ(HttpStatus(ErrorCode::kHeadersTooLarge), 431);
    EXPECT_EQ(HttpErrorName(ErrorCode::kHeadersTooLarge), "headers_too_large");
    EXPECT_EQ(HttpStatus(ErrorCode::kUriTooLong), 414);
    EXPECT_EQ(HttpErrorName(ErrorCode::kUriTooLong), "uri_too_long");
    EXPECT_EQ(HttpStatus(ErrorCode::kRequestTimeout), 408);
    EXPECT_EQ(HttpErrorName(ErrorCode::kRequestTimeout), "request_timeout");
    EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
    EXPECT_EQ(HttpErrorName(ErrorCode::kUnsupportedMediaType), "unsupported_media_type");
    EXPECT_EQ(WsErrorCode(ErrorCode::kCancelled), "CANCELLED");
}

TEST(Result, HoldsValueOrError) {
    Result<int> good = 7;
    ASSERT_TRUE(good.ok());
    EXPECT_EQ(*good, 7);
    Result<int> bad = MakeError(ErrorCode::kConflict, "taken");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().code, ErrorCode::kConflict);
    EXPECT_EQ(bad.error().message, "taken");
    Status s = Ok();
    EXPECT_TRUE(s.ok());
}

}  // namespace netra::core

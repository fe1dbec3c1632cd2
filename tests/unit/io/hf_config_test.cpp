#include "setok/io/hf_config.h"

#include <gtest/gtest.h>

#include "errors.h"

namespace setok::io {
namespace {

using test::error_of;

TEST(HfConfigReader, TypedFieldsDefaultsAndNesting) {
  const Json j = Json::parse(R"({"hidden_size": 64, "eps": 1e-6, "act": "gelu", "tie": true,
                                 "pad_token_id": null, "unused": [1, 2],
                                 "vision_config": {"layers": 3, "bad": "x"}})");
  const HfConfigReader r(j, "c.json");
  int64_t hidden = 0, pad = 7, layers = 0, bad = 0;
  double eps = 0;
  std::string act;
  bool tie = false;
  r.get("hidden_size", hidden);
  r.get("eps", eps);
  r.get("act", act);
  r.get("tie", tie);
  r.get("pad_token_id", pad);  // null keeps the default
  r.child("vision_config").get("layers", layers);
  EXPECT_EQ(hidden, 64);
  EXPECT_DOUBLE_EQ(eps, 1e-6);
  EXPECT_EQ(act, "gelu");
  EXPECT_TRUE(tie);
  EXPECT_EQ(pad, 7);
  EXPECT_EQ(layers, 3);
  EXPECT_FALSE(r.has("missing"));
  EXPECT_EQ(error_of([&] { r.child("vision_config").get("bad", bad); }),
            "c.json: vision_config.bad: expected integer, got \"x\"");
  EXPECT_EQ(error_of([&] { r.get("act", eps); }), "c.json: act: expected number, got \"gelu\"");
  EXPECT_NE(error_of([&] { r.child("unused"); }).find("unused: expected an object"),
            std::string::npos);
  EXPECT_THROW(HfConfigReader(Json::parse("[1]"), "x.json"), Error);
}

}  // namespace
}  // namespace setok::io

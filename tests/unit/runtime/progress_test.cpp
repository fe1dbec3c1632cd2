#include "setok/runtime/progress.h"

#include <gtest/gtest.h>

#include <sstream>

namespace setok::runtime {
namespace {

struct FakeClock {
  double now = 100.0;
  std::function<double()> fn() {
    return [this] { return now; };
  }
};

ProgressOptions options_for(std::ostringstream& out, FakeClock& clock, bool tty) {
  ProgressOptions o;
  o.out = &out;
  o.tty = tty;
  o.clock = clock.fn();
  return o;
}

TEST(Progress, RateEtaAndRender) {
  FakeClock clock;
  std::ostringstream out;
  ProgressOptions o = options_for(out, clock, false);
  o.label = "train";
  o.unit = "step";
  o.total = 100;
  Progress p(o);
  clock.now += 5.0;
  p.update(25, "loss 0.5");
  EXPECT_DOUBLE_EQ(p.rate(), 5.0);
  ASSERT_TRUE(p.eta_seconds().has_value());
  EXPECT_DOUBLE_EQ(*p.eta_seconds(), 15.0);
  EXPECT_EQ(p.render(), "train 25/100 [25.0%] 5.00 step/s, elapsed 00:05, ETA 00:15 | loss 0.5");
}

TEST(Progress, PlainModeWritesAtTheIntervalAndAFinalLine) {
  FakeClock clock;
  std::ostringstream out;
  ProgressOptions o = options_for(out, clock, false);
  o.total = 10;
  o.plain_interval_s = 10.0;
  {
    Progress p(o);
    for (int i = 0; i < 10; ++i) {
      clock.now += 3.0;  // a line at t = 12 and 24 (10 s apart at least)
      p.update();
    }
  }  // destructor writes the final line
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos);
  EXPECT_NE(text.find("progress 10/10 [100.0%]"), std::string::npos) << text;
}

TEST(Progress, TtyModeRedrawsOneLine) {
  FakeClock clock;
  std::ostringstream out;
  Progress p(options_for(out, clock, true));
  for (int i = 0; i < 5; ++i) {
    clock.now += 1.0;
    p.update();
  }
  p.finish();
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 6) << text;  // 5 updates + final
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1) << text;
  EXPECT_NE(text.find("progress 5 "), std::string::npos) << text;  // unknown total: no ETA
  EXPECT_EQ(text.find("ETA"), std::string::npos) << text;
}

TEST(Progress, SlowWorkShowsSecondsPerUnit) {
  FakeClock clock;
  std::ostringstream out;
  ProgressOptions o = options_for(out, clock, false);
  o.unit = "img";
  Progress p(o);
  clock.now += 8.0;
  p.update(2);
  EXPECT_NE(p.render().find("4.00 s/img"), std::string::npos) << p.render();
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(0), "00:00");
  EXPECT_EQ(format_duration(65), "01:05");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-1), "--:--");
}

}  // namespace
}  // namespace setok::runtime

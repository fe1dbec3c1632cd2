#include "setok/runtime/progress.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

namespace setok::runtime {

namespace {
double steady_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}
}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  const int64_t h = total / 3600, m = (total / 60) % 60, s = total % 60;
  if (h > 0) return fmt::format("{}:{:02d}:{:02d}", h, m, s);
  return fmt::format("{:02d}:{:02d}", m, s);
}

Progress::Progress(ProgressOptions options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = steady_seconds;
  if (options_.out == nullptr) options_.out = &std::cerr;
  tty_ = options_.tty.value_or(options_.out == &std::cerr && isatty(fileno(stderr)) != 0);
  start_ = last_emit_ = options_.clock();
  count_ = options_.start;
}

Progress::~Progress() {
  if (!finished_ && count_ > options_.start) finish();
}

double Progress::elapsed() const {
  return options_.clock() - start_;
}

double Progress::rate() const {
  const double t = elapsed();
  return t > 0 ? static_cast<double>(count_ - options_.start) / t : 0.0;
}

std::optional<double> Progress::eta_seconds() const {
  const double r = rate();
  if (options_.total <= 0 || r <= 0) return std::nullopt;
  const auto left = std::max<int64_t>(0, options_.total - count_);
  return static_cast<double>(left) / r;
}

std::string Progress::render() const {
  std::string line = options_.label + " ";
  if (options_.total > 0) {
    const double pct = 100.0 * static_cast<double>(count_) / static_cast<double>(options_.total);
    line += fmt::format("{}/{} [{:.1f}%]", count_, options_.total, pct);
  } else {
    line += std::to_string(count_);
  }
  const double r = rate();
  // Slow work (seconds per unit) reads better inverted.
  if (r > 0 && r < 1.0) {
    line += fmt::format(" {:.2f} s/{}", 1.0 / r, options_.unit);
  } else {
    line += fmt::format(" {:.2f} {}/s", r, options_.unit);
  }
  line += ", elapsed " + format_duration(elapsed());
  if (auto eta = eta_seconds()) line += ", ETA " + format_duration(*eta);
  if (!postfix_.empty()) line += " | " + postfix_;
  return line;
}

void Progress::update(int64_t n, const std::string& postfix) {
  count_ += n;
  if (!postfix.empty()) postfix_ = postfix;
  const double now = options_.clock();
  const double interval = tty_ ? options_.tty_interval_s : options_.plain_interval_s;
  if (now - last_emit_ >= interval) {
    last_emit_ = now;
    emit(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  emit(true);
}

void Progress::emit(bool final_line) {
  std::ostream& out = *options_.out;
  if (tty_) {
    out << '\r' << render() << "\x1b[K";
    if (final_line) out << '\n';
  } else {
    out << render() << '\n';
  }
  out.flush();
}

}  // namespace setok::runtime

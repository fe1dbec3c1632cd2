#include "setok/draw/plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>

#include <ATen/ATen.h>

#include "setok/io/image.h"
#include "setok/runtime/error.h"

namespace setok::draw {

namespace {

using Rgb = std::array<uint8_t, 3>;

const std::vector<Rgb>& line_colours() {
  static const std::vector<Rgb> c = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},
                                     {214, 39, 40},  {148, 103, 189}, {140, 86, 75}};
  return c;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
  void pad() {  // a flat series still gets a visible band
    if (hi - lo <= 1e-12 * std::max(1.0, std::fabs(hi))) {
      const double d = std::max(1e-3, std::fabs(hi) * 0.05);
      lo -= d, hi += d;
    }
  }
};

void draw_panel(at::Tensor& canvas, const Panel& p, int64_t ox, int64_t oy, int64_t w, int64_t h) {
  const Rgb grey = {170, 170, 170}, dark = {40, 40, 40};
  const double left = ox + 52, right = ox + w - 10, top = oy + 26, bottom = oy + h - 22;
  io::draw_polyline(
      canvas, {{left, top}, {right, top}, {right, bottom}, {left, bottom}, {left, top}}, grey);
  io::draw_text(canvas, p.title, ox + 6, oy + 16, 0.42, dark);
  Range xr, yr;
  for (const auto& s : p.series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (std::isfinite(s.y[i])) xr.add(s.x[i]), yr.add(s.y[i]);
    }
  }
  if (xr.empty()) {
    io::draw_text(canvas, "no data", static_cast<int64_t>(left) + 10,
                  static_cast<int64_t>(top) + 30, 0.4, grey);
    return;
  }
  xr.pad();
  yr.pad();
  auto px = [&](double x) { return left + (x - xr.lo) / (xr.hi - xr.lo) * (right - left); };
  auto py = [&](double y) { return bottom - (y - yr.lo) / (yr.hi - yr.lo) * (bottom - top); };
  io::draw_text(canvas, number(yr.hi), ox + 4, static_cast<int64_t>(top) + 8, 0.33, dark);
  io::draw_text(canvas, number(yr.lo), ox + 4, static_cast<int64_t>(bottom), 0.33, dark);
  io::draw_text(canvas, number(xr.lo), static_cast<int64_t>(left), oy + h - 6, 0.33, dark);
  const std::string xmax = number(xr.hi);
  io::draw_text(canvas, xmax, static_cast<int64_t>(right) - 7 * static_cast<int64_t>(xmax.size()),
                oy + h - 6, 0.33, dark);
  for (size_t k = 0; k < p.series.size(); ++k) {
    const Series& s = p.series[k];
    const Rgb c = line_colours()[k % line_colours().size()];
    std::vector<std::pair<double, double>> run, all;
    auto flush = [&] {
      if (!run.empty()) io::draw_polyline(canvas, run, c, 1);
      run.clear();
    };
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) {
        flush();
        continue;
      }
      run.emplace_back(px(s.x[i]), py(s.y[i]));
      all.push_back(run.back());
    }
    flush();
    if (s.dots) io::draw_dots(canvas, all, c, 2);
    if (p.series.size() > 1) {  // legend, top right, one line per series
      const int64_t ly = static_cast<int64_t>(top) + 12 + 12 * static_cast<int64_t>(k);
      io::draw_text(canvas, s.label, static_cast<int64_t>(right) - 110, ly, 0.33, c);
    }
  }
}

}  // namespace

at::Tensor plot_panels(const std::vector<Panel>& panels, int64_t columns, int64_t panel_width,
                       int64_t panel_height) {
  if (panels.empty()) throw Error("plot: nothing to draw");
  if (columns < 1 || panel_width < 120 || panel_height < 80)
    throw Error("plot: need >= 1 column and panels of at least 120 x 80 pixels");
  const int64_t n = static_cast<int64_t>(panels.size());
  const int64_t cols = std::min(columns, n), rows = (n + cols - 1) / cols;
  at::Tensor canvas = at::full({rows * panel_height, cols * panel_width, 3}, 255, at::kByte);
  for (int64_t i = 0; i < n; ++i) {
    draw_panel(canvas, panels[static_cast<size_t>(i)], (i % cols) * panel_width,
               (i / cols) * panel_height, panel_width, panel_height);
  }
  return canvas.permute({2, 0, 1}).contiguous();  // [3, H, W]
}

}  // namespace setok::draw

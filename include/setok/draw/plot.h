#pragma once
// Line charts as pictures: a grid of panels, each with a title, its y range, its x range and
// one line (or dots) per series, a legend when there are several. For RUN/curves.png (users who
// would rather look than read metrics.jsonl). Needs image support (text and lines are drawn by
// io/image).
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace setok::draw {

struct Series {
  std::string label;
  std::vector<double> x, y;  // non-finite y values leave a gap
  bool dots = false;         // mark every point (sparse series such as evaluations)
};

struct Panel {
  std::string title;
  std::vector<Series> series;
};

// uint8 [3, H, W]: `columns` panels per row, each panel_width x panel_height pixels.
at::Tensor plot_panels(const std::vector<Panel>& panels, int64_t columns = 3,
                       int64_t panel_width = 360, int64_t panel_height = 220);

}  // namespace setok::draw

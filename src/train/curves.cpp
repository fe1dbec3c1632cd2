#include "setok/train/curves.h"

#include <map>
#include <set>

#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::train {

namespace fs = std::filesystem;

namespace {

double value_of(const io::Json& v) {
  return v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// Keys of metrics.jsonl that are positions, not measurements.
bool is_position(const std::string& key) {
  return key == "step" || key == "epoch" || key == "samples";
}

// Evaluation counts rather than scores.
bool is_count(const std::string& key) {
  return key == "step" || key == "images" || key == "grounding_phrases" ||
         key == "grounding_skipped";
}

void training_panels(const fs::path& file, std::vector<draw::Panel>& out) {
  std::map<std::string, draw::Series> series;  // by metric, in name order
  for (const auto& row : io::read_jsonl(file)) {
    if (!row.is_object() || !row.contains("step") || !row["step"].is_number()) continue;
    const double step = row["step"].get<double>();
    for (const auto& [key, v] : row.items()) {
      if (is_position(key) || !(v.is_number() || v.is_null())) continue;
      draw::Series& s = series[key];
      s.label = key;
      s.x.push_back(step);
      s.y.push_back(value_of(v));
    }
  }
  for (auto& [key, s] : series) out.push_back({"train: " + key, {std::move(s)}});
}

void evaluation_panels(const fs::path& file, std::vector<draw::Panel>& out) {
  const io::Json doc = io::read_json(file);
  if (!doc.contains("evaluations") || !doc["evaluations"].is_array()) return;
  // metric -> set -> series, each evaluation a point.
  std::map<std::string, std::map<std::string, draw::Series>> panels;
  for (const auto& ev : doc["evaluations"]) {
    if (!ev.is_object() || !ev.contains("step")) continue;
    const double step = value_of(ev["step"]);
    for (const auto& [set, metrics] : ev.items()) {
      if (!metrics.is_object()) continue;
      for (const auto& [key, v] : metrics.items()) {
        if (is_count(key) || !v.is_number()) continue;
        // Chance levels join their accuracy's panel.
        const bool chance = key.size() > 7 && key.compare(key.size() - 7, 7, "_chance") == 0;
        const std::string metric = chance ? key.substr(0, key.size() - 7) + "_accuracy" : key;
        draw::Series& s = panels[metric][set + (chance ? " chance" : "")];
        s.label = set + (chance ? " chance" : "");
        s.dots = !chance;
        s.x.push_back(step);
        s.y.push_back(v.get<double>());
      }
    }
  }
  for (auto& [metric, sets] : panels) {
    draw::Panel p{"eval: " + metric, {}};
    for (auto& [name, s] : sets) p.series.push_back(std::move(s));
    out.push_back(std::move(p));
  }
}

}  // namespace

std::vector<draw::Panel> run_panels(const fs::path& run_dir) {
  const fs::path metrics = run_dir / "metrics.jsonl", eval = run_dir / "eval.json";
  if (!fs::exists(metrics) && !fs::exists(eval)) {
    throw Error(run_dir.string() + ": no metrics.jsonl or eval.json (not a run folder?)");
  }
  std::vector<draw::Panel> panels;
  if (fs::exists(metrics)) training_panels(metrics, panels);
  if (fs::exists(eval)) evaluation_panels(eval, panels);
  if (panels.empty()) throw Error(run_dir.string() + ": the run has logged nothing yet");
  return panels;
}

fs::path write_run_curves(const fs::path& run_dir, const fs::path& out_in) {
  const fs::path out = out_in.empty() ? run_dir / "curves.png" : out_in;
  io::write_image(out, draw::plot_panels(run_panels(run_dir)));
  return out;
}

}  // namespace setok::train

#pragma once
// RUN/curves.png: a run's loss and metric curves as one picture, for users who would rather look
// than read metrics.jsonl. Written at the end of training and by `setok_infer plot RUN`.
#include <filesystem>
#include <vector>

#include "setok/draw/plot.h"

namespace setok::train {

// The panels of a run folder: one per training metric of metrics.jsonl (every loss term, lr,
// grad norm, throughput, ...; x = step) and one per evaluation metric of eval.json (one series
// per eval set; accuracies with their chance level). Throws when the folder has neither file.
std::vector<draw::Panel> run_panels(const std::filesystem::path& run_dir);

// Draws run_panels to `out` (default RUN/curves.png) and returns its path.
std::filesystem::path write_run_curves(const std::filesystem::path& run_dir,
                                       const std::filesystem::path& out = {});

}  // namespace setok::train

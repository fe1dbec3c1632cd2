#include "setok/data/scene_dataset.h"

#include <atomic>
#include <cmath>
#include <fstream>
#include <mutex>
#include <thread>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "setok/io/fs.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"
#include "setok/runtime/progress.h"
#include "setok/runtime/threads.h"

namespace setok::data {

namespace fs = std::filesystem;

namespace {

struct Rendered {
  io::Json pair, instruct, edit;
  io::Json single;  // one question asked alone (training split only)
  std::vector<std::string> text;
  int64_t objects = 0;
};

Rendered make_one(const fs::path& out, const std::string& split, int64_t i,
                  const SceneDatasetOptions& o) {
  const Scene scene = sample_scene(o.seed, static_cast<uint64_t>(i), o.scene);
  const RenderedScene r = render_scene(scene);
  const std::string name = fmt::format("{:06d}.png", i);
  const std::string image = "images/" + split + "/" + name;
  const std::string mask = "masks/" + split + "/" + name;
  const std::string edited = "edits/" + split + "/" + name;
  io::write_image(out / image, r.image);
  io::write_image(out / mask, r.mask.unsqueeze(0));
  const SceneEdit edit = sample_edit(scene, o.seed, static_cast<uint64_t>(i), o.scene);
  io::write_image(out / edited, render_scene(edit.target).image);

  Rendered rec;
  rec.objects = static_cast<int64_t>(scene.objects.size());
  rec.pair = {{"image", image},
              {"caption", scene.caption()},
              {"phrases", scene.phrases()},
              {"mask", mask},
              {"num_objects", rec.objects}};
  io::Json turns = io::Json::array();
  const auto qa = scene_questions(scene);
  for (size_t q = 0; q < qa.size(); ++q) {
    turns.push_back({{"from", "human"}, {"value", (q == 0 ? "<image>\n" : "") + qa[q].question}});
    turns.push_back({{"from", "gpt"}, {"value", qa[q].answer}});
    rec.text.push_back(qa[q].question);
    rec.text.push_back(qa[q].answer);
  }
  rec.instruct = {{"id", fmt::format("{:06d}", i)}, {"image", image}, {"conversations", turns}};
  // Every question type also asked alone as the first turn, as a VQA record poses it: in the
  // conversations every type but the object count only ever follows "How many objects ...".
  const QA one = sample_single_question(scene, o.seed, static_cast<uint64_t>(i));
  rec.single = {{"id", fmt::format("{:06d}-single", i)},
                {"image", image},
                {"conversations",
                 {{{"from", "human"}, {"value", "<image>\n" + one.question}},
                  {{"from", "gpt"}, {"value", one.answer}}}}};
  rec.edit = {{"source", image},
              {"target", edited},
              {"instruction", edit.instruction},
              {"kind", edit.kind}};
  rec.text.push_back(scene.caption());
  for (const auto& p : scene.phrases()) rec.text.push_back(p);
  rec.text.push_back(edit.instruction);
  return rec;
}

}  // namespace

SceneDatasetSummary write_scene_dataset(const fs::path& out, const SceneDatasetOptions& o) {
  if (o.num < 1) throw Error("shapes: --num must be >= 1");
  if (o.heldout_fraction < 0 || o.heldout_fraction >= 1)
    throw Error("shapes: heldout fraction must be in [0, 1)");
  const int64_t heldout =
      static_cast<int64_t>(std::llround(o.heldout_fraction * static_cast<double>(o.num)));
  const int64_t train = o.num - heldout;
  for (const char* kind : {"images", "masks", "edits"}) {
    for (const char* split : {"train", "heldout"}) fs::create_directories(out / kind / split);
  }
  fs::create_directories(out / "train");
  fs::create_directories(out / "heldout");

  std::vector<Rendered> records(static_cast<size_t>(o.num));
  runtime::ProgressOptions po;
  po.label = "shapes";
  po.unit = "scene";
  po.total = o.num;
  runtime::Progress progress(po);
  std::mutex progress_mutex;
  std::atomic<int64_t> next{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const int threads = o.threads > 0 ? o.threads : runtime::hardware_threads();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int64_t i = next++; i < o.num; i = next++) {
        try {
          records[static_cast<size_t>(i)] = make_one(out, i < train ? "train" : "heldout", i, o);
        } catch (...) {
          std::lock_guard<std::mutex> lock(failure_mutex);
          if (!failure) failure = std::current_exception();
          next = o.num;
          return;
        }
        std::lock_guard<std::mutex> lock(progress_mutex);
        progress.update();
      }
    });
  }
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
  progress.finish();

  SceneDatasetSummary summary;
  summary.train = train;
  summary.heldout = heldout;
  std::string text;
  double objects = 0;
  for (const char* split : {"train", "heldout"}) {
    const bool is_train = std::string(split) == "train";
    io::Json pair = io::Json::array(), instruct = io::Json::array(), edit = io::Json::array();
    for (int64_t i = is_train ? 0 : train; i < (is_train ? train : o.num); ++i) {
      const Rendered& r = records[static_cast<size_t>(i)];
      pair.push_back(r.pair);
      instruct.push_back(r.instruct);
      if (is_train) instruct.push_back(r.single);
      edit.push_back(r.edit);
      if (is_train) {
        for (const auto& line : r.text) text += line + "\n";
      }
      objects += static_cast<double>(r.objects);
    }
    io::write_json(out / split / "pair.json", pair);
    io::write_json(out / split / "instruct.json", instruct);
    io::write_json(out / split / "edit.json", edit);
  }
  io::write_file_atomic(out / "text.txt", text);
  io::write_json(out / "scenes.json", {{"seed", o.seed},
                                       {"num", o.num},
                                       {"train", train},
                                       {"heldout", heldout},
                                       {"image_size", o.scene.image_size},
                                       {"min_objects", o.scene.min_objects},
                                       {"max_objects", o.scene.max_objects},
                                       {"textures", o.scene.textures}});
  summary.mean_objects = objects / static_cast<double>(o.num);
  return summary;
}

}  // namespace setok::data

#include "setok/infer/run_views.h"

#include <algorithm>

#include "setok/data/readers.h"

namespace setok::infer {

namespace {

void describe_common(config::Schema& s, config::RuntimeConfig& runtime, config::LogConfig& log) {
  s.section("runtime", runtime, "device, threads, seed");
  s.section("log", log, "logging");
}

}  // namespace

void SetokRunView::describe(config::Schema& s) {
  describe_common(s, runtime, log);
  s.section("model", model, "the SeTok model");
  s.section("dist", dist, "training only (read past)");
  s.section("data", data, "training only (read past)");
  s.section("train", train, "training only (read past)");
}

void TrainedDataset::describe(config::Schema& s) {
  s.field("type", type, "the dataset's reader");
  s.field("answer_style", answer_style, "the style its VQA questions were posed in");
  s.field("multiple", multiple, "times per epoch (0: not trained on)");
}

std::optional<data::AnswerStyle> TrainedDataset::question_style() const {
  const data::ReaderInfo& reader = data::dataset_reader(type);
  if (reader.styled_questions) return data::parse_answer_style(answer_style);
  if (reader.kind == data::DatasetKind::kInstruct) return data::AnswerStyle::kPlain;
  return std::nullopt;
}

void TrainedMixture::describe(config::Schema& s) {
  s.sections("train", train, "the training mixture (what its questions were posed as)");
}

void SetokimStartSection::describe(config::Schema& s) {
  s.field("init_from", init_from, "the stage-2 run whose weights started the run");
  s.field("trainable", trainable, "what trained (lora: the run holds LoRA adapters)");
}

void SetokimRunView::describe(config::Schema& s) {
  describe_common(s, runtime, log);
  s.section("model", model, "SeTok (frozen), the LLM, projectors and diffusion head");
  s.section("dist", dist, "training only (read past)");
  s.section("data", data, "the training data (its question styles)");
  s.section("train", train, "how the trained module starts");
}

mllm::SetokimStart SetokimRunView::start() const {
  return {train.init_from, train.trainable == "lora"};
}

std::vector<data::AnswerStyle> SetokimRunView::trained_answer_styles() const {
  std::vector<data::AnswerStyle> styles;
  for (const TrainedDataset& d : data.train) {
    const auto style = d.question_style();
    if (d.multiple > 0 && style && std::find(styles.begin(), styles.end(), *style) == styles.end())
      styles.push_back(*style);
  }
  return styles;
}

}  // namespace setok::infer

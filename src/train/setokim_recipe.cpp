#include "setok/train/setokim_recipe.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <spdlog/spdlog.h>

#include "setok/data/readers.h"
#include "setok/io/image.h"
#include "setok/io/json.h"
#include "setok/io/state_dict.h"
#include "setok/mllm/image_batch.h"
#include "setok/mllm/sequence.h"
#include "setok/mllm/slot_masking.h"
#include "setok/nn/lora.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"

namespace setok::train {

namespace fs = std::filesystem;

namespace {

// A generator for (run seed, stream, sample): decisions about one sample (prompt dropout) that
// must not depend on the batch, rank or worker that handles it.
double sample_uniform(std::string_view stream, uint64_t sample) {
  std::mt19937_64 e(runtime::derive_seed(stream, sample));
  return static_cast<double>(e() >> 11) * 0x1.0p-53;
}

}  // namespace

int64_t SetokimRecipe::Datasets::size(const Source& s) const {
  switch (s.kind) {
    case data::DatasetKind::kPair:
      return static_cast<int64_t>(pairs[s.dataset].size());
    case data::DatasetKind::kInstruct:
      return static_cast<int64_t>(instructs[s.dataset].size());
    case data::DatasetKind::kEdit:
      return static_cast<int64_t>(edits[s.dataset].size());
  }
  return 0;
}

SetokimRecipe::Datasets SetokimRecipe::load(const std::vector<DatasetEntry>& entries, bool train) {
  Datasets d;
  const bool skip = cfg_.data.skip_bad_samples;
  for (const DatasetEntry& e : entries) {
    data::AnyDataset ds = data::read_dataset(e.type, e.read_options(skip));
    if (auto* pairs = std::get_if<data::PairDataset>(&ds)) {
      d.pairs.push_back(std::move(*pairs));
      for (const auto& task : cfg_.data.pair_tasks) {
        d.sources.push_back({data::DatasetKind::kPair, d.pairs.size() - 1, task});
        d.multiples.push_back(e.multiple);
      }
    } else if (auto* conversations = std::get_if<data::InstructDataset>(&ds)) {
      d.instructs.push_back(std::move(*conversations));
      d.sources.push_back({data::DatasetKind::kInstruct, d.instructs.size() - 1, ""});
      d.multiples.push_back(e.multiple);
    } else {
      d.edits.push_back(std::move(std::get<data::EditDataset>(ds)));
      d.sources.push_back({data::DatasetKind::kEdit, d.edits.size() - 1, ""});
      d.multiples.push_back(e.multiple);
    }
    if (!train) eval_names_.push_back(e.display_name());
  }
  return d;
}

SetokimRecipe::SetokimRecipe(const SetokimConfig& cfg, const c10::Device& device)
    : cfg_(cfg),
      device_(device),
      template_(llm::parse_chat_template(cfg.model.llm.chat_template)),
      span_(mllm::parse_image_span(cfg.model.image_span)) {
  if (cfg.data.train.empty()) throw Error("data.train: Setokim needs at least one dataset");
  setokim_ = mllm::build_setokim(cfg.model, cfg.start());
  text_ = std::make_shared<llm::TextTokenizer>(cfg.model.llm.tokenizer_path());
  pre_ = cfg.model.vision.preprocess();
  set_trainable();
  setokim_->to(device);
  train_ = load(cfg.data.train, true);
  eval_ = load(cfg.data.eval, false);
  fit_token_norm();
  spdlog::info(
      "setokim: {} trainable of {} parameters; template {}; image span {}; {} training source(s)",
      trainable_parameters(),
      [&] {
        int64_t n = 0;
        for (const auto& p : setokim_->parameters()) n += p.numel();
        return n;
      }(),
      cfg.model.llm.chat_template, cfg.model.image_span, train_.sources.size());
}

void SetokimRecipe::fit_token_norm() {
  mllm::SetokimModel& m = setokim_->model;
  if (m->token_norm_fitted()) return;
  const int64_t want = cfg_.model.diffusion.token_norm_images;
  std::vector<int64_t> sizes;
  for (const auto& s : train_.sources) sizes.push_back(train_.size(s));
  const std::vector<data::MixtureItem> items =
      data::mixture_items(sizes, train_.multiples, static_cast<uint64_t>(cfg_.runtime.seed), 0);
  std::vector<at::Tensor> rows;  // [n_i, D] each
  std::vector<std::vector<at::Tensor>> pixels;
  std::vector<int64_t> seeds;
  int64_t images = 0;
  const auto flush = [&] {
    if (pixels.empty()) return;
    const mllm::ImageBatch b = mllm::tokenize_images(*setokim_, pixels, seeds);
    for (size_t j = 0; j < b.counts.size(); ++j)
      rows.push_back(b.tokens[static_cast<int64_t>(j)].narrow(0, 0, b.counts[j]).to(at::kCPU));
    pixels.clear();
    seeds.clear();
  };
  for (size_t i = 0; i < items.size() && images < want; ++i) {
    const Source& src = train_.sources[static_cast<size_t>(items[i].source)];
    const Sample smp = sample(train_, src, items[i].index, i, /*train=*/false);
    for (size_t k = 0; k < smp.images.size() && images < want; ++k, ++images) {
      const fs::path& path = smp.images[k];
      pixels.push_back({vision::preprocess_image(io::read_image(path), pre_, path.string())});
      seeds.push_back(static_cast<int64_t>(i * 8 + k));  // as forward() seeds sample i's image k
      if (pixels.size() == 32) flush();
    }
  }
  flush();
  if (rows.empty()) throw Error("model.diffusion.token_norm: the training data has no images");
  const mllm::TokenNorm norm = m->options().token_norm;
  const mllm::TokenNormFit fit = mllm::fit_token_norm(at::cat(rows), norm);
  m->set_token_norm(fit);
  spdlog::info("token norm ({}) fitted on {} training images: {}", mllm::token_norm_name(norm),
               images, fit.summary);
}

void SetokimRecipe::set_trainable() {
  const SetokimTrainConfig& t = cfg_.train;
  mllm::SetokimModel& m = setokim_->model;
  for (auto& p : m->parameters()) p.requires_grad_(true);
  if (t.trainable != "full") {
    for (auto& p : m->llm->parameters()) p.requires_grad_(false);
  }
  for (auto& p : nn::lora_parameters(*m->llm)) p.requires_grad_(t.trainable == "lora");
  if (!t.tune_mm_in_adapter) {
    for (auto& p : m->mm_in_projector->parameters()) p.requires_grad_(false);
  }
  if (!t.tune_mm_out_adapter) {
    for (auto& p : m->mm_out_projector->parameters()) p.requires_grad_(false);
  }
}

int64_t SetokimRecipe::trainable_parameters() const {
  int64_t n = 0;
  for (const auto& p : setokim_->parameters()) n += p.requires_grad() ? p.numel() : 0;
  return n;
}

std::vector<OptimizerSpec> SetokimRecipe::optimizers() {
  const SetokimTrainConfig& t = cfg_.train;
  // The projectors, special rows and head may learn at their own rate (stage 3's
  // mm_projector_lr); the LLM's trainable weights (LoRA, or all of it) at train.lr.
  std::vector<std::pair<std::string, at::Tensor>> llm_side, mm_side;
  for (auto& [name, p] : io::module_state(*setokim_)) {
    if (!p.requires_grad()) continue;
    (name.rfind("model.llm.", 0) == 0 ? llm_side : mm_side).emplace_back(name, p);
  }
  OptimizerSpec spec;
  spec.groups = decay_groups(llm_side, t.weight_decay);
  const double scale = t.mm_projector_lr > 0 ? t.mm_projector_lr / t.lr : 1.0;
  for (auto& g : decay_groups(mm_side, t.weight_decay, scale, "mm_")) spec.groups.push_back(g);
  spec.adamw = {t.beta1, t.beta2, t.eps};
  spec.schedule = {t.lr, t.min_lr, t.warmup_steps, t.steps, t.schedule};
  spec.grad_clip = t.grad_clip;
  return {spec};
}

std::string SetokimRecipe::base_source() const {
  const auto& m = cfg_.model;
  return "setok: " + (m.setok_checkpoint.empty() ? "random init" : m.setok_checkpoint) +
         "; llm: " + (m.llm.pretrained.empty() ? "random init" : m.llm.pretrained) +
         (cfg_.train.init_from.empty() ? "" : "; init_from: " + cfg_.train.init_from);
}

void SetokimRecipe::begin_epoch(int64_t epoch) {
  epoch_ = epoch;
  std::vector<int64_t> sizes;
  for (const auto& s : train_.sources) sizes.push_back(train_.size(s));
  items_ =
      data::mixture_items(sizes, train_.multiples, static_cast<uint64_t>(cfg_.runtime.seed), epoch);
}

SetokimRecipe::Sample SetokimRecipe::sample(const Datasets& d, const Source& s, int64_t index,
                                            uint64_t sample_id, bool train) const {
  Sample out;
  const auto i = static_cast<size_t>(index);
  switch (s.kind) {
    case data::DatasetKind::kPair: {
      const auto& r = d.pairs[s.dataset].records[i];
      out.images = {r.image};
      if (s.task == "caption") {
        out.turns = {{"human", std::string("<image>\n") + mllm::kCaptionQuestion},
                     {"gpt", r.caption}};
      } else {
        // Classifier-free guidance: some generation samples lose their prompt.
        const bool drop =
            train && sample_uniform("setokim.cfg_dropout", sample_id) < cfg_.data.cfg_dropout;
        out.turns = {{"human", drop ? "" : r.caption}, {"gpt", "<target>"}};
      }
      break;
    }
    case data::DatasetKind::kInstruct: {
      const auto& r = d.instructs[s.dataset].records[i];
      if (!r.image.empty()) out.images = {r.image};
      for (const auto& turn : r.conversations) out.turns.push_back({turn.from, turn.value});
      break;
    }
    case data::DatasetKind::kEdit: {
      const auto& r = d.edits[s.dataset].records[i];
      out.images = {r.source, r.target};
      // Guidance for edits: the instruction dropped, the source kept (inference's
      // unconditional partner of an edit).
      const bool drop =
          train && sample_uniform("setokim.cfg_dropout", sample_id) < cfg_.data.cfg_dropout;
      out.turns = {{"human", "<image>\n" + (drop ? std::string() : r.instruction)},
                   {"gpt", "<target>"}};
      break;
    }
  }
  return out;
}

data::Example SetokimRecipe::example(const Datasets& d, const Source& s, int64_t index,
                                     uint64_t sample_id, bool train) const {
  const Sample smp = sample(d, s, index, sample_id, train);
  data::Example e;
  std::vector<at::Tensor> images;
  for (const auto& path : smp.images) {
    images.push_back(vision::preprocess_image(io::read_image(path), pre_, path.string()));
  }
  e.unstacked["images"] = images.empty() ? at::Tensor() : at::stack(images);  // [n, 3, S, S]
  std::vector<std::string> turns;
  for (const auto& t : smp.turns) {
    turns.push_back(t.from);
    turns.push_back(t.value);
  }
  e.texts["turns"] = std::move(turns);
  e.ints["sample"] = static_cast<int64_t>(sample_id);
  return e;
}

data::Example SetokimRecipe::fetch(int64_t item) {
  const auto& it = items_.at(static_cast<size_t>(item));
  const uint64_t sample_id =
      static_cast<uint64_t>(epoch_) * 1000003ULL + static_cast<uint64_t>(item);
  const Source& s = train_.sources[static_cast<size_t>(it.source)];
  try {
    return example(train_, s, it.index, sample_id, /*train=*/true);
  } catch (const Error& e) {
    throw Error("data.train source " + std::to_string(it.source) + " record " +
                std::to_string(it.index) + ": " + e.what());
  }
}

SetokimRecipe::Forward SetokimRecipe::forward(const data::Batch& batch, uint64_t mask_seed) {
  // SeTok tokens of every image of the batch, frozen (eval mode: no dropout). Image k of sample
  // s clusters with tie noise from (seed, s * 8 + k): the same tokens in any batch, on any rank.
  std::vector<std::vector<at::Tensor>> pixels;
  std::vector<int64_t> image_seeds;
  const auto& images = batch.unstacked.at("images");
  for (size_t b = 0; b < images.size(); ++b) {
    const at::Tensor& imgs = images[b];
    pixels.emplace_back();
    if (!imgs.defined()) continue;
    for (int64_t k = 0; k < imgs.size(0); ++k) {
      pixels.back().push_back(imgs[k]);
      image_seeds.push_back(batch.ints.at("sample")[b] * 8 + k);
    }
  }
  const mllm::ImageBatch image_batch = mllm::tokenize_images(*setokim_, pixels, image_seeds);
  const at::Tensor& tokens = image_batch.tokens;  // [N, L_max, D]
  const std::vector<int64_t>& counts = image_batch.counts;
  const std::vector<int64_t>& first_image = image_batch.first;
  Forward out;
  out.images = static_cast<int64_t>(counts.size());
  for (int64_t c : counts) out.tokens_per_image += static_cast<double>(c);
  if (!counts.empty()) out.tokens_per_image /= static_cast<double>(counts.size());
  // Sequences; samples whose images do not fit model_max_length are skipped (counted).
  mllm::SpecialIds ids{text_->im_start_id(), text_->im_end_id(), text_->target_id(),
                       text_->pad_id()};
  std::vector<mllm::Sequence> kept;
  std::vector<int64_t> offsets, samples;
  const auto& all_turns = batch.texts.at("turns");
  for (int64_t b = 0; b < batch.size; ++b) {
    std::vector<llm::Message> turns;
    const auto& flat = all_turns[static_cast<size_t>(b)];
    for (size_t i = 0; i + 1 < flat.size(); i += 2) turns.push_back({flat[i], flat[i + 1]});
    const int64_t first = first_image[static_cast<size_t>(b)];
    const std::vector<int64_t> image_tokens = image_batch.of(static_cast<size_t>(b));
    const llm::TokenizedConversation tc = llm::tokenize_conversation(
        *text_, template_, turns, "sample " + std::to_string(batch.ints.at("sample")[b]));
    mllm::Sequence s = mllm::truncate(mllm::expand_images(tc, image_tokens, ids, span_),
                                      cfg_.data.model_max_length);
    if (s.size() == 0) {
      ++out.skipped;
      continue;
    }
    kept.push_back(std::move(s));
    offsets.push_back(first);
    samples.push_back(batch.ints.at("sample")[b]);
  }
  if (kept.empty()) {
    out.losses.text = out.losses.diffusion =
        setokim_->model->special_embed.sum() * 0.0;  // keeps the graph: a step that learns nothing
    return out;
  }
  mllm::SequenceBatch seq = mllm::collate_sequences(kept, offsets, text_->pad_id());
  // mar: masking of every output image, from (seed, sample, image of the sample); each slot's
  // diffusion draws from (seed, sample, image, slot) under either design.
  at::Tensor hidden = at::zeros_like(seq.output);
  at::Tensor slot_seeds = at::zeros(seq.output.sizes(), at::kLong);
  const mllm::SlotMaskingOptions masking = cfg_.model.diffusion.masking();
  for (size_t r = 0; r < kept.size(); ++r) {
    const mllm::Sequence& s = kept[r];
    for (size_t t = 0; t < s.input_ids.size(); ++t) {
      if (!s.output[t] || s.slot[t] != 0) continue;  // once per output image, at its slot 0
      const int64_t k = s.image[t];
      const int64_t L = counts[static_cast<size_t>(offsets[r] + k)];
      if (span_ == mllm::ImageSpan::kMar) {
        const at::Tensor mask = mllm::hidden_slots(
            L, masking, mask_seed, static_cast<uint64_t>(samples[r]), static_cast<uint64_t>(k));
        hidden[static_cast<int64_t>(r)].narrow(0, static_cast<int64_t>(t), L).copy_(mask);
      }
      slot_seeds[static_cast<int64_t>(r)]
          .narrow(0, static_cast<int64_t>(t), L)
          .copy_(mllm::slot_diffusion_seeds(L, mask_seed, static_cast<uint64_t>(samples[r]),
                                            static_cast<uint64_t>(k)));
    }
  }
  auto to = [&](const at::Tensor& x) { return x.to(device_); };
  seq = {to(seq.input_ids),    to(seq.labels), to(seq.attention_mask),
         to(seq.position_ids), to(seq.image),  to(seq.slot),
         to(seq.output),       to(seq.count),  to(seq.spans)};
  out.losses =
      setokim_->model->forward(seq, tokens.to(device_), to(hidden), std::nullopt, slot_seeds);
  out.tokens = seq.attention_mask.sum().item<int64_t>();
  return out;
}

StepResult SetokimRecipe::step(const data::Batch& batch, const StepContext& ctx) {
  const Forward f = forward(batch, static_cast<uint64_t>(cfg_.runtime.seed));
  const auto& t = cfg_.train;
  // Distributed: each mean becomes this rank's sum over the global count (times the world size,
  // which the gradient average divides out again).
  at::Tensor text = f.losses.text, diffusion = f.losses.diffusion;
  if (group_) {
    at::Tensor counts =
        at::tensor(std::vector<double>{static_cast<double>(f.losses.text_tokens),
                                       static_cast<double>(f.losses.diffusion_slots)},
                   at::kDouble);
    std::vector<at::Tensor> v{counts};
    group_->all_reduce(v);
    const double world = group_->world(), text_all = counts[0].item<double>(),
                 slots_all = counts[1].item<double>();
    text = text * (text_all > 0 ? world * f.losses.text_tokens / text_all : 0.0);
    diffusion = diffusion * (slots_all > 0 ? world * f.losses.diffusion_slots / slots_all : 0.0);
  }
  const at::Tensor total = t.text_weight * text + t.diffusion_weight * diffusion;
  std::map<std::string, double> m = {{"loss", total.item<double>()},
                                     {"loss_text", text.item<double>()},
                                     {"loss_diffusion", diffusion.item<double>()},
                                     {"tokens_per_image", f.tokens_per_image},
                                     {"skipped_samples", static_cast<double>(f.skipped)}};
  (void)ctx;
  return {total, m, f.tokens};
}

io::Json SetokimRecipe::evaluate(int64_t step) {
  // Own random streams (DiffLoss noise, SeTok tie noise) and masking from a seed of its own:
  // every evaluation sees the same draws and training is untouched.
  runtime::GeneratorScope own_streams(
      {setokim_->setok->noise_generator(), at::detail::getDefaultCPUGenerator()}, "setokim.eval");
  io::Json out = {{"step", step}};
  const int64_t B = cfg_.train.batch_size;
  size_t name = 0;
  for (const Source& s : eval_.sources) {
    double text = 0, diff = 0;
    int64_t text_n = 0, diff_n = 0, skipped = 0;
    const int64_t n = eval_.size(s);
    const int64_t limit =
        cfg_.train.eval_batches > 0 ? std::min<int64_t>(n, cfg_.train.eval_batches * B) : n;
    // Distributed: rank r takes batches r, r + W, ...; every draw comes from the sample's index,
    // so the sums are the one-process sums.
    const int64_t rank = group_ ? group_->rank() : 0, world = group_ ? group_->world() : 1;
    for (int64_t start = rank * B; start < limit; start += world * B) {
      std::vector<data::Example> ex;
      for (int64_t i = start; i < std::min(limit, start + B); ++i)
        ex.push_back(example(eval_, s, i, static_cast<uint64_t>(i), /*train=*/false));
      const Forward f = forward(data::collate(std::move(ex)), 0x5E70C1ULL);
      text += f.losses.text.item<double>() * static_cast<double>(f.losses.text_tokens);
      text_n += f.losses.text_tokens;
      diff += f.losses.diffusion.item<double>() * static_cast<double>(f.losses.diffusion_slots);
      diff_n += f.losses.diffusion_slots;
      skipped += f.skipped;
    }
    if (group_) {
      at::Tensor sums =
          at::tensor(std::vector<double>{text, static_cast<double>(text_n), diff,
                                         static_cast<double>(diff_n), static_cast<double>(skipped)},
                     at::kDouble);  // [5]
      std::vector<at::Tensor> v{sums};
      group_->all_reduce(v);
      text = sums[0].item<double>();
      text_n = std::llround(sums[1].item<double>());
      diff = sums[2].item<double>();
      diff_n = std::llround(sums[3].item<double>());
      skipped = std::llround(sums[4].item<double>());
    }
    // One entry per dataset and task: "<name>" or "<name>/<task>" for pair data.
    std::string key =
        eval_names_.empty() ? "eval" : eval_names_[std::min(name, eval_names_.size() - 1)];
    if (!s.task.empty()) key += "/" + s.task;
    io::Json r = {{"samples", limit}, {"skipped_samples", skipped}};
    if (text_n > 0) r["loss_text"] = text / static_cast<double>(text_n);
    if (diff_n > 0) r["loss_diffusion"] = diff / static_cast<double>(diff_n);
    out[key] = r;
    if (s.kind != data::DatasetKind::kPair || s.task == cfg_.data.pair_tasks.back()) ++name;
  }
  return out;
}

std::string SetokimRecipe::summary(const io::Json& first, const io::Json& last) {
  std::string s;
  for (const auto& [set, metrics] : last.items()) {
    if (!metrics.is_object() || !first.contains(set)) continue;
    for (const char* key : {"loss_text", "loss_diffusion"}) {
      if (!metrics.contains(key) || !first[set].contains(key)) continue;
      const double a = first[set][key].get<double>(), b = metrics[key].get<double>();
      char buf[256];
      std::snprintf(buf, sizeof buf, "%-28s %-15s %.4f -> %.4f (%.0f%% of the first)\n",
                    set.c_str(), key, a, b, a > 0 ? 100.0 * b / a : 0.0);
      s += buf;
    }
  }
  return s;
}

std::vector<std::pair<std::string, at::Generator>> SetokimRecipe::generators() {
  return {{"setok.tie_noise", setokim_->setok->noise_generator()}};
}

}  // namespace setok::train

#include "setok/train/stage1.h"

#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Context.h>
#include <spdlog/spdlog.h>

#include "setok/data/instance_mask.h"
#include "setok/data/readers.h"
#include "setok/dist/padded_gather.h"
#include "setok/draw/cluster_overlay.h"
#include "setok/io/image.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/losses/reconstruction.h"
#include "setok/nn/transformer.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"

namespace setok::train {

namespace fs = std::filesystem;

data::PairDataset load_stage1_dataset(const DatasetEntry& e, bool skip_bad,
                                      const std::string& path) {
  if (data::dataset_reader(e.type).kind != data::DatasetKind::kPair)
    throw Error(path +
                ".type: stage 1 trains on image-text pairs (pair, imagenet, coco_panoptic, "
                "coco_captions), got '" +
                e.type + "'");
  return std::get<data::PairDataset>(data::read_dataset(e.type, e.read_options(skip_bad)));
}

namespace {
std::vector<data::PairDataset> load_pairs(const std::vector<DatasetEntry>& entries, bool skip_bad,
                                          const char* section) {
  std::vector<data::PairDataset> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    out.push_back(load_stage1_dataset(entries[i], skip_bad,
                                      std::string("data.") + section + "." + std::to_string(i)));
  }
  return out;
}
}  // namespace

Stage1Recipe::Stage1Recipe(const Stage1Config& cfg, const c10::Device& device)
    : cfg_(cfg), device_(device), diffusion_gen_(runtime::make_cpu_generator("stage1.diffusion")) {
  const auto& loss = cfg.train.loss;
  if ((loss.concept > 0 || loss.caption > 0) && !cfg.model.text.enabled()) {
    throw Error(
        "train.loss.concept / caption need a text tower: set model.text.tokenizer (or set the "
        "weights to 0)");
  }
  if (cfg.data.train.empty()) throw Error("data.train: stage 1 needs at least one pair dataset");
  model_ = Stage1Model(stage1_model_options(cfg.model));
  nn::set_activation_checkpointing(*model_, cfg.train.activation_checkpointing);
  vision_pre_ = cfg.model.vision.preprocess();
  patch_size_ = model_->tokenizer->vision_tower->config().patch_size;
  target_pre_.size = cfg.model.detokenizer.image_size;  // targets in [-1, 1]
  target_pre_.pad_to_square = cfg.model.vision.pad_to_square;
  train_sets_ = load_pairs(cfg.data.train, cfg.data.skip_bad_samples, "train");
  eval_sets_ = load_pairs(cfg.data.eval, cfg.data.skip_bad_samples, "eval");
  for (const auto& e : cfg.data.eval) eval_names_.push_back(e.display_name());
  if (loss.perceptual > 0) lpips_ = losses::Lpips(fs::path(loss.lpips_weights));
  if (loss.gan > 0) disc_ = losses::PatchDiscriminator(3, 64, 3);
  model_->to(device);
  if (lpips_) lpips_->to(device);
  if (disc_) disc_->to(device);
  int64_t records = 0;
  for (const auto& d : train_sets_) records += static_cast<int64_t>(d.size());
  int64_t heldout = 0;
  for (const auto& d : eval_sets_) heldout += static_cast<int64_t>(d.size());
  spdlog::info("stage 1: {} training records in {} dataset(s), {} held-out in {}", records,
               train_sets_.size(), heldout, eval_sets_.size());
}

std::vector<OptimizerSpec> Stage1Recipe::optimizers() {
  const Stage1TrainConfig& t = cfg_.train;
  OptimizerSpec model;
  model.name = "model";
  model.groups = decay_groups(io::module_state(*model_), t.weight_decay);
  model.adamw = {t.beta1, t.beta2, t.eps};
  model.schedule = {t.lr, t.min_lr, t.warmup_steps, t.steps, t.schedule};
  model.grad_clip = t.grad_clip;
  std::vector<OptimizerSpec> out = {model};
  if (disc_) {
    // taming-transformers' discriminator optimizer: betas (0.5, 0.9), no weight decay.
    OptimizerSpec disc;
    disc.name = "discriminator";
    disc.groups = decay_groups(io::module_state(*disc_), 0.0, t.loss.disc_lr_scale, "disc_");
    disc.adamw = {0.5, 0.9, t.eps};
    disc.schedule = model.schedule;
    disc.grad_clip = t.grad_clip;
    disc.start_step = t.loss.disc_start;
    out.push_back(disc);
  }
  return out;
}

std::string Stage1Recipe::base_source() const {
  const auto& v = cfg_.model.vision;
  std::string s = v.pretrained.empty() ? "vision: random init" : "vision: " + v.pretrained;
  if (cfg_.model.text.enabled()) {
    const auto& t = cfg_.model.text;
    s += t.pretrained.empty() ? "; text: random init" : "; text: " + t.pretrained;
  }
  return s;
}

void Stage1Recipe::begin_epoch(int64_t epoch) {
  std::vector<int64_t> sizes;
  std::vector<double> multiples;
  for (size_t d = 0; d < train_sets_.size(); ++d) {
    sizes.push_back(static_cast<int64_t>(train_sets_[d].size()));
    multiples.push_back(cfg_.data.train[d].multiple);
  }
  items_ = data::mixture_items(sizes, multiples, static_cast<uint64_t>(cfg_.runtime.seed), epoch);
}

data::Example Stage1Recipe::example(const data::PairDataset& ds, size_t i) const {
  const auto& r = ds.records[i];
  data::Example e;
  try {
    const at::Tensor image = io::read_image(r.image);  // [3, H, W]
    const int64_t H = image.size(1), W = image.size(2);
    e.tensors["pixels"] = vision::preprocess_image(image, vision_pre_, r.image.string());
    e.tensors["target"] = vision::preprocess_image(image, target_pre_, r.image.string());
    // Patches that hold image content (letterbox padding is never clustered).
    e.tensors["token_mask"] = vision::content_patch_mask(H, W, vision_pre_, patch_size_);  // [N]
    at::Tensor labels;  // instance map placed like the image, at its own size (any per example)
    if (!r.mask.empty()) {
      labels = data::read_instance_mask(r);
      if (labels.size(0) != H || labels.size(1) != W) {
        throw Error(r.mask.string() + ": mask is " + std::to_string(labels.size(1)) + "x" +
                    std::to_string(labels.size(0)) + ", its image " + std::to_string(W) + "x" +
                    std::to_string(H));
      }
      labels = vision::letterbox_labels(labels, vision_pre_, -1);
    }
    e.unstacked["labels"] = labels;
  } catch (const Error& err) {
    throw Error(ds.where(i) + ": " + err.what());
  }
  std::vector<std::string> phrases = r.phrases;
  if (static_cast<int64_t>(phrases.size()) > cfg_.data.max_phrases)
    phrases.resize(cfg_.data.max_phrases);
  e.texts["phrases"] = std::move(phrases);
  e.texts["caption"] = {r.caption};
  e.ints["num_objects"] = r.num_objects;
  return e;
}

data::Example Stage1Recipe::fetch(int64_t item) {
  const auto& it = items_.at(static_cast<size_t>(item));
  return example(train_sets_[it.source], static_cast<size_t>(it.index));
}

Stage1Recipe::Phrases Stage1Recipe::phrases(const data::Batch& batch) {
  const auto& texts = batch.texts.at("phrases");
  const int64_t B = batch.size, P = cfg_.data.max_phrases;
  std::vector<std::string> flat;
  std::vector<int64_t> slot, ids(static_cast<size_t>(B * P), 0);
  for (int64_t b = 0; b < B; ++b) {
    for (size_t q = 0; q < texts[b].size(); ++q) {
      flat.push_back(texts[b][q]);
      slot.push_back(b * P + static_cast<int64_t>(q));
      ids[static_cast<size_t>(slot.back())] = losses::phrase_id(texts[b][q]);
    }
  }
  Phrases out;
  at::Tensor mask = at::zeros({B * P}, at::kBool);
  out.ids = at::tensor(ids, at::kLong).view({B, P}).to(device_);
  if (flat.empty()) {
    out.mask = mask.view({B, P}).to(device_);
    return out;
  }
  const at::Tensor idx = at::tensor(slot, at::kLong);
  mask.index_fill_(0, idx, true);
  out.mask = mask.view({B, P}).to(device_);
  const at::Tensor emb = model_->embed_texts(flat, device_);  // [n, E]
  out.embeddings = at::zeros({B * P, emb.size(1)}, emb.options())
                       .index_copy(0, idx.to(device_), emb)
                       .view({B, P, -1});
  return out;
}

Stage1Recipe::Losses Stage1Recipe::compute(const data::Batch& batch, bool with_gan, int64_t step,
                                           const losses::Gather& gather) {
  const auto& w = cfg_.train.loss;
  Losses out;
  const at::Tensor pixels = batch.tensors.at("pixels").to(device_);
  const at::Tensor target = batch.tensors.at("target").to(device_);
  const at::Tensor token_mask = batch.tensors.at("token_mask").to(device_);
  // Tokens for the alignment losses (concept, caption) and for reconstruction: the same unless a
  // trainable tower learns from one side only (train.tower_gradient), when the other side merges
  // the same clusters over detached tower features (the merger still learns from both).
  at::Tensor align_tokens;
  // Batches carry their samples' indices (training: the global sample index; evaluation:
  // kEvalSampleBase + item): per-sample clustering noise and diffusion draws.
  const auto index_it = batch.ints.find(kSampleIndex);
  const std::vector<int64_t> sample_index =
      index_it != batch.ints.end() ? index_it->second : std::vector<int64_t>{};
  const std::string& route = cfg_.train.tower_gradient;
  if (route != "all" && model_->tokenizer->tower_trainable()) {
    const at::Tensor features = model_->tokenizer->encode(pixels);  // [B, N, C]
    const int64_t g = model_->tokenizer->vision_tower->config().grid();
    const tokenizer::SetokTokens live =
        model_->tokenizer->forward_features(features, g, g, token_mask, sample_index);
    const tokenizer::SetokTokens detached = model_->tokenizer->merge(features.detach(), live);
    const bool align_live = route == "alignment";
    align_tokens = align_live ? live.tokens : detached.tokens;
    out.tokens = align_live ? detached : live;
  } else {
    out.tokens = model_->tokenizer->forward(pixels, token_mask, sample_index);
    align_tokens = out.tokens.tokens;
  }
  const at::Tensor& tokens = out.tokens.tokens;
  const at::Tensor& mask = out.tokens.mask;
  at::Tensor total = at::zeros({}, tokens.options());
  at::Tensor rec;
  if (model_->detokenizer->diffusion_head()) {
    // Per-sample draws when the batch carries its samples' indices (training, evaluation).
    at::Tensor image_seeds;
    if (!sample_index.empty()) {
      image_seeds = at::empty({static_cast<int64_t>(sample_index.size())}, at::kLong);
      for (size_t b = 0; b < sample_index.size(); ++b) {
        image_seeds[static_cast<int64_t>(b)] = static_cast<int64_t>(runtime::derive_seed(
            "stage1.diffusion.sample", static_cast<uint64_t>(sample_index[b])));
      }
    }
    rec = model_->detokenizer->diffusion_loss(tokens, mask, target, diffusion_gen_, image_seeds);
  } else {
    out.prediction = model_->detokenizer->predict_pixels(tokens, mask);
    rec = losses::reconstruction_loss(out.prediction, target,
                                      losses::parse_reconstruction(w.reconstruction_kind));
  }
  total = total + w.reconstruction * rec;
  out.metrics["loss_rec"] = rec.item<double>();
  if (w.concept > 0) {
    Phrases phr = phrases(batch);
    if (!phr.embeddings.defined() && gather.all_gather) {
      // Distributed: a rank without phrases still joins the loss's collectives.
      phr.embeddings =
          at::zeros({batch.size, phr.mask.size(1), model_->contrastive->text_proj->weight.size(1)},
                    tokens.options());
    }
    if (phr.embeddings.defined()) {
      losses::ConceptLossOptions co;
      co.form = losses::parse_concept_form(w.concept_form);
      co.softness = w.concept_softness;
      const at::Tensor c = model_->contrastive->concept_loss(align_tokens, mask, phr.embeddings,
                                                             phr.mask, phr.ids, co, gather);
      total = total + w.concept * c;
      out.metrics["loss_concept"] = c.item<double>();
    }
  }
  if (w.caption > 0) {
    std::vector<std::string> captions;
    for (const auto& c : batch.texts.at("caption")) captions.push_back(c.at(0));
    const at::Tensor c = model_->contrastive->caption_loss(
        align_tokens, mask, model_->embed_texts(captions, device_), gather);
    total = total + w.caption * c;
    out.metrics["loss_caption"] = c.item<double>();
  }
  if (w.perceptual > 0 && out.prediction.defined()) {
    const at::Tensor p = lpips_->forward(out.prediction, target).mean();
    total = total + w.perceptual * p;
    out.metrics["loss_perceptual"] = p.item<double>();
  }
  if (with_gan && w.gan > 0 && out.prediction.defined() && step >= w.disc_start) {
    const at::Tensor g = losses::generator_loss(disc_->forward(out.prediction));
    const at::Tensor weight = losses::adaptive_gan_weight(
        w.reconstruction * rec, g, model_->detokenizer->pixel_head->weight, w.gan);
    total = total + weight * g;
    out.metrics["loss_gan"] = g.item<double>();
    out.metrics["gan_weight"] = weight.item<double>();
  }
  out.total = total;
  out.metrics["loss"] = total.item<double>();
  out.metrics["tokens_per_image"] =
      out.tokens.clusters.counts.to(at::kDouble).mean().item<double>();
  if (model_->has_text())
    out.metrics["contrastive_scale"] = model_->contrastive->scale().item<double>();
  return out;
}

StepResult Stage1Recipe::step(const data::Batch& batch, const StepContext& ctx) {
  if (ctx.optimizer == 0) {
    if (ctx.micro == 0) predictions_.assign(static_cast<size_t>(ctx.micro_batches), {});
    Losses l = compute(batch, /*with_gan=*/true, ctx.step, gather_);
    if (l.prediction.defined())
      predictions_[static_cast<size_t>(ctx.micro)] = l.prediction.detach();
    return {l.total, l.metrics};
  }
  // The discriminator: hinge loss on the real images and this micro-batch's reconstruction
  // (detached: the generator's pass has already been taken).
  const at::Tensor& fake = predictions_.at(static_cast<size_t>(ctx.micro));
  if (!fake.defined()) throw Error("stage 1: the discriminator needs the pixel head's output");
  const at::Tensor real = batch.tensors.at("target").to(device_);
  const at::Tensor d = losses::hinge_discriminator_loss(disc_->forward(real), disc_->forward(fake));
  return {d, {{"loss_disc", d.item<double>()}}};
}

void Stage1Recipe::write_sample(const data::Batch& batch, const fs::path& png) {
  runtime::GeneratorScope own_streams(side_generators(), "stage1.sample");
  const data::Batch part = batch.head(std::min<int64_t>(batch.size, 8));
  const int64_t n = part.size;
  const at::Tensor pixels = part.tensors.at("pixels").to(device_);
  const tokenizer::SetokTokens tok =
      model_->tokenizer->forward(pixels, part.tensors.at("token_mask").to(device_));
  const at::Tensor rec =
      model_->detokenizer->decode(tok.tokens, tok.mask, diffusion_gen_).to(at::kCPU);
  const int64_t S = std::max<int64_t>({128, pixels.size(2), rec.size(2)});
  auto fit = [&](const at::Tensor& img) {  // uint8 [3, h, w] -> [3, S, S] nearest
    const at::Tensor rows = at::div(at::arange(S, at::kLong) * img.size(1), S, "floor");
    const at::Tensor cols = at::div(at::arange(S, at::kLong) * img.size(2), S, "floor");
    return img.index_select(1, rows).index_select(2, cols);
  };
  std::vector<at::Tensor> rows;
  for (int64_t b = 0; b < n; ++b) {
    const at::Tensor input = vision::denormalize_image(pixels[b].to(at::kCPU), vision_pre_);
    const at::Tensor recon = ((rec[b].clamp(-1, 1) + 1) * 127.5).round().to(at::kByte);
    const int64_t L = tok.clusters.counts[b].item<int64_t>();
    const at::Tensor overlay =
        draw::draw_cluster_overlay(fit(input), tok.clusters.assignment[b],
                                   tok.clusters.centres[b].narrow(0, 0, L), tok.grid_h, tok.grid_w);
    rows.push_back(at::cat({fit(input), fit(recon), overlay}, 2));  // [3, S, 3S]
  }
  io::write_image(png, at::cat(rows, 1));
}

io::NamedTensors Stage1Recipe::extra_state() {
  io::NamedTensors out;
  if (disc_) {
    for (auto& [k, t] : io::module_state(*disc_)) out.emplace_back("discriminator." + k, t);
  }
  return out;
}

void Stage1Recipe::load_extra_state(const io::TensorStore& store) {
  if (!disc_) return;
  io::LoadOptions o;
  o.name_map.prefix("discriminator.", "").ignore(R"((?!discriminator\.).*)");
  io::load_state(*disc_, store, o);
}

void Stage1Recipe::set_group(std::shared_ptr<dist::ProcessGroup> group) {
  group_ = std::move(group);
  gather_ = {};
  if (!group_ || group_->world() < 2) return;
  gather_.world = group_->world();
  gather_.all_gather = [g = group_](const at::Tensor& x, const at::Tensor& mask) {
    auto [all, all_mask] = dist::padded_all_gather(*g, x, mask);  // [W B, ...], rank-major
    // The one-process batch's order (rank r holds items r, r + W, ... of the step's global
    // batch), so the loss reduces its rows in the same order as one process does.
    const int64_t W = g->world(), B = x.size(0);
    const at::Tensor order =
        at::arange(W * B, at::kLong).view({W, B}).t().reshape(-1).to(all.device());  // [B W]
    return std::make_pair(all.index_select(0, order), all_mask.index_select(0, order));
  };
}

std::vector<std::pair<std::string, at::Generator>> Stage1Recipe::generators() {
  return {{"tokenizer.tie_noise", model_->tokenizer->noise_generator()},
          {"diffusion", diffusion_gen_}};
}

std::vector<at::Generator> Stage1Recipe::side_generators() {
  std::vector<at::Generator> out = {model_->tokenizer->noise_generator(), diffusion_gen_,
                                    at::detail::getDefaultCPUGenerator()};
  if (device_.is_cuda()) out.push_back(at::globalContext().defaultGenerator(device_));
  return out;
}

}  // namespace setok::train

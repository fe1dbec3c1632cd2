#include "setok/train/stage1.h"

#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>
#include <spdlog/spdlog.h>

#include "setok/infer/cluster_overlay.h"
#include "setok/io/image.h"
#include "setok/io/state_dict.h"
#include "setok/io/tensor_store.h"
#include "setok/losses/reconstruction.h"
#include "setok/nn/transformer.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/train/metrics.h"

namespace setok::train {

namespace fs = std::filesystem;

namespace {
std::vector<data::PairDataset> load_pairs(const std::vector<DatasetEntry>& entries, bool skip_bad,
                                          const char* section) {
  std::vector<data::PairDataset> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].type != "pair") {
      throw Error(std::string("data.") + section + "." + std::to_string(i) +
                  ".type: stage 1 trains on pair data, got '" + entries[i].type + "'");
    }
    out.push_back(data::load_pair_dataset(entries[i].path, entries[i].image_root, skip_bad));
  }
  return out;
}
}  // namespace

Stage1Recipe::Stage1Recipe(const config::SetokConfig& cfg, const c10::Device& device)
    : cfg_(cfg), device_(device), diffusion_gen_(runtime::make_cpu_generator("stage1.diffusion")) {
  const auto& loss = cfg.train.loss;
  if ((loss.concept > 0 || loss.caption > 0) && !cfg.model.text.enabled()) {
    throw Error(
        "train.loss.concept / caption need a text tower: set model.text.tokenizer (or set the "
        "weights to 0)");
  }
  if (cfg.data.train.empty()) throw Error("data.train: stage 1 needs at least one pair dataset");
  model_ = tokenizer::SetokModel(cfg.model.options());
  nn::set_activation_checkpointing(*model_, cfg.train.activation_checkpointing);
  vision_pre_ = cfg.model.vision.preprocess();
  target_pre_.size = cfg.model.detokenizer.image_size;  // targets in [-1, 1]
  target_pre_.pad_to_square = cfg.model.vision.pad_to_square;
  train_sets_ = load_pairs(cfg.data.train, cfg.data.skip_bad_samples, "train");
  eval_sets_ = load_pairs(cfg.data.eval, cfg.data.skip_bad_samples, "eval");
  if (loss.perceptual > 0) lpips_ = losses::Lpips(fs::path(loss.lpips_weights));
  if (loss.gan > 0) {
    disc_ = losses::PatchDiscriminator(3, 64, 3);
    AdamWOptions o;
    o.beta1 = 0.5;
    o.beta2 = 0.9;
    disc_opt_ = std::make_unique<AdamW>(
        decay_groups(io::module_state(*disc_), 0.0, loss.disc_lr_scale, "disc_"), o);
  }
  model_->to(device);
  if (lpips_) lpips_->to(device);
  if (disc_) disc_->to(device);
  int64_t records = 0;
  for (const auto& d : train_sets_) records += static_cast<int64_t>(d.size());
  spdlog::info("stage 1: {} training records in {} dataset(s), {} held-out", records,
               train_sets_.size(), eval_sets_.empty() ? 0 : eval_sets_[0].size());
}

std::vector<ParamGroup> Stage1Recipe::param_groups() {
  return decay_groups(io::module_state(*model_), cfg_.train.weight_decay);
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
    const at::Tensor image = io::read_image(r.image);
    e.tensors["pixels"] = vision::preprocess_image(image, vision_pre_, r.image.string());
    e.tensors["target"] = vision::preprocess_image(image, target_pre_, r.image.string());
    if (!r.mask.empty()) e.tensors["mask"] = io::read_image(r.mask)[0];
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

at::Tensor Stage1Recipe::phrase_embeddings(const data::Batch& batch, at::Tensor* mask) {
  const auto& phrases = batch.texts.at("phrases");
  const int64_t B = batch.size, P = cfg_.data.max_phrases;
  std::vector<std::string> flat;
  std::vector<int64_t> slot;
  for (int64_t b = 0; b < B; ++b) {
    for (size_t q = 0; q < phrases[b].size(); ++q) {
      flat.push_back(phrases[b][q]);
      slot.push_back(b * P + static_cast<int64_t>(q));
    }
  }
  *mask = at::zeros({B * P}, at::kBool);
  if (flat.empty()) {
    *mask = mask->view({B, P}).to(device_);
    return {};
  }
  const at::Tensor idx = at::tensor(slot, at::kLong);
  mask->index_fill_(0, idx, true);
  *mask = mask->view({B, P}).to(device_);
  const at::Tensor emb = model_->embed_texts(flat, device_);  // [n, E]
  return at::zeros({B * P, emb.size(1)}, emb.options())
      .index_copy(0, idx.to(device_), emb)
      .view({B, P, -1});
}

Stage1Recipe::Losses Stage1Recipe::compute(const data::Batch& batch, bool with_gan, int64_t step) {
  const auto& w = cfg_.train.loss;
  Losses out;
  const at::Tensor pixels = batch.tensors.at("pixels").to(device_);
  const at::Tensor target = batch.tensors.at("target").to(device_);
  out.tokens = model_->tokenizer->forward(pixels);
  const at::Tensor& tokens = out.tokens.tokens;
  const at::Tensor& mask = out.tokens.mask;
  at::Tensor total = at::zeros({}, tokens.options());
  at::Tensor rec;
  if (model_->detokenizer->diffusion_head()) {
    rec = model_->detokenizer->diffusion_loss(tokens, mask, target, diffusion_gen_);
  } else {
    out.prediction = model_->detokenizer->predict_pixels(tokens, mask);
    rec = losses::reconstruction_loss(out.prediction, target,
                                      losses::parse_reconstruction(w.reconstruction_kind));
  }
  total = total + w.reconstruction * rec;
  out.metrics["loss_rec"] = rec.item<double>();
  if (w.concept > 0) {
    at::Tensor pmask;
    const at::Tensor phr = phrase_embeddings(batch, &pmask);
    if (phr.defined()) {
      const at::Tensor c = model_->contrastive->concept_loss(tokens, mask, phr, pmask);
      total = total + w.concept * c;
      out.metrics["loss_concept"] = c.item<double>();
    }
  }
  if (w.caption > 0) {
    std::vector<std::string> captions;
    for (const auto& c : batch.texts.at("caption")) captions.push_back(c.at(0));
    const at::Tensor c =
        model_->contrastive->caption_loss(tokens, mask, model_->embed_texts(captions, device_));
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

StepResult Stage1Recipe::step(const data::Batch& batch, int64_t step) {
  Losses l = compute(batch, /*with_gan=*/true, step);
  if (l.prediction.defined()) last_prediction_ = l.prediction.detach();
  return {l.total, l.metrics};
}

void Stage1Recipe::after_step(const data::Batch& batch, int64_t step) {
  if (!disc_ || step < cfg_.train.loss.disc_start || !last_prediction_.defined()) return;
  const at::Tensor real = batch.tensors.at("target").to(device_);
  const at::Tensor d =
      losses::hinge_discriminator_loss(disc_->forward(real), disc_->forward(last_prediction_));
  d.backward();
  disc_opt_->step(cfg_.train.lr);
  disc_opt_->zero_grad();
}

io::Json Stage1Recipe::evaluate(int64_t step) {
  io::Json out = {{"step", step}};
  if (eval_sets_.empty()) return out;
  const auto& ds = eval_sets_[0];
  const int64_t B = cfg_.train.batch_size;
  const int64_t limit = cfg_.train.eval_batches > 0
                            ? std::min<int64_t>(cfg_.train.eval_batches * B, ds.size())
                            : static_cast<int64_t>(ds.size());
  std::map<std::string, double> sums;
  int64_t batches = 0;
  std::vector<double> tokens_per_image, objects_per_image, ari, psnr;
  std::vector<at::Tensor> image_tokens;    // normalised token embeddings per image [L_b, E]
  std::vector<at::Tensor> phrase_vectors;  // [E] per phrase
  std::vector<int64_t> phrase_owner;
  const int64_t grid = model_->tokenizer->vision_tower->config().grid();
  for (int64_t start = 0; start < limit; start += B) {
    std::vector<data::Example> examples;
    for (int64_t i = start; i < std::min(limit, start + B); ++i)
      examples.push_back(example(ds, static_cast<size_t>(i)));
    const data::Batch batch = data::collate(std::move(examples));
    const Losses l = compute(batch, /*with_gan=*/false, step);
    for (const auto& [k, v] : l.metrics) sums[k] += v;
    ++batches;
    const at::Tensor target = batch.tensors.at("target").to(device_);
    const at::Tensor decoded =
        l.prediction.defined()
            ? l.prediction.clamp(-1, 1)
            : (start == 0
                   ? model_->detokenizer->decode(l.tokens.tokens, l.tokens.mask, diffusion_gen_)
                   : at::Tensor());
    if (decoded.defined()) {
      const at::Tensor p = losses::psnr(decoded, target).to(at::kCPU);
      for (int64_t b = 0; b < p.size(0); ++b) psnr.push_back(p[b].item<double>());
    }
    const at::Tensor counts = l.tokens.clusters.counts.to(at::kCPU);
    const at::Tensor assignment = l.tokens.clusters.assignment.to(at::kCPU);
    at::Tensor embedded;
    if (model_->has_text())
      embedded = model_->contrastive->embed_tokens(l.tokens.tokens).to(at::kCPU);
    for (int64_t b = 0; b < batch.size; ++b) {
      const int64_t n_obj = batch.ints.at("num_objects")[b];
      tokens_per_image.push_back(counts[b].item<double>());
      objects_per_image.push_back(static_cast<double>(n_obj));
      if (batch.tensors.count("mask")) {
        ari.push_back(
            adjusted_rand_index(assignment[b], mask_to_patches(batch.tensors.at("mask")[b], grid)));
      }
      if (embedded.defined())
        image_tokens.push_back(embedded[b].narrow(0, 0, counts[b].item<int64_t>()));
    }
    if (embedded.defined()) {
      at::Tensor pmask;
      const at::Tensor phr = phrase_embeddings(batch, &pmask);
      if (phr.defined()) {
        const at::Tensor e = model_->contrastive->embed_texts(phr).to(at::kCPU);
        const at::Tensor m = pmask.to(at::kCPU);
        for (int64_t b = 0; b < batch.size; ++b) {
          for (int64_t q = 0; q < m.size(1); ++q) {
            if (!m[b][q].item<bool>()) continue;
            phrase_vectors.push_back(e[b][q]);
            phrase_owner.push_back(start + b);
          }
        }
      }
    }
  }
  for (const auto& [k, v] : sums) out[k] = v / static_cast<double>(batches);
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0.0 : s / static_cast<double>(v.size());
  };
  out["images"] = tokens_per_image.size();
  out["psnr"] = mean(psnr);
  out["tokens_per_image"] = mean(tokens_per_image);
  if (objects_per_image.front() >= 0) {
    out["objects_per_image"] = mean(objects_per_image);
    out["tokens_objects_pearson"] =
        tokens_per_image.size() > 1 ? pearson(tokens_per_image, objects_per_image) : 0.0;
  }
  if (!ari.empty()) out["ari"] = mean(ari);
  if (!phrase_vectors.empty()) {
    // A phrase retrieves the image whose best-matching token is closest.
    int64_t correct = 0;
    for (size_t q = 0; q < phrase_vectors.size(); ++q) {
      int64_t best = -1;
      double best_score = -1e9;
      for (size_t i = 0; i < image_tokens.size(); ++i) {
        const double s = at::matmul(image_tokens[i], phrase_vectors[q]).max().item<double>();
        if (s > best_score) best_score = s, best = static_cast<int64_t>(i);
      }
      correct += best == phrase_owner[q];
    }
    out["phrase_retrieval_accuracy"] =
        static_cast<double>(correct) / static_cast<double>(phrase_vectors.size());
    out["phrase_retrieval_chance"] = 1.0 / static_cast<double>(image_tokens.size());
  }
  return out;
}

void Stage1Recipe::write_sample(const data::Batch& batch, const fs::path& png) {
  const int64_t n = std::min<int64_t>(batch.size, 8);
  const data::Batch part = [&] {
    data::Batch b;
    b.size = n;
    for (const auto& [k, t] : batch.tensors) b.tensors[k] = t.narrow(0, 0, n);
    for (const auto& [k, t] : batch.texts) b.texts[k] = {t.begin(), t.begin() + n};
    for (const auto& [k, t] : batch.ints) b.ints[k] = {t.begin(), t.begin() + n};
    return b;
  }();
  const at::Tensor pixels = part.tensors.at("pixels").to(device_);
  const tokenizer::SetokTokens tok = model_->tokenizer->forward(pixels);
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
    const at::Tensor overlay = infer::draw_cluster_overlay(fit(input), tok.clusters.assignment[b],
                                                           tok.clusters.centres[b].narrow(0, 0, L),
                                                           tok.grid_h, tok.grid_w);
    rows.push_back(at::cat({fit(input), fit(recon), overlay}, 2));  // [3, S, 3S]
  }
  io::write_image(png, at::cat(rows, 1));
}

io::NamedTensors Stage1Recipe::extra_state() {
  io::NamedTensors out;
  if (disc_) {
    for (auto& [k, t] : io::module_state(*disc_)) out.emplace_back("discriminator." + k, t);
    for (auto& kt : disc_opt_->state("discriminator_optimizer.")) out.push_back(std::move(kt));
  }
  return out;
}

void Stage1Recipe::load_extra_state(const io::TensorStore& store) {
  if (!disc_) return;
  io::LoadOptions o;
  o.name_map.prefix("discriminator.", "").ignore(R"((?!discriminator\.).*)");
  io::load_state(*disc_, store, o);
  disc_opt_->load_state(store, "discriminator_optimizer.");
}

std::string Stage1Recipe::summary(const io::Json& first, const io::Json& last) {
  auto num = [](const io::Json& j, const char* k) {
    return j.contains(k) ? j[k].get<double>() : std::nan("");
  };
  std::string s;
  char line[256];
  std::snprintf(line, sizeof line, "held-out loss      %.4f -> %.4f (%.0f%% of the first)\n",
                num(first, "loss"), num(last, "loss"),
                100.0 * num(last, "loss") / num(first, "loss"));
  s += line;
  std::snprintf(line, sizeof line, "PSNR               %.2f -> %.2f dB (%+.2f dB)\n",
                num(first, "psnr"), num(last, "psnr"), num(last, "psnr") - num(first, "psnr"));
  s += line;
  std::snprintf(line, sizeof line, "tokens per image   %.2f -> %.2f (objects per image %.2f)\n",
                num(first, "tokens_per_image"), num(last, "tokens_per_image"),
                num(last, "objects_per_image"));
  s += line;
  std::snprintf(line, sizeof line, "tokens~objects r   %.3f -> %.3f\n",
                num(first, "tokens_objects_pearson"), num(last, "tokens_objects_pearson"));
  s += line;
  std::snprintf(line, sizeof line, "ARI vs masks       %.3f -> %.3f\n", num(first, "ari"),
                num(last, "ari"));
  s += line;
  std::snprintf(line, sizeof line, "phrase retrieval   %.3f -> %.3f (chance %.3f)\n",
                num(first, "phrase_retrieval_accuracy"), num(last, "phrase_retrieval_accuracy"),
                num(last, "phrase_retrieval_chance"));
  s += line;
  return s;
}

std::vector<std::pair<std::string, at::Generator>> Stage1Recipe::generators() {
  return {{"tokenizer.tie_noise", model_->tokenizer->noise_generator()},
          {"diffusion", diffusion_gen_}};
}

}  // namespace setok::train

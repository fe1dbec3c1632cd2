// Stage 1 evaluation: every held-out set under its name, on its own random streams.
#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>

#include "setok/losses/reconstruction.h"
#include "setok/runtime/seed.h"
#include "setok/train/concept_metrics.h"
#include "setok/train/metrics.h"
#include "setok/train/stage1.h"

namespace setok::train {

namespace {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

// Adds a per-image statistic unless it is undefined for that image (NaN).
void add_defined(std::vector<double>& v, double x) {
  if (!std::isnan(x)) v.push_back(x);
}

}  // namespace

io::Json Stage1Recipe::evaluate(int64_t step) {
  // Evaluation draws (tie-break noise, diffusion sampling) from streams of its own, the same at
  // every evaluation; training's streams are left exactly where they were.
  runtime::GeneratorScope own_streams(side_generators(), "stage1.eval");
  io::Json out = {{"step", step}};
  for (size_t s = 0; s < eval_sets_.size(); ++s)
    out[eval_names_[s]] = evaluate_set(eval_sets_[s], step);
  return out;
}

io::Json Stage1Recipe::evaluate_set(const data::PairDataset& ds, int64_t step) {
  io::Json out = io::Json::object();
  const int64_t B = cfg_.train.batch_size;
  const int64_t limit = cfg_.train.eval_batches > 0
                            ? std::min<int64_t>(cfg_.train.eval_batches * B, ds.size())
                            : static_cast<int64_t>(ds.size());
  const int64_t S = vision_pre_.size;
  std::map<std::string, double> sums;
  int64_t batches = 0;
  bool counted_objects = true;
  std::vector<double> tokens_per_image, objects_per_image, ari, fg_ari, fg_ari_bound, psnr;
  std::vector<ImageConcepts> concepts;
  for (int64_t start = 0; start < limit; start += B) {
    std::vector<data::Example> examples;
    for (int64_t i = start; i < std::min(limit, start + B); ++i)
      examples.push_back(example(ds, static_cast<size_t>(i)));
    const data::Batch batch = data::collate(std::move(examples));
    const Losses l = compute(batch, /*with_gan=*/false, step);
    for (const auto& [k, v] : l.metrics) sums[k] += v;
    ++batches;
    const at::Tensor target = batch.tensors.at("target").to(device_);
    // The diffusion head samples: only the first batch is decoded for PSNR (it is slow).
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
    at::Tensor token_emb, phrase_emb;  // normalised, in the contrastive space
    Phrases phr;
    if (model_->has_text()) {
      token_emb = model_->contrastive->embed_tokens(l.tokens.tokens).to(at::kCPU);  // [B, L, E]
      phr = phrases(batch);
      if (phr.embeddings.defined())
        phrase_emb = model_->contrastive->embed_texts(phr.embeddings).to(at::kCPU);  // [B, P, E]
    }
    const auto& labels = batch.unstacked.at("labels");
    for (int64_t b = 0; b < batch.size; ++b) {
      const int64_t L = counts[b].item<int64_t>();
      const int64_t n_obj = batch.ints.at("num_objects")[b];
      const auto& texts = batch.texts.at("phrases")[b];
      const int64_t P = static_cast<int64_t>(texts.size());
      tokens_per_image.push_back(static_cast<double>(L));
      objects_per_image.push_back(static_cast<double>(n_obj));
      counted_objects = counted_objects && n_obj >= 0;
      at::Tensor targets;
      const at::Tensor& lab = labels[static_cast<size_t>(b)];
      if (lab.defined()) {
        const at::Tensor pc = pixel_clusters(lab, assignment[b], S, patch_size_);  // [H * W]
        add_defined(ari, pixel_ari(lab, pc));
        add_defined(fg_ari, foreground_ari(lab, pc));
        const int64_t K = std::max<int64_t>(lab.max().item<int64_t>(), P) + 1;
        const at::Tensor owners = patch_owners(lab, S, patch_size_, K);  // [N]
        targets = grounding_targets(lab, pc, owners, L, P);
        // About the best any clustering of this patch grid can do on foreground pixels: each
        // patch in the cluster of its majority object (background pixels ignored).
        const at::Tensor object_owners =
            patch_owners(lab.masked_fill(lab == 0, -1), S, patch_size_, K);  // [N]
        add_defined(fg_ari_bound,
                    foreground_ari(lab, pixel_clusters(lab, object_owners, S, patch_size_)));
      }
      if (!token_emb.defined()) continue;
      ImageConcepts c;
      c.tokens = token_emb[b].narrow(0, 0, L);
      if (P > 0) {
        c.phrases = phrase_emb[b].narrow(0, 0, P);
        c.phrase_ids.assign(phr.ids[b].to(at::kCPU).data_ptr<int64_t>(),
                            phr.ids[b].to(at::kCPU).data_ptr<int64_t>() + P);
        c.targets = targets;
      }
      concepts.push_back(std::move(c));
    }
  }
  for (const auto& [k, v] : sums) out[k] = v / static_cast<double>(batches);
  out["images"] = tokens_per_image.size();
  out["psnr"] = mean(psnr);
  out["tokens_per_image"] = mean(tokens_per_image);
  if (counted_objects && !objects_per_image.empty()) {
    out["objects_per_image"] = mean(objects_per_image);
    out["tokens_objects_pearson"] =
        tokens_per_image.size() > 1 ? pearson(tokens_per_image, objects_per_image) : 0.0;
  }
  if (!ari.empty()) out["ari"] = mean(ari);
  if (!fg_ari.empty()) out["fg_ari"] = mean(fg_ari);
  if (!fg_ari_bound.empty()) out["fg_ari_patch_bound"] = mean(fg_ari_bound);
  if (!concepts.empty()) {
    const ConceptScores cs = concept_scores(concepts);
    if (cs.phrases > 0) {
      out["retrieval_accuracy"] = cs.retrieval_accuracy;
      out["retrieval_chance"] = cs.retrieval_chance;
    }
    if (cs.grounded > 0) {
      out["grounding_accuracy"] = cs.grounding_accuracy;
      out["grounding_chance"] = cs.grounding_chance;
      out["grounding_phrases"] = cs.grounded;
      out["grounding_skipped"] = cs.grounding_skipped;
    }
  }
  return out;
}

std::string Stage1Recipe::summary(const io::Json& first, const io::Json& last) {
  std::string s;
  for (const auto& [name, set] : last.items()) {
    if (!set.is_object() || !first.contains(name)) continue;
    const io::Json& a = first[name];
    auto num = [](const io::Json& j, const char* k) {
      return j.contains(k) && j[k].is_number() ? j[k].get<double>() : std::nan("");
    };
    auto line = [&](const char* fmt, const char* key, double extra = 0) {
      char buf[256];
      std::snprintf(buf, sizeof buf, fmt, num(a, key), num(set, key), extra);
      s += buf;
    };
    s += "[" + name + "]\n";
    char buf[256];
    std::snprintf(buf, sizeof buf, "held-out loss      %.4f -> %.4f (%.0f%% of the first)\n",
                  num(a, "loss"), num(set, "loss"), 100.0 * num(set, "loss") / num(a, "loss"));
    s += buf;
    line("PSNR               %.2f -> %.2f dB (%+.2f dB)\n", "psnr",
         num(set, "psnr") - num(a, "psnr"));
    line("tokens per image   %.2f -> %.2f (objects per image %.2f)\n", "tokens_per_image",
         num(set, "objects_per_image"));
    line("tokens~objects r   %.3f -> %.3f\n", "tokens_objects_pearson");
    line("ARI vs masks       %.3f -> %.3f\n", "ari");
    line("foreground ARI     %.3f -> %.3f\n", "fg_ari");
    line("grounding          %.3f -> %.3f (chance %.3f)\n", "grounding_accuracy",
         num(set, "grounding_chance"));
    line("phrase retrieval   %.3f -> %.3f (chance %.3f)\n", "retrieval_accuracy",
         num(set, "retrieval_chance"));
  }
  return s;
}

}  // namespace setok::train

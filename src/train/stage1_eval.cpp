// Stage 1 evaluation: every held-out set under its name, on its own random streams; sharded over
// the ranks of a distributed run and gathered.
#include <cmath>
#include <cstdio>

#include <ATen/ATen.h>

#include "setok/data/scene_reading.h"
#include "setok/dist/padded_gather.h"
#include "setok/dist/process_group.h"
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

// Evaluation items draw their clustering noise and diffusion draws from this index space
// (training's global sample indices stay far below it).
constexpr int64_t kEvalSampleBase = int64_t{1} << 62;

// What one rank's share of an evaluation set yields; gathered across ranks before the report.
struct EvalTally {
  std::map<std::string, double> sums;  // loss terms summed over batches
  int64_t batches = 0;
  bool counted_objects = true;
  std::vector<double> tokens_per_image, objects_per_image, ari, fg_ari, fg_ari_bound, psnr;
  // Scene sets: per decoded image, 100 when the scene reader reads the reconstruction's object
  // count (colour set) as it reads the image, else 0.
  std::vector<double> read_count, read_colours;
  std::vector<ImageConcepts> concepts;
};

std::vector<double> concat_doubles(dist::ProcessGroup& group, const std::vector<double>& v) {
  const at::Tensor all =
      dist::concat_over_ranks(group, at::tensor(v, at::kDouble).view({-1})).contiguous();
  return {all.data_ptr<double>(), all.data_ptr<double>() + all.numel()};
}

// Loss sums by name: every rank's sums of the names this rank knows (rank 0, which holds the
// first batch, knows every name the report needs).
void gather_sums(dist::ProcessGroup& group, EvalTally& t) {
  std::vector<int64_t> hashes;
  std::vector<double> values;
  for (const auto& [k, v] : t.sums) {
    hashes.push_back(static_cast<int64_t>(runtime::stable_hash(k) >> 1));
    values.push_back(v);
  }
  const at::Tensor all_hashes = dist::concat_over_ranks(group, at::tensor(hashes, at::kLong));
  const std::vector<double> all_values = concat_doubles(group, values);
  for (auto& [k, v] : t.sums) {
    const auto h = static_cast<int64_t>(runtime::stable_hash(k) >> 1);
    v = 0;
    for (int64_t i = 0; i < all_hashes.numel(); ++i) {
      if (all_hashes[i].item<int64_t>() == h) v += all_values[static_cast<size_t>(i)];
    }
  }
  t.batches = std::llround(group.all_reduce_scalar(static_cast<double>(t.batches)));
}

// Every rank's images' concept embeddings, in rank order. E: the contrastive space's width.
void gather_concepts(dist::ProcessGroup& group, EvalTally& t, int64_t E) {
  std::vector<int64_t> meta;  // per image: tokens, phrases, has grounding targets
  std::vector<at::Tensor> tokens{at::zeros({0, E})}, phrases{at::zeros({0, E})};
  std::vector<at::Tensor> ids{at::zeros({0}, at::kLong)}, targets{at::zeros({0}, at::kLong)};
  for (const ImageConcepts& c : t.concepts) {
    const int64_t P = static_cast<int64_t>(c.phrase_ids.size());
    meta.insert(meta.end(), {c.tokens.size(0), P, c.targets.defined() ? 1 : 0});
    tokens.push_back(c.tokens.to(at::kFloat));
    if (P == 0) continue;
    phrases.push_back(c.phrases.to(at::kFloat));
    ids.push_back(at::tensor(c.phrase_ids, at::kLong));
    targets.push_back(c.targets.defined() ? c.targets.to(at::kLong) : at::zeros({P}, at::kLong));
  }
  const at::Tensor all_meta =
      dist::concat_over_ranks(group, at::tensor(meta, at::kLong).view({-1, 3}));    // [n, 3]
  const at::Tensor all_tokens = dist::concat_over_ranks(group, at::cat(tokens));    // [sum L, E]
  const at::Tensor all_phrases = dist::concat_over_ranks(group, at::cat(phrases));  // [sum P, E]
  const at::Tensor all_ids = dist::concat_over_ranks(group, at::cat(ids));          // [sum P]
  const at::Tensor all_targets = dist::concat_over_ranks(group, at::cat(targets));  // [sum P]
  t.concepts.clear();
  int64_t token_at = 0, phrase_at = 0;
  for (int64_t i = 0; i < all_meta.size(0); ++i) {
    const int64_t L = all_meta[i][0].item<int64_t>(), P = all_meta[i][1].item<int64_t>();
    ImageConcepts c;
    c.tokens = all_tokens.narrow(0, token_at, L);
    token_at += L;
    if (P > 0) {
      c.phrases = all_phrases.narrow(0, phrase_at, P);
      const at::Tensor id = all_ids.narrow(0, phrase_at, P).contiguous();
      c.phrase_ids.assign(id.data_ptr<int64_t>(), id.data_ptr<int64_t>() + P);
      if (all_meta[i][2].item<int64_t>() != 0) c.targets = all_targets.narrow(0, phrase_at, P);
      phrase_at += P;
    }
    t.concepts.push_back(std::move(c));
  }
}

void gather_tally(dist::ProcessGroup& group, EvalTally& t, int64_t concept_width) {
  gather_sums(group, t);
  for (std::vector<double>* v : {&t.tokens_per_image, &t.objects_per_image, &t.ari, &t.fg_ari,
                                 &t.fg_ari_bound, &t.psnr, &t.read_count, &t.read_colours}) {
    *v = concat_doubles(group, *v);
  }
  t.counted_objects = group.all_reduce_scalar(t.counted_objects ? 0.0 : 1.0) == 0.0;
  if (concept_width > 0) gather_concepts(group, t, concept_width);
}

// What a user of the drawing path sees: each scene and its reconstruction read by the demo
// world's scene reader. target, decoded: [B, 3, H, W] in [-1, 1].
void read_back(const at::Tensor& target, const at::Tensor& decoded, EvalTally& t) {
  for (int64_t b = 0; b < target.size(0); ++b) {
    const data::SceneReading truth = data::read_scene_pixels(target[b]);
    const data::SceneReading got = data::read_scene_pixels(decoded[b]);
    t.read_count.push_back(got.objects == truth.objects ? 100.0 : 0.0);
    t.read_colours.push_back(got.colours == truth.colours ? 100.0 : 0.0);
  }
}

io::Json report(const EvalTally& t) {
  io::Json out = io::Json::object();
  for (const auto& [k, v] : t.sums) out[k] = v / static_cast<double>(t.batches);
  out["images"] = t.tokens_per_image.size();
  out["psnr"] = mean(t.psnr);
  out["tokens_per_image"] = mean(t.tokens_per_image);
  if (t.counted_objects && !t.objects_per_image.empty()) {
    out["objects_per_image"] = mean(t.objects_per_image);
    out["tokens_objects_pearson"] =
        t.tokens_per_image.size() > 1 ? pearson(t.tokens_per_image, t.objects_per_image) : 0.0;
  }
  if (!t.ari.empty()) out["ari"] = mean(t.ari);
  if (!t.fg_ari.empty()) out["fg_ari"] = mean(t.fg_ari);
  if (!t.fg_ari_bound.empty()) out["fg_ari_patch_bound"] = mean(t.fg_ari_bound);
  if (!t.read_count.empty()) {
    out["read_count_exact"] = mean(t.read_count);
    out["read_colour_set_exact"] = mean(t.read_colours);
    out["read_images"] = t.read_count.size();
  }
  if (!t.concepts.empty()) {
    const ConceptScores cs = concept_scores(t.concepts);
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

}  // namespace

io::Json Stage1Recipe::evaluate(int64_t step) {
  // Evaluation draws (tie-break noise, diffusion sampling) from streams of its own, the same at
  // every evaluation; training's streams are left exactly where they were.
  runtime::GeneratorScope own_streams(side_generators(), "stage1.eval");
  io::Json out = {{"step", step}};
  for (size_t s = 0; s < eval_sets_.size(); ++s)
    out[eval_names_[s]] = evaluate_set(eval_sets_[s], cfg_.data.eval[s].scenes, step);
  return out;
}

io::Json Stage1Recipe::evaluate_set(const data::PairDataset& ds, bool scenes, int64_t step) {
  const int64_t B = cfg_.train.batch_size;
  const int64_t limit = cfg_.train.eval_batches > 0
                            ? std::min<int64_t>(cfg_.train.eval_batches * B, ds.size())
                            : static_cast<int64_t>(ds.size());
  const int64_t S = vision_pre_.size;
  EvalTally tally;
  // Distributed: rank r evaluates batches r, r + W, ...; every draw comes from the item's index,
  // so the gathered statistics are the one-process ones.
  const int64_t rank = group_ ? group_->rank() : 0, world = group_ ? group_->world() : 1;
  for (int64_t start = rank * B; start < limit; start += world * B) {
    std::vector<data::Example> examples;
    for (int64_t i = start; i < std::min(limit, start + B); ++i)
      examples.push_back(example(ds, static_cast<size_t>(i)));
    data::Batch batch = data::collate(std::move(examples));
    std::vector<int64_t>& index = batch.ints[kSampleIndex];
    for (int64_t i = start; i < start + batch.size; ++i) index.push_back(kEvalSampleBase + i);
    const Losses l = compute(batch, /*with_gan=*/false, step);
    for (const auto& [k, v] : l.metrics) tally.sums[k] += v;
    ++tally.batches;
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
      for (int64_t b = 0; b < p.size(0); ++b) tally.psnr.push_back(p[b].item<double>());
      if (scenes) read_back(target, decoded, tally);
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
      tally.tokens_per_image.push_back(static_cast<double>(L));
      tally.objects_per_image.push_back(static_cast<double>(n_obj));
      tally.counted_objects = tally.counted_objects && n_obj >= 0;
      at::Tensor targets;
      const at::Tensor& lab = labels[static_cast<size_t>(b)];
      if (lab.defined()) {
        const at::Tensor pc = pixel_clusters(lab, assignment[b], S, patch_size_);  // [H * W]
        add_defined(tally.ari, pixel_ari(lab, pc));
        add_defined(tally.fg_ari, foreground_ari(lab, pc));
        const int64_t K = std::max<int64_t>(lab.max().item<int64_t>(), P) + 1;
        const at::Tensor owners = patch_owners(lab, S, patch_size_, K);  // [N]
        targets = grounding_targets(lab, pc, owners, L, P);
        // About the best any clustering of this patch grid can do on foreground pixels: each
        // patch in the cluster of its majority object (background pixels ignored).
        const at::Tensor object_owners =
            patch_owners(lab.masked_fill(lab == 0, -1), S, patch_size_, K);  // [N]
        add_defined(tally.fg_ari_bound,
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
      tally.concepts.push_back(std::move(c));
    }
  }
  if (group_) {
    const int64_t E = model_->has_text() ? model_->contrastive->token_proj->weight.size(0) : 0;
    gather_tally(*group_, tally, E);
  }
  return report(tally);
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
    if (set.contains("read_count_exact")) {
      line("read back: count   %.1f -> %.1f %%\n", "read_count_exact");
      line("read back: colours %.1f -> %.1f %%\n", "read_colour_set_exact");
    }
    line("grounding          %.3f -> %.3f (chance %.3f)\n", "grounding_accuracy",
         num(set, "grounding_chance"));
    line("phrase retrieval   %.3f -> %.3f (chance %.3f)\n", "retrieval_accuracy",
         num(set, "retrieval_chance"));
  }
  return s;
}

}  // namespace setok::train

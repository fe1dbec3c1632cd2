#include <gtest/gtest.h>

#include <cmath>

#include <ATen/ATen.h>

#include "errors.h"
#include "setok/io/safetensors.h"
#include "setok/io/state_dict.h"
#include "setok/losses/contrastive.h"
#include "setok/losses/lpips.h"
#include "setok/losses/patch_gan.h"
#include "setok/losses/reconstruction.h"
#include "temp_dir.h"

namespace setok::losses {
namespace {

using test::error_of;

// The multi-label loss written out row by row in double precision.
double reference_multilabel(const at::Tensor& t, const at::Tensor& tm, const at::Tensor& p,
                            const at::Tensor& pm, double scale) {
  struct Row {
    at::Tensor v;
    int64_t image;
  };
  std::vector<Row> tr, pr;
  for (int64_t b = 0; b < t.size(0); ++b) {
    for (int64_t l = 0; l < t.size(1); ++l) {
      if (tm[b][l].item<bool>()) tr.push_back({t[b][l].to(at::kDouble), b});
    }
    for (int64_t q = 0; q < p.size(1); ++q) {
      if (pm[b][q].item<bool>()) pr.push_back({p[b][q].to(at::kDouble), b});
    }
  }
  auto side = [&](const std::vector<Row>& rows, const std::vector<Row>& cols) {
    double total = 0;
    int counted = 0;
    for (const auto& r : rows) {
      int pos = 0;
      for (const auto& c : cols) pos += c.image == r.image;
      if (pos == 0) continue;
      double z = 0;
      for (const auto& c : cols) z += std::exp(scale * r.v.dot(c.v).item<double>());
      double ce = 0;
      for (const auto& c : cols) {
        if (c.image == r.image)
          ce -= (1.0 / pos) * (scale * r.v.dot(c.v).item<double>() - std::log(z));
      }
      total += ce;
      ++counted;
    }
    return total / counted;
  };
  return 0.5 * (side(tr, pr) + side(pr, tr));
}

TEST(Contrastive, MatchesAHandComputedCase) {
  at::manual_seed(0);
  const at::Tensor t = at::randn({3, 3, 4}), p = at::randn({3, 2, 4});
  const at::Tensor tm = at::tensor({1, 1, 1, 1, 0, 0, 1, 1, 0}).to(at::kBool).view({3, 3});
  const at::Tensor pm =
      at::tensor({1, 0, 1, 1, 0, 0}).to(at::kBool).view({3, 2});  // image 2: no phrases
  const at::Tensor scale = at::full({}, 2.5);
  const double got = multilabel_contrastive_loss(t, tm, p, pm, scale).item<double>();
  EXPECT_NEAR(got, reference_multilabel(t, tm, p, pm, 2.5), 1e-5);
  // Padded entries never matter.
  at::Tensor t2 = t.clone(), p2 = p.clone();
  t2.masked_fill_(tm.logical_not().unsqueeze(2), 9.0);
  p2.masked_fill_(pm.logical_not().unsqueeze(2), -9.0);
  EXPECT_NEAR(multilabel_contrastive_loss(t2, tm, p2, pm, scale).item<double>(), got, 1e-6);
}

TEST(Contrastive, InfoNceIsClipLoss) {
  at::manual_seed(1);
  const at::Tensor a = at::randn({4, 8}), b = at::randn({4, 8});
  const at::Tensor logits = at::matmul(a, b.t()) * 3.0;
  const at::Tensor labels = at::arange(4);
  const double want = 0.5 * (at::cross_entropy_loss(logits, labels).item<double>() +
                             at::cross_entropy_loss(logits.t(), labels).item<double>());
  EXPECT_NEAR(info_nce_loss(a, b, at::full({}, 3.0)).item<double>(), want, 1e-5);
  EXPECT_THROW(info_nce_loss(a, b.narrow(0, 0, 3), at::full({}, 1.0)), Error);
}

// The token form written out phrase by phrase and image by image in double precision: the
// soft maximum of an image's token similarities (softmax-weighted mean), InfoNCE over images
// with every image that holds the phrase's text as a positive, and the image -> phrases side.
double reference_token_form(const at::Tensor& t, const at::Tensor& tm, const at::Tensor& p,
                            const at::Tensor& pm, const std::vector<std::vector<int64_t>>& ids,
                            double scale, double softness) {
  const int64_t B = t.size(0);
  auto soft_max = [&](const at::Tensor& phrase, int64_t image) {
    std::vector<double> sims;
    for (int64_t l = 0; l < t.size(1); ++l) {
      if (tm[image][l].item<bool>())
        sims.push_back(phrase.to(at::kDouble).dot(t[image][l].to(at::kDouble)).item<double>());
    }
    double z = 0, out = 0;
    for (double s : sims) z += std::exp(s / softness);
    for (double s : sims) out += std::exp(s / softness) / z * s;
    return out;
  };
  auto holds = [&](int64_t image, int64_t id) {
    for (int64_t q = 0; q < p.size(1); ++q) {
      if (pm[image][q].item<bool>() && ids[image][q] == id) return true;
    }
    return false;
  };
  auto soft_ce = [&](const std::vector<double>& logits, const std::vector<bool>& pos) {
    double z = 0, n = 0, ce = 0;
    for (double x : logits) z += std::exp(x);
    for (bool b : pos) n += b;
    for (size_t c = 0; c < logits.size(); ++c) {
      if (pos[c]) ce -= (logits[c] - std::log(z)) / n;
    }
    return ce;
  };
  double phrase_side = 0, image_side = 0;
  int rows = 0, images = 0;
  std::vector<std::pair<int64_t, int64_t>> all;  // (image, phrase slot)
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t q = 0; q < p.size(1); ++q) {
      if (pm[b][q].item<bool>()) all.emplace_back(b, q);
    }
  }
  for (const auto& [b, q] : all) {
    std::vector<double> logits;
    std::vector<bool> pos;
    for (int64_t c = 0; c < B; ++c) {
      logits.push_back(scale * soft_max(p[b][q], c));
      pos.push_back(holds(c, ids[b][q]));
    }
    phrase_side += soft_ce(logits, pos);
    ++rows;
  }
  for (int64_t b = 0; b < B; ++b) {
    std::vector<double> logits;
    std::vector<bool> pos;
    bool any = false;
    for (const auto& [c, q] : all) {
      logits.push_back(scale * soft_max(p[c][q], b));
      pos.push_back(holds(b, ids[c][q]));
      any = any || pos.back();
    }
    if (!any) continue;
    image_side += soft_ce(logits, pos);
    ++images;
  }
  return 0.5 * (phrase_side / rows + image_side / images);
}

at::Tensor normalised(const at::Tensor& x) {
  return x / x.norm(2, {-1}, true);
}

at::Tensor id_tensor(const std::vector<std::vector<int64_t>>& ids) {
  std::vector<int64_t> flat;
  for (const auto& row : ids) flat.insert(flat.end(), row.begin(), row.end());
  return at::tensor(flat, at::kLong).view({static_cast<int64_t>(ids.size()), -1});
}

TEST(Contrastive, TokenFormMatchesAHandComputedCase) {
  at::manual_seed(3);
  const at::Tensor t = normalised(at::randn({3, 4, 5})), p = normalised(at::randn({3, 3, 5}));
  const at::Tensor tm = at::tensor({1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0}).to(at::kBool).view({3, 4});
  const at::Tensor pm = at::tensor({1, 1, 0, 1, 0, 0, 0, 0, 0}).to(at::kBool).view({3, 3});
  // Images 0 and 1 share the text 7: each is a positive of the other's phrase. Image 2 has no
  // phrase: a column of negatives only.
  const std::vector<std::vector<int64_t>> ids = {{7, 8, 0}, {7, 0, 0}, {0, 0, 0}};
  const double got =
      token_concept_loss(t, tm, p, pm, id_tensor(ids), at::full({}, 4.0), 0.2).item<double>();
  EXPECT_NEAR(got, reference_token_form(t, tm, p, pm, ids, 4.0, 0.2), 1e-5);
  // Padded tokens and phrases never matter.
  at::Tensor t2 = t.clone(), p2 = p.clone();
  t2.masked_fill_(tm.logical_not().unsqueeze(2), 5.0);
  p2.masked_fill_(pm.logical_not().unsqueeze(2), -5.0);
  EXPECT_NEAR(
      token_concept_loss(t2, tm, p2, pm, id_tensor(ids), at::full({}, 4.0), 0.2).item<double>(),
      got, 1e-6);
}

TEST(Contrastive, TokenFormWithOneTokenAndDistinctPhrasesIsClip) {
  at::manual_seed(4);
  const at::Tensor a = normalised(at::randn({4, 6})), b = normalised(at::randn({4, 6}));
  const at::Tensor one = at::ones({4, 1}, at::kBool);
  const at::Tensor ids = at::arange(4, at::kLong).view({4, 1});
  EXPECT_NEAR(
      token_concept_loss(a.unsqueeze(1), one, b.unsqueeze(1), one, ids, at::full({}, 3.0), 0.1)
          .item<double>(),
      info_nce_loss(a, b, at::full({}, 3.0)).item<double>(), 1e-5);
}

// The reason for the token form: one token per concept scores better than tokens that mix an
// image's concepts. The released spread form prefers the mixed tokens.
TEST(Contrastive, TokenFormPrefersOneTokenPerConcept) {
  const at::Tensor e = at::eye(4);  // four orthogonal concepts
  const at::Tensor phrases = at::stack({at::stack({e[0], e[1]}), at::stack({e[2], e[3]})});
  const at::Tensor pm = at::ones({2, 2}, at::kBool), tm = at::ones({2, 2}, at::kBool);
  const at::Tensor ids = at::tensor({0, 1, 2, 3}, at::kLong).view({2, 2});
  const at::Tensor separate = phrases.clone();  // token l of image b = its phrase l
  const at::Tensor mixed = normalised(
      at::stack({at::stack({e[0] + e[1], e[0] + e[1]}), at::stack({e[2] + e[3], e[2] + e[3]})}));
  const at::Tensor scale = at::full({}, 10.0);
  EXPECT_LT(token_concept_loss(separate, tm, phrases, pm, ids, scale, 0.05).item<double>(),
            token_concept_loss(mixed, tm, phrases, pm, ids, scale, 0.05).item<double>());
  EXPECT_LT(multilabel_contrastive_loss(mixed, tm, phrases, pm, scale).item<double>(),
            multilabel_contrastive_loss(separate, tm, phrases, pm, scale).item<double>());
}

TEST(Contrastive, SoftMaximumLiesBetweenMeanAndMaximum) {
  const at::Tensor sim = at::tensor({0.1, 0.9, 0.5, 3.0}).view({1, 4});
  const at::Tensor mask = at::tensor({1, 1, 1, 0}).to(at::kBool).view({1, 4});
  const double sharp = soft_maximum(sim, mask, 1e-3).item<double>();
  const double soft = soft_maximum(sim, mask, 1e3).item<double>();
  EXPECT_NEAR(sharp, 0.9, 1e-6);  // the masked 3.0 never counts
  EXPECT_NEAR(soft, 0.5, 1e-3);   // the mean of the three real entries
  EXPECT_DOUBLE_EQ(soft_maximum(sim, at::zeros({1, 4}, at::kBool), 0.1).item<double>(), 0.0);
  EXPECT_THROW(soft_maximum(sim, mask, 0.0), Error);
}

TEST(Contrastive, TemperatureIsLearnableAndCapped) {
  ConceptContrastiveOptions o;
  o.token_dim = 6;
  o.text_dim = 5;
  o.embed_dim = 4;
  ConceptContrastive head(o);
  EXPECT_NEAR(head->scale().item<double>(), 1.0 / 0.07, 1e-4);
  {
    at::NoGradGuard g;
    head->logit_scale.fill_(std::log(1000.0));
  }
  EXPECT_DOUBLE_EQ(head->scale().item<double>(), 100.0);
  at::manual_seed(2);
  head->logit_scale.data().fill_(std::log(10.0));
  const at::Tensor ids = at::tensor({1, 2, 3, 4}, at::kLong).view({2, 2});
  for (const ConceptForm form : {ConceptForm::kToken, ConceptForm::kPooled, ConceptForm::kSpread}) {
    head->zero_grad();
    ConceptLossOptions lo;
    lo.form = form;
    const at::Tensor loss =
        head->concept_loss(at::randn({2, 3, 6}), at::ones({2, 3}, at::kBool), at::randn({2, 2, 5}),
                           at::ones({2, 2}, at::kBool), ids, lo);
    loss.backward();
    ASSERT_TRUE(head->logit_scale.grad().defined());
    EXPECT_NE(head->logit_scale.grad().item<double>(), 0.0);
    EXPECT_TRUE(head->token_proj->weight.grad().defined());
  }
  EXPECT_THROW(head->concept_loss(at::randn({2, 3, 6}), at::ones({2, 4}, at::kBool),
                                  at::randn({2, 2, 5}), at::ones({2, 2}, at::kBool), ids),
               Error);
  EXPECT_THROW(parse_concept_form("groupvit"), Error);
  EXPECT_EQ(phrase_id("red circle"), phrase_id(std::string("red ") + "circle"));
  EXPECT_NE(phrase_id("red circle"), phrase_id("red square"));
}

TEST(Reconstruction, L1L2AndPsnr) {
  const at::Tensor a = at::zeros({1, 3, 2, 2}), b = at::full({1, 3, 2, 2}, 0.5);
  EXPECT_DOUBLE_EQ(reconstruction_loss(a, b, ReconstructionKind::kL1).item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(reconstruction_loss(a, b, ReconstructionKind::kL2).item<double>(), 0.25);
  EXPECT_NEAR(psnr(a, b)[0].item<double>(), 10 * std::log10(4.0 / 0.25), 1e-5);
  EXPECT_THROW(reconstruction_loss(a, at::zeros({1, 3, 2, 3}), ReconstructionKind::kL1), Error);
  EXPECT_THROW(parse_reconstruction("l3"), Error);
}

TEST(PatchGan, HingeLossesAndAdaptiveWeight) {
  const at::Tensor real = at::tensor({2.0, 0.5}), fake = at::tensor({-2.0, 0.0});
  EXPECT_DOUBLE_EQ(hinge_discriminator_loss(real, fake).item<double>(), 0.5 * (0.25 + 0.5));
  EXPECT_DOUBLE_EQ(generator_loss(fake).item<double>(), 1.0);
  // Two losses linear in w: gradients are known, so is their norm ratio.
  at::Tensor w = at::ones({3}).requires_grad_();
  const at::Tensor rec = (w * at::tensor({3.0, 0.0, 4.0})).sum();  // |grad| = 5
  const at::Tensor gan = (w * at::tensor({1.0, 0.0, 0.0})).sum();  // |grad| = 1
  EXPECT_NEAR(adaptive_gan_weight(rec, gan, w, 0.5).item<double>(), 0.5 * 5.0 / (1.0 + 1e-4), 1e-6);
  PatchDiscriminator d(3, 8, 2);
  const at::Tensor logits = d->forward(at::randn({2, 3, 32, 32}));
  EXPECT_EQ(logits.size(1), 1);
  EXPECT_GT(logits.size(2), 1);  // a grid of patch decisions
}

TEST(Lpips, DistanceBehavesAndWeightsAreChecked) {
  test::TempDir dir;
  at::manual_seed(3);
  Lpips random_weights;
  io::save_state(*random_weights, dir / "lpips.safetensors");
  Lpips lp(dir / "lpips.safetensors");
  const at::Tensor x = at::rand({2, 3, 32, 32}) * 2 - 1, y = at::rand({2, 3, 32, 32}) * 2 - 1;
  EXPECT_NEAR(lp->forward(x, x).abs().max().item<double>(), 0.0, 1e-7);
  const at::Tensor d = lp->forward(x, y);
  EXPECT_TRUE((d != 0).all().item<bool>());
  EXPECT_TRUE(at::allclose(d, lp->forward(y, x), 1e-5, 1e-7));
  for (const auto& p : lp->parameters()) EXPECT_FALSE(p.requires_grad());
  EXPECT_NE(error_of([&] { Lpips(dir / "none.safetensors"); }).find("LPIPS weights not found"),
            std::string::npos);
  io::save_safetensors(dir / "partial.safetensors",
                       {{"lin0.model.1.weight", at::zeros({1, 64, 1, 1})}});
  EXPECT_NE(
      error_of([&] { Lpips(dir / "partial.safetensors"); }).find("missing: features.0.weight"),
      std::string::npos);
}

}  // namespace
}  // namespace setok::losses

#include "setok/mllm/sequence.h"

#include <algorithm>

#include <ATen/ATen.h>

#include "setok/runtime/error.h"

namespace setok::mllm {

namespace {

void push(Sequence& s, int64_t id, int64_t label, int64_t image = -1, int64_t slot = -1,
          bool output = false, int64_t count = -1, int64_t span = -1) {
  s.input_ids.push_back(id);
  s.labels.push_back(label);
  s.image.push_back(image);
  s.slot.push_back(slot);
  s.output.push_back(output);
  s.count.push_back(count);
  s.span.push_back(span);
}

}  // namespace

ImageSpan parse_image_span(const std::string& name) {
  if (name == "mar") return ImageSpan::kMar;
  if (name == "ar") return ImageSpan::kAr;
  throw Error("image span: unknown design '" + name + "' (known: mar, ar)");
}

const char* image_span_name(ImageSpan span) {
  return span == ImageSpan::kMar ? "mar" : "ar";
}

void append_output_image(Sequence& s, int64_t k, int64_t L, const SpecialIds& ids, ImageSpan span) {
  if (span == ImageSpan::kMar) {
    push(s, ids.im_start, ids.im_start, -1, -1, false, L);
    for (int64_t j = 0; j < L; ++j) push(s, ids.target, llm::kIgnoreIndex, k, j, true, -1, k);
  } else {
    push(s, ids.im_start, ids.im_start);
    for (int64_t j = 0; j < L; ++j) push(s, ids.target, ids.target, k, j, true);
  }
}

Sequence expand_images(const llm::TokenizedConversation& c,
                       const std::vector<int64_t>& image_tokens, const SpecialIds& ids,
                       ImageSpan span) {
  if (c.input_ids.size() != c.labels.size())
    throw Error("setokim sequence: input ids and labels differ in length");
  Sequence s;
  size_t next = 0;  // the next image, in order of appearance
  auto take = [&](const char* what) {
    if (next >= image_tokens.size()) {
      throw Error(std::string("setokim sequence: more image markers than images (") + what +
                  " marker " + std::to_string(next) + ", " + std::to_string(image_tokens.size()) +
                  " image(s) given)");
    }
    const int64_t L = image_tokens[next];
    if (L < 1) throw Error("setokim sequence: image " + std::to_string(next) + " has no token");
    return std::make_pair(static_cast<int64_t>(next++), L);
  };
  for (size_t t = 0; t < c.input_ids.size(); ++t) {
    const int64_t id = c.input_ids[t], label = c.labels[t];
    if (id == llm::kImageTokenId) {  // an input image: seen, never predicted
      const auto [k, L] = take("input");
      push(s, ids.im_start, llm::kIgnoreIndex);
      for (int64_t j = 0; j < L; ++j) push(s, ids.pad, llm::kIgnoreIndex, k, j);
      push(s, ids.im_end, llm::kIgnoreIndex);
    } else if (id == ids.target) {  // an output image: every position is a text label
      if (label != ids.target) {
        throw Error("setokim sequence: an output image (<target>) outside an assistant reply");
      }
      const auto [k, L] = take("output");
      append_output_image(s, k, L, ids, span);
      // mar: <im_end> follows the predicted count, so it is no label.
      push(s, ids.im_end, span == ImageSpan::kMar ? llm::kIgnoreIndex : ids.im_end);
    } else {
      push(s, id, label);
    }
  }
  if (next != image_tokens.size()) {
    throw Error("setokim sequence: " + std::to_string(image_tokens.size()) + " image(s) but " +
                std::to_string(next) + " marker(s) in the conversation");
  }
  return s;
}

Sequence truncate(const Sequence& s, int64_t max_length) {
  int64_t images_end = 0;  // one past the last image position (its <im_end>)
  for (int64_t t = 0; t < s.size(); ++t) {
    if (s.image[static_cast<size_t>(t)] >= 0) images_end = t + 2;
  }
  if (max_length < images_end) return {};
  const auto n = static_cast<size_t>(std::min(s.size(), max_length));
  Sequence out;
  out.input_ids.assign(s.input_ids.begin(), s.input_ids.begin() + n);
  out.labels.assign(s.labels.begin(), s.labels.begin() + n);
  out.image.assign(s.image.begin(), s.image.begin() + n);
  out.slot.assign(s.slot.begin(), s.slot.begin() + n);
  out.output.assign(s.output.begin(), s.output.begin() + n);
  out.count.assign(s.count.begin(), s.count.begin() + n);
  out.span.assign(s.span.begin(), s.span.begin() + n);
  return out;
}

SequenceBatch collate_sequences(const std::vector<Sequence>& samples,
                                const std::vector<int64_t>& image_offset, int64_t pad_id,
                                Padding padding) {
  if (samples.empty()) throw Error("setokim batch: no sample");
  if (image_offset.size() != samples.size())
    throw Error("setokim batch: one image offset per sample is needed");
  const auto B = static_cast<int64_t>(samples.size());
  int64_t T = 0;
  for (const auto& s : samples) T = std::max(T, s.size());
  const auto i64 = at::TensorOptions().dtype(at::kLong);
  SequenceBatch b;
  b.input_ids = at::full({B, T}, pad_id, i64);
  b.labels = at::full({B, T}, llm::kIgnoreIndex, i64);
  b.attention_mask = at::zeros({B, T}, i64);
  b.position_ids = at::arange(T, i64).unsqueeze(0).expand({B, T}).contiguous();
  b.image = at::full({B, T}, -1, i64);
  b.slot = at::full({B, T}, -1, i64);
  b.output = at::zeros({B, T}, at::kBool);
  b.count = at::full({B, T}, -1, i64);
  b.spans = at::full({B, T}, -1, i64);
  for (int64_t r = 0; r < B; ++r) {
    const Sequence& s = samples[static_cast<size_t>(r)];
    const int64_t n = s.size();
    if (n == 0) throw Error("setokim batch: an empty sample");
    const int64_t start = padding == Padding::kLeft ? T - n : 0;  // the row's first real column
    std::vector<int64_t> image(s.image), spans(s.span);
    for (auto* v : {&image, &spans}) {
      for (auto& i : *v) {
        if (i >= 0) i += image_offset[static_cast<size_t>(r)];
      }
    }
    std::vector<uint8_t> output(s.output.begin(), s.output.end());
    b.input_ids[r].narrow(0, start, n).copy_(at::tensor(s.input_ids, i64));
    b.labels[r].narrow(0, start, n).copy_(at::tensor(s.labels, i64));
    b.attention_mask[r].narrow(0, start, n).fill_(1);
    if (start > 0) b.position_ids[r].copy_((b.position_ids[r] - start).clamp_min(0));
    b.image[r].narrow(0, start, n).copy_(at::tensor(image, i64));
    b.slot[r].narrow(0, start, n).copy_(at::tensor(s.slot, i64));
    b.output[r].narrow(0, start, n).copy_(at::tensor(output, at::kByte).to(at::kBool));
    b.count[r].narrow(0, start, n).copy_(at::tensor(s.count, i64));
    b.spans[r].narrow(0, start, n).copy_(at::tensor(spans, i64));
  }
  return b;
}

void append_text(Sequence& sequence, const std::vector<int64_t>& ids) {
  for (const int64_t id : ids) {
    sequence.input_ids.push_back(id);
    sequence.labels.push_back(llm::kIgnoreIndex);
    sequence.image.push_back(-1);
    sequence.slot.push_back(-1);
    sequence.output.push_back(false);
    sequence.count.push_back(-1);
    sequence.span.push_back(-1);
  }
}

}  // namespace setok::mllm

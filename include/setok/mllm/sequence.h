#pragma once
// Setokim sequences (DESIGN §5.10, docs/setokim.md): how a tokenized conversation with image
// markers becomes the LLM's input, labels and image slots.
//
//   input image  (<image>, id -200, in a human turn)
//       -> <im_start> + L_i image positions (the projected SeTok tokens) + <im_end>, no labels
//   output image (the text "<target>" in an assistant reply)
//       -> <im_start> + L_o slots + <im_end>; <im_start> is a text label (the model decides to
//          draw). The rest depends on the image span's design (ImageSpan):
//          mar: the slots attend to each other both ways (`span`), so nothing inside the span
//               may say how long it is: the count L_o is predicted once, from the hidden state
//               at <im_start> (`count`), and the slots and <im_end> carry no text label;
//          ar:  causal, raster order with a one-position shift: slot j's input is token j and
//               the state before it (at <im_start> or slot j - 1) conditions token j and says
//               "another slot" (label <target> at slot j) or "done" (label <im_end>).
//
// Images are numbered in order of appearance (inputs and outputs alike), and `image_tokens[i]`
// is image i's SeTok token count. Slot j of an image holds its token j (SeTok's order:
// ascending cluster-centre index, i.e. raster order of the centres). Batches pad on the right;
// truncation to `max_length` never cuts an image span: a sample whose images do not all fit is
// dropped (the caller counts and logs it).
#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "setok/llm/chat_template.h"

namespace setok::mllm {

// The question of the captioning task (pair data in training, `setok_infer caption`).
inline constexpr const char* kCaptionQuestion = "Describe the image.";

// How an output image's slots are trained and drawn (model.image_span; docs/inference.md).
enum class ImageSpan { kMar, kAr };
ImageSpan parse_image_span(const std::string& name);  // "mar" | "ar"
const char* image_span_name(ImageSpan span);

struct SpecialIds {
  int64_t im_start = 0, im_end = 0, target = 0, pad = 0;
};

struct Sequence {
  std::vector<int64_t> input_ids;  // text ids; image positions hold `target` (slots) or `pad`
  std::vector<int64_t> labels;     // llm::kIgnoreIndex where not trained
  std::vector<int64_t> image;      // image index at image positions, -1 elsewhere (markers too)
  std::vector<int64_t> slot;       // token index within that image, -1 elsewhere
  std::vector<bool> output;        // true at an output image's slots
  std::vector<int64_t> count;      // mar: at an output image's <im_start>, its token count; -1
  std::vector<int64_t> span;       // mar: the image index at its slots (bidirectional); -1
  int64_t size() const { return static_cast<int64_t>(input_ids.size()); }
};

// Expands the image markers of one tokenized conversation. Throws setok::Error when the number
// of markers differs from image_tokens.size(), a count is < 1, or a "<target>" marker sits in
// an untrained (human) span.
Sequence expand_images(const llm::TokenizedConversation& conversation,
                       const std::vector<int64_t>& image_tokens, const SpecialIds& ids,
                       ImageSpan span);

// Appends an output image's <im_start> and `slots` slots of image `image` (labels as training
// gives them), the form generation writes.
void append_output_image(Sequence& s, int64_t image, int64_t slots, const SpecialIds& ids,
                         ImageSpan span);

// The longest prefix of `s` with at most max_length positions that cuts no image span, or
// nothing (size 0) when the images alone do not fit.
Sequence truncate(const Sequence& s, int64_t max_length);

struct SequenceBatch {
  at::Tensor input_ids;       // [B, T] int64, padded with `pad`
  at::Tensor labels;          // [B, T] int64, padded with kIgnoreIndex
  at::Tensor attention_mask;  // [B, T] int64, 1 = real
  at::Tensor position_ids;    // [B, T] int64, 0.. per row (padding: continues, never attended)
  at::Tensor image;           // [B, T] int64: index into the batch's images, -1 elsewhere
  at::Tensor slot;            // [B, T] int64
  at::Tensor output;          // [B, T] bool: output-image slots
  at::Tensor count;           // [B, T] int64: mar's count labels at <im_start>, -1 elsewhere
  at::Tensor spans;           // [B, T] int64: bidirectional span ids (batch-wide image), -1
};

// Where a batch's shorter rows are padded: after their end (training) or before their start
// (prompts: every row ends at the last column, so one decoding step serves the whole batch).
enum class Padding { kRight, kLeft };

// Pads a batch. `image_offset[b]` is the batch-wide index of sample b's first image (its images'
// SeTok tokens are stacked in that order), so `image` addresses the batch's images. Positions
// count each row's real entries from 0 (right padding: the pads continue the count; left: they
// are 0); pads are never attended.
SequenceBatch collate_sequences(const std::vector<Sequence>& samples,
                                const std::vector<int64_t>& image_offset, int64_t pad_id,
                                Padding padding = Padding::kRight);

// Appends text the model wrote (or a prompt continues with): plain, unlabelled positions.
void append_text(Sequence& sequence, const std::vector<int64_t>& ids);

}  // namespace setok::mllm

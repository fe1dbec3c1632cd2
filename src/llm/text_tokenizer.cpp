#include "setok/llm/text_tokenizer.h"

#include <utility>

#include "setok/runtime/error.h"

namespace setok::llm {

namespace {

struct Special {
  const char* text;
  int64_t id;
};

}  // namespace

TextTokenizer::TextTokenizer(const std::filesystem::path& model)
    : spm_(model),
      base_(spm_.vocab_size()),
      bos_(spm_.bos_id()),
      eos_(spm_.eos_id()),
      pad_(spm_.pad_id() >= 0 ? spm_.pad_id() : spm_.unk_id()) {
  if (eos_ < 0) throw Error(model.string() + ": the SentencePiece model has no EOS piece");
}

bool TextTokenizer::is_special(int64_t id) const {
  return id == bos_ || id == eos_ || id == kImageTokenId || (id >= base_ && id < base_ + 3);
}

std::vector<int64_t> TextTokenizer::encode(const std::string& text, bool add_bos) const {
  const Special specials[] = {{"<image>", kImageTokenId},
                              {"<im_start>", im_start_id()},
                              {"<im_end>", im_end_id()},
                              {"<target>", target_id()},
                              {"<s>", bos_},
                              {"</s>", eos_},
                              {"<unk>", spm_.unk_id()}};
  std::vector<int64_t> ids;
  if (add_bos && bos_ >= 0) ids.push_back(bos_);
  size_t chunk_start = 0, i = 0;
  auto flush = [&](size_t end) {
    if (end > chunk_start) {
      const auto piece = spm_.encode(text.substr(chunk_start, end - chunk_start));
      ids.insert(ids.end(), piece.begin(), piece.end());
    }
  };
  while (i < text.size()) {
    const Special* hit = nullptr;
    if (text[i] == '<') {
      for (const auto& s : specials) {
        if (s.id >= 0 || s.id == kImageTokenId) {
          if (text.compare(i, std::char_traits<char>::length(s.text), s.text) == 0) {
            hit = &s;
            break;
          }
        }
      }
    }
    if (hit == nullptr) {
      ++i;
      continue;
    }
    flush(i);
    ids.push_back(hit->id);
    i += std::char_traits<char>::length(hit->text);
    chunk_start = i;
  }
  flush(text.size());
  return ids;
}

std::string TextTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
  std::string out;
  std::vector<int64_t> run;
  auto flush = [&] {
    if (!run.empty()) out += spm_.decode(run);
    run.clear();
  };
  for (const int64_t id : ids) {
    if (!is_special(id)) {
      if (id < 0 || id >= base_) {
        throw Error("text tokenizer: id " + std::to_string(id) + " is outside the vocabulary of " +
                    spm_.path().string() + " (" + std::to_string(vocab_size()) + " tokens)");
      }
      run.push_back(id);
      continue;
    }
    flush();
    if (skip_special) continue;
    if (id == kImageTokenId)
      out += "<image>";
    else if (id == bos_)
      out += "<s>";
    else if (id == eos_)
      out += "</s>";
    else if (id == im_start_id())
      out += "<im_start>";
    else if (id == im_end_id())
      out += "<im_end>";
    else
      out += "<target>";
  }
  flush();
  return out;
}

}  // namespace setok::llm

#include "setok/scores/ptb_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace setok::scores {

namespace {

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool ends_with(const std::string& s, const char* tail) {
  const size_t n = std::strlen(tail);
  return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
}

// Characters that always separate words (and are dropped): PTB splits them off anywhere except a
// comma between digits.
bool is_separator(const std::string& s, size_t i) {
  const char c = s[i];
  if (c == ',')
    return !(i > 0 && i + 1 < s.size() && is_ascii_digit(s[i - 1]) && is_ascii_digit(s[i + 1]));
  return std::strchr(";:!?\"`()[]{}", c) != nullptr;
}

// "u.s.", "a.m.": two or more letter-period pairs.
bool is_acronym(const std::string& w) {
  if (w.size() < 4 || w.size() % 2 != 0) return false;
  for (size_t i = 0; i < w.size(); i += 2)
    if (!is_alpha(w[i]) || w[i + 1] != '.') return false;
  return true;
}

bool keeps_period(const std::string& w) {
  static const char* const kAbbreviations[] = {"mr.", "mrs.", "ms.",  "dr.",  "st.",
                                               "jr.", "sr.",  "vs.",  "etc.", "mt.",
                                               "no.", "co.",  "inc.", "ltd.", "ave."};
  for (const char* a : kAbbreviations)
    if (w == a) return true;
  return is_acronym(w);
}

// Splits a clitic off the end of `w` ("don't" -> "do" + "n't", "man's" -> "man" + "'s"), and
// the words PTB writes as two ("cannot" -> "can not", "gonna" -> "gon na").
void push_word(std::string w, std::vector<std::string>& out) {
  static const char* const kClitics[] = {"'s", "'re", "'ve", "'ll", "'d", "'m"};
  static const char* const kTwoWords[][2] = {
      {"cannot", "can"}, {"gonna", "gon"}, {"wanna", "wan"}, {"gotta", "got"}};
  if (w.empty()) return;
  for (const auto& pair : kTwoWords) {
    if (w == pair[0]) {
      out.push_back(pair[1]);
      out.push_back(w.substr(std::strlen(pair[1])));
      return;
    }
  }
  if (w.size() > 3 && ends_with(w, "n't")) {
    out.push_back(w.substr(0, w.size() - 3));
    out.push_back("n't");
    return;
  }
  for (const char* c : kClitics) {
    const size_t n = std::strlen(c);
    if (w.size() > n && ends_with(w, c)) {
      out.push_back(w.substr(0, w.size() - n));
      out.push_back(c);
      return;
    }
  }
  out.push_back(std::move(w));
}

// One piece without separators: edge punctuation peeled (and dropped), $ # % kept as tokens.
void tokenize_piece(std::string w, std::vector<std::string>& out) {
  std::vector<std::string> tail;  // tokens after the word, innermost last
  bool changed = true;
  while (!w.empty() && changed) {
    changed = false;
    if (w == "'s" || w == "'re" || w == "'ve" || w == "'ll" || w == "'d" || w == "'m" || w == "n't")
      break;  // a clitic written apart ("the dog 's") is a token as it is
    if (w.front() == '$' || w.front() == '#') {
      out.push_back(std::string(1, w.front()));
      w.erase(0, 1);
      changed = true;
    } else if (w.front() == '\'' || w.front() == '-') {
      w.erase(0, 1);
      changed = true;
    }
    if (w.empty()) break;
    if (ends_with(w, "...")) {
      w.resize(w.size() - 3);
      changed = true;
    } else if (w.back() == '.' && !keeps_period(w)) {
      w.pop_back();
      changed = true;
    } else if (w.back() == '%') {
      tail.push_back("%");
      w.pop_back();
      changed = true;
    } else if (w.back() == '\'' || w.back() == '-') {
      w.pop_back();
      changed = true;
    }
  }
  push_word(std::move(w), out);
  for (auto it = tail.rbegin(); it != tail.rend(); ++it) out.push_back(*it);
}

}  // namespace

std::vector<std::string> ptb_tokenize(const std::string& caption) {
  std::string text = caption;
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::vector<std::string> out;
  std::string piece;
  auto flush = [&] {
    tokenize_piece(std::move(piece), out);
    piece.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ' || is_separator(text, i)) {
      flush();
    } else {
      piece += text[i];
    }
  }
  flush();
  out.erase(std::remove(out.begin(), out.end(), std::string()), out.end());
  return out;
}

std::string ptb_tokenized(const std::string& caption) {
  std::string joined;
  for (const std::string& t : ptb_tokenize(caption)) {
    if (!joined.empty()) joined += ' ';
    joined += t;
  }
  return joined;
}

}  // namespace setok::scores

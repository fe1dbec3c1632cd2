#pragma once
// The caption tokenisation of the COCO caption evaluation (coco-caption's PTBTokenizer), which
// BLEU and CIDEr-D are computed on (docs/evaluation.md). coco-caption runs Stanford CoreNLP's
// PTBTokenizer (-preserveLines -lowerCase) over every caption, then drops the punctuation tokens
// '' ' `` ` -LRB- -RRB- -LCB- -RCB- . ? ! , : - -- ... ;
// This is that pipeline re-implemented for what captions contain (no Java):
//   - lowercase (ASCII); newlines are spaces;
//   - punctuation is split from words and dropped: . , ; : ? ! " ` ( ) { } [ ] and runs of
//     hyphens at a word's edge or standing alone ("--", "-"); "..." is one dropped token;
//   - hyphens inside a word stay ("t-shirt", "black-and-white"), as do the period and comma
//     inside a number ("3.5", "1,000"), the periods of an acronym ("u.s.", "a.m.") and of the
//     abbreviations mr. mrs. ms. dr. st. jr. sr. vs. etc. (a sentence-final abbreviation keeps its
//     period too: PTB adds a separate final "." there, which is dropped);
//   - clitics are split off as PTB does: "n't" ("don't" -> "do n't", "can't" -> "ca n't"), and
//     's 're 've 'll 'd 'm ("man's" -> "man 's"); a trailing apostrophe ("dogs'") is dropped;
//     "cannot", "gonna", "wanna", "gotta" are two tokens ("can not", "gon na", ...);
//   - "$" and "#" before a word and "%" after one are tokens of their own ("$5" -> "$ 5");
//     & @ + = * / and other symbols stay inside their word.
// Differences from the Java tokenizer are possible on text captions rarely hold (URLs, emoticons,
// unusual Unicode); ASCII lowercasing leaves other letters as they are.
#include <string>
#include <vector>

namespace setok::scores {

std::vector<std::string> ptb_tokenize(const std::string& caption);

// The tokens joined by single spaces (what coco-caption scores).
std::string ptb_tokenized(const std::string& caption);

}  // namespace setok::scores

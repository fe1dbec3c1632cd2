#include "setok/scores/vqa_accuracy.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>

#include "json_access.h"
#include "setok/runtime/error.h"

namespace setok::scores {

namespace {

// The official evaluation's contraction table, entry for entry (its capitalised "Id've", "Im",
// ... keys can never match a lowercased word, and "somebody'd" maps to "somebodyd": kept as is).
const std::unordered_map<std::string, std::string>& contractions() {
  static const std::unordered_map<std::string, std::string> table = {
      {"aint", "ain't"},
      {"arent", "aren't"},
      {"cant", "can't"},
      {"couldve", "could've"},
      {"couldnt", "couldn't"},
      {"couldn'tve", "couldn't've"},
      {"couldnt've", "couldn't've"},
      {"didnt", "didn't"},
      {"doesnt", "doesn't"},
      {"dont", "don't"},
      {"hadnt", "hadn't"},
      {"hadnt've", "hadn't've"},
      {"hadn'tve", "hadn't've"},
      {"hasnt", "hasn't"},
      {"havent", "haven't"},
      {"hed", "he'd"},
      {"hed've", "he'd've"},
      {"he'dve", "he'd've"},
      {"hes", "he's"},
      {"howd", "how'd"},
      {"howll", "how'll"},
      {"hows", "how's"},
      {"Id've", "I'd've"},
      {"I'dve", "I'd've"},
      {"Im", "I'm"},
      {"Ive", "I've"},
      {"isnt", "isn't"},
      {"itd", "it'd"},
      {"itd've", "it'd've"},
      {"it'dve", "it'd've"},
      {"itll", "it'll"},
      {"let's", "let's"},
      {"maam", "ma'am"},
      {"mightnt", "mightn't"},
      {"mightnt've", "mightn't've"},
      {"mightn'tve", "mightn't've"},
      {"mightve", "might've"},
      {"mustnt", "mustn't"},
      {"mustve", "must've"},
      {"neednt", "needn't"},
      {"notve", "not've"},
      {"oclock", "o'clock"},
      {"oughtnt", "oughtn't"},
      {"ow's'at", "'ow's'at"},
      {"'ows'at", "'ow's'at"},
      {"'ow'sat", "'ow's'at"},
      {"shant", "shan't"},
      {"shed've", "she'd've"},
      {"she'dve", "she'd've"},
      {"she's", "she's"},
      {"shouldve", "should've"},
      {"shouldnt", "shouldn't"},
      {"shouldnt've", "shouldn't've"},
      {"shouldn'tve", "shouldn't've"},
      {"somebody'd", "somebodyd"},
      {"somebodyd've", "somebody'd've"},
      {"somebody'dve", "somebody'd've"},
      {"somebodyll", "somebody'll"},
      {"somebodys", "somebody's"},
      {"someoned", "someone'd"},
      {"someoned've", "someone'd've"},
      {"someone'dve", "someone'd've"},
      {"someonell", "someone'll"},
      {"someones", "someone's"},
      {"somethingd", "something'd"},
      {"somethingd've", "something'd've"},
      {"something'dve", "something'd've"},
      {"somethingll", "something'll"},
      {"thats", "that's"},
      {"thered", "there'd"},
      {"thered've", "there'd've"},
      {"there'dve", "there'd've"},
      {"therere", "there're"},
      {"theres", "there's"},
      {"theyd", "they'd"},
      {"theyd've", "they'd've"},
      {"they'dve", "they'd've"},
      {"theyll", "they'll"},
      {"theyre", "they're"},
      {"theyve", "they've"},
      {"twas", "'twas"},
      {"wasnt", "wasn't"},
      {"wed've", "we'd've"},
      {"we'dve", "we'd've"},
      {"weve", "we've"},
      {"werent", "weren't"},
      {"whatll", "what'll"},
      {"whatre", "what're"},
      {"whats", "what's"},
      {"whatve", "what've"},
      {"whens", "when's"},
      {"whered", "where'd"},
      {"wheres", "where's"},
      {"whereve", "where've"},
      {"whod", "who'd"},
      {"whod've", "who'd've"},
      {"who'dve", "who'd've"},
      {"wholl", "who'll"},
      {"whos", "who's"},
      {"whove", "who've"},
      {"whyll", "why'll"},
      {"whyre", "why're"},
      {"whys", "why's"},
      {"wont", "won't"},
      {"wouldve", "would've"},
      {"wouldnt", "wouldn't"},
      {"wouldnt've", "wouldn't've"},
      {"wouldn'tve", "wouldn't've"},
      {"yall", "y'all"},
      {"yall'll", "y'all'll"},
      {"y'allll", "y'all'll"},
      {"yall'd've", "y'all'd've"},
      {"y'alld've", "y'all'd've"},
      {"y'all'dve", "y'all'd've"},
      {"youd", "you'd"},
      {"youd've", "you'd've"},
      {"you'dve", "you'd've"},
      {"youll", "you'll"},
      {"youre", "you're"},
      {"youve", "you've"}};
  return table;
}

const std::unordered_map<std::string, std::string>& number_words() {
  static const std::unordered_map<std::string, std::string> table = {
      {"none", "0"}, {"zero", "0"}, {"one", "1"},   {"two", "2"},   {"three", "3"}, {"four", "4"},
      {"five", "5"}, {"six", "6"},  {"seven", "7"}, {"eight", "8"}, {"nine", "9"},  {"ten", "10"}};
  return table;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Python's str.isspace() over ASCII: space, \t \n \v \f \r and the separators \x1c-\x1f.
bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

std::string replace_all(std::string s, char from, const std::string& to) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == from) {
      out += to;
    } else {
      out += c;
    }
  }
  return out;
}

std::string strip(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

double round2(double x) {
  return std::round(x * 100.0) / 100.0;
}

}  // namespace

std::string vqa_process_punctuation(const std::string& in) {
  static const char kPunct[] = {';',  '/', '[', ']', '"', '{', '}', '(', ')', '=', '+',
                                '\\', '_', '-', '>', '<', '@', '`', ',', '?', '!'};
  bool digit_comma_digit = false;
  for (size_t i = 1; i + 1 < in.size(); ++i)
    if (in[i] == ',' && is_digit(in[i - 1]) && is_digit(in[i + 1])) digit_comma_digit = true;
  std::string out = in;
  for (char p : kPunct) {
    // The test reads the original text, the replacement works on the running result.
    const bool spaced = in.find(std::string(1, p) + " ") != std::string::npos ||
                        in.find(" " + std::string(1, p)) != std::string::npos;
    out = replace_all(out, p, spaced || digit_comma_digit ? "" : " ");
  }
  std::string stripped;
  int removed = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const bool digit_next = i + 1 < out.size() && is_digit(out[i + 1]);
    if (out[i] == '.' && !digit_next && removed < 32) {
      ++removed;
      continue;
    }
    stripped += out[i];
  }
  return stripped;
}

std::string vqa_process_digit_article(const std::string& in) {
  const std::string lower = detail::ascii_lower(in);
  std::vector<std::string> words;
  for (size_t i = 0; i < lower.size();) {
    while (i < lower.size() && is_space(lower[i])) ++i;
    size_t j = i;
    while (j < lower.size() && !is_space(lower[j])) ++j;
    if (j > i) {
      std::string w = lower.substr(i, j - i);
      if (const auto it = number_words().find(w); it != number_words().end()) w = it->second;
      if (w != "a" && w != "an" && w != "the") words.push_back(std::move(w));
    }
    i = j;
  }
  std::string out;
  for (auto& w : words) {
    if (const auto it = contractions().find(w); it != contractions().end()) w = it->second;
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

std::string vqa_normalize_prediction(const std::string& answer) {
  std::string a = replace_all(replace_all(answer, '\n', " "), '\t', " ");
  return vqa_process_digit_article(vqa_process_punctuation(strip(a)));
}

double vqa_accuracy(const std::string& prediction, const std::vector<std::string>& answers) {
  if (answers.empty()) throw Error("VQA accuracy: a question needs human answers");
  const std::string pred = vqa_normalize_prediction(prediction);
  std::vector<std::string> human = answers;
  if (std::set<std::string>(answers.begin(), answers.end()).size() > 1)
    for (auto& a : human) a = vqa_process_punctuation(a);
  double sum = 0;
  for (size_t i = 0; i < human.size(); ++i) {
    int matching = 0;
    for (size_t k = 0; k < human.size(); ++k)
      if (k != i && human[k] == pred) ++matching;
    sum += std::min(1.0, matching / 3.0);
  }
  return sum / static_cast<double>(human.size());
}

io::Json VqaScore::to_json() const {
  return {{"accuracy", accuracy},
          {"questions", questions},
          {"per_answer_type", per_answer_type},
          {"per_question_type", per_question_type}};
}

VqaScore score_vqa(const io::Json& annotations,
                   const std::map<std::string, std::string>& predictions,
                   const std::string& label) {
  if (!annotations.is_object() || !annotations.contains("annotations") ||
      !annotations["annotations"].is_array())
    throw Error(label + ": expected an object with an \"annotations\" array");
  const io::Json& list = annotations["annotations"];
  if (list.empty()) throw Error(label + ": no annotations");
  std::map<std::string, std::vector<double>> by_answer, by_question;
  std::set<std::string> seen;
  double total = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    const io::Json& a = list[i];
    const std::string where = label + ": annotation " + std::to_string(i);
    if (!a.is_object() || !a.contains("question_id") || !a.contains("answers") ||
        !a["answers"].is_array())
      throw Error(where + ": needs \"question_id\" and an \"answers\" array");
    const std::string qid = detail::id_text(a["question_id"], where);
    const auto pred = predictions.find(qid);
    if (pred == predictions.end())
      throw Error(where + ": question " + qid + " has no prediction (" +
                  std::to_string(predictions.size()) + " predictions for " +
                  std::to_string(list.size()) + " annotated questions)");
    std::vector<std::string> answers;
    for (const auto& ans : a["answers"]) {
      if (!ans.is_object() || !ans.contains("answer") || !ans["answer"].is_string())
        throw Error(where + ": each answer needs an \"answer\" string");
      answers.push_back(ans["answer"].get<std::string>());
    }
    const double acc = vqa_accuracy(pred->second, answers);
    total += acc;
    seen.insert(qid);
    by_answer[detail::text_or(a, "answer_type", "unknown", where)].push_back(acc);
    by_question[detail::text_or(a, "question_type", "unknown", where)].push_back(acc);
  }
  for (const auto& [qid, answer] : predictions)
    if (!seen.count(qid))
      throw Error(label + ": the predictions hold question " + qid +
                  ", which has no annotation (results must cover exactly the annotated set)");
  VqaScore s;
  s.questions = static_cast<int64_t>(list.size());
  s.accuracy = round2(100.0 * total / static_cast<double>(list.size()));
  auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return round2(100.0 * sum / static_cast<double>(v.size()));
  };
  for (const auto& [type, accs] : by_answer) s.per_answer_type[type] = mean(accs);
  for (const auto& [type, accs] : by_question) s.per_question_type[type] = mean(accs);
  return s;
}

void check_vqa_split(const io::Json& questions, const io::Json& annotations,
                     const std::string& label) {
  if (!questions.is_object() || !questions.contains("questions") ||
      !questions["questions"].is_array())
    throw Error(label + ": expected an object with a \"questions\" array");
  std::set<std::string> ids;
  for (size_t i = 0; i < questions["questions"].size(); ++i) {
    const io::Json& q = questions["questions"][i];
    const std::string where = label + ": question " + std::to_string(i);
    if (!q.is_object() || !q.contains("question_id"))
      throw Error(where + ": needs \"question_id\"");
    ids.insert(detail::id_text(q["question_id"], where));
  }
  for (const auto& a : annotations["annotations"]) {
    const std::string id = detail::id_text(a["question_id"], label);
    if (!ids.count(id))
      throw Error(label + ": has no question " + id + " of the annotations (a different split?)");
  }
}

}  // namespace setok::scores

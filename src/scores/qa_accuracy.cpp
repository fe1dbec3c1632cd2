#include "setok/scores/qa_accuracy.h"

#include <algorithm>
#include <vector>

#include "json_access.h"
#include "setok/runtime/error.h"

namespace setok::scores {

namespace {

struct Mean {
  double sum = 0;
  int64_t n = 0;
  void add(double x) {
    sum += x;
    ++n;
  }
  double percent() const { return n > 0 ? 100.0 * sum / static_cast<double>(n) : 0.0; }
};

const std::string& prediction_for(const std::map<std::string, std::string>& predictions,
                                  const std::string& qid, const std::string& label, size_t scored) {
  const auto it = predictions.find(qid);
  if (it == predictions.end())
    throw Error(label + ": question " + qid + " has no prediction (" +
                std::to_string(predictions.size()) + " predictions, " + std::to_string(scored) +
                " questions scored so far)");
  return it->second;
}

std::string text_of(const io::Json& j, const char* key, const std::string& where) {
  if (!j.contains(key)) throw Error(where + ": missing \"" + key + "\"");
  return detail::text_or(j, key, "", where);
}

}  // namespace

io::Json QaScore::to_json() const {
  io::Json j = {{"accuracy", accuracy}, {"questions", questions}};
  for (const auto& [k, v] : breakdown) j[k] = v;
  return j;
}

QaScore score_gqa(const io::Json& questions, const std::map<std::string, std::string>& predictions,
                  const std::string& label) {
  if (!questions.is_object() || questions.empty())
    throw Error(label + ": expected a GQA questions object keyed by question id");
  Mean all;
  std::map<std::string, Mean> parts;
  for (const auto& [qid, q] : questions.items()) {
    const std::string where = label + ": question " + qid;
    if (!q.is_object()) throw Error(where + ": expected an object");
    if (!detail::flag_or(q, "isBalanced", true, where))
      continue;  // scored over the balanced questions only
    const std::string& pred = prediction_for(predictions, qid, label, static_cast<size_t>(all.n));
    const double score = pred == text_of(q, "answer", where) ? 1.0 : 0.0;
    all.add(score);
    if (q.contains("types") && q["types"].is_object()) {
      const io::Json& t = q["types"];
      const std::string structural = detail::text_or(t, "structural", "", where + ": types");
      if (!structural.empty()) {
        parts[structural == "query" ? "open" : "binary"].add(score);
        parts["structural/" + structural].add(score);
      }
      const std::string semantic = detail::text_or(t, "semantic", "", where + ": types");
      if (!semantic.empty()) parts["semantic/" + semantic].add(score);
    }
  }
  QaScore s;
  s.questions = all.n;
  s.accuracy = all.percent();
  for (const auto& [k, m] : parts) s.breakdown[k] = m.percent();
  return s;
}

QaScore score_aokvqa(const io::Json& data, const std::map<std::string, std::string>& predictions,
                     bool multiple_choice, const std::string& label) {
  if (!data.is_array()) throw Error(label + ": an A-OKVQA file is a JSON array");
  Mean all;
  for (size_t i = 0; i < data.size(); ++i) {
    const io::Json& q = data[i];
    const std::string where = label + ": record " + std::to_string(i);
    if (!q.is_object() || !q.contains("question_id"))
      throw Error(where + ": needs \"question_id\"");
    const std::string qid = detail::id_text(q["question_id"], where);
    if (!multiple_choice && detail::flag_or(q, "difficult_direct_answer", false, where)) continue;
    const std::string& pred = prediction_for(predictions, qid, label, static_cast<size_t>(all.n));
    if (multiple_choice) {
      if (!q.contains("choices") || !q["choices"].is_array() || !q.contains("correct_choice_idx") ||
          !q["correct_choice_idx"].is_number_integer())
        throw Error(where + ": needs \"choices\" and \"correct_choice_idx\"");
      std::vector<std::string> choices;
      for (const auto& c : q["choices"]) {
        if (!c.is_string()) throw Error(where + ": \"choices\" must hold strings");
        choices.push_back(c.get<std::string>());
      }
      const int64_t correct = q["correct_choice_idx"].get<int64_t>();
      if (correct < 0 || correct >= static_cast<int64_t>(choices.size()))
        throw Error(where + ": \"correct_choice_idx\" out of range");
      std::string chosen = pred;
      if (pred.size() == 1 && pred[0] >= 'A' && pred[0] < 'A' + static_cast<int>(choices.size()))
        chosen = choices[static_cast<size_t>(pred[0] - 'A')];
      if (std::find(choices.begin(), choices.end(), chosen) == choices.end())
        throw Error(where + ": the prediction '" + pred + "' for question " + qid +
                    " is neither a choice nor a choice's letter");
      all.add(chosen == choices[static_cast<size_t>(correct)] ? 1.0 : 0.0);
    } else {
      if (!q.contains("direct_answers") || !q["direct_answers"].is_array())
        throw Error(where + ": needs \"direct_answers\"");
      const std::string p = detail::ascii_lower(pred);
      int matches = 0;
      for (const auto& d : q["direct_answers"])
        if (d.is_string() && d.get<std::string>() == p) ++matches;
      all.add(std::min(1.0, matches / 3.0));
    }
  }
  if (all.n == 0) throw Error(label + ": no questions to score");
  QaScore s;
  s.questions = all.n;
  s.accuracy = all.percent();
  return s;
}

}  // namespace setok::scores

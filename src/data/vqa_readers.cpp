#include "setok/data/vqa_readers.h"

#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "record_fields.h"
#include "setok/io/json.h"
#include "setok/runtime/error.h"

namespace setok::data {

namespace fs = std::filesystem;
using detail::Fields;
using detail::parse_entry;
using io::Json;

namespace {

constexpr const char* kShortPrompt = "Answer the question using a single word or phrase.";
constexpr const char* kChoicePrompt =
    "Answer with the option's letter from the given choices directly.";

// A one-round record: `human` is the whole first turn (question_turn's, or A-OKVQA's choices).
InstructRecord question_record(std::string id, fs::path image, std::string human,
                               std::string answer) {
  InstructRecord r;
  r.id = std::move(id);
  r.image = std::move(image);
  r.conversations = {{"human", std::move(human)}, {"gpt", std::move(answer)}};
  return r;
}

// An integer or string id as text ("458752000", "22MexNkBPpdZGX6sxbxVBH").
std::string id_text(const Fields& f, const char* key) {
  const Json* v = f.get(key, true);
  if (v->is_number_integer()) return std::to_string(v->get<int64_t>());
  if (v->is_string()) return v->get<std::string>();
  throw Error(f.where + ": \"" + key + "\" must be an integer or a string");
}

// The most frequent string, the first of a tie.
std::string most_frequent(const std::vector<std::string>& answers, const std::string& where) {
  if (answers.empty()) throw Error(where + ": no answers");
  std::map<std::string, int> count;
  for (const auto& a : answers) ++count[a];
  std::string best = answers.front();
  for (const auto& a : answers)
    if (count[a] > count[best]) best = a;
  return best;
}

const Json& top_level(const Json& root, const char* key, const fs::path& file) {
  if (!root.is_object() || !root.contains(key) || !root[key].is_array())
    throw Error(file.string() + ": expected an object with a \"" + key + "\" array");
  return root[key];
}

}  // namespace

std::string style_prompt(AnswerStyle style) {
  return style == AnswerStyle::kShort ? kShortPrompt : "";
}

std::string question_turn(const std::string& question, AnswerStyle style, bool with_image) {
  if (style == AnswerStyle::kMultipleChoice)
    throw Error("a multiple_choice question needs its choices (A-OKVQA's reader poses them)");
  std::string human = (with_image ? "<image>\n" : "") + question;
  const std::string prompt = style_prompt(style);
  if (!prompt.empty()) human += "\n" + prompt;
  return human;
}

const char* answer_style_name(AnswerStyle style) {
  switch (style) {
    case AnswerStyle::kShort:
      return "short";
    case AnswerStyle::kPlain:
      return "plain";
    case AnswerStyle::kMultipleChoice:
      return "multiple_choice";
  }
  return "short";
}

AnswerStyle parse_answer_style(const std::string& name) {
  if (name == "short") return AnswerStyle::kShort;
  if (name == "plain") return AnswerStyle::kPlain;
  if (name == "multiple_choice") return AnswerStyle::kMultipleChoice;
  throw Error("answer style must be short, plain or multiple_choice, got '" + name + "'");
}

InstructDataset load_vqav2(const fs::path& questions, const fs::path& annotations,
                           const fs::path& image_root, AnswerStyle style, bool skip_bad) {
  if (style == AnswerStyle::kMultipleChoice)
    throw Error(questions.string() + ": VQAv2 / OK-VQA have no choices (answer style " +
                "multiple_choice is A-OKVQA's)");
  auto ds = detail::new_dataset<InstructRecord>(questions, image_root);
  // Answers by question id, from the annotations file.
  std::unordered_map<int64_t, std::string> answer_of;
  const Json annotations_rest =
      io::stream_json_array(annotations, "annotations", [&](size_t i, Json& entry) {
        const Fields f{entry, annotations.string() + ": annotation " + std::to_string(i)};
        try {
          if (!entry.is_object()) throw Error(f.where + ": expected an object");
          std::string answer = f.string("multiple_choice_answer", false);
          if (answer.empty()) {
            const Json* answers = f.get("answers", true);
            if (!answers->is_array()) throw Error(f.where + ": \"answers\" must be an array");
            std::vector<std::string> texts;
            for (size_t k = 0; k < answers->size(); ++k) {
              const Fields a{(*answers)[k], f.where + ": answers." + std::to_string(k)};
              if (!a.j.is_object()) throw Error(a.where + ": expected an object");
              texts.push_back(a.string("answer"));
            }
            answer = most_frequent(texts, f.where);
          }
          answer_of[f.integer("question_id")] = std::move(answer);
        } catch (const Error& e) {
          if (!skip_bad) throw;
          // The question then has no answer and is counted as a skip below.
          spdlog::warn("skipping bad annotation: {}", e.what());
        }
      });
  top_level(annotations_rest, "annotations", annotations);
  // Questions; their image names need "data_subtype", which the file may hold after them.
  std::vector<int64_t> image_ids;  // per record
  const Json rest = io::stream_json_array(questions, "questions", [&](size_t i, Json& entry) {
    parse_entry(ds, entry, i, questions.string() + ": question " + std::to_string(i), "question",
                skip_bad, [&](const Fields& f, const fs::path&) {
                  const int64_t qid = f.integer("question_id");
                  const auto it = answer_of.find(qid);
                  if (it == answer_of.end())
                    throw Error(f.where + ": question_id " + std::to_string(qid) +
                                " has no annotation in " + annotations.string());
                  InstructRecord r =
                      question_record(std::to_string(qid), {},
                                      question_turn(f.string("question"), style), it->second);
                  image_ids.push_back(f.integer("image_id"));
                  return r;
                });
  });
  top_level(rest, "questions", questions);
  const std::string subtype = rest.contains("data_subtype") && rest["data_subtype"].is_string()
                                  ? rest["data_subtype"].get<std::string>()
                                  : "";
  if (subtype.empty())
    throw Error(questions.string() +
                ": needs \"data_subtype\" (e.g. \"train2014\") to name images");
  for (size_t r = 0; r < ds.records.size(); ++r)
    ds.records[r].image = ds.image_root / fmt::format("COCO_{}_{:012d}.jpg", subtype, image_ids[r]);
  return ds;
}

InstructDataset load_aokvqa(const fs::path& file, const fs::path& image_root, AnswerStyle style,
                            bool skip_bad) {
  auto ds = detail::new_dataset<InstructRecord>(file, image_root);
  const auto parse = [&](const Fields& f, const fs::path& root_dir) {
    const std::string image = fmt::format("{:012d}.jpg", f.integer("image_id"));
    const std::string question = f.string("question");
    if (style != AnswerStyle::kMultipleChoice) {
      return question_record(
          id_text(f, "question_id"), root_dir / image, question_turn(question, style),
          most_frequent(f.strings("direct_answers"), f.where + ": \"direct_answers\""));
    }
    const std::vector<std::string> choices = f.strings("choices");
    const int64_t correct = f.integer("correct_choice_idx");
    if (choices.empty() || choices.size() > 26 || correct < 0 ||
        correct >= static_cast<int64_t>(choices.size()))
      throw Error(f.where + ": \"correct_choice_idx\" " + std::to_string(correct) +
                  " does not index the " + std::to_string(choices.size()) + " choices");
    std::string posed = question;
    for (size_t c = 0; c < choices.size(); ++c)
      posed += fmt::format("\n{}. {}", static_cast<char>('A' + c), choices[c]);
    return question_record(id_text(f, "question_id"), root_dir / image,
                           "<image>\n" + posed + "\n" + kChoicePrompt,
                           std::string(1, static_cast<char>('A' + correct)));
  };
  const Json rest = io::stream_json_array(file, "", [&](size_t i, Json& entry) {
    parse_entry(ds, entry, i, file.string() + ": record " + std::to_string(i), "record", skip_bad,
                parse);
  });
  if (!rest.is_array()) throw Error(file.string() + ": an A-OKVQA file is a JSON array");
  return ds;
}

InstructDataset load_gqa(const fs::path& file, const fs::path& image_root, AnswerStyle style,
                         bool skip_bad) {
  if (style == AnswerStyle::kMultipleChoice)
    throw Error(file.string() + ": GQA has no choices (answer style multiple_choice is " +
                "A-OKVQA's)");
  auto ds = detail::new_dataset<InstructRecord>(file, image_root);
  size_t i = 0;
  const bool keyed = io::stream_json_members(file, [&](const std::string& qid, Json& q) {
    const std::string where =
        file.string() + ": question " + std::to_string(i) + " (id " + qid + ")";
    parse_entry(
        ds, q, i++, where, "question", skip_bad, [&](const Fields& f, const fs::path& root_dir) {
          return question_record(qid, root_dir / (id_text(f, "imageId") + ".jpg"),
                                 question_turn(f.string("question"), style), f.string("answer"));
        });
  });
  if (!keyed)
    throw Error(file.string() + ": a GQA questions file is a JSON object keyed by question id");
  return ds;
}

}  // namespace setok::data

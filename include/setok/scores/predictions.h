#pragma once
// Prediction files for the scores: question id (as text) -> predicted answer.
#include <map>
#include <string>

namespace setok::scores {

// `setok_infer vqa`'s results.jsonl (one {"question_id" | "id", "answer"} per line), a results
// JSON array of the same objects (the VQA challenge's format), or GQA's predictions array
// ({"questionId", "prediction"}). Integer ids become their decimal text. Errors name the file
// and line / entry; a repeated id is an error.
std::map<std::string, std::string> read_predictions(const std::string& path);

}  // namespace setok::scores

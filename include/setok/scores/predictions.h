#pragma once
// Prediction files for the scores: id (as text) -> predicted text.
#include <map>
#include <string>

namespace setok::scores {

// `setok_infer vqa`'s results.jsonl (one {"question_id" | "id", "answer"} per line), a results
// JSON array of the same objects (the VQA challenge's format), or GQA's predictions array
// ({"questionId", "prediction"}). Integer ids become their decimal text. Errors name the file
// and line / entry; a repeated id is an error.
std::map<std::string, std::string> read_predictions(const std::string& path);

// Captions: COCO's results format (a JSON array of {"image_id", "caption"}) or a .jsonl file of
// the same objects ({"id"} and {"answer"} are accepted too); image id -> caption, as above.
std::map<std::string, std::string> read_caption_predictions(const std::string& path);

}  // namespace setok::scores

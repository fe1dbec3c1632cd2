#include "setok/infer/demo_eval.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <spdlog/spdlog.h>

#include "setok/data/scene_reading.h"
#include "setok/infer/answer_requests.h"
#include "setok/infer/setokim_answer.h"
#include "setok/io/image.h"
#include "setok/mllm/sequence.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/scores/image_quality.h"

namespace setok::infer {

namespace fs = std::filesystem;

namespace {

std::string normalised(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t b = s.find_first_not_of(" \t\n.");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\n.") - b + 1);
}

std::vector<std::string> words(const std::string& s) {
  std::string clean;
  for (char c : s)
    clean += std::isalnum(static_cast<unsigned char>(c))
                 ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                 : ' ';
  std::istringstream in(clean);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// A human turn without its leading image marker.
std::string without_image_marker(const std::string& turn) {
  return turn.rfind("<image>\n", 0) == 0 ? turn.substr(8) : turn;
}

// The question / answer pairs of an instruct file of the world.
std::vector<std::pair<std::string, std::string>> world_questions(const fs::path& file) {
  std::vector<std::pair<std::string, std::string>> qa;
  const io::Json all = io::read_json(file);
  for (size_t r = 0; r < all.size(); ++r) {
    const io::Json& conv = all[r]["conversations"];
    for (size_t t = 0; t + 1 < conv.size(); t += 2) {
      qa.emplace_back(without_image_marker(conv[t]["value"].get<std::string>()),
                      conv[t + 1]["value"].get<std::string>());
    }
  }
  return qa;
}

at::Tensor load(const fs::path& path, const vision::ImagePreprocess& pre) {
  return vision::preprocess_image(io::read_image(path), pre, path.string());
}

// Calls fn(part) on consecutive parts of `items` of at most `batch` each, in order.
template <class T, class Fn>
void for_each_batch(const std::vector<T>& items, int64_t batch, Fn fn) {
  for (size_t s = 0; s < items.size(); s += static_cast<size_t>(batch)) {
    const size_t e = std::min(items.size(), s + static_cast<size_t>(batch));
    fn(std::vector<T>(items.begin() + static_cast<std::ptrdiff_t>(s),
                      items.begin() + static_cast<std::ptrdiff_t>(e)));
  }
}

// Runs `requests` through answer() in batches.
std::vector<std::string> answers(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                                 const std::vector<AnswerRequest>& requests, const AnswerOptions& o,
                                 int64_t batch) {
  std::vector<std::string> out;
  for_each_batch(requests, batch, [&](const std::vector<AnswerRequest>& part) {
    for (const auto& a : answer(setokim, text, part, o)) out.push_back(a.text);
  });
  return out;
}

// The two baselines and the model's answers to the same questions, scored per type.
struct VqaScores {
  std::vector<TypedAnswer> model, blind, majority;

  void add(const std::string& question, const std::string& truth,
           const std::map<std::string, std::string>& majority_of) {
    const std::string type = question_type(question);
    model.push_back({type, truth, ""});
    blind.push_back({type, truth, ""});
    majority.push_back({type, truth, majority_of.count(type) ? majority_of.at(type) : ""});
  }

  io::Json to_json() const {
    // Count and colour questions together (the demo's headline number).
    const auto headline = [](std::vector<TypedAnswer> rows) {
      rows.erase(std::remove_if(
                     rows.begin(), rows.end(),
                     [](const TypedAnswer& a) { return a.type != "count" && a.type != "colour"; }),
                 rows.end());
      return rows.empty() ? 0.0 : exact_match_by_type(rows).at("overall");
    };
    int64_t empty = 0;
    for (const auto& a : model) empty += is_empty_answer(a.predicted);
    return {{"questions", model.size()},
            {"empty_answers", empty},
            {"count_and_colour",
             {{"model", headline(model)},
              {"blind", headline(blind)},
              {"majority", headline(majority)}}},
            {"model", exact_match_by_type(model)},
            {"blind", exact_match_by_type(blind)},
            {"majority", exact_match_by_type(majority)}};
  }
};

// Each question in its conversation, as training poses it: the earlier turns (with their true
// answers) before it, the image marker in the first human turn.
io::Json vqa_in_conversation(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                             const DemoEvalOptions& o, const AnswerOptions& ao,
                             const io::Json& scenes,
                             const std::map<std::string, std::string>& majority) {
  std::vector<AnswerRequest> seeing, blind;
  VqaScores scores;
  for (size_t r = 0; r < scenes.size() && static_cast<int64_t>(r) < o.scenes; ++r) {
    const at::Tensor image = load(o.data_dir / scenes[r]["image"].get<std::string>(), o.preprocess);
    const io::Json& conv = scenes[r]["conversations"];
    std::vector<llm::Message> history, blind_history;
    for (size_t t = 0; t + 1 < conv.size(); t += 2) {
      const std::string q = without_image_marker(conv[t]["value"].get<std::string>());
      const std::string truth = conv[t + 1]["value"].get<std::string>();
      std::vector<llm::Message> turns = history, blind_turns = blind_history;
      turns.push_back({"human", t == 0 ? "<image>\n" + q : q});
      blind_turns.push_back({"human", q});
      seeing.push_back({{image}, turns});
      blind.push_back({{}, blind_turns});
      scores.add(q, truth, majority);
      history = turns;
      history.push_back({"gpt", truth});
      blind_history = blind_turns;
      blind_history.push_back({"gpt", truth});
    }
  }
  const auto with_image = answers(setokim, text, seeing, ao, o.batch);
  const auto without = answers(setokim, text, blind, ao, o.batch);
  for (size_t i = 0; i < scores.model.size(); ++i) {
    scores.model[i].predicted = with_image[i];
    scores.blind[i].predicted = without[i];
  }
  return scores.to_json();
}

// Each question asked alone, as a user of `setok_infer vqa` asks it: a request line
// {"image", "question"} through the command's own request path (answer_requests, the run's
// answer style); the blind model gets the same human turn without the image.
io::Json vqa_single(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                    const DemoEvalOptions& o, const AnswerOptions& ao, const io::Json& scenes,
                    const std::map<std::string, std::string>& majority) {
  std::vector<Request> requests;
  std::vector<AnswerRequest> blind;
  VqaScores scores;
  for (size_t r = 0; r < scenes.size() && static_cast<int64_t>(r) < o.scenes; ++r) {
    const io::Json& conv = scenes[r]["conversations"];
    for (size_t t = 0; t + 1 < conv.size(); t += 2) {
      const std::string q = without_image_marker(conv[t]["value"].get<std::string>());
      Request req;
      req.line = static_cast<int64_t>(requests.size()) + 1;
      req.id = std::to_string(req.line);
      req.fields = {{"id", req.id}, {"image", scenes[r]["image"]}, {"question", q}};
      requests.push_back(std::move(req));
      blind.push_back({{}, {{"human", data::question_turn(q, o.answer_style, false)}}});
      scores.add(q, conv[t + 1]["value"].get<std::string>(), majority);
    }
  }
  AnswerTaskOptions task;
  task.task = AnswerTask::kVqa;
  task.image_root = o.data_dir;
  task.preprocess = o.preprocess;
  task.answer_style = o.answer_style;
  task.answer = ao;
  task.answer.generation.max_new_tokens = kVqaMaxNewTokens;  // the command's reply limit
  size_t next = 0;                                           // the next answer's row
  for_each_batch(requests, o.batch, [&](const std::vector<Request>& part) {
    for (const RequestOutcome& got : answer_requests(setokim, text, part, task)) {
      if (!got.error.empty()) throw Error("demo eval: " + got.error);
      scores.model[next++].predicted = got.result["answer"].get<std::string>();
    }
  });
  const auto without = answers(setokim, text, blind, ao, o.batch);
  for (size_t i = 0; i < scores.blind.size(); ++i) scores.blind[i].predicted = without[i];
  return scores.to_json();
}

io::Json vqa_section(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                     const DemoEvalOptions& o, const AnswerOptions& ao) {
  const auto majority = majority_answers(world_questions(o.data_dir / "train" / "instruct.json"));
  const io::Json scenes = io::read_json(o.data_dir / "heldout" / "instruct.json");
  return {{"answer_style", data::answer_style_name(o.answer_style)},
          {"single", vqa_single(setokim, text, o, ao, scenes, majority)},
          {"conversation", vqa_in_conversation(setokim, text, o, ao, scenes, majority)}};
}

io::Json caption_section(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                         const DemoEvalOptions& o, AnswerOptions ao) {
  const io::Json pairs = io::read_json(o.data_dir / "heldout" / "pair.json");
  std::vector<AnswerRequest> requests;
  std::vector<std::string> refs;
  for (size_t r = 0; r < pairs.size() && static_cast<int64_t>(r) < o.scenes; ++r) {
    requests.push_back({{load(o.data_dir / pairs[r]["image"].get<std::string>(), o.preprocess)},
                        {{"human", std::string("<image>\n") + mllm::kCaptionQuestion}}});
    refs.push_back(pairs[r]["caption"].get<std::string>());
  }
  ao.generation.max_new_tokens = std::max(ao.generation.max_new_tokens, kCaptionMaxNewTokens);
  const auto got = answers(setokim, text, requests, ao, o.batch);
  double f1 = 0;
  for (size_t i = 0; i < got.size(); ++i) f1 += token_f1(got[i], refs[i]);
  return {{"images", got.size()}, {"token_f1", got.empty() ? 0.0 : f1 / got.size()}};
}

// Draws (or edits) in batches; the PNGs go to images_out/<prefix><i>.png when set.
std::vector<GeneratedImage> draw(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                                 const std::vector<ImageRequest>& requests,
                                 const DemoEvalOptions& o, const std::string& prefix) {
  std::vector<GeneratedImage> out;
  for_each_batch(requests, o.batch, [&](const std::vector<ImageRequest>& part) {
    for (auto& g : generate_images(setokim, text, part, o.generation)) out.push_back(std::move(g));
  });
  if (!o.images_out.empty()) {
    fs::create_directories(o.images_out);
    for (size_t i = 0; i < out.size(); ++i)
      if (out[i].error.empty())
        io::write_image(o.images_out / (prefix + std::to_string(i) + ".png"),
                        data::pixels_to_bytes(out[i].pixels));
  }
  return out;
}

// Up to 8 rows of equally sized uint8 [3, H, W] pictures side by side (2-pixel dark gaps),
// doubled in size, as images_out/<name> (nothing when images_out is unset or sizes differ).
void write_sheet(const DemoEvalOptions& o, const std::string& name,
                 const std::vector<std::vector<at::Tensor>>& rows) {
  if (o.images_out.empty() || rows.empty()) return;
  std::vector<at::Tensor> lines;
  for (size_t r = 0; r < rows.size() && r < 8; ++r) {
    std::vector<at::Tensor> cells;
    for (const auto& img : rows[r]) {
      if (!img.sizes().equals(rows[0][0].sizes())) return;
      cells.push_back(img);
      cells.push_back(at::full({3, img.size(1), 2}, 40, at::kByte));
    }
    lines.push_back(at::cat(cells, 2));
    lines.push_back(at::full({3, 2, lines.back().size(2)}, 40, at::kByte));
  }
  const at::Tensor sheet = at::cat(lines, 1).repeat_interleave(2, 1).repeat_interleave(2, 2);
  fs::create_directories(o.images_out);
  io::write_image(o.images_out / name, sheet);
}

// The drawing path's ceiling: each scene's own SeTok tokens through the detokenizer, as uint8
// pictures. A generated picture can be read no better than these.
struct Redrawn {
  std::vector<at::Tensor> pictures;  // uint8 [3, H, W] each
  std::vector<at::Tensor> tokens;    // each scene's own tokens [n, D]
};

Redrawn reconstructions(mllm::SetokimImpl& setokim, const DemoEvalOptions& o,
                        const std::vector<at::Tensor>& renders) {
  at::NoGradGuard no_grad;
  setokim.detokenizer->eval();
  Redrawn out;
  for (size_t s = 0; s < renders.size(); s += static_cast<size_t>(o.batch)) {
    std::vector<std::vector<at::Tensor>> part;
    for (size_t i = s; i < std::min(renders.size(), s + o.batch); ++i)
      part.push_back({vision::preprocess_image(renders[i], o.preprocess, "scene")});
    const mllm::ImageBatch b = mllm::tokenize_images(setokim, part);
    for (size_t k = 0; k < part.size(); ++k) {
      const int64_t n = b.counts[k];
      at::Generator g = at::make_generator<at::CPUGeneratorImpl>(o.seed * 1000003ULL + s + k);
      const at::Tensor tokens = b.tokens[static_cast<int64_t>(k)].narrow(0, 0, n);  // [n, D]
      out.tokens.push_back(tokens.to(at::kCPU));
      out.pictures.push_back(
          data::pixels_to_bytes(setokim.detokenizer->decode(tokens.unsqueeze(0), {}, g)[0]));
    }
  }
  return out;
}

// The largest |entry| of a list of [n, D] token sets (0 when empty).
double token_max_abs(const std::vector<at::Tensor>& sets) {
  double m = 0.0;
  for (const auto& t : sets)
    if (t.defined() && t.numel() > 0) m = std::max(m, t.abs().max().item<double>());
  return m;
}

// Root mean square of every entry of a list of [n, D] token sets (0 when empty).
double token_rms(const std::vector<at::Tensor>& sets) {
  std::vector<at::Tensor> flat;
  for (const auto& t : sets)
    if (t.defined() && t.numel() > 0) flat.push_back(t.to(at::kFloat).reshape(-1));
  return flat.empty() ? 0.0 : at::cat(flat).pow(2).mean().sqrt().item<double>();
}

io::Json generation_section(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                            const DemoEvalOptions& o) {
  const io::Json pairs = io::read_json(o.data_dir / "heldout" / "pair.json");
  std::vector<ImageRequest> requests;
  std::vector<data::SceneReading> truth;
  std::vector<at::Tensor> renders;  // the scenes' own pictures
  for (size_t r = 0; r < pairs.size() && static_cast<int64_t>(r) < o.scenes; ++r) {
    ImageRequest q;
    q.turns = {{"human", pairs[r]["caption"].get<std::string>()}};
    q.unconditional_turns = {{"human", ""}};
    q.seed = o.seed * 1000003ULL + r;
    requests.push_back(std::move(q));
    renders.push_back(io::read_image(o.data_dir / pairs[r]["image"].get<std::string>()));
    truth.push_back(data::read_scene_image(renders.back()));
  }
  const auto images = draw(setokim, text, requests, o, "generate_");
  const Redrawn redrawn = reconstructions(setokim, o, renders);
  std::vector<std::vector<at::Tensor>> sheet;  // ground-truth render | its tokens redrawn | drawn
  for (size_t i = 0; i < images.size() && sheet.size() < 8; ++i)
    if (images[i].error.empty())
      sheet.push_back({renders[i], redrawn.pictures[i], data::pixels_to_bytes(images[i].pixels)});
  write_sheet(o, "generation_sheet.png", sheet);
  int64_t drawn = 0, count = 0, colours = 0, objects = 0;
  double tokens = 0, foreign = 0;
  std::vector<at::Tensor> written;
  for (size_t i = 0; i < images.size(); ++i) {
    if (!images[i].error.empty()) continue;
    ++drawn;
    written.push_back(images[i].tokens);
    tokens += static_cast<double>(images[i].num_tokens());
    const data::SceneReading got = data::read_scene_pixels(images[i].pixels);
    count += got.objects == truth[i].objects;
    colours += got.colours == truth[i].colours;
    // The prompt names every colour of its scene, so the render's colours are the named ones.
    foreign +=
        data::foreign_colour_fraction(got, truth[i].colours) * static_cast<double>(got.objects);
    objects += got.objects;
  }
  int64_t ceiling_count = 0, ceiling_colours = 0, ceiling_objects = 0;
  double ceiling_foreign = 0;
  for (size_t i = 0; i < redrawn.pictures.size(); ++i) {
    const data::SceneReading got = data::read_scene_image(redrawn.pictures[i]);
    ceiling_count += got.objects == truth[i].objects;
    ceiling_colours += got.colours == truth[i].colours;
    ceiling_foreign +=
        data::foreign_colour_fraction(got, truth[i].colours) * static_cast<double>(got.objects);
    ceiling_objects += got.objects;
  }
  const auto pct = [&](int64_t n) { return images.empty() ? 0.0 : 100.0 * n / images.size(); };
  return {
      {"prompts", images.size()},
      {"drawn", drawn},
      {"count_exact", pct(count)},
      {"colour_set_exact", pct(colours)},
      // Of all drawn objects, the share in a colour the prompt does not name.
      {"foreign_colour_rate", objects ? 100.0 * foreign / static_cast<double>(objects) : 0.0},
      {"tokens_per_image", drawn ? tokens / drawn : 0.0},
      // Scale of the written tokens beside the scenes' own (a head that has not learned the
      // tokens' distribution writes them at the wrong scale).
      {"token_rms", token_rms(written)},
      {"scene_token_rms", token_rms(redrawn.tokens)},
      {"scene_token_max_abs", token_max_abs(redrawn.tokens)},
      // The same reading of each scene's own tokens redrawn (stage 1's reconstruction).
      {"reconstruction",
       {{"count_exact", pct(ceiling_count)},
        {"colour_set_exact", pct(ceiling_colours)},
        {"foreign_colour_rate",
         ceiling_objects ? 100.0 * ceiling_foreign / static_cast<double>(ceiling_objects) : 0.0}}}};
}

io::Json edit_section(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                      const DemoEvalOptions& o) {
  const io::Json edits = io::read_json(o.data_dir / "heldout" / "edit.json");
  std::vector<ImageRequest> requests;
  std::vector<std::string> kinds;
  std::vector<at::Tensor> targets, sources;
  for (size_t r = 0; r < edits.size() && static_cast<int64_t>(r) < o.scenes; ++r) {
    ImageRequest q;
    const fs::path source = o.data_dir / edits[r]["source"].get<std::string>();
    sources.push_back(io::read_image(source));
    q.images = {vision::preprocess_image(sources.back(), o.preprocess, source.string())};
    q.turns = {{"human", "<image>\n" + edits[r]["instruction"].get<std::string>()}};
    q.unconditional_turns = {{"human", "<image>\n"}};
    q.seed = o.seed * 1000003ULL + 7919 + r;
    requests.push_back(std::move(q));
    kinds.push_back(edits[r].value("kind", ""));
    targets.push_back(io::read_image(o.data_dir / edits[r]["target"].get<std::string>()));
  }
  const auto images = draw(setokim, text, requests, o, "edit_");
  std::vector<std::vector<at::Tensor>> sheet;  // source | target | edited
  for (size_t i = 0; i < images.size() && sheet.size() < 8; ++i)
    if (images[i].error.empty())
      sheet.push_back({sources[i], targets[i], data::pixels_to_bytes(images[i].pixels)});
  write_sheet(o, "edit_sheet.png", sheet);
  double psnr = 0;
  int64_t compared = 0;  // pictures of the target's size (the detokenizer draws at its own)
  int64_t drawn = 0, scored = 0, right = 0;
  for (size_t i = 0; i < images.size(); ++i) {
    if (!images[i].error.empty()) continue;
    ++drawn;
    const at::Tensor got = data::pixels_to_bytes(images[i].pixels);
    const at::Tensor target = targets[i];
    if (got.sizes() == target.sizes()) {
      psnr += scores::image_psnr(got, target);
      ++compared;
    }
    const data::SceneReading a = data::read_scene_image(got), b = data::read_scene_image(target);
    if (kinds[i] == "recolour") {
      ++scored;
      right += a.colours == b.colours;
    } else if (kinds[i] == "add" || kinds[i] == "remove") {
      ++scored;
      right += a.objects == b.objects;
    }
  }
  return {{"edits", images.size()},
          {"drawn", drawn},
          {"psnr", compared ? psnr / compared : 0.0},
          {"psnr_images", compared},
          {"attribute_scored", scored},
          {"attribute_right", scored ? 100.0 * right / scored : 0.0}};
}

}  // namespace

std::string question_type(const std::string& q) {
  if (q.rfind("How many", 0) == 0) return "count";
  if (q.rfind("What color", 0) == 0) return "colour";
  if (q.rfind("Where is", 0) == 0) return "position";
  return "other";
}

std::map<std::string, double> exact_match_by_type(const std::vector<TypedAnswer>& answers) {
  std::map<std::string, std::pair<int64_t, int64_t>> tally;  // type -> (right, total)
  for (const auto& a : answers) {
    const bool right = normalised(a.predicted) == normalised(a.truth);
    for (const std::string& key : {a.type, std::string("overall")}) {
      tally[key].first += right;
      tally[key].second += 1;
    }
  }
  std::map<std::string, double> out;
  for (const auto& [k, v] : tally) out[k] = 100.0 * v.first / v.second;
  return out;
}

std::map<std::string, std::string> majority_answers(
    const std::vector<std::pair<std::string, std::string>>& qa) {
  std::map<std::string, std::map<std::string, int64_t>> counts;
  for (const auto& [q, a] : qa) counts[question_type(q)][normalised(a)]++;
  std::map<std::string, std::string> out;
  for (const auto& [type, c] : counts) {
    // std::map iterates alphabetically: the first of a tie wins.
    out[type] = std::max_element(c.begin(), c.end(), [](const auto& x, const auto& y) {
                  return x.second < y.second;
                })->first;
  }
  return out;
}

double token_f1(const std::string& predicted, const std::string& reference) {
  const auto p = words(predicted), r = words(reference);
  if (p.empty() || r.empty()) return 0.0;
  std::map<std::string, int64_t> ref;
  for (const auto& w : r) ref[w]++;
  int64_t common = 0;
  for (const auto& w : p) {
    auto it = ref.find(w);
    if (it != ref.end() && it->second > 0) {
      --it->second;
      ++common;
    }
  }
  if (common == 0) return 0.0;
  const double precision = static_cast<double>(common) / p.size();
  const double recall = static_cast<double>(common) / r.size();
  return 2 * precision * recall / (precision + recall);
}

io::Json evaluate_demo(mllm::SetokimImpl& setokim, const llm::TextTokenizer& text,
                       const DemoEvalOptions& o) {
  AnswerOptions ao;
  ao.chat_template = o.chat_template;
  ao.generation.max_new_tokens = o.max_new_tokens;
  ao.generation.seed = o.seed;
  const auto wanted = [&](const char* task) {
    return std::find(o.tasks.begin(), o.tasks.end(), task) != o.tasks.end();
  };
  for (const auto& t : o.tasks)
    if (t != "vqa" && t != "caption" && t != "generation" && t != "edit")
      throw Error("demo eval: unknown task '" + t + "' (tasks: vqa, caption, generation, edit)");
  io::Json out = io::Json::object();
  if (wanted("vqa")) {
    spdlog::info("demo eval: VQA (with and without the image)");
    out["vqa"] = vqa_section(setokim, text, o, ao);
  }
  if (wanted("caption")) {
    spdlog::info("demo eval: captions");
    out["caption"] = caption_section(setokim, text, o, ao);
  }
  if (wanted("generation")) {
    spdlog::info("demo eval: generation");
    out["generation"] = generation_section(setokim, text, o);
  }
  if (wanted("edit")) {
    spdlog::info("demo eval: edits");
    out["edit"] = edit_section(setokim, text, o);
  }
  return out;
}

}  // namespace setok::infer

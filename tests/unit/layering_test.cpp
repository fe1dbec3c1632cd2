// The library's areas point one way (README "Layout", the developers' guide): runtime / io at
// the bottom, then config / text / draw, then nn / data / losses, then the model areas, then
// mllm, then train and infer (peers that never include each other). Every #include of every
// header and source is checked, so a shortcut upwards fails here, naming the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace setok {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, int>& tiers() {
  static const std::map<std::string, int> t = {
      {"runtime", 0},   {"io", 0},          {"config", 1},    {"text", 1},   {"draw", 1},
      {"scores", 1},    {"nn", 2},          {"data", 2},      {"losses", 2}, {"vision", 3},
      {"tokenizer", 3}, {"detokenizer", 3}, {"diffusion", 3}, {"llm", 3},    {"mllm", 4},
      {"dist", 4},      {"train", 5},       {"infer", 5}};
  return t;
}

// area -> areas it includes, with one example file per edge.
std::map<std::string, std::map<std::string, std::string>> include_graph() {
  std::map<std::string, std::map<std::string, std::string>> graph;
  const std::regex include(R"re(#include\s+"setok/([a-z_]+)/)re");
  for (const char* root : {"include/setok", "src"}) {
    const fs::path base = fs::path(SETOK_SOURCE_DIR) / root;
    for (const auto& entry : fs::recursive_directory_iterator(base)) {
      if (!entry.is_regular_file()) continue;
      const fs::path rel = fs::relative(entry.path(), base);
      if (rel.begin() == rel.end() || std::next(rel.begin()) == rel.end()) continue;  // pch.h
      const std::string area = rel.begin()->string();
      std::ifstream in(entry.path());
      std::string line;
      while (std::getline(in, line)) {
        std::smatch m;
        if (std::regex_search(line, m, include) && m[1] != area)
          graph[area].emplace(m[1], entry.path().string());
      }
    }
  }
  return graph;
}

TEST(Layering, AreasPointOneWay) {
  const auto graph = include_graph();
  ASSERT_FALSE(graph.empty());
  for (const auto& [area, deps] : graph) {
    ASSERT_TRUE(tiers().count(area)) << "area '" << area << "' has no tier: add it to the test";
    for (const auto& [dep, file] : deps) {
      ASSERT_TRUE(tiers().count(dep)) << dep << " (included by " << file << ") has no tier";
      EXPECT_LE(tiers().at(dep), tiers().at(area))
          << file << " (" << area << ") includes the higher area " << dep;
    }
  }
  // Peers: training and inference stay apart.
  for (const auto& [a, b] :
       {std::pair<std::string, std::string>{"train", "infer"}, {"infer", "train"}}) {
    if (graph.count(a)) {
      EXPECT_FALSE(graph.at(a).count(b)) << graph.at(a).at(b) << " (" << a << ") includes " << b;
    }
  }
}

// The inference commands of setok_infer read runs through infer/ (infer::SetokRunView,
// infer::SetokimRunView) and never include train/, directly or through an apps/ header they
// include. export (writes a training run out as HF folders) and plot (a run's training curves)
// are tools of training runs and may.
TEST(Layering, InferenceCommandsIncludeNoTraining) {
  const fs::path apps = fs::path(SETOK_SOURCE_DIR) / "apps";
  const std::regex local(R"re(#include\s+"([a-z_]+\.h)")re");
  const std::regex train(R"re(#include\s+"setok/train/)re");
  int checked = 0;
  for (const char* command :
       {"answer", "chat", "demo_eval", "images", "inspect", "requests", "tokenize", "common"}) {
    for (const char* ext : {".h", ".cpp"}) {
      std::vector<fs::path> todo{apps / (std::string(command) + ext)};
      std::set<fs::path> seen;
      ASSERT_TRUE(fs::is_regular_file(todo.back())) << todo.back() << " is gone: update the test";
      while (!todo.empty()) {
        const fs::path file = todo.back();
        todo.pop_back();
        if (!seen.insert(file).second) continue;
        std::ifstream in(file);
        std::string line;
        while (std::getline(in, line)) {
          EXPECT_FALSE(std::regex_search(line, train))
              << file << " (reached from apps/" << command << ext << ") includes train/: " << line;
          std::smatch m;
          if (std::regex_search(line, m, local) && fs::is_regular_file(apps / m[1].str()))
            todo.push_back(apps / m[1].str());
        }
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 16);
}

TEST(Layering, NoCyclesBetweenAreas) {
  const auto graph = include_graph();
  std::map<std::string, int> state;  // 0 unseen, 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& a) {
    state[a] = 1;
    path.push_back(a);
    if (graph.count(a)) {
      for (const auto& [dep, file] : graph.at(a)) {
        if (state[dep] == 1) {
          std::string cycle;
          for (const auto& p : path) cycle += p + " -> ";
          ADD_FAILURE() << "include cycle: " << cycle << dep << " (" << file << ")";
        } else if (state[dep] == 0) {
          visit(dep);
        }
      }
    }
    path.pop_back();
    state[a] = 2;
  };
  for (const auto& [area, deps] : graph) {
    if (state[area] == 0) visit(area);
  }
}

}  // namespace
}  // namespace setok

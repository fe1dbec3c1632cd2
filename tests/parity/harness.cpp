#include "harness.h"

#include <algorithm>
#include <ostream>
#include <sstream>

#include <cstdlib>

#include "setok/io/json.h"
#include "setok/runtime/compat.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"

namespace setok::parity {

std::string check_safetensors_files(const fs::path& folder);  // safetensors_checker.cpp

Registry& Registry::instance() {
  static Registry registry;
  return registry;
}

void Registry::add(const std::string& kind, Checker checker) {
  checkers_[kind] = std::move(checker);
}

const Checker* Registry::find(const std::string& kind) const {
  auto it = checkers_.find(kind);
  return it == checkers_.end() ? nullptr : &it->second;
}

Registrar::Registrar(const std::string& kind, Checker checker) {
  Registry::instance().add(kind, std::move(checker));
}

std::string Line::text() const {
  std::string s = "parity " + folder + " " + kind + ": ";
  switch (status) {
    case Status::kOk:
      return s + "OK" + (detail.empty() ? "" : " (" + detail + ")");
    case Status::kFail:
      return s + "FAIL (" + detail + ")";
    case Status::kSkip:
      return s + "SKIP (" + detail + ")";
  }
  return s;
}

std::string fixture_kind(const fs::path& folder) {
  if (fs::exists(folder / "fixture.json")) {
    const io::Json j = io::read_json(folder / "fixture.json");
    if (!j.is_object() || !j.contains("kind") || !j["kind"].is_string()) {
      throw Error((folder / "fixture.json").string() + ": expected {\"kind\": \"...\"}");
    }
    return j["kind"].get<std::string>();
  }
  if (fs::exists(folder / "config.json")) {
    const io::Json j = io::read_json(folder / "config.json");
    if (j.is_object() && j.contains("model_type") && j["model_type"].is_string()) {
      return j["model_type"].get<std::string>();
    }
    throw Error((folder / "config.json").string() + ": no model_type");
  }
  return "";
}

std::string config_model_type(const fs::path& folder) {
  if (!fs::exists(folder / "config.json")) return "";
  const io::Json j = io::read_json(folder / "config.json");
  if (j.is_object() && j.contains("model_type") && j["model_type"].is_string())
    return j["model_type"].get<std::string>();
  return "";
}

namespace {
bool is_fixture_folder(const fs::path& p) {
  return fs::is_directory(p) && (fs::exists(p / "fixture.json") || fs::exists(p / "config.json"));
}

void collect(const fs::path& root, std::vector<fs::path>& out) {
  if (is_fixture_folder(root)) {
    out.push_back(root);
    return;
  }
  if (!fs::is_directory(root)) return;
  std::vector<fs::path> children;
  for (const auto& item : fs::directory_iterator(root)) {
    if (item.is_directory()) children.push_back(item.path());
  }
  std::sort(children.begin(), children.end());
  for (const auto& c : children) collect(c, out);
}
}  // namespace

c10::Device parity_device() {
  const char* name = std::getenv("SETOK_PARITY_DEVICE");
  const c10::Device device = runtime::resolve_device(name != nullptr && *name ? name : "cpu");
  if (device.is_cuda()) compat::set_tf32(false);
  return device;
}

std::vector<fs::path> fixture_folders(const fs::path& builtin, const std::string& extra) {
  std::vector<fs::path> out;
  collect(builtin, out);
  std::stringstream entries(extra);
  for (std::string entry; std::getline(entries, entry, ':');) {
    if (entry.empty()) continue;
    if (!fs::exists(entry)) throw Error("SETOK_EXTRA_FIXTURES: " + entry + ": no such folder");
    collect(entry, out);
  }
  return out;
}

std::vector<Line> check_folder(const fs::path& folder) {
  const std::string name = folder.filename().string();
  std::vector<Line> lines;
  Line st{name, "safetensors", Status::kOk, ""};
  try {
    st.detail = check_safetensors_files(folder);
  } catch (const std::exception& e) {
    st.status = Status::kFail;
    st.detail = e.what();
  }
  lines.push_back(st);

  Line kind_line{name, "?", Status::kOk, ""};
  try {
    kind_line.kind = fixture_kind(folder);
    // A folder can name its kind twice (fixture.json, config.json's model_type). When they
    // disagree and either has a checker, the folder is ambiguous: a typo in fixture.json must
    // not turn a checkable fixture into a green SKIP.
    const std::string model_type = config_model_type(folder);
    const Registry& registry = Registry::instance();
    if (!model_type.empty() && model_type != kind_line.kind &&
        (registry.find(model_type) != nullptr || registry.find(kind_line.kind) != nullptr)) {
      throw Failure("fixture.json says kind '" + kind_line.kind +
                    "' but config.json's model_type is '" + model_type + "'");
    }
    if (const Checker* checker = registry.find(kind_line.kind)) {
      kind_line.detail = (*checker)(folder);
    } else {
      kind_line.status = Status::kSkip;
      kind_line.detail = "no checker";
    }
  } catch (const std::exception& e) {
    kind_line.status = Status::kFail;
    kind_line.detail = e.what();
  }
  lines.push_back(kind_line);
  return lines;
}

std::vector<Line> check_all(const std::vector<fs::path>& folders, std::ostream& out) {
  std::vector<Line> all;
  for (const auto& folder : folders) {
    for (auto& line : check_folder(folder)) {
      out << line.text() << std::endl;
      all.push_back(std::move(line));
    }
  }
  return all;
}

}  // namespace setok::parity

#pragma once
// Typed configuration from JSON. Each config struct derives from Section, holds its defaults in
// member initialisers and lists its fields once in describe(); everything else (strict JSON
// parsing with path-naming errors, --set overrides, dumping the resolved config, --help text)
// is generic and works from that one list.
//
//   struct TokenizerConfig : config::Section {
//     double threshold = 0.5;
//     int k = 5;
//     void describe(config::Schema& s) override {
//       s.field("threshold", threshold, "DPC-KNN score threshold");
//       s.field("k", k, "neighbours in the density estimate");
//     }
//   };
//
// Paths are dotted keys; list elements are addressed by index: `data.datasets.0.multiple`.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace setok::config {

class Schema;

class Section {
 public:
  virtual ~Section() = default;
  virtual void describe(Schema& schema) = 0;
  // Range and consistency checks, run after loading and overrides. `path` is the section's
  // dotted path ("" for the root); report problems with config::fail(path + ".key", why).
  virtual void validate(const std::string& path) const {}
  // Checks that files and folders the section names exist (separate from validate() so a config
  // can be loaded, dumped and tested before its data is generated); report with config::fail.
  virtual void check_files(const std::string& path) const {}
  // True for a section that reads past the keys of a JSON file it does not declare: an
  // inference command reads a training run's resolved config, whose training-only keys are not
  // its business. --set still accepts only declared keys.
  virtual bool reads_past_undeclared_keys() const { return false; }
};

// Throws setok::Error("<path>: <why>").
[[noreturn]] void fail(const std::string& path, const std::string& why);
// Joins a parent path and a key: join("", "model") == "model", join("model", "k") == "model.k".
std::string join(const std::string& parent, const std::string& key);

class Schema {
 public:
  enum class Kind {
    kBool,
    kInt,
    kInt64,
    kDouble,
    kString,
    kChoice,
    kStrings,
    kInts,
    kDoubles,
    kSection,
    kSectionList,
  };

  struct Field {
    std::string key;
    Kind kind = Kind::kBool;
    void* ptr = nullptr;  // the member (for everything but sections)
    std::string help;
    std::vector<std::string> choices;  // kChoice
    Section* section = nullptr;        // kSection
    // kSectionList: type-erased access to a std::vector<T> of sections.
    std::function<size_t()> list_size;
    std::function<Section&(size_t)> list_at;
    std::function<void(size_t)> list_resize;
  };

  void field(const std::string& key, bool& value, std::string help);
  void field(const std::string& key, int& value, std::string help);
  void field(const std::string& key, int64_t& value, std::string help);
  void field(const std::string& key, double& value, std::string help);
  void field(const std::string& key, std::string& value, std::string help);
  void field(const std::string& key, std::vector<std::string>& value, std::string help);
  void field(const std::string& key, std::vector<int64_t>& value, std::string help);
  void field(const std::string& key, std::vector<double>& value, std::string help);
  // A string restricted to `choices`.
  void choice(const std::string& key, std::string& value, std::vector<std::string> choices,
              std::string help);
  void section(const std::string& key, Section& value, std::string help);
  // A list of sections of type T (default-constructible, derived from Section). A JSON array
  // replaces the whole list; each element starts from T's defaults.
  template <class T>
  void sections(const std::string& key, std::vector<T>& value, std::string help) {
    Field f = make(key, Kind::kSectionList, &value, std::move(help));
    f.list_size = [&value] { return value.size(); };
    f.list_at = [&value](size_t i) -> Section& { return value[i]; };
    f.list_resize = [&value](size_t n) { value.assign(n, T{}); };
    add(std::move(f));
  }

  const std::vector<Field>& fields() const { return fields_; }
  const Field* find(const std::string& key) const;

 private:
  static Field make(const std::string& key, Kind kind, void* ptr, std::string help);
  void add(Field field);
  std::vector<Field> fields_;
};

}  // namespace setok::config

#include "setok/config/config.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/config/runtime_config.h"
#include "setok/io/fs.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::config {
namespace {

struct DatasetCfg : Section {
  std::string path;
  double multiple = 1.0;
  void describe(Schema& s) override {
    s.field("path", path, "dataset JSON");
    s.field("multiple", multiple, "sampling multiplier");
  }
  void validate(const std::string& p) const override {
    if (multiple <= 0) fail(join(p, "multiple"), "must be > 0");
  }
};

struct TokCfg : Section {
  double threshold = 0.5;
  int k = 5;
  std::string parent_distance = "column_max";
  bool tie_noise = true;
  std::vector<int64_t> dims{1, 2};
  void describe(Schema& s) override {
    s.field("threshold", threshold, "score threshold");
    s.field("k", k, "neighbours");
    s.choice("parent_distance", parent_distance, {"column_max", "global_max"}, "fallback");
    s.field("tie_noise", tie_noise, "tie-break noise");
    s.field("dims", dims, "dims");
  }
};

struct ModelCfg : Section {
  TokCfg tokenizer;
  std::string name = "tiny";
  void describe(Schema& s) override {
    s.section("tokenizer", tokenizer, "tokenizer");
    s.field("name", name, "model name");
  }
};

struct Root : Section {
  ModelCfg model;
  RuntimeConfig runtime;
  std::vector<DatasetCfg> datasets;
  std::vector<std::string> tags{"a"};
  std::vector<double> weights;
  int64_t steps = 100;
  void describe(Schema& s) override {
    s.section("model", model, "model");
    s.section("runtime", runtime, "runtime");
    s.sections("datasets", datasets, "datasets");
    s.field("tags", tags, "tags");
    s.field("weights", weights, "weights");
    s.field("steps", steps, "steps");
  }
};

using test::error_of;

std::string apply_error(const std::string& json_text) {
  Root root;
  return error_of([&] { apply_json(root, io::Json::parse(json_text), "cfg.json"); });
}

TEST(Config, DefaultsSurviveAnEmptyObjectAndPartialSections) {
  Root root;
  apply_json(root, io::Json::parse(R"({"model": {"tokenizer": {"k": 9}}})"));
  EXPECT_EQ(root.model.tokenizer.k, 9);
  EXPECT_DOUBLE_EQ(root.model.tokenizer.threshold, 0.5);
  EXPECT_EQ(root.model.name, "tiny");
  EXPECT_EQ(root.tags, std::vector<std::string>{"a"});
  EXPECT_EQ(root.runtime.device, "cpu");
}

TEST(Config, ParsesEveryKind) {
  Root root;
  apply_json(root, io::Json::parse(R"({
    "model": {"tokenizer": {"threshold": 2, "parent_distance": "global_max", "tie_noise": false,
                            "dims": [3, 4, 5]}, "name": "big"},
    "datasets": [{"path": "a.json"}, {"path": "b.json", "multiple": 3}],
    "tags": ["x", "y"], "weights": [0.5, 1], "steps": 12345678901})"));
  EXPECT_DOUBLE_EQ(root.model.tokenizer.threshold, 2.0);  // integer accepted for a number
  EXPECT_EQ(root.model.tokenizer.parent_distance, "global_max");
  EXPECT_FALSE(root.model.tokenizer.tie_noise);
  EXPECT_EQ(root.model.tokenizer.dims, (std::vector<int64_t>{3, 4, 5}));
  ASSERT_EQ(root.datasets.size(), 2u);
  EXPECT_DOUBLE_EQ(root.datasets[0].multiple, 1.0);  // element defaults
  EXPECT_DOUBLE_EQ(root.datasets[1].multiple, 3.0);
  EXPECT_EQ(root.weights, (std::vector<double>{0.5, 1.0}));
  EXPECT_EQ(root.steps, 12345678901LL);
}

TEST(Config, WrongTypesNameThePath) {
  EXPECT_EQ(apply_error(R"({"model": {"tokenizer": {"threshold": "abc"}}})"),
            "cfg.json: model.tokenizer.threshold: expected number, got string \"abc\"");
  EXPECT_EQ(apply_error(R"({"model": {"tokenizer": {"k": 3.5}}})"),
            "cfg.json: model.tokenizer.k: expected integer, got number 3.5");
  EXPECT_EQ(apply_error(R"({"model": {"tokenizer": {"tie_noise": 1}}})"),
            "cfg.json: model.tokenizer.tie_noise: expected boolean, got integer 1");
  EXPECT_EQ(apply_error(R"({"model": {"tokenizer": {"k": 99999999999}}})"),
            "cfg.json: model.tokenizer.k: integer 99999999999 out of range");
  EXPECT_EQ(apply_error(R"({"model": {"tokenizer": {"parent_distance": "median"}}})"),
            "cfg.json: model.tokenizer.parent_distance: expected one of column_max, global_max, "
            "got 'median'");
  EXPECT_EQ(apply_error(R"({"tags": ["x", 2]})"),
            "cfg.json: tags.1: expected string, got integer 2");
  EXPECT_EQ(apply_error(R"({"datasets": [{"path": 1}]})"),
            "cfg.json: datasets.0.path: expected string, got integer 1");
  EXPECT_EQ(apply_error(R"({"model": 3})"), "cfg.json: model: expected object, got integer 3");
  EXPECT_EQ(apply_error(R"([1])"), "cfg.json: expected a JSON object at the top level, got array");
}

TEST(Config, UnknownKeysAreErrorsWithSuggestions) {
  const std::string what = apply_error(R"({"model": {"tokenizer": {"treshold": 0.1}}})");
  EXPECT_NE(
      what.find("cfg.json: model.tokenizer.treshold: unknown key (did you mean 'threshold'?)"),
      std::string::npos)
      << what;
  EXPECT_NE(what.find("known keys: threshold, k, parent_distance, tie_noise, dims"),
            std::string::npos)
      << what;
  EXPECT_NE(apply_error(R"({"datasets": [{"path": "a", "mult": 2}]})")
                .find("datasets.0.mult: unknown key"),
            std::string::npos);
}

TEST(Config, OverridesAreTyped) {
  Root root;
  apply_override(root, "model.tokenizer.threshold=0.25");
  apply_override(root, "model.tokenizer.k=7");
  apply_override(root, "model.tokenizer.tie_noise=false");
  apply_override(root, "model.name=a=b");  // strings verbatim, '=' after the first is value
  apply_override(root, "tags=p,q,r");
  apply_override(root, "weights=[1.5, 2]");
  apply_override(root, "model.tokenizer={\"dims\": [9]}");  // a section merges an object
  apply_override(root, "datasets=[{\"path\": \"x.json\"}, {\"path\": \"y.json\"}]");
  apply_override(root, "datasets.1.multiple=4");
  apply_override(root, "runtime.device=cuda:1");
  EXPECT_DOUBLE_EQ(root.model.tokenizer.threshold, 0.25);
  EXPECT_EQ(root.model.tokenizer.k, 7);
  EXPECT_FALSE(root.model.tokenizer.tie_noise);
  EXPECT_EQ(root.model.name, "a=b");
  EXPECT_EQ(root.tags, (std::vector<std::string>{"p", "q", "r"}));
  EXPECT_EQ(root.weights, (std::vector<double>{1.5, 2.0}));
  EXPECT_EQ(root.model.tokenizer.dims, std::vector<int64_t>{9});
  EXPECT_EQ(root.model.tokenizer.k, 7);  // merge kept the other keys
  ASSERT_EQ(root.datasets.size(), 2u);
  EXPECT_DOUBLE_EQ(root.datasets[1].multiple, 4.0);
  EXPECT_EQ(root.runtime.device, "cuda:1");
}

TEST(Config, OverrideErrors) {
  Root root;
  EXPECT_EQ(error_of([&] { apply_override(root, "model.tokenizer.k=abc"); }),
            "--set: model.tokenizer.k: expected integer, got string \"abc\"");
  EXPECT_NE(error_of([&] {
              apply_override(root, "model.tokenizr.k=3");
            }).find("--set: model.tokenizr: unknown key (did you mean 'tokenizer'?)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              apply_override(root, "steps.x=3");
            }).find("steps: has type int, not a section"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              apply_override(root, "datasets.0.path=a");
            }).find("--set datasets.0: no element 0 (the list has 0 elements)"),
            std::string::npos);
  EXPECT_NE(
      error_of([&] { apply_override(root, "model.tokenizer.k"); }).find("expected key.path=value"),
      std::string::npos);
  EXPECT_NE(error_of([&] {
              apply_override(root, "model.tokenizer.parent_distance=avg");
            }).find("expected one of column_max, global_max, got 'avg'"),
            std::string::npos);
}

TEST(Config, ValidationNamesThePath) {
  Root root;
  apply_json(root,
             io::Json::parse(R"({"datasets": [{"path": "a"}, {"path": "b", "multiple": 0}]})"));
  EXPECT_EQ(error_of([&] { validate(root); }), "datasets.1.multiple: must be > 0");
  Root other;
  apply_override(other, "runtime.device=tpu");
  EXPECT_NE(error_of([&] { validate(other); }).find("runtime.device: invalid device 'tpu'"),
            std::string::npos);
}

TEST(Config, LoadFileWithOverridesAndResolvedDumpRoundTrips) {
  test::TempDir dir;
  io::write_file_atomic(dir / "run.json", R"({"model": {"tokenizer": {"k": 3}}, "steps": 10,
    "datasets": [{"path": "d.json", "multiple": 2}]})");
  Root root;
  load(root, dir / "run.json", {"steps=20", "model.name=big"});
  EXPECT_EQ(root.model.tokenizer.k, 3);
  EXPECT_EQ(root.steps, 20);
  EXPECT_EQ(root.model.name, "big");

  write_resolved(root, dir / "resolved.json");
  Root again;
  load(again, dir / "resolved.json");
  EXPECT_EQ(to_json(again), to_json(root));
  // The dump is complete: it lists every field, defaults included.
  const io::Json dumped = io::read_json(dir / "resolved.json");
  EXPECT_EQ(dumped["model"]["tokenizer"]["parent_distance"], "column_max");
  EXPECT_EQ(dumped["runtime"]["threads"], 0);
  EXPECT_EQ(dumped["datasets"][0]["multiple"], 2.0);
}

TEST(Config, LoadErrorsNameTheFile) {
  test::TempDir dir;
  io::write_file_atomic(dir / "bad.json", R"({"model": {"tokenizer": {"k": "x"}}})");
  Root root;
  EXPECT_EQ(
      error_of([&] { load(root, dir / "bad.json"); }),
      (dir / "bad.json").string() + ": model.tokenizer.k: expected integer, got string \"x\"");
  io::write_file_atomic(dir / "syntax.json", "{\"steps\": 1,,}");
  EXPECT_NE(error_of([&] {
              load(root, dir / "syntax.json");
            }).find("syntax.json: invalid JSON at line 1"),
            std::string::npos);
  io::write_file_atomic(dir / "invalid.json", R"({"runtime": {"threads": -2}})");
  EXPECT_EQ(error_of([&] { load(root, dir / "invalid.json"); }),
            (dir / "invalid.json").string() + ": runtime.threads: must be >= 0 (0 = all cores)");
  EXPECT_NE(error_of([&] { load(root, dir / "missing.json"); }).find("missing.json: no such file"),
            std::string::npos);
}

TEST(Config, HelpListsEveryFieldWithDefault) {
  Root root;
  const std::string help = help_text(root);
  EXPECT_NE(help.find("model.tokenizer.threshold  number  0.5  score threshold"), std::string::npos)
      << help;
  EXPECT_NE(help.find("model.tokenizer.parent_distance  column_max|global_max  \"column_max\""),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("runtime.device  string  \"cpu\""), std::string::npos) << help;
}

}  // namespace
}  // namespace setok::config

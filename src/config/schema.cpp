#include "setok/config/schema.h"

#include "setok/runtime/error.h"

namespace setok::config {

void fail(const std::string& path, const std::string& why) {
  throw Error(path.empty() ? why : path + ": " + why);
}

std::string join(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

Schema::Field Schema::make(const std::string& key, Kind kind, void* ptr, std::string help) {
  Field f;
  f.key = key;
  f.kind = kind;
  f.ptr = ptr;
  f.help = std::move(help);
  return f;
}

void Schema::add(Field field) {
  if (field.key.empty() || field.key.find('.') != std::string::npos ||
      field.key.find('=') != std::string::npos) {
    throw Error("internal: invalid config key '" + field.key + "'");
  }
  if (find(field.key) != nullptr) throw Error("internal: config key '" + field.key + "' twice");
  fields_.push_back(std::move(field));
}

const Schema::Field* Schema::find(const std::string& key) const {
  for (const auto& f : fields_) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

void Schema::field(const std::string& key, bool& value, std::string help) {
  add(make(key, Kind::kBool, &value, std::move(help)));
}
void Schema::field(const std::string& key, int& value, std::string help) {
  add(make(key, Kind::kInt, &value, std::move(help)));
}
void Schema::field(const std::string& key, int64_t& value, std::string help) {
  add(make(key, Kind::kInt64, &value, std::move(help)));
}
void Schema::field(const std::string& key, double& value, std::string help) {
  add(make(key, Kind::kDouble, &value, std::move(help)));
}
void Schema::field(const std::string& key, std::string& value, std::string help) {
  add(make(key, Kind::kString, &value, std::move(help)));
}
void Schema::field(const std::string& key, std::vector<std::string>& value, std::string help) {
  add(make(key, Kind::kStrings, &value, std::move(help)));
}
void Schema::field(const std::string& key, std::vector<int64_t>& value, std::string help) {
  add(make(key, Kind::kInts, &value, std::move(help)));
}
void Schema::field(const std::string& key, std::vector<double>& value, std::string help) {
  add(make(key, Kind::kDoubles, &value, std::move(help)));
}
void Schema::choice(const std::string& key, std::string& value, std::vector<std::string> choices,
                    std::string help) {
  Field f = make(key, Kind::kChoice, &value, std::move(help));
  f.choices = std::move(choices);
  add(std::move(f));
}
void Schema::section(const std::string& key, Section& value, std::string help) {
  Field f = make(key, Kind::kSection, nullptr, std::move(help));
  f.section = &value;
  add(std::move(f));
}

}  // namespace setok::config

#include "setok/io/hf_config.h"

#include "setok/runtime/error.h"

namespace setok::io {

HfConfigReader::HfConfigReader(const Json& object, std::string label, std::string prefix)
    : object_(object), label_(std::move(label)), prefix_(std::move(prefix)) {
  if (!object_.is_object()) throw Error(label_ + ": " + prefix_ + " expected a JSON object");
}

const Json* HfConfigReader::value(const char* key) const {
  if (!object_.contains(key) || object_[key].is_null()) return nullptr;
  return &object_[key];
}

void HfConfigReader::wrong(const char* key, const char* expected) const {
  throw Error(label_ + ": " + prefix_ + key + ": expected " + expected + ", got " +
              object_[key].dump());
}

bool HfConfigReader::has(const char* key) const {
  return value(key) != nullptr;
}

void HfConfigReader::get(const char* key, int64_t& out) const {
  if (const Json* v = value(key)) {
    if (!v->is_number_integer() && !v->is_number_unsigned()) wrong(key, "integer");
    out = v->get<int64_t>();
  }
}

void HfConfigReader::get(const char* key, double& out) const {
  if (const Json* v = value(key)) {
    if (!v->is_number()) wrong(key, "number");
    out = v->get<double>();
  }
}

void HfConfigReader::get(const char* key, std::string& out) const {
  if (const Json* v = value(key)) {
    if (!v->is_string()) wrong(key, "string");
    out = v->get<std::string>();
  }
}

void HfConfigReader::get(const char* key, bool& out) const {
  if (const Json* v = value(key)) {
    if (!v->is_boolean()) wrong(key, "boolean");
    out = v->get<bool>();
  }
}

void HfConfigReader::get(const char* key, std::vector<int64_t>& out) const {
  const Json* v = value(key);
  if (v == nullptr) return;
  if (v->is_number_integer() || v->is_number_unsigned()) {
    out = {v->get<int64_t>()};
    return;
  }
  if (!v->is_array()) wrong(key, "an integer or a list of integers");
  std::vector<int64_t> values;
  for (const auto& e : *v) {
    if (!e.is_number_integer() && !e.is_number_unsigned()) wrong(key, "a list of integers");
    values.push_back(e.get<int64_t>());
  }
  out = std::move(values);
}

HfConfigReader HfConfigReader::child(const char* key) const {
  const Json* v = value(key);
  if (v == nullptr || !v->is_object()) wrong(key, "an object");
  return HfConfigReader(*v, label_, prefix_ + key + ".");
}

}  // namespace setok::io

#include "setok/config/config.h"

#include <algorithm>
#include <climits>
#include <sstream>

#include "setok/runtime/error.h"

namespace setok::config {

namespace {

using Json = io::Json;
using Kind = Schema::Kind;

Schema schema_of(const Section& section) {
  Schema schema;
  // describe() only hands out references; it does not modify the section.
  const_cast<Section&>(section).describe(schema);
  return schema;
}

std::string json_kind(const Json& v) {
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer " + v.dump();
  if (v.is_number_float()) return "number " + v.dump();
  if (v.is_string()) return "string " + v.dump();
  if (v.is_boolean()) return "boolean " + v.dump();
  return v.type_name();
}

[[noreturn]] void type_error(const std::string& label, const std::string& path,
                             const std::string& expected, const Json& got) {
  fail((label.empty() ? "" : label + ": ") + path,
       "expected " + expected + ", got " + json_kind(got));
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diag = up;
    }
  }
  return row[b.size()];
}

[[noreturn]] void unknown_key(const Schema& schema, const std::string& label,
                              const std::string& path, const std::string& key) {
  std::string known, best;
  size_t best_distance = SIZE_MAX;
  for (const auto& f : schema.fields()) {
    known += (known.empty() ? "" : ", ") + f.key;
    const size_t d = edit_distance(key, f.key);
    if (d < best_distance) best_distance = d, best = f.key;
  }
  std::string why = "unknown key";
  if (best_distance <= 2 && !best.empty()) why += " (did you mean '" + best + "'?)";
  why += known.empty() ? "; this section has no keys" : "; known keys: " + known;
  fail((label.empty() ? "" : label + ": ") + join(path, key), why);
}

bool is_int(const Json& v) {
  return v.is_number_integer() || v.is_number_unsigned();
}

int64_t get_int64(const Json& v, const std::string& label, const std::string& path) {
  if (!is_int(v)) type_error(label, path, "integer", v);
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    fail((label.empty() ? "" : label + ": ") + path, "integer out of range");
  }
  return v.get<int64_t>();
}

void apply_field(const Schema::Field& f, const Json& v, const std::string& label,
                 const std::string& path) {
  const std::string where = (label.empty() ? "" : label + ": ") + path;
  switch (f.kind) {
    case Kind::kBool:
      if (!v.is_boolean()) type_error(label, path, "boolean", v);
      *static_cast<bool*>(f.ptr) = v.get<bool>();
      return;
    case Kind::kInt: {
      const int64_t x = get_int64(v, label, path);
      if (x < INT_MIN || x > INT_MAX) fail(where, "integer " + v.dump() + " out of range");
      *static_cast<int*>(f.ptr) = static_cast<int>(x);
      return;
    }
    case Kind::kInt64:
      *static_cast<int64_t*>(f.ptr) = get_int64(v, label, path);
      return;
    case Kind::kDouble:
      if (!v.is_number()) type_error(label, path, "number", v);
      *static_cast<double*>(f.ptr) = v.get<double>();
      return;
    case Kind::kString:
      if (!v.is_string()) type_error(label, path, "string", v);
      *static_cast<std::string*>(f.ptr) = v.get<std::string>();
      return;
    case Kind::kChoice: {
      std::string options;
      for (const auto& c : f.choices) options += (options.empty() ? "" : ", ") + c;
      if (!v.is_string()) type_error(label, path, "one of " + options, v);
      const auto s = v.get<std::string>();
      if (std::find(f.choices.begin(), f.choices.end(), s) == f.choices.end()) {
        fail(where, "expected one of " + options + ", got '" + s + "'");
      }
      *static_cast<std::string*>(f.ptr) = s;
      return;
    }
    case Kind::kStrings: {
      if (!v.is_array()) type_error(label, path, "array of strings", v);
      std::vector<std::string> out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_string()) type_error(label, join(path, std::to_string(i)), "string", v[i]);
        out.push_back(v[i].get<std::string>());
      }
      *static_cast<std::vector<std::string>*>(f.ptr) = std::move(out);
      return;
    }
    case Kind::kInts: {
      if (!v.is_array()) type_error(label, path, "array of integers", v);
      std::vector<int64_t> out;
      for (size_t i = 0; i < v.size(); ++i) {
        out.push_back(get_int64(v[i], label, join(path, std::to_string(i))));
      }
      *static_cast<std::vector<int64_t>*>(f.ptr) = std::move(out);
      return;
    }
    case Kind::kDoubles: {
      if (!v.is_array()) type_error(label, path, "array of numbers", v);
      std::vector<double> out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (!v[i].is_number()) type_error(label, join(path, std::to_string(i)), "number", v[i]);
        out.push_back(v[i].get<double>());
      }
      *static_cast<std::vector<double>*>(f.ptr) = std::move(out);
      return;
    }
    case Kind::kSection:
      apply_json(*f.section, v, label, path);
      return;
    case Kind::kSectionList: {
      if (!v.is_array()) type_error(label, path, "array of objects", v);
      f.list_resize(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        apply_json(f.list_at(i), v[i], label, join(path, std::to_string(i)));
      }
      return;
    }
  }
}

Json field_value(const Schema::Field& f) {
  switch (f.kind) {
    case Kind::kBool:
      return *static_cast<const bool*>(f.ptr);
    case Kind::kInt:
      return *static_cast<const int*>(f.ptr);
    case Kind::kInt64:
      return *static_cast<const int64_t*>(f.ptr);
    case Kind::kDouble:
      return *static_cast<const double*>(f.ptr);
    case Kind::kString:
    case Kind::kChoice:
      return *static_cast<const std::string*>(f.ptr);
    case Kind::kStrings:
      return *static_cast<const std::vector<std::string>*>(f.ptr);
    case Kind::kInts:
      return *static_cast<const std::vector<int64_t>*>(f.ptr);
    case Kind::kDoubles:
      return *static_cast<const std::vector<double>*>(f.ptr);
    case Kind::kSection:
      return to_json(*f.section);
    case Kind::kSectionList: {
      Json out = Json::array();
      for (size_t i = 0; i < f.list_size(); ++i) out.push_back(to_json(f.list_at(i)));
      return out;
    }
  }
  return nullptr;
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
    case Kind::kInt64:
      return "int";
    case Kind::kDouble:
      return "number";
    case Kind::kString:
      return "string";
    case Kind::kChoice:
      return "choice";
    case Kind::kStrings:
      return "[string]";
    case Kind::kInts:
      return "[int]";
    case Kind::kDoubles:
      return "[number]";
    case Kind::kSection:
      return "section";
    case Kind::kSectionList:
      return "[section]";
  }
  return "?";
}

// The JSON an override's text stands for, given the field it targets.
Json override_value(const Schema::Field& f, const std::string& text) {
  const Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  switch (f.kind) {
    case Kind::kString:
    case Kind::kChoice:
      return !parsed.is_discarded() && parsed.is_string() && !text.empty() && text[0] == '"'
                 ? parsed
                 : Json(text);
    case Kind::kStrings: {
      if (!parsed.is_discarded() && parsed.is_array()) return parsed;
      Json out = Json::array();
      std::stringstream in(text);
      std::string item;
      while (std::getline(in, item, ',')) out.push_back(item);
      return out;
    }
    default:
      // Unparseable text stays a string so the type error says what was given.
      return parsed.is_discarded() ? Json(text) : parsed;
  }
}

// Calls `visit(section, path)` on every section, depth first.
void walk(const Section& section, const std::string& path,
          const std::function<void(const Section&, const std::string&)>& visit) {
  visit(section, path);
  const Schema schema = schema_of(section);
  for (const auto& f : schema.fields()) {
    if (f.kind == Kind::kSection) walk(*f.section, join(path, f.key), visit);
    if (f.kind == Kind::kSectionList) {
      for (size_t i = 0; i < f.list_size(); ++i) {
        walk(f.list_at(i), join(join(path, f.key), std::to_string(i)), visit);
      }
    }
  }
}

void help_lines(const Section& section, const std::string& path, std::ostringstream& out) {
  const Schema schema = schema_of(section);
  for (const auto& f : schema.fields()) {
    const std::string p = join(path, f.key);
    if (f.kind == Kind::kSection) {
      out << p << "  (section)  " << f.help << "\n";
      help_lines(*f.section, p, out);
      continue;
    }
    std::string type = kind_name(f.kind);
    if (f.kind == Kind::kChoice) {
      type.clear();
      for (const auto& c : f.choices) type += (type.empty() ? "" : "|") + c;
    }
    std::string value = f.kind == Kind::kSectionList ? std::string("[...]") : field_value(f).dump();
    out << p << "  " << type << "  " << value << "  " << f.help << "\n";
  }
}

}  // namespace

void apply_json(Section& root, const Json& json, const std::string& label,
                const std::string& path) {
  if (!json.is_object()) {
    if (path.empty()) {
      fail(label, "expected a JSON object at the top level, got " + json_kind(json));
    }
    type_error(label, path, "object", json);
  }
  const Schema schema = schema_of(root);
  for (const auto& [key, value] : json.items()) {
    const Schema::Field* f = schema.find(key);
    if (f == nullptr && root.reads_past_undeclared_keys()) continue;
    if (f == nullptr) unknown_key(schema, label, path, key);
    apply_field(*f, value, label, join(path, key));
  }
}

void apply_override(Section& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    fail("--set " + assignment, "expected key.path=value");
  }
  const std::string path = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  const std::string label = "--set " + path;

  Section* section = &root;
  std::string walked;
  std::stringstream parts(path);
  std::vector<std::string> keys;
  for (std::string key; std::getline(parts, key, '.');) keys.push_back(key);
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string& key = keys[i];
    const Schema schema = schema_of(*section);
    const Schema::Field* f = schema.find(key);
    if (f == nullptr) unknown_key(schema, "--set", walked, key);
    const bool last = i + 1 == keys.size();
    if (last) {
      apply_field(*f, override_value(*f, text), "--set", join(walked, key));
      return;
    }
    if (f->kind == Kind::kSection) {
      section = f->section;
      walked = join(walked, key);
    } else if (f->kind == Kind::kSectionList) {
      const std::string& index = keys[++i];
      const std::string list_path = join(walked, key);
      const bool numeric =
          !index.empty() && index.find_first_not_of("0123456789") == std::string::npos;
      if (!numeric || std::stoull(index) >= f->list_size()) {
        fail("--set " + join(list_path, index), "no element " + index + " (the list has " +
                                                    std::to_string(f->list_size()) + " elements)");
      }
      section = &f->list_at(std::stoull(index));
      walked = join(list_path, index);
      if (i + 1 == keys.size()) {
        apply_json(*section, override_value(*f, text), "--set", walked);
        return;
      }
    } else {
      fail("--set " + join(walked, key), std::string("has type ") + kind_name(f->kind) +
                                             ", not a section; it has no key '" + keys[i + 1] +
                                             "'");
    }
  }
}

void validate(const Section& root) {
  walk(root, "", [](const Section& s, const std::string& p) { s.validate(p); });
}

void check_files(const Section& root, const std::vector<std::string>& only) {
  // A section is checked when it lies under (or is) one of `only`, or when `only` is empty.
  const auto wanted = [&only](const std::string& p) {
    if (only.empty()) return true;
    for (const auto& prefix : only) {
      if (p == prefix || (p.size() > prefix.size() && p.compare(0, prefix.size(), prefix) == 0 &&
                          p[prefix.size()] == '.'))
        return true;
    }
    return false;
  };
  walk(root, "", [&wanted](const Section& s, const std::string& p) {
    if (wanted(p)) s.check_files(p);
  });
}

Json to_json(const Section& root) {
  Json out = Json::object();
  const Schema schema = schema_of(root);
  for (const auto& f : schema.fields()) out[f.key] = field_value(f);
  return out;
}

void load(Section& root, const std::filesystem::path& file,
          const std::vector<std::string>& overrides) {
  apply_json(root, io::read_json(file), file.string());
  for (const auto& assignment : overrides) apply_override(root, assignment);
  try {
    validate(root);
  } catch (const Error& e) {
    throw Error(file.string() + ": " + e.what());
  }
}

void write_resolved(const Section& root, const std::filesystem::path& file) {
  io::write_json(file, to_json(root));
}

std::string help_text(const Section& root) {
  std::ostringstream out;
  help_lines(root, "", out);
  return out.str();
}

}  // namespace setok::config

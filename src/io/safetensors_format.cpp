#include "setok/io/safetensors_format.h"

#include <algorithm>
#include <cstring>

#include <nlohmann/json.hpp>

#include "setok/runtime/error.h"

namespace setok::io::st {

namespace {

using json = nlohmann::json;

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "BOOL", 1}, {DType::kU8, "U8", 1},     {DType::kI8, "I8", 1},
    {DType::kI16, "I16", 2},   {DType::kI32, "I32", 4},   {DType::kI64, "I64", 8},
    {DType::kF16, "F16", 2},   {DType::kBF16, "BF16", 2}, {DType::kF32, "F32", 4},
    {DType::kF64, "F64", 8},
};

const DTypeInfo& info(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d;
  }
  throw Error("internal: unknown safetensors dtype code");
}

// Multiplication that reports overflow instead of wrapping.
bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

std::string json_type_name(const json& value) {
  if (value.is_number_integer() || value.is_number_unsigned()) return "integer";
  return value.type_name();
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

TensorEntry parse_entry(const std::string& name, const json& value, const std::string& where) {
  if (!value.is_object()) {
    throw Error(where + ": expected an object with dtype/shape/data_offsets, got " +
                json_type_name(value));
  }
  TensorEntry entry;
  entry.name = name;
  bool has_dtype = false, has_shape = false, has_offsets = false;
  for (const auto& [key, field] : value.items()) {
    if (key == "dtype") {
      if (!field.is_string()) throw Error(where + ": dtype must be a string");
      const auto text = field.get<std::string>();
      const auto dtype = parse_dtype(text);
      if (!dtype) throw Error(where + ": unsupported dtype '" + text + "'");
      entry.dtype = *dtype;
      has_dtype = true;
    } else if (key == "shape") {
      if (!field.is_array()) throw Error(where + ": shape must be an array of integers");
      for (const auto& dim : field) {
        if (!dim.is_number_unsigned() && !(dim.is_number_integer() && dim.get<int64_t>() >= 0)) {
          throw Error(where + ": shape must hold non-negative integers, got " + dim.dump());
        }
        const auto d = dim.get<uint64_t>();
        if (d > static_cast<uint64_t>(INT64_MAX)) throw Error(where + ": dimension too large");
        entry.shape.push_back(static_cast<int64_t>(d));
      }
      has_shape = true;
    } else if (key == "data_offsets") {
      if (!field.is_array() || field.size() != 2 || !field[0].is_number_unsigned() ||
          !field[1].is_number_unsigned()) {
        throw Error(where + ": data_offsets must be two non-negative integers, got " +
                    field.dump());
      }
      entry.begin = field[0].get<uint64_t>();
      entry.end = field[1].get<uint64_t>();
      has_offsets = true;
    } else {
      throw Error(where + ": unknown field '" + key + "'");
    }
  }
  if (!has_dtype || !has_shape || !has_offsets) {
    throw Error(where + ": missing " +
                std::string(!has_dtype   ? "dtype"
                            : !has_shape ? "shape"
                                         : "data_offsets"));
  }
  if (entry.end < entry.begin) {
    throw Error(where + ": data_offsets [" + std::to_string(entry.begin) + ", " +
                std::to_string(entry.end) + "] end before they begin");
  }
  uint64_t numel = 1;
  for (int64_t d : entry.shape) {
    if (mul_overflows(numel, static_cast<uint64_t>(d), &numel)) {
      throw Error(where + ": shape element count overflows");
    }
  }
  uint64_t expected = 0;
  if (mul_overflows(numel, dtype_size(entry.dtype), &expected)) {
    throw Error(where + ": byte size overflows");
  }
  if (entry.nbytes() != expected) {
    throw Error(where + ": holds " + std::to_string(entry.nbytes()) + " bytes but shape x " +
                dtype_name(entry.dtype) + " needs " + std::to_string(expected));
  }
  return entry;
}

}  // namespace

const char* dtype_name(DType dtype) {
  return info(dtype).name;
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return d.dtype;
  }
  return std::nullopt;
}

size_t dtype_size(DType dtype) {
  return info(dtype).size;
}

uint64_t TensorEntry::numel() const {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n;
}

const TensorEntry* Header::find(std::string_view name) const {
  auto it = std::lower_bound(tensors.begin(), tensors.end(), name,
                             [](const TensorEntry& e, std::string_view n) { return e.name < n; });
  return it != tensors.end() && it->name == name ? &*it : nullptr;
}

Header parse_header(const uint8_t* bytes, uint64_t file_size, const std::string& label) {
  if (file_size < 8) {
    throw Error(label + ": not a safetensors file (" + std::to_string(file_size) +
                " bytes, shorter than the 8-byte header length)");
  }
  Header header;
  header.header_size = read_u64_le(bytes);
  if (header.header_size == 0) throw Error(label + ": header length is 0");
  if (header.header_size > file_size - 8) {
    throw Error(label + ": header length " + std::to_string(header.header_size) +
                " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
  }
  if (header.header_size > kMaxHeaderSize) {
    throw Error(label + ": header length " + std::to_string(header.header_size) +
                " exceeds the 100 MiB limit");
  }
  header.data_offset = 8 + header.header_size;
  const char* text = reinterpret_cast<const char*>(bytes + 8);
  json root;
  try {
    // The callback bounds nesting: a valid header is never deeper than 3 levels, and a
    // maliciously deep one must not exhaust the stack.
    root = json::parse(text, text + header.header_size, [&](int depth, json::parse_event_t, json&) {
      if (depth > 3) throw Error(label + ": header JSON nests too deeply");
      return true;
    });
  } catch (const json::exception& e) {
    throw Error(label + ": header is not valid JSON (" + e.what() + ")");
  }
  if (!root.is_object()) {
    throw Error(label + ": header must be a JSON object, got " + json_type_name(root));
  }
  for (const auto& [name, value] : root.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) throw Error(label + ": __metadata__ must be an object");
      for (const auto& [key, meta] : value.items()) {
        if (!meta.is_string()) {
          throw Error(label + ": __metadata__." + key + " must be a string, got " +
                      json_type_name(meta));
        }
        header.metadata[key] = meta.get<std::string>();
      }
      continue;
    }
    header.tensors.push_back(parse_entry(name, value, label + ": tensor '" + name + "'"));
  }

  // Offsets: sorted by position, the tensors must tile the data section with no gap or overlap.
  const uint64_t data_size = file_size - header.data_offset;
  std::vector<const TensorEntry*> by_offset;
  by_offset.reserve(header.tensors.size());
  for (const auto& e : header.tensors) by_offset.push_back(&e);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t cursor = 0;
  const TensorEntry* previous = nullptr;
  for (const TensorEntry* e : by_offset) {
    if (e->end > data_size) {
      throw Error(label + ": tensor '" + e->name + "' data_offsets [" + std::to_string(e->begin) +
                  ", " + std::to_string(e->end) + "] run past the end of the data (" +
                  std::to_string(data_size) + " bytes)");
    }
    if (e->begin < cursor) {
      throw Error(label + ": tensor '" + e->name + "' overlaps tensor '" + previous->name + "'");
    }
    if (e->begin > cursor) {
      throw Error(label + ": gap of " + std::to_string(e->begin - cursor) +
                  " bytes before tensor '" + e->name + "'");
    }
    cursor = e->end;
    previous = e;
  }
  if (cursor != data_size) {
    throw Error(label + ": " + std::to_string(data_size - cursor) +
                " bytes of data after the last tensor are not described by the header");
  }
  std::sort(header.tensors.begin(), header.tensors.end(),
            [](const TensorEntry& a, const TensorEntry& b) { return a.name < b.name; });
  return header;
}

std::string build_header(std::vector<TensorEntry>& entries,
                         const std::map<std::string, std::string>& metadata) {
  json root = json::object();
  if (!metadata.empty()) root["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (auto& e : entries) {
    if (e.name == "__metadata__") throw Error("a tensor cannot be named __metadata__");
    if (root.contains(e.name)) throw Error("tensor name '" + e.name + "' appears twice");
    e.begin = offset;
    e.end = offset + e.numel() * dtype_size(e.dtype);
    offset = e.end;
    root[e.name] = {
        {"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {e.begin, e.end}}};
  }
  std::string text = root.dump();
  text.append((8 - (8 + text.size()) % 8) % 8, ' ');
  std::string out(8, '\0');
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + text;
}

}  // namespace setok::io::st

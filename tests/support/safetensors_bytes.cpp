#include "safetensors_bytes.h"

#include <cstdint>
#include <fstream>
#include <stdexcept>

namespace setok::test {

std::string safetensors_bytes(const std::string& header_json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header_json.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + header_json + data;
}

namespace {
const std::string kA = R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]})";
const std::string kB = R"("b":{"dtype":"I64","shape":[2],"data_offsets":[24,40]})";
const std::string kData(40, '\x01');

std::string with(const std::string& a, const std::string& b, const std::string& data = kData) {
  return safetensors_bytes("{" + a + "," + b + "}", data);
}
}  // namespace

std::string valid_safetensors() {
  return with(kA, kB);
}

std::vector<CorruptCase> corrupt_safetensors_cases() {
  std::vector<CorruptCase> cases;
  cases.push_back({"empty", "", "shorter than the 8-byte header length"});
  cases.push_back({"short_prefix", std::string("\x10\x00\x00", 3), "shorter than the 8-byte"});
  {
    std::string bytes = valid_safetensors();
    cases.push_back({"truncated_header", bytes.substr(0, 30), "runs past the end of the file"});
  }
  {
    std::string bytes = valid_safetensors();
    bytes[6] = '\x7f';  // absurd header length
    cases.push_back({"length_past_eof", bytes, "runs past the end of the file"});
  }
  cases.push_back({"zero_length", safetensors_bytes("", kData), "header length is 0"});
  cases.push_back(
      {"invalid_json", safetensors_bytes("{\"a\": {\"dtype\": ", kData), "not valid JSON"});
  cases.push_back({"not_object", safetensors_bytes("[1, 2, 3]", kData), "must be a JSON object"});
  cases.push_back(
      {"offsets_past_data",
       with(kA, R"("b":{"dtype":"I64","shape":[2],"data_offsets":[24,40]})", kData.substr(0, 30)),
       "run past the end of the data"});
  cases.push_back(
      {"overlapping",
       with(kA, R"("b":{"dtype":"I64","shape":[2],"data_offsets":[16,32]})", kData.substr(0, 32)),
       "overlaps"});
  cases.push_back({"gap",
                   with(kA, R"("b":{"dtype":"I64","shape":[2],"data_offsets":[32,48]})",
                        std::string(48, '\x01')),
                   "gap of 8 bytes"});
  cases.push_back({"trailing_bytes", with(kA, kB, kData + "xyz"), "3 bytes of data after"});
  cases.push_back({"size_mismatch",
                   with(kA, R"("b":{"dtype":"I64","shape":[3],"data_offsets":[24,40]})"),
                   "holds 16 bytes but shape x I64 needs 24"});
  cases.push_back({"unknown_dtype",
                   with(kA, R"("b":{"dtype":"Q7","shape":[2],"data_offsets":[24,40]})"),
                   "unsupported dtype 'Q7'"});
  cases.push_back({"negative_shape",
                   with(kA, R"("b":{"dtype":"I64","shape":[-2],"data_offsets":[24,40]})"),
                   "non-negative integers"});
  cases.push_back(
      {"missing_field", with(kA, R"("b":{"dtype":"I64","shape":[2]})"), "missing data_offsets"});
  cases.push_back({"unknown_field",
                   with(kA, R"("b":{"dtype":"I64","shape":[2],"data_offsets":[24,40],"x":1})"),
                   "unknown field 'x'"});
  cases.push_back({"offsets_reversed",
                   with(kA, R"("b":{"dtype":"I64","shape":[2],"data_offsets":[40,24]})"),
                   "end before they begin"});
  cases.push_back({"bad_metadata", with(kA, kB + R"(,"__metadata__":{"k":1})"),
                   "__metadata__.k must be a string"});
  cases.push_back(
      {"deep_nesting",
       safetensors_bytes("{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}", ""),
       "nests too deeply"});
  cases.push_back(
      {"shape_overflow",
       with(kA, R"("b":{"dtype":"I64","shape":[4294967296,4294967296,16],"data_offsets":[24,40]})"),
       "overflows"});
  return cases;
}

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace setok::test

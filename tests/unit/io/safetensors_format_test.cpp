// Torch-free tests of the safetensors container parser. Built into the sanitizer target
// (AddressSanitizer + UBSan) so that every corrupted file is also checked for memory errors.
#include <gtest/gtest.h>

#include "safetensors_bytes.h"
#include "setok/io/fs.h"
#include "setok/io/mapped_file.h"
#include "setok/io/safetensors_format.h"
#include "setok/runtime/error.h"
#include "temp_dir.h"

namespace setok::io::st {
namespace {

Header parse(const std::string& bytes) {
  return parse_header(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "mem");
}

TEST(SafetensorsFormat, ParsesValidHeader) {
  const Header h = parse(test::valid_safetensors());
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors[0].name, "a");
  EXPECT_EQ(h.tensors[0].dtype, DType::kF32);
  EXPECT_EQ(h.tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(h.tensors[0].begin, 0u);
  EXPECT_EQ(h.tensors[0].end, 24u);
  EXPECT_EQ(h.tensors[1].name, "b");
  EXPECT_EQ(h.tensors[1].dtype, DType::kI64);
  EXPECT_EQ(h.tensors[1].numel(), 2u);
  EXPECT_EQ(h.data_offset, 8 + h.header_size);
  EXPECT_NE(h.find("b"), nullptr);
  EXPECT_EQ(h.find("c"), nullptr);
}

TEST(SafetensorsFormat, DTypeTable) {
  const std::pair<const char*, size_t> expected[] = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},   {"I16", 2}, {"I32", 4},
      {"I64", 8},  {"F16", 2}, {"BF16", 2}, {"F32", 4}, {"F64", 8}};
  for (const auto& [name, size] : expected) {
    const auto d = parse_dtype(name);
    ASSERT_TRUE(d.has_value()) << name;
    EXPECT_STREQ(dtype_name(*d), name);
    EXPECT_EQ(dtype_size(*d), size) << name;
  }
  EXPECT_FALSE(parse_dtype("F8_E4M3").has_value());
  EXPECT_FALSE(parse_dtype("f32").has_value());
}

TEST(SafetensorsFormat, EveryCorruptionIsAClearError) {
  const auto cases = test::corrupt_safetensors_cases();
  ASSERT_GE(cases.size(), 8u);
  for (const auto& c : cases) {
    try {
      parse(c.bytes);
      ADD_FAILURE() << c.name << ": parsed without error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("mem: "), std::string::npos) << c.name << ": " << what;
      EXPECT_NE(what.find(c.expected), std::string::npos)
          << c.name << ": expected '" << c.expected << "' in: " << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << c.name << ": not one line: " << what;
    }
  }
}

TEST(SafetensorsFormat, ErrorsNameTheTensor) {
  const auto cases = test::corrupt_safetensors_cases();
  for (const auto& c : cases) {
    if (c.name != "size_mismatch" && c.name != "unknown_dtype") continue;
    try {
      parse(c.bytes);
      ADD_FAILURE() << c.name;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("tensor 'b'"), std::string::npos) << e.what();
    }
  }
}

TEST(SafetensorsFormat, BuildHeaderRoundTrips) {
  std::vector<TensorEntry> entries(3);
  entries[0].name = "w";
  entries[0].dtype = DType::kBF16;
  entries[0].shape = {3, 5};
  entries[1].name = "empty";
  entries[1].dtype = DType::kF32;
  entries[1].shape = {0, 4};
  entries[2].name = "scalar";
  entries[2].dtype = DType::kF64;
  entries[2].shape = {};
  const std::string prefix = build_header(entries, {{"format", "pt"}});
  EXPECT_EQ(prefix.size() % 8, 0u);  // data starts 8-byte aligned
  EXPECT_EQ(entries[0].end, 30u);
  EXPECT_EQ(entries[1].begin, 30u);
  EXPECT_EQ(entries[1].end, 30u);
  EXPECT_EQ(entries[2].end, 38u);
  const std::string file = prefix + std::string(38, '\0');
  const Header h = parse(file);
  ASSERT_EQ(h.tensors.size(), 3u);
  EXPECT_EQ(h.metadata.at("format"), "pt");
  const TensorEntry* w = h.find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::kBF16);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(h.find("scalar")->numel(), 1u);
  EXPECT_EQ(h.find("empty")->numel(), 0u);
}

TEST(SafetensorsFormat, BuildHeaderRejectsDuplicates) {
  std::vector<TensorEntry> entries(2);
  entries[0].name = entries[1].name = "x";
  EXPECT_THROW(build_header(entries, {}), Error);
}

TEST(SafetensorsFormat, MappedFileReadsBytesAndNamesMissingFiles) {
  test::TempDir dir;
  const auto path = dir / "x.safetensors";
  test::write_bytes(path, test::valid_safetensors());
  const auto file = MappedFile::open(path);
  ASSERT_EQ(file->size(), test::valid_safetensors().size());
  const Header h = parse_header(file->data(), file->size(), path.string());
  EXPECT_EQ(h.tensors.size(), 2u);
  try {
    MappedFile::open(dir / "missing.safetensors");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.safetensors: no such file"), std::string::npos);
  }
  EXPECT_THROW(MappedFile::open(dir.path()), Error);  // a folder
}

TEST(SafetensorsFormat, EmptyFileMapsAndFailsCleanly) {
  test::TempDir dir;
  const auto path = dir / "empty.safetensors";
  test::write_bytes(path, "");
  const auto file = MappedFile::open(path);
  EXPECT_EQ(file->size(), 0u);
  EXPECT_THROW(parse_header(file->data(), file->size(), path.string()), Error);
}

TEST(AtomicWrite, ReplacesWholeFileAndLeavesNoTemporaries) {
  test::TempDir dir;
  const auto path = dir / "out.txt";
  write_file_atomic(path, "first");
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file(path), "second");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(AtomicWrite, UncommittedWriterLeavesOldContent) {
  test::TempDir dir;
  const auto path = dir / "out.txt";
  write_file_atomic(path, "old");
  {
    AtomicFileWriter writer(path);
    writer.write("partial new content");
    // destroyed without commit(): a crash or an exception mid-write
  }
  EXPECT_EQ(read_file(path), "old");
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST(AtomicWrite, MissingFolderIsAClearError) {
  test::TempDir dir;
  try {
    write_file_atomic(dir / "no/such/folder/x.txt", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_file(dir / "nope.txt"), Error);
}

}  // namespace
}  // namespace setok::io::st

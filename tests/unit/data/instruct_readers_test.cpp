// The instruction corpora beyond LLaVA's file, in their publishers' layouts written here:
// ALLaVA-4V's release tree and PandaGPT's visual instruction JSON.
#include "setok/data/instruct_readers.h"

#include <gtest/gtest.h>

#include "errors.h"
#include "setok/io/json.h"
#include "temp_dir.h"

namespace setok::data {
namespace {

using io::Json;
using test::error_of;

Json turns(const char* human, const char* gpt) {
  return {{{"from", "human"}, {"value", human}}, {{"from", "gpt"}, {"value", gpt}}};
}

TEST(Allava, ReleaseLayoutWithPathsFromTheReleaseRoot) {
  test::TempDir dir;
  const auto root = dir / "ALLaVA-4V";
  std::filesystem::create_directories(root / "allava_laion");
  std::filesystem::create_directories(root / "allava_text");
  io::write_json(root / "allava_laion" / "ALLaVA-Instruct-LAION-4V.json",
                 {{{"id", "allava_laion_inst_100277305"},
                   {"image", "allava_laion/images/100277305.jpeg"},
                   {"conversations", turns("<image>\nWhat is the ring made of?", "Silver.")},
                   {"original_caption", "190952cz Pandora Ring"},
                   {"url", "https://example.com/ring.jpg"}},
                  {{"id", "allava_laion_inst_2"},
                   {"image", "allava_laion/images/2.jpeg"},
                   {"conversations",
                    {{{"from", "human"}, {"value", "<image>\nHi"}},
                     {{"from", "assistant"}, {"value", "x"}}}}}});
  io::write_json(root / "allava_text" / "Evol-Instruct-GPT4-Turbo-143K.json",
                 {{{"idx", "heR0vZB"}, {"conversations", turns("Write a haiku.", "Snow falls.")}}});
  std::string e =
      error_of([&] { load_allava(root / "allava_laion" / "ALLaVA-Instruct-LAION-4V.json", {}); });
  EXPECT_NE(e.find("ALLaVA-Instruct-LAION-4V.json: record 1: conversations.1: \"from\" must be "
                   "human or gpt"),
            std::string::npos)
      << e;
  const InstructDataset ds =
      load_allava(root / "allava_laion" / "ALLaVA-Instruct-LAION-4V.json", {}, true);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds.skipped, 1);
  EXPECT_EQ(ds.image_root, root);
  EXPECT_EQ(ds.records[0].id, "allava_laion_inst_100277305");
  EXPECT_EQ(ds.records[0].image, root / "allava_laion" / "images" / "100277305.jpeg");
  EXPECT_EQ(ds.records[0].conversations[1].value, "Silver.");
  const InstructDataset text =
      load_allava(root / "allava_text" / "Evol-Instruct-GPT4-Turbo-143K.json", {});
  ASSERT_EQ(text.size(), 1u);
  EXPECT_EQ(text.records[0].id, "heR0vZB");  // "idx"
  EXPECT_TRUE(text.records[0].image.empty());
  // An explicit image root wins.
  EXPECT_EQ(load_allava(root / "allava_text" / "Evol-Instruct-GPT4-Turbo-143K.json", dir / "imgs")
                .image_root,
            dir / "imgs");
}

TEST(PandaGpt, ImageNamesGainJpgAndTheImageMarker) {
  test::TempDir dir;
  io::write_json(dir / "pandagpt4_visual_instruction_data.json",
                 {{{"image_name", "000000426538"},
                   {"conversation",
                    {{{"from", "human"}, {"value", "What is the man doing?"}},
                     {{"from", "gpt"}, {"value", "He is surfing."}},
                     {{"from", "human"}, {"value", "Is it dangerous?"}},
                     {{"from", "gpt"}, {"value", "Somewhat."}}}}},
                  {{"image_name", "000000000009.jpg"},
                   {"conversation", turns("<image>\nDescribe it.", "Food.")}},
                  {{"image_name", 12}, {"conversation", turns("x", "y")}}});
  const auto file = dir / "pandagpt4_visual_instruction_data.json";
  const std::string e = error_of([&] { load_pandagpt(file, dir / "images"); });
  EXPECT_NE(e.find("pandagpt4_visual_instruction_data.json: record 2: \"image_name\" must be a "
                   "string"),
            std::string::npos)
      << e;
  const InstructDataset ds = load_pandagpt(file, dir / "images", true);
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.skipped, 1);
  EXPECT_EQ(ds.records[0].id, "000000426538");
  EXPECT_EQ(ds.records[0].image, dir / "images" / "000000426538.jpg");
  ASSERT_EQ(ds.records[0].conversations.size(), 4u);
  EXPECT_EQ(ds.records[0].conversations[0].value, "<image>\nWhat is the man doing?");
  EXPECT_EQ(ds.records[0].conversations[2].value, "Is it dangerous?");  // marked once
  EXPECT_EQ(ds.records[1].image, dir / "images" / "000000000009.jpg");
  EXPECT_EQ(ds.records[1].conversations[0].value, "<image>\nDescribe it.");  // already marked
}

}  // namespace
}  // namespace setok::data

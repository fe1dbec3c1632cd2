#pragma once
// Readers for the instruction corpora of the original fine-tuning mixture beyond LLaVA's own file
// (load_instruct_dataset), as their publishers ship them (docs/data.md); each yields instruct
// records that train through the same chat template as LLaVA conversations.
#include <filesystem>

#include "setok/data/datasets.h"

namespace setok::data {

// ALLaVA-4V (FreedomIntelligence/ALLaVA-4V): allava_laion/ALLaVA-{Caption,Instruct}-LAION-4V.json,
// allava_vflan/ALLaVA-{Caption,Instruct}-VFLAN-4V.json and allava_text/
// Evol-Instruct-GPT4-Turbo-143K.json; LLaVA's record layout ({"id", "image", "conversations"},
// the text-only file keys its records "idx" and has no image; "original_caption" and "url" are
// ignored). Image paths are relative to the release root ("allava_laion/images/100277305.jpeg"),
// so the default image root is the folder above the JSON's.
InstructDataset load_allava(const std::filesystem::path& file,
                            const std::filesystem::path& image_root, bool skip_bad = false);

// PandaGPT's visual instruction data (pandagpt4_visual_instruction_data.json): an array of
// {"image_name", "conversation": [{"from": "human" | "gpt", "value"}]}. As PandaGPT's loader,
// ".jpg" is appended to an image name without it; the record id is the image name. PandaGPT puts
// the image before the text rather than marking it, so "<image>\n" opens the first human turn
// when no turn holds "<image>".
InstructDataset load_pandagpt(const std::filesystem::path& file,
                              const std::filesystem::path& image_root, bool skip_bad = false);

}  // namespace setok::data

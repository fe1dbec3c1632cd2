#include "chat.h"

#include <iostream>
#include <memory>

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "setok/infer/chat.h"
#include "setok/llm/llm_builder.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"

namespace setok::apps {

std::function<int()> add_chat_command(CLI::App& app, const CommonFlags& common) {
  struct Flags {
    llm::LlmConfig llm;
    std::string prompt;
    infer::ChatOptions chat;
    std::string device = "cpu";
    int64_t seed = 0;
    bool show_prompt = false;
  };
  auto f = std::make_shared<Flags>();
  f->chat.generation.max_new_tokens = 128;
  CLI::App* cmd = app.add_subcommand(
      "chat",
      "Text-only chat with a LLaMA model (HF folder): the prompt goes through the chat template "
      "and the reply is printed as it is generated");
  cmd->add_option("--llm", f->llm.pretrained, "HF LLaMA folder (config.json + safetensors)")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--tokenizer", f->llm.tokenizer,
                  "SentencePiece tokenizer.model (default: <llm>/tokenizer.model)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--lora", f->llm.lora.adapter, "PEFT LoRA adapter folder to apply")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--prompt", f->prompt, "the user's message")->required();
  cmd->add_option("--template", f->chat.template_name, "vicuna_v1, plain or none (raw text)")
      ->check(CLI::IsMember({"vicuna_v1", "plain", "none"}))
      ->capture_default_str();
  add_generation_flags(*cmd, f->chat.generation);
  cmd->add_option("--seed", f->seed, "sampling seed")->capture_default_str();
  cmd->add_option("--device", f->device, "cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--dtype", f->llm.dtype, "float32, bfloat16 or float16")
      ->check(CLI::IsMember({"float32", "bfloat16", "float16"}))
      ->capture_default_str();
  cmd->add_flag("--show-prompt", f->show_prompt, "print the templated prompt to stderr first");
  return [f, &common] {
    apply_common_flags(common);
    runtime::seed_all(static_cast<uint64_t>(f->seed));
    f->chat.generation.seed = static_cast<uint64_t>(f->seed);
    const c10::Device device = runtime::resolve_device(f->device);
    llm::Llm llm = llm::build_llm(f->llm, device);
    if (!llm.tokenizer) {
      throw Error("chat: " + f->llm.pretrained +
                  " has no tokenizer.model; give one with --tokenizer");
    }
    if (f->show_prompt) {
      std::cerr << infer::chat_prompt(f->chat.template_name, f->prompt) << "\n";
    }
    const infer::ChatResult r =
        infer::chat(llm.model, *llm.tokenizer, f->prompt, f->chat,
                    [](const std::string& piece) { std::cout << piece << std::flush; });
    std::cout << "\n";
    spdlog::info("{} prompt tokens, {} new tokens ({}), {:.2f} s, {:.1f} tokens/s", r.prompt_tokens,
                 r.new_tokens, r.finish, r.seconds,
                 r.seconds > 0 ? static_cast<double>(r.new_tokens) / r.seconds : 0.0);
    return 0;
  };
}

}  // namespace setok::apps

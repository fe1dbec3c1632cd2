// setok_bench: performance measurements (never asserted by tests; see docs/benchmarks.md).
#include <iostream>

#include <CLI/CLI.hpp>

#include "common.h"
#include "setok/config/config.h"
#include "setok/dist/collective_bench.h"
#include "setok/dist/dist_env.h"
#include "setok/infer/data_bench.h"
#include "setok/infer/diffloss_bench.h"
#include "setok/infer/llm_bench.h"
#include "setok/infer/tokenizer_bench.h"
#include "setok/llm/llm_builder.h"
#include "setok/llm/llm_run_config.h"
#include "setok/runtime/app.h"
#include "setok/runtime/device.h"
#include "setok/runtime/error.h"
#include "setok/runtime/seed.h"
#include "setok/train/mllm_bench.h"
#include "setok/train/setokim_plan.h"
#include "setok/train/stage1_config.h"

int main(int argc, char** argv) {
  CLI::App app{"setok_bench: measure setok components"};
  app.require_subcommand(1);
  setok::apps::CommonFlags common;
  setok::apps::add_common_flags(app, common);

  setok::apps::ConfigFlags config_flags;
  setok::infer::TokenizerBenchOptions options;
  bool json = false;
  CLI::App* tok = app.add_subcommand(
      "tokenizer",
      "Batched SeTok tokenizer vs its loop mode (per-image clustering, per-cluster merging) on "
      "the same weights and random images: images/s, ratio, and the tower / clustering+merger "
      "split. Without --config: the built-in defaults (a SigLIP-B/16-sized random tower)");
  setok::apps::add_config_flags(*tok, config_flags, setok::train::Stage1Config{},
                                /*required=*/false);
  tok->add_option("--batch", options.batch, "images per batch")->capture_default_str();
  tok->add_option("--iters", options.iters, "timed repetitions (median reported)")
      ->capture_default_str();
  tok->add_option("--warmup", options.warmup, "untimed repetitions first")->capture_default_str();
  tok->add_flag("--json", json, "machine-readable JSON on stdout");

  setok::infer::DiffLossBenchOptions dl_options;
  std::string dl_device = "cpu";
  bool dl_json = false;
  CLI::App* dl = app.add_subcommand(
      "diffloss", "DiffLoss sampling time (full respaced reverse process) and training step time");
  dl->add_option("--device", dl_device, "cpu, cuda or cuda:N")->capture_default_str();
  dl->add_option("--tokens", dl_options.tokens, "rows sampled at once")->capture_default_str();
  dl->add_option("--target", dl_options.target_channels, "token width")->capture_default_str();
  dl->add_option("--condition", dl_options.z_channels, "condition width")->capture_default_str();
  dl->add_option("--width", dl_options.width, "MLP width")->capture_default_str();
  dl->add_option("--depth", dl_options.depth, "residual blocks")->capture_default_str();
  dl->add_option("--steps", dl_options.steps, "sampling steps (respacing)")->capture_default_str();
  dl->add_option("--iters", dl_options.iters, "timed repetitions (median)")->capture_default_str();
  dl->add_flag("--json", dl_json, "machine-readable JSON on stdout");

  setok::apps::ConfigFlags llm_config_flags;
  setok::infer::LlmBenchOptions llm_options;
  bool llm_json = false;
  CLI::App* llm_cmd = app.add_subcommand(
      "llm",
      "LLaMA forward+backward tokens/s and KV-cache decode tokens/s on random tokens. The model "
      "is model.llm of --config (pretrained folder or random init; configs/llm_tiny.json, "
      "configs/llm_1b.json); without --config the built-in tiny defaults with a 32000-token "
      "vocabulary");
  setok::apps::add_config_flags(*llm_cmd, llm_config_flags, setok::llm::LlmRunConfig{},
                                /*required=*/false);
  llm_cmd->add_option("--batch", llm_options.batch, "rows")->capture_default_str();
  llm_cmd->add_option("--seq", llm_options.seq, "training sequence length")->capture_default_str();
  llm_cmd->add_option("--prompt", llm_options.prompt, "prefill length before decoding")
      ->capture_default_str();
  llm_cmd->add_option("--new-tokens", llm_options.new_tokens, "decoded tokens per row")
      ->capture_default_str();
  llm_cmd->add_option("--iters", llm_options.iters, "timed repetitions (median)")
      ->capture_default_str();
  llm_cmd->add_option("--warmup", llm_options.warmup, "untimed repetitions first")
      ->capture_default_str();
  llm_cmd->add_flag("--json", llm_json, "machine-readable JSON on stdout");

  setok::apps::ConfigFlags mllm_config_flags;
  setok::train::MllmBenchOptions mllm_options;
  bool mllm_json = false;
  CLI::App* mllm_cmd = app.add_subcommand(
      "mllm",
      "Setokim training steps, stage 2 (projectors + special rows + diffusion head over a frozen "
      "LLM) and stage 3 (LoRA + the rest), on random weights shaped by --config (a setokim_* "
      "config: configs/setokim_tiny_pretrain.json, configs/setokim_vicuna7b_finetune.json): "
      "ms/step, tokens/s, peak memory");
  setok::apps::add_config_flags(*mllm_cmd, mllm_config_flags, setok::train::SetokimConfig{},
                                /*required=*/true);
  mllm_cmd->add_option("--batch", mllm_options.batch, "samples")->capture_default_str();
  mllm_cmd->add_option("--text", mllm_options.text, "text tokens per sample")
      ->capture_default_str();
  mllm_cmd->add_option("--slots", mllm_options.slots, "output-image slots per sample")
      ->capture_default_str();
  mllm_cmd->add_option("--iters", mllm_options.iters, "timed repetitions (median)")
      ->capture_default_str();
  mllm_cmd->add_option("--warmup", mllm_options.warmup, "untimed repetitions first")
      ->capture_default_str();
  mllm_cmd->add_flag("--json", mllm_json, "machine-readable JSON on stdout");
  setok::infer::DataBenchOptions data_options;
  std::string data_scratch;
  bool data_json = false;
  CLI::App* data_cmd = app.add_subcommand(
      "data",
      "Loading a publisher-layout dataset: writes a VQAv2-layout questions + annotations pair "
      "(ten answers per question) or a LLaVA-layout conversation file, and times reading it into "
      "conversations; reports the peak memory loading adds");
  data_cmd->add_option("--layout", data_options.layout, "vqav2 or llava")
      ->check(CLI::IsMember({"vqav2", "llava"}))
      ->capture_default_str();
  data_cmd->add_option("--records", data_options.records, "questions")->capture_default_str();
  data_cmd->add_option("--iters", data_options.iters, "timed repetitions (median)")
      ->capture_default_str();
  data_cmd->add_option("--warmup", data_options.warmup, "untimed repetitions first")
      ->capture_default_str();
  data_cmd->add_option("--scratch", data_scratch,
                       "folder for the generated files (default: a fresh one under /tmp, "
                       "removed afterwards)");
  data_cmd->add_flag("--json", data_json, "machine-readable JSON on stdout");
  setok::dist::CollectiveBenchOptions dist_options;
  std::string dist_device = "cpu", dist_backend = "auto";
  double dist_timeout = 120;
  bool dist_json = false;
  CLI::App* dist_cmd = app.add_subcommand(
      "dist",
      "All-reduce bandwidth of the process group by message size (float32; algorithm and bus "
      "bandwidth). Run it as the ranks of a world: scripts/launch.sh --nproc 2 setok_bench dist "
      "(or under torchrun --no-python / srun). Rank 0 prints. Training step time at 1 and 2 "
      "processes: scripts/bench_dist.sh");
  dist_cmd->add_option("--sizes", dist_options.sizes_kib, "message sizes in KiB")
      ->capture_default_str();
  dist_cmd->add_option("--device", dist_device, "cpu (Gloo) or cuda (NCCL, cuda:LOCAL_RANK)")
      ->capture_default_str();
  dist_cmd->add_option("--backend", dist_backend, "auto, gloo or nccl")
      ->check(CLI::IsMember({"auto", "gloo", "nccl"}))
      ->capture_default_str();
  dist_cmd->add_option("--timeout", dist_timeout, "seconds for the rendezvous and each collective")
      ->capture_default_str();
  dist_cmd->add_option("--iters", dist_options.iters, "timed repetitions (median)")
      ->capture_default_str();
  dist_cmd->add_option("--warmup", dist_options.warmup, "untimed repetitions first")
      ->capture_default_str();
  dist_cmd->add_flag("--json", dist_json, "machine-readable JSON on stdout");
  if (const int code = setok::apps::parse_command_line(app, "setok_bench", argc, argv); code >= 0)
    return code;
  if (app.got_subcommand("dist")) {
    return setok::runtime::run_app("setok_bench", [&] {
      setok::apps::apply_common_flags(common);
      const setok::dist::DistEnv env = setok::dist::read_dist_env();
      if (!env.distributed()) {
        throw setok::Error(
            "setok_bench dist: one process (no RANK / WORLD_SIZE or SLURM_* variables); start "
            "it as the ranks of a world: scripts/launch.sh --nproc 2 setok_bench dist");
      }
      c10::Device device = setok::runtime::resolve_device(dist_device);
      if (device.is_cuda()) device = c10::Device(c10::kCUDA, env.local_rank);
      setok::dist::GroupOptions go;
      go.backend = dist_backend;
      go.timeout_s = dist_timeout;
      const auto group = setok::dist::ProcessGroup::create(env, device, go);
      const auto r = setok::dist::bench_all_reduce(*group, device, dist_options);
      if (env.rank == 0) std::cout << (dist_json ? r.to_json().dump(2) + "\n" : r.to_text());
      return 0;
    });
  }
  if (app.got_subcommand("data")) {
    return setok::runtime::run_app("setok_bench", [&] {
      setok::apps::apply_common_flags(common);
      data_options.scratch = data_scratch;
      const auto r = setok::infer::bench_data_reading(data_options);
      std::cout << (data_json ? r.to_json().dump(2) + "\n" : r.to_text());
      return 0;
    });
  }
  if (app.got_subcommand("mllm")) {
    return setok::runtime::run_app("setok_bench", [&] {
      setok::train::SetokimConfig cfg;
      // Shapes only: no weights, tokenizer or data files are read.
      setok::config::load(cfg, mllm_config_flags.config, mllm_config_flags.sets);
      if (!mllm_config_flags.device.empty()) cfg.runtime.device = mllm_config_flags.device;
      if (common.threads >= 0) cfg.runtime.threads = common.threads;
      const c10::Device device = cfg.runtime.apply();
      setok::mllm::SetokimModel model = setok::train::random_setokim_model(cfg);
      mllm_options.bf16 = cfg.train.precision == "bf16" && device.is_cuda();
      mllm_options.lora = cfg.model.llm.lora.options();
      const auto r = setok::train::bench_mllm(model, device, mllm_options);
      std::cout << (mllm_json ? r.to_json().dump(2) + "\n" : r.to_text());
      return 0;
    });
  }
  if (app.got_subcommand("llm")) {
    return setok::runtime::run_app("setok_bench", [&] {
      setok::llm::LlmRunConfig cfg;
      const c10::Device device = setok::apps::load_and_apply(cfg, llm_config_flags, common,
                                                             cfg.runtime, cfg.log, {"model.llm"});
      setok::llm::LlmConfig llm_cfg = cfg.model.llm;
      if (llm_cfg.vocab_size == 0 && llm_cfg.tokenizer_path().empty()) llm_cfg.vocab_size = 32000;
      setok::llm::Llm llm = setok::llm::build_llm(llm_cfg, device);
      const auto r = setok::infer::bench_llm(llm.model, device, llm_options);
      std::cout << (llm_json ? r.to_json().dump(2) + "\n" : r.to_text());
      return 0;
    });
  }
  if (app.got_subcommand("diffloss")) {
    return setok::runtime::run_app("setok_bench", [&] {
      setok::apps::apply_common_flags(common);
      setok::runtime::seed_all(0);
      const auto r =
          setok::infer::bench_diffloss(setok::runtime::resolve_device(dl_device), dl_options);
      std::cout << (dl_json ? r.to_json().dump(2) + "\n" : r.to_text());
      return 0;
    });
  }

  return setok::runtime::run_app("setok_bench", [&] {
    setok::train::Stage1Config cfg;
    const c10::Device device = setok::apps::load_and_apply(
        cfg, config_flags, common, cfg.runtime, cfg.log, {"model.vision", "model.tokenizer"});
    options.seed = static_cast<uint64_t>(cfg.runtime.seed);
    setok::tokenizer::SetokTokenizer model(cfg.model.vision, cfg.model.tokenizer);
    model->to(device);
    const auto result = setok::infer::bench_tokenizer(*model, device, options);
    std::cout << (json ? result.to_json().dump(2) + "\n" : result.to_text());
    return 0;
  });
}

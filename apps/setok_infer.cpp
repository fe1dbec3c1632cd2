// setok_infer: inference and inspection from the command line.
#include <CLI/CLI.hpp>

#include "answer.h"
#include "chat.h"
#include "common.h"
#include "demo_eval.h"
#include "export.h"
#include "images.h"
#include "inspect.h"
#include "plot.h"
#include "setok/runtime/app.h"
#include "tokenize.h"

int main(int argc, char** argv) {
  CLI::App app{"setok_infer: run SeTok / Setokim inference and inspect checkpoints"};
  app.require_subcommand(1);
  setok::apps::CommonFlags common;
  setok::apps::add_common_flags(app, common);
  auto inspect = setok::apps::add_inspect_command(app);
  auto tokenize = setok::apps::add_tokenize_command(app, common);
  auto chat = setok::apps::add_chat_command(app, common);
  auto plot = setok::apps::add_plot_command(app);
  auto export_run = setok::apps::add_export_command(app, common);
  auto answer = setok::apps::add_answer_commands(app, common);
  auto images = setok::apps::add_image_commands(app, common);
  auto demo_eval = setok::apps::add_demo_eval_command(app, common);
  if (const int code = setok::apps::parse_command_line(app, "setok_infer", argc, argv); code >= 0)
    return code;
  return setok::runtime::run_app("setok_infer", [&] {
    if (app.got_subcommand("inspect")) {
      setok::apps::apply_common_flags(common);
      return inspect();
    }
    if (app.got_subcommand("chat")) return chat();
    if (app.got_subcommand("plot")) return plot();
    if (app.got_subcommand("export")) return export_run();
    if (app.got_subcommand("vqa") || app.got_subcommand("caption")) return answer();
    if (app.got_subcommand("demo-eval")) return demo_eval();
    for (const char* name : {"generate", "edit", "reconstruct"})
      if (app.got_subcommand(name)) return images();
    return tokenize();
  });
}

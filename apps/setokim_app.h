#pragma once
// The shared front end of setok_pretrain (stage 2) and setok_finetune (stage 3): flags, config,
// the Setokim recipe on the training engine.
#include <string>

namespace setok::apps {

int run_setokim_app(int argc, char** argv, const std::string& name, const std::string& description);

}  // namespace setok::apps

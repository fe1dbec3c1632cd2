#pragma once
// Precompiled header for the library, apps and tests: the heavy, stable third-party headers.
// Our own headers never go here (editing them must not rebuild the PCH).
#include <ATen/ATen.h>
#include <spdlog/spdlog.h>
#include <torch/nn/module.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

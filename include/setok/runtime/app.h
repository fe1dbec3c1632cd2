#pragma once
// Shared start-up and error handling for the command-line apps.
#include <functional>
#include <string>

namespace setok::runtime {

// Runs `body`; any exception becomes "<program>: error: <message>" on stderr and exit code 1
// (torch errors without their C++ backtrace). Returns body's exit code otherwise.
int run_app(const std::string& program, const std::function<int()>& body);

}  // namespace setok::runtime

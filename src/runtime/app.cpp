#include "setok/runtime/app.h"

#include <iostream>

#include <c10/util/Exception.h>

#include "setok/runtime/error.h"
#include "setok/runtime/heap.h"

namespace setok::runtime {

int run_app(const std::string& program, const std::function<int()>& body) {
  tune_heap_for_tensors();  // before the first tensor
  try {
    return body();
  } catch (const Error& e) {
    std::cerr << program << ": error: " << e.what() << std::endl;
  } catch (const c10::Error& e) {
    std::cerr << program << ": error: " << e.what_without_backtrace() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << std::endl;
  }
  return 1;
}

}  // namespace setok::runtime

# Warning flags for our own targets (torch and other imported headers are SYSTEM includes).
function(setok_target_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter
                                           -Wnon-virtual-dtor -Wshadow=local)
endfunction()

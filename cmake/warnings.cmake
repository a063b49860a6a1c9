# Warnings for our code (../shared/STYLE.md section 14). -Wconversion only on src/.
set(VEM_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wvla -Wformat=2)
set(VEM_SRC_WARNINGS -Wconversion)
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  # Clang (not GCC) flags `snprintf(buf, n, r ? "" : "state %zu", i)` in cli/cmd_hmm.c:
  # an empty format there is meant (it writes ""). Drop this once that line changes.
  list(APPEND VEM_WARNINGS -Wno-format-zero-length)
endif()
if(VEM_WERROR)
  list(APPEND VEM_WARNINGS -Werror)
endif()

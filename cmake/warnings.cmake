# Warnings for our code (../shared/STYLE.md section 14). -Wconversion only on src/.
set(VEM_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wvla -Wformat=2)
set(VEM_SRC_WARNINGS -Wconversion)
if(VEM_WERROR)
  list(APPEND VEM_WARNINGS -Werror)
endif()

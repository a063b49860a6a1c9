/*
 * src/core/limits.c — the memory limit and the checks made before large allocations
 * (docs/reliability.md, "Limits"): sizes a file declares against the file's own size,
 * and memory needs against vem_memory_limit().
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static size_t memory_limit; /* 0: the default, half the physical memory */

void vem_set_memory_limit(size_t bytes)
{
    memory_limit = bytes;
}

size_t vem_memory_limit(void)
{
    if (memory_limit)
        return memory_limit;
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t total;
    if (pages <= 0 || page <= 0 || !vem__mul_ok((size_t)pages, (size_t)page, &total))
        return (size_t)4 << 30;
    return total / 2;
}

const char *vem__bytes_text(double bytes, char *buf, size_t n)
{
    static const char *const unit[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
    size_t u = 0;
    while (bytes >= 1000 && u < 6) {
        bytes /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%.0f bytes", bytes);
    else
        snprintf(buf, n, "%.3g %s", bytes, unit[u]);
    return buf;
}

int vem__file_size(const char *path, size_t *out)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 0)
        return 0;
    *out = (size_t)sb.st_size;
    return 1;
}

vem_status vem__check_memory(const char *what, double bytes)
{
    size_t limit = vem_memory_limit();
    if (bytes <= (double)limit)
        return VEM_OK;
    char need[32], have[32];
    return VEM_FAIL(VEM_ENOMEM,
                    "%s needs %s, more than the memory limit of %s (VEM_MEMORY_LIMIT; "
                    "docs/reliability.md)",
                    what, vem__bytes_text(bytes, need, sizeof need),
                    vem__bytes_text((double)limit, have, sizeof have));
}

vem_status vem__check_declared(const char *path, const char *what, double count,
                               const char *unit, double unit_bytes, double copies,
                               double min_file_bytes, double file_bytes)
{
    char need[32];
    if (count * min_file_bytes > file_bytes)
        return VEM_FAIL(VEM_EFORMAT, "%s: %s = %.3g %s (%s) exceeds the file's %.0f bytes", path,
                        what, count, unit, vem__bytes_text(count * unit_bytes, need, sizeof need),
                        file_bytes);
    size_t limit = vem_memory_limit();
    if (count * unit_bytes * copies > (double)limit) {
        char have[32];
        return VEM_FAIL(VEM_ENOMEM,
                        "%s: %s = %.3g %s need %s, more than the memory limit of %s "
                        "(VEM_MEMORY_LIMIT; docs/reliability.md)",
                        path, what, count, unit,
                        vem__bytes_text(count * unit_bytes * copies, need, sizeof need),
                        vem__bytes_text((double)limit, have, sizeof have));
    }
    return VEM_OK;
}

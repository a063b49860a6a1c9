/* src/core/status.c — status texts and the thread-local error detail. */
#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

static _Thread_local char errbuf[512];
static _Thread_local vem_status last_status;

const char *vem_strerror(vem_status s)
{
    switch (s) {
    case VEM_OK:
        return "success";
    case VEM_CONTINUE:
        return "not converged yet";
    case VEM_EINVAL:
        return "invalid argument";
    case VEM_ENOMEM:
        return "out of memory";
    case VEM_EIO:
        return "input/output error";
    case VEM_EFORMAT:
        return "malformed input";
    case VEM_ENUMERIC:
        return "numerical failure";
    case VEM_EMAXITER:
        return "maximum number of iterations reached";
    case VEM_EUNSUP:
        return "not supported";
    case VEM_EINTR:
        return "interrupted";
    }
    return "unknown status";
}

const char *vem_errmsg(void)
{
    return errbuf;
}

const char *vem_version(void)
{
    return "0.1.0";
}

size_t vem_escape_text(char *dst, size_t n, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)src; *p && n > 0; p++) {
        /* C0 controls, DEL, and C1 controls written in UTF-8 (C2 80 to C2 9F, e.g. CSI). */
        int c1 = p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F;
        if (*p >= 0x20 && *p != 0x7F && !c1) {
            if (o + 1 >= n)
                break;
            dst[o++] = (char)*p;
            continue;
        }
        unsigned v = c1 ? p[1] : *p;
        if (o + 4 >= n)
            break;
        dst[o++] = '\\';
        dst[o++] = 'x';
        dst[o++] = hex[v >> 4];
        dst[o++] = hex[v & 15];
        p += c1;
    }
    if (n > 0)
        dst[o] = '\0';
    return o;
}

vem_status vem__fail(vem_status s, const char *fmt, ...)
{
    char raw[sizeof errbuf];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* Messages quote input (cells, names, options): never pass its control bytes on. */
    vem_escape_text(errbuf, sizeof errbuf, raw);
    last_status = s;
    return s;
}

vem_status vem__last_status(void)
{
    return last_status;
}

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

vem_status vem__fail(vem_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    last_status = s;
    return s;
}

vem_status vem__last_status(void)
{
    return last_status;
}

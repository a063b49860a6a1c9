/*
 * src/core/comm.c — agreeing on failures over a communicator (vem_comm_agree)
 * and the few collectives the distributed readers need before a fit
 * (core/comm_internal.h), all on the communicator's reduce, broadcast and gather.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <vem/comm.h>
#include <vem/io.h>

#include "core/comm_internal.h"
#include "internal.h"

static vem_status solo_same(double *buf, size_t len, void *ctx)
{
    (void)buf;
    (void)len;
    (void)ctx;
    return VEM_OK;
}

static vem_status solo_gather(const double *buf, size_t len, double **out, size_t *out_len,
                              void *ctx)
{
    (void)ctx;
    *out = malloc((len ? len : 1) * sizeof **out);
    *out_len = *out ? len : 0;
    if (!*out)
        return VEM_FAIL(VEM_ENOMEM, "gather: %zu doubles", len);
    if (len)
        memcpy(*out, buf, len * sizeof **out);
    return VEM_OK;
}

const vem_comm *vem__comm_solo(void)
{
    static const vem_comm solo = {.rank = 0,
                                  .size = 1,
                                  .reduce = solo_same,
                                  .broadcast = solo_same,
                                  .gather = solo_gather,
                                  .ctx = NULL};
    return &solo;
}

/* Ranks per reduce when every process fills its own slot: no allocation, so that
 * agreeing on an allocation failure cannot itself fail. */
enum { SLOTS = 256 };

/*
 * Every process's value mine, seen in rank order: the processes' slots are summed
 * (one reduce per SLOTS ranks; each slot is one process's value plus zeros, so
 * exact), then see(r, value, arg) is called for every rank r on every process.
 */
static vem_status per_rank(const vem_comm *c, double mine, void (*see)(int, double, void *),
                           void *arg)
{
    double buf[SLOTS];
    for (int r0 = 0; r0 < c->size; r0 += SLOTS) {
        const int n = c->size - r0 < SLOTS ? c->size - r0 : SLOTS;
        memset(buf, 0, (size_t)n * sizeof *buf);
        if (c->rank >= r0 && c->rank < r0 + n)
            buf[c->rank - r0] = mine;
        vem_status st = c->reduce(buf, (size_t)n, c->ctx);
        if (st != VEM_OK)
            return VEM_FAIL(st, "the communicator's reduce failed (%s)", vem_strerror(st));
        for (int i = 0; i < n; i++)
            see(r0 + i, buf[i], arg);
    }
    return VEM_OK;
}

typedef struct first_failure {
    int rank;
    vem_status st;
} first_failure;

static void see_failure(int r, double v, void *arg)
{
    first_failure *ff = arg;
    if (v != 0.0 && ff->rank < 0) {
        ff->rank = r;
        ff->st = (vem_status)v;
    }
}

/* Characters of an error detail sent from the process that failed (vem_errmsg's buffer). */
enum { DETAIL_LEN = 512 };

vem_status vem_comm_agree(const vem_comm *comm, vem_status st)
{
    if (!comm)
        return st;
    /* One reduce counts the failures: the whole cost when none failed. */
    double failed = st != VEM_OK;
    vem_status cst = comm->reduce(&failed, 1, comm->ctx);
    if (cst != VEM_OK || failed == 0)
        return cst;
    first_failure ff = {-1, VEM_OK};
    if ((cst = per_rank(comm, (double)st, see_failure, &ff)) != VEM_OK)
        return cst;
    /* The reporter's detail, one character per double, to every process. */
    double text[DETAIL_LEN] = {0};
    if (comm->rank == ff.rank) {
        const char *msg = vem_errmsg();
        for (size_t i = 0; i + 1 < DETAIL_LEN && msg[i]; i++)
            text[i] = (double)(unsigned char)msg[i];
    }
    if ((cst = comm->reduce(text, DETAIL_LEN, comm->ctx)) != VEM_OK)
        return cst;
    char detail[DETAIL_LEN];
    for (size_t i = 0; i < DETAIL_LEN; i++)
        detail[i] = (char)(unsigned char)text[i];
    detail[DETAIL_LEN - 1] = '\0';
    return VEM_FAIL(ff.st, "%s", detail);
}

static void see_max(int r, double v, void *arg)
{
    double *m = arg;
    (void)r;
    *m = v > *m ? v : *m;
}

vem_status vem__comm_max_size(const vem_comm *c, size_t *v)
{
    double m = 0.0;
    vem_status st = per_rank(c, (double)*v, see_max, &m);
    if (st == VEM_OK)
        *v = (size_t)m;
    return st;
}

/* n doubles, agreed on: every process gets a buffer or every process fails. */
static vem_status agreed_doubles(const vem_comm *c, size_t n, double **out)
{
    *out = vem__alloc_doubles(n ? n : 1, 1);
    vem_status st = vem_comm_agree(c, *out ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "out of memory "
                                                                "(process %d)", c->rank));
    if (st != VEM_OK) {
        vem__free(*out);
        *out = NULL;
    }
    return st;
}

/* n sizes as doubles through the broadcast (sum 0) or the reduce (sum 1). */
static vem_status sizes_collective(const vem_comm *c, size_t *v, size_t n, int sum)
{
    double *b;
    vem_status st = agreed_doubles(c, n, &b);
    if (st != VEM_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        b[i] = (double)v[i];
    st = sum ? c->reduce(b, n, c->ctx) : c->broadcast(b, n, c->ctx);
    for (size_t i = 0; st == VEM_OK && i < n; i++)
        v[i] = (size_t)b[i];
    vem__free(b);
    return st;
}

vem_status vem__comm_bcast_sizes(const vem_comm *c, size_t *v, size_t n)
{
    return sizes_collective(c, v, n, 0);
}

vem_status vem__comm_sum_sizes(const vem_comm *c, size_t *v, size_t n)
{
    return sizes_collective(c, v, n, 1);
}

/* ------------------------------------------------- strings as doubles */

enum { BYTES_PER_DOUBLE = 6 }; /* 48 bits: exact in a double's 53 */

/* Doubles of n strings packed: [n, total bytes, n lengths, the bytes six to a double]. */
static size_t packed_len(const char *const *s, size_t n, size_t *bytes)
{
    size_t b = 0;
    for (size_t i = 0; i < n; i++)
        b += strlen(s[i]);
    *bytes = b;
    return 2 + n + (b + BYTES_PER_DOUBLE - 1) / BYTES_PER_DOUBLE;
}

/* Pack n strings into a new array of *len doubles; NULL when out of memory. */
static double *pack_strings(const char *const *s, size_t n, size_t *len)
{
    size_t bytes;
    *len = packed_len(s, n, &bytes);
    double *b = vem__alloc_doubles(*len, 1);
    if (!b)
        return NULL;
    b[0] = (double)n;
    b[1] = (double)bytes;
    double *words = b + 2 + n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t li = strlen(s[i]);
        b[2 + i] = (double)li;
        for (size_t j = 0; j < li; j++, k++) {
            const uint64_t byte = (unsigned char)s[i][j];
            words[k / BYTES_PER_DOUBLE] += (double)(byte << (8 * (k % BYTES_PER_DOUBLE)));
        }
    }
    return b;
}

/* The strings of one packed block at b (at most len doubles) into a new list;
 * *used gets the block's length. VEM_EFORMAT for a block that does not fit. */
static vem_status unpack_strings(const double *b, size_t len, size_t *used, char ***out,
                                 size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    if (len < 2 || b[0] > (double)(len - 2))
        return VEM_FAIL(VEM_EFORMAT, "strings from the other processes: a bad block");
    const size_t n = (size_t)b[0], bytes = (size_t)b[1];
    const size_t words = (bytes + BYTES_PER_DOUBLE - 1) / BYTES_PER_DOUBLE;
    if (b[1] > (double)(len * BYTES_PER_DOUBLE) || 2 + n + words > len)
        return VEM_FAIL(VEM_EFORMAT, "strings from the other processes: a bad block");
    char **s = vem__calloc(n ? n : 1, sizeof *s);
    if (!s)
        return VEM_FAIL(VEM_ENOMEM, "strings from the other processes");
    const double *w = b + 2 + n;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const size_t li = (size_t)b[2 + i];
        if (li > bytes - k || !(s[i] = vem__malloc(li + 1))) {
            vem_symbols_free(s, i);
            return li > bytes - k
                       ? VEM_FAIL(VEM_EFORMAT, "strings from the other processes: a bad block")
                       : VEM_FAIL(VEM_ENOMEM, "strings from the other processes");
        }
        for (size_t j = 0; j < li; j++, k++) {
            const uint64_t word = (uint64_t)w[k / BYTES_PER_DOUBLE];
            s[i][j] = (char)((word >> (8 * (k % BYTES_PER_DOUBLE))) & 0xff);
        }
        s[i][li] = '\0';
    }
    *used = 2 + n + words;
    *out = s;
    *n_out = n;
    return VEM_OK;
}

/* Process 0: the sorted distinct strings of the gathered blocks (got, len doubles). */
static vem_status union_of_blocks(const double *got, size_t len, char ***all, size_t *n_all)
{
    char **list = NULL;
    size_t n = 0, cap = 0;
    vem_status st = VEM_OK;
    for (size_t at = 0; at < len && st == VEM_OK;) {
        char **s;
        size_t ns, used;
        st = unpack_strings(got + at, len - at, &used, &s, &ns);
        if (st != VEM_OK)
            break;
        if (n + ns > cap) {
            size_t nc = (n + ns) * 2;
            char **g = vem__realloc(list, nc * sizeof *g);
            if (!g) {
                vem_symbols_free(s, ns);
                st = VEM_FAIL(VEM_ENOMEM, "symbols of all processes");
                break;
            }
            list = g;
            cap = nc;
        }
        memcpy(list + n, s, ns * sizeof *s);
        vem__free(s);
        n += ns;
        at += used;
    }
    double *scratch = st == VEM_OK ? vem__alloc_doubles(n ? n : 1, 1) : NULL;
    if (st == VEM_OK && !scratch)
        st = VEM_FAIL(VEM_ENOMEM, "symbols of all processes");
    if (st == VEM_OK)
        st = vem_symbols_encode((const char *const *)list, n, NULL, 0, scratch, all, n_all);
    vem__free(scratch);
    vem_symbols_free(list, n);
    return st;
}

vem_status vem__comm_strings_union(const vem_comm *c, const char *const *mine, size_t n,
                                   char ***all, size_t *n_all)
{
    *all = NULL;
    *n_all = 0;
    size_t len = 0, total = 0;
    double *packed = pack_strings(mine, n, &len), *got = NULL;
    vem_status st = vem_comm_agree(c, packed ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "symbols"));
    if (st == VEM_OK)
        st = c->gather(packed, len, &got, &total, c->ctx);
    vem__free(packed);
    packed = NULL;
    if (st != VEM_OK) {
        free(got);
        return st;
    }
    /* Process 0 makes the list and sends it packed. */
    char **u = NULL;
    size_t nu = 0, ulen = 0;
    vem_status mine_st = VEM_OK;
    if (c->rank == 0) {
        mine_st = union_of_blocks(got, total, &u, &nu);
        if (mine_st == VEM_OK && !(packed = pack_strings((const char *const *)u, nu, &ulen)))
            mine_st = VEM_FAIL(VEM_ENOMEM, "symbols");
    }
    free(got);
    st = vem_comm_agree(c, mine_st);
    if (st == VEM_OK)
        st = vem__comm_bcast_sizes(c, &ulen, 1);
    if (st == VEM_OK && c->rank != 0)
        packed = vem__alloc_doubles(ulen ? ulen : 1, 1);
    if (st == VEM_OK)
        st = vem_comm_agree(c, packed ? VEM_OK : VEM_FAIL(VEM_ENOMEM, "symbols"));
    if (st == VEM_OK)
        st = c->broadcast(packed, ulen, c->ctx);
    if (st == VEM_OK && c->rank != 0) {
        size_t used;
        st = vem_comm_agree(c, unpack_strings(packed, ulen, &used, &u, &nu));
    } else if (st == VEM_OK) {
        st = vem_comm_agree(c, VEM_OK);
    }
    vem__free(packed);
    if (st != VEM_OK) {
        vem_symbols_free(u, nu);
        return st;
    }
    *all = u;
    *n_all = nu;
    return VEM_OK;
}

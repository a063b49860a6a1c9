/*
 * tests/test_idx.c — image data readers: IDX (gzip and plain), data .npy, raw
 * float32/uint8 (--dtype), on the Fashion-MNIST subset and on malformed files.
 *
 * The subset's numbers were computed independently from Debian's original files
 * (dataset-fashion-mnist 0.0~git20200523.55506a9-1) with Python's gzip module:
 *   tr = gzip.open('/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz').read()[16:]
 *   sum(tr[:784]), tr[96], tr[300], ..., sum(tr[:1000 * 784])
 * and the same for the labels and the test images.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <vem/vem.h>

#include "check.h"

#define FMNIST(name) VEM_EXAMPLE_DATA "/fashion-mnist/" name

static int msg_has(const char *s)
{
    if (strstr(vem_errmsg(), s))
        return 1;
    fprintf(stderr, "  errmsg is \"%s\", expected it to contain \"%s\"\n", vem_errmsg(), s);
    return 0;
}

static int table_zeroed(const vem_table *t)
{
    return t->data == NULL && t->names == NULL && t->rows == 0 && t->cols == 0;
}

static double row_sum(const vem_table *t, size_t i)
{
    double s = 0;
    for (size_t j = 0; j < t->cols; j++)
        s += t->data[i * t->cols + j];
    return s;
}

static double total(const vem_table *t)
{
    double s = 0;
    for (size_t i = 0; i < t->rows * t->cols; i++)
        s += t->data[i];
    return s;
}

static void write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

static void write_gz(const char *path, const void *p, size_t n)
{
    gzFile g = gzopen(path, "wb");
    if (!g || (n && gzwrite(g, p, (unsigned)n) != (int)n))
        abort();
    gzclose(g);
}

/* An IDX header: type byte, dims. Returns its length in buf. */
static size_t idx_header(unsigned char *buf, unsigned type, const uint32_t *dims, size_t nd)
{
    buf[0] = 0;
    buf[1] = 0;
    buf[2] = (unsigned char)type;
    buf[3] = (unsigned char)nd;
    for (size_t k = 0; k < nd; k++)
        for (int b = 0; b < 4; b++)
            buf[4 + 4 * k + (size_t)b] = (unsigned char)(dims[k] >> (24 - 8 * b));
    return 4 + 4 * nd;
}

/* Expect failure s naming path and what. */
static void expect_fail(vem_status got, vem_status want, const vem_table *t, const char *path,
                        const char *what)
{
    CHECK(got == want);
    CHECK(table_zeroed(t));
    CHECK(msg_has(path));
    CHECK(msg_has(what));
}

static void test_subset(void)
{
    vem_table t;
    CHECK(vem_idx_read(FMNIST("train-images-idx3-ubyte.gz"), &t) == VEM_OK);
    CHECK(t.rows == 1000 && t.cols == 784);
    CHECK(row_sum(&t, 0) == 76247);
    CHECK(t.data[0] == 0 && t.data[95] == 0 && t.data[96] == 1 && t.data[300] == 210 &&
          t.data[350] == 222 && t.data[500] == 220 && t.data[600] == 219);
    CHECK(t.data[784 + 400] == 197);
    CHECK(row_sum(&t, 999) == 69838);
    CHECK(t.data[999 * 784 + 300] == 181 && t.data[999 * 784 + 400] == 184 &&
          t.data[999 * 784 + 500] == 190);
    CHECK(total(&t) == 56558003);
    CHECK(strcmp(t.names[0], "1") == 0 && strcmp(t.names[783], "784") == 0);

    /* The same bytes uncompressed give the same matrix. */
    gzFile g = gzopen(FMNIST("train-images-idx3-ubyte.gz"), "rb");
    size_t cap = 16 + 1000 * 784;
    unsigned char *raw = malloc(cap + 1);
    CHECK(g && raw && gzread(g, raw, (unsigned)cap + 1) == (int)cap);
    gzclose(g);
    write_file("test_idx_plain-ubyte", raw, cap);
    vem_table p;
    CHECK(vem_idx_read("test_idx_plain-ubyte", &p) == VEM_OK);
    CHECK(p.rows == t.rows && p.cols == t.cols &&
          memcmp(p.data, t.data, t.rows * t.cols * sizeof(double)) == 0);
    vem_table_clear(&p);

    /* Plain, one byte short or one byte long. */
    write_file("test_idx_plain-ubyte", raw, cap - 1);
    CHECK(vem_idx_read("test_idx_plain-ubyte", &p) == VEM_EFORMAT);
    CHECK(table_zeroed(&p) && msg_has("test_idx_plain-ubyte: the IDX dimensions = 7.84e+05 values"));
    CHECK(msg_has("exceeds the file's 783999 bytes"));
    write_file("test_idx_plain-ubyte", raw, cap + 1);
    CHECK(vem_idx_read("test_idx_plain-ubyte", &p) == VEM_EFORMAT);
    CHECK(table_zeroed(&p) && msg_has("test_idx_plain-ubyte: data after the 1000 x 784 values"));
    /* Gzip, data cut short: a gzip file's bound is the ratio, the data runs out. */
    write_gz("test_idx_short.gz", raw, cap - 100);
    CHECK(vem_idx_read("test_idx_short.gz", &p) == VEM_EFORMAT);
    CHECK(table_zeroed(&p) && msg_has("test_idx_short.gz: IDX data truncated"));
    CHECK(msg_has("the file holds 783900"));

    /* The memory limit is checked before allocating. */
    size_t lim = vem_memory_limit();
    vem_set_memory_limit(1000000);
    CHECK(vem_idx_read(FMNIST("train-images-idx3-ubyte.gz"), &p) == VEM_ENOMEM);
    CHECK(table_zeroed(&p) && msg_has("memory limit"));
    vem_set_memory_limit(lim);
    free(raw);
    vem_table_clear(&t);

    CHECK(vem_idx_read(FMNIST("train-labels-idx1-ubyte.gz"), &t) == VEM_OK);
    CHECK(t.rows == 1000 && t.cols == 1);
    static const double first[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    CHECK(memcmp(t.data, first, sizeof first) == 0);
    CHECK(t.data[999] == 8 && total(&t) == 4544);
    vem_table_clear(&t);

    CHECK(vem_idx_read(FMNIST("t10k-images-idx3-ubyte.gz"), &t) == VEM_OK);
    CHECK(t.rows == 200 && t.cols == 784);
    CHECK(row_sum(&t, 0) == 33456 && t.data[350] == 115 && total(&t) == 11795585);
    vem_table_clear(&t);
    CHECK(vem_idx_read(FMNIST("t10k-labels-idx1-ubyte.gz"), &t) == VEM_OK);
    static const double tfirst[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    CHECK(t.rows == 200 && t.cols == 1 && memcmp(t.data, tfirst, sizeof tfirst) == 0);
    CHECK(total(&t) == 838);
    vem_table_clear(&t);
}

static void test_idx_errors(void)
{
    const char *f = "test_idx_bad.idx", *gz = "test_idx_bad.idx.gz";
    unsigned char buf[256];
    vem_table t;
    size_t n;

    CHECK(vem_idx_read("test_idx_missing.idx", &t) == VEM_EIO);
    CHECK(table_zeroed(&t) && msg_has("test_idx_missing.idx"));
    CHECK(vem_idx_read(NULL, &t) == VEM_EINVAL);

    write_file(f, "\0\0", 2);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "shorter than the header");
    write_file(f, "", 0);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "shorter than the header");

    uint32_t d3[3] = {2, 2, 2};
    n = idx_header(buf, 0x08, d3, 3);
    buf[0] = 1;
    write_file(f, buf, n + 8);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "not an IDX file (magic 0x01000803");
    n = idx_header(buf, 0x08, d3, 0);
    write_file(f, buf, n);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "not an IDX file");
    n = idx_header(buf, 0x0D, d3, 3);
    write_file(f, buf, n + 32);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "IDX type 0x0d not supported");

    n = idx_header(buf, 0x08, d3, 3);
    write_file(f, buf, 10); /* one dimension and a half */
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "IDX header truncated");

    uint32_t zero[3] = {0, 28, 28};
    n = idx_header(buf, 0x08, zero, 3);
    write_file(f, buf, n);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "dimension 1 is 0 (no items)");
    write_gz(gz, buf, n);
    expect_fail(vem_idx_read(gz, &t), VEM_EFORMAT, &t, gz, "dimension 1 is 0 (no items)");
    uint32_t zero2[3] = {5, 0, 28};
    n = idx_header(buf, 0x08, zero2, 3);
    write_file(f, buf, n);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "dimension 2 is 0");

    uint32_t big[3] = {60000, 28, 28};
    n = idx_header(buf, 0x08, big, 3);
    memset(buf + n, 7, 100);
    write_file(f, buf, n + 100);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "exceeds the file's 100 bytes");
    /* A gzip file may declare at most VEM_IDX_GZ_RATIO bytes per compressed byte. */
    write_gz(gz, buf, n + 100);
    expect_fail(vem_idx_read(gz, &t), VEM_EFORMAT, &t, gz, "the IDX dimensions = 4.7e+07 values");

    uint32_t huge[4] = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
    n = idx_header(buf, 0x08, huge, 4);
    write_file(f, buf, n + 16);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "IDX dimensions overflow");
    uint32_t wide[2] = {0xffffffffu, 0xffffffffu};
    n = idx_header(buf, 0x08, wide, 2);
    write_file(f, buf, n + 16);
    expect_fail(vem_idx_read(f, &t), VEM_EFORMAT, &t, f, "exceeds the file's 16 bytes");

    /* A small valid file, then damaged gzip. */
    uint32_t small[3] = {3, 2, 2};
    n = idx_header(buf, 0x08, small, 3);
    for (size_t i = 0; i < 12; i++)
        buf[n + i] = (unsigned char)(i * 20);
    write_gz(gz, buf, n + 12);
    CHECK(vem_idx_read(gz, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 4 && t.data[5] == 100 && t.data[11] == 220);
    vem_table_clear(&t);
    FILE *fp = fopen(gz, "rb");
    unsigned char z[256];
    size_t zn = fread(z, 1, sizeof z, fp);
    fclose(fp);
    z[zn - 6] ^= 0xff; /* the CRC */
    write_file(gz, z, zn);
    expect_fail(vem_idx_read(gz, &t), VEM_EFORMAT, &t, gz, "gzip:");
    write_file(gz, z, zn - 10); /* cut inside the deflate stream */
    CHECK(vem_idx_read(gz, &t) == VEM_EFORMAT);
    CHECK(table_zeroed(&t) && msg_has(gz));
    remove(f);
    remove(gz);
}

/* A .npy of descr, fortran, shape text, then n bytes of data. */
static void write_npy(const char *path, const char *descr, const char *fortran,
                      const char *shape, const void *data, size_t n)
{
    char dict[200];
    int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
                      descr, fortran, shape);
    size_t hlen = (size_t)dl + 1, pad = (64 - (10 + hlen) % 64) % 64;
    hlen += pad;
    unsigned char *b = malloc(10 + hlen + n);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hlen & 0xff);
    b[9] = (unsigned char)(hlen >> 8);
    memcpy(b + 10, dict, (size_t)dl);
    memset(b + 10 + dl, ' ', pad);
    b[10 + hlen - 1] = '\n';
    if (n)
        memcpy(b + 10 + hlen, data, n);
    write_file(path, b, 10 + hlen + n);
    free(b);
}

static void test_npy(void)
{
    const char *f = "test_idx_data.npy";
    vem_table t;
    const double d8[6] = {1.5, -2, 3, 4.25, 5, 6}; /* the host is little-endian (x86-64) */
    write_npy(f, "<f8", "False", "(2, 3)", d8, sizeof d8);
    CHECK(vem_npy_read(f, &t) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 3 && memcmp(t.data, d8, sizeof d8) == 0);
    CHECK(strcmp(t.names[2], "3") == 0);
    vem_table_clear(&t);
    const float f4[4] = {0.5f, 0.25f, -1e30f, 7};
    write_npy(f, "<f4", "False", "(4,)", f4, sizeof f4);
    CHECK(vem_npy_read(f, &t) == VEM_OK);
    CHECK(t.rows == 4 && t.cols == 1 && t.data[0] == 0.5 && t.data[2] == (double)-1e30f &&
          t.data[3] == 7);
    vem_table_clear(&t);
    const unsigned char u1[6] = {0, 1, 2, 253, 254, 255};
    write_npy(f, "|u1", "False", "(3, 2)", u1, 6);
    CHECK(vem_npy_read(f, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 2 && t.data[1] == 1 && t.data[5] == 255);
    vem_table_clear(&t);

    write_npy(f, "<f8", "True", "(2, 3)", d8, sizeof d8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "Fortran order");
    write_npy(f, "<i4", "False", "(2, 3)", d8, 24);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "dtype '<i4' is not supported");
    write_npy(f, ">f8", "False", "(2, 3)", d8, sizeof d8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "dtype '>f8' is not supported");
    write_npy(f, "<f8", "False", "(2, 3)", d8, sizeof d8 - 1);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "exceeds the file's 47 bytes");
    write_npy(f, "<f8", "False", "(1000000000, 1000000000)", d8, sizeof d8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "the .npy shape = 1e+18 values");
    write_npy(f, "<f8", "False", "(2, 2)", d8, sizeof d8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "16 bytes after the .npy data");
    write_npy(f, "<f8", "False", "(0, 3)", d8, 0);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "holds no data");
    write_npy(f, "<f8", "False", "()", d8, 8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "scalar");
    write_npy(f, "<f8", "False", "(1, 2, 3)", d8, sizeof d8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "tuple of at most 2");
    write_npy(f, "<f8", "False", "(99999999999999999999999, 1)", d8, sizeof d8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "tuple of at most 2");
    const float nan4[2] = {1, NAN};
    write_npy(f, "<f4", "False", "(1, 2)", nan4, sizeof nan4);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "row 1 column 2: not finite");
    write_file(f, "\x93NUMPZ\x01\x00", 8);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "not a .npy file");
    write_file(f, "\x93NUMPY\x01\x00\x40\x00{'descr'", 17);
    expect_fail(vem_npy_read(f, &t), VEM_EFORMAT, &t, f, "truncated");
    CHECK(vem_npy_read("test_idx_missing.npy", &t) == VEM_EIO);
    remove(f);
}

static void test_dtype(void)
{
    const char *f = "test_idx_raw.bin";
    vem_table t;
    vem_dtype d;
    CHECK(vem_dtype_parse("float32", &d) == VEM_OK && d == VEM_DTYPE_FLOAT32);
    CHECK(vem_dtype_parse("uint8", &d) == VEM_OK && d == VEM_DTYPE_UINT8);
    CHECK(vem_dtype_parse("int8", &d) == VEM_EINVAL);
    CHECK(strcmp(vem_dtype_name(VEM_DTYPE_FLOAT64), "float64") == 0);
    CHECK(vem_dtype_name((vem_dtype)7) == NULL);

    const float f4[6] = {1, 2, 3, 4.5f, -5, 6};
    write_file(f, f4, sizeof f4);
    CHECK(vem_binary_read_dtype(f, 2, VEM_DTYPE_FLOAT32, &t) == VEM_OK);
    CHECK(t.rows == 3 && t.cols == 2 && t.data[3] == 4.5 && t.data[4] == -5);
    vem_table_clear(&t);
    expect_fail(vem_binary_read_dtype(f, 4, VEM_DTYPE_FLOAT32, &t), VEM_EFORMAT, &t, f,
                "not a multiple of 4 (float32) x 4 columns = 16 bytes");
    const float bad[2] = {INFINITY, 1};
    write_file(f, bad, sizeof bad);
    expect_fail(vem_binary_read_dtype(f, 2, VEM_DTYPE_FLOAT32, &t), VEM_EFORMAT, &t, f,
                "row 1 column 1: not finite");
    const unsigned char u1[6] = {0, 128, 255, 1, 2, 3};
    write_file(f, u1, 6);
    CHECK(vem_binary_read_dtype(f, 3, VEM_DTYPE_UINT8, &t) == VEM_OK);
    CHECK(t.rows == 2 && t.cols == 3 && t.data[1] == 128 && t.data[2] == 255 && t.data[5] == 3);
    vem_table_clear(&t);
    const double d8[2] = {1, 2};
    write_file(f, d8, sizeof d8);
    CHECK(vem_binary_read_dtype(f, 2, VEM_DTYPE_FLOAT64, &t) == VEM_OK);
    CHECK(t.rows == 1 && t.data[1] == 2);
    vem_table_clear(&t);
    CHECK(vem_binary_read_dtype(f, 0, VEM_DTYPE_UINT8, &t) == VEM_EINVAL);
    CHECK(vem_binary_read_dtype(f, 1, (vem_dtype)9, &t) == VEM_EINVAL);
    write_file(f, "", 0);
    expect_fail(vem_binary_read_dtype(f, 1, VEM_DTYPE_UINT8, &t), VEM_EFORMAT, &t, f,
                "empty file");
    remove(f);
}

int main(void)
{
    test_subset();
    test_idx_errors();
    test_npy();
    test_dtype();
    return check_report("idx");
}

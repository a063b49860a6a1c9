/* tests/test_csv_range.c — reading a CSV file in byte ranges, as processes of a distributed fit do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vem/vem.h>

#include "check.h"

static unsigned long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (unsigned long long)sb.st_size : 0;
}

/* The P ranges together give exactly the rows of the whole file, in order. */
static void check_split(const char *path, const char *columns)
{
    vem_csv_opts o;
    vem_csv_opts_init(&o);
    o.columns = columns;
    vem_table whole;
    CHECK(vem_csv_read(path, &o, &whole) == VEM_OK);
    unsigned long long size = file_size(path);
    for (unsigned p = 1; p <= 7; p++) {
        size_t row = 0;
        int same = 1;
        for (unsigned i = 0; i < p; i++) {
            vem_table part;
            vem_status st = vem_csv_read_range(path, &o, size * i / p, size * (i + 1) / p, &part);
            CHECK(st == VEM_OK);
            if (st != VEM_OK)
                return;
            CHECK(part.cols == whole.cols);
            CHECK(strcmp(part.names[0], whole.names[0]) == 0);
            if (row + part.rows > whole.rows ||
                (part.rows && memcmp(part.data, whole.data + row * whole.cols,
                                     part.rows * part.cols * sizeof(double)) != 0))
                same = 0;
            row += part.rows;
            vem_table_clear(&part);
        }
        CHECK(same);
        CHECK(row == whole.rows);
    }
    vem_table_clear(&whole);
}

int main(void)
{
    check_split(VEM_EXAMPLE_DATA "/faithful.csv", NULL);
    check_split(VEM_EXAMPLE_DATA "/penguins.csv",
                "beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g");
    /* A file shorter than the processes (fuzz_csv): "4", one byte, one row. The range
     * [0, 0) holds no line, though its first line starts at byte 0; the row was read
     * twice, by [0, 0) and [0, 1). */
    check_split(VEM_TEST_DATA "/io_range_one_byte.csv", NULL);
    {
        vem_source *s0 = vem_source_open_csv_share(VEM_TEST_DATA "/io_range_one_byte.csv",
                                                   NULL, 0, 2);
        vem_source *s1 = vem_source_open_csv_share(VEM_TEST_DATA "/io_range_one_byte.csv",
                                                   NULL, 1, 2);
        CHECK(s0 && s1 && vem_source_rows(s0) == 0 && vem_source_rows(s1) == 1);
        vem_source_close(s0);
        vem_source_close(s1);
    }
    /* No header, CRLF line ends, a short file split into more ranges than rows. */
    char dir[] = "/tmp/vem-range-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[64], bad[64];
    snprintf(path, sizeof path, "%s/x.csv", dir);
    snprintf(bad, sizeof bad, "%s/bad.csv", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "1.5,2\r\n3,4.25\r\n5,6\r\n");
    fclose(f);
    check_split(path, NULL);
    /* An error deep in the file names the file's own line, from any range. */
    f = fopen(bad, "w");
    fprintf(f, "a,b\n");
    for (int i = 2; i < 1000; i++)
        fprintf(f, i == 777 ? "%d,oops\n" : "%d,%d\n", i, 2 * i);
    fclose(f);
    unsigned long long size = file_size(bad);
    vem_table t;
    int found = 0;
    for (unsigned i = 0; i < 3; i++) {
        vem_status st = vem_csv_read_range(bad, NULL, size * i / 3, size * (i + 1) / 3, &t);
        if (st != VEM_OK) {
            found++;
            CHECK(st == VEM_EFORMAT);
            CHECK(strstr(vem_errmsg(), "bad.csv:777:5: not a number: 'oops'") != NULL);
            CHECK(i == 2);
        } else {
            CHECK(t.rows > 300 && t.cols == 2);
            vem_table_clear(&t);
        }
    }
    CHECK(found == 1);
    /* Empty range and empty file. */
    CHECK(vem_csv_read_range(path, NULL, 5, 5, &t) == VEM_OK && t.rows == 0);
    vem_table_clear(&t);
    f = fopen(path, "w");
    fclose(f);
    CHECK(vem_csv_read_range(path, NULL, 0, 0, &t) == VEM_EFORMAT && strstr(vem_errmsg(), "empty"));
    unlink(path);
    unlink(bad);
    rmdir(dir);
    return check_report("csv_range");
}

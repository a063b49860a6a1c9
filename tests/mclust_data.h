/*
 * tests/mclust_data.h — what the tests against R mclust's recorded output share:
 * the bundled data sets as mclust's scripts read them, and the golden files' lines
 * ("KIND SET REST...", labels as 1-based integers).
 */
#ifndef VEM_TESTS_MCLUST_DATA_H
#define VEM_TESTS_MCLUST_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vem/vem.h>

#include "check.h"

#define MAXN 400 /* rows of the largest set (penguins: 342) */

typedef struct dataset {
    const char *name;
    vem_table t;
    vem_matrix x;
} dataset;

/* The columns cols of examples/data/FILE; 0, or -1 if it cannot be read. */
static inline int mclust_load(dataset *ds, const char *name, const char *file, const char *cols)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", VEM_EXAMPLE_DATA, file);
    memset(&ds->t, 0, sizeof ds->t);
    vem_csv_opts co;
    vem_csv_opts_init(&co);
    co.columns = cols;
    ds->name = name;
    if (vem_csv_read(path, &co, &ds->t) != VEM_OK)
        return -1;
    ds->x = vem_table_matrix(&ds->t);
    return 0;
}

/* sets[0] faithful (eruptions, waiting), sets[1] penguins' four measurements, as the R
 * scripts read them; 0, or -1 (a failed check) if one cannot be read. */
static inline int mclust_load_sets(dataset sets[2])
{
    int a = mclust_load(&sets[0], "faithful", "faithful.csv", "eruptions,waiting");
    int b = mclust_load(&sets[1], "penguins", "penguins.csv",
                        "beak_length_mm,beak_depth_mm,flipper_length_mm,body_mass_g");
    CHECK(a == 0);
    CHECK(b == 0);
    return a == 0 && b == 0 ? 0 : -1;
}

/* n labels from the rest of a line; 0, or -1 if it holds fewer. */
static inline int read_labels(char *rest, int *labels, size_t n)
{
    size_t i = 0;
    for (char *tok = strtok(rest, " \n"); tok && i < n; tok = strtok(NULL, " \n"))
        labels[i++] = atoi(tok);
    return i == n ? 0 : -1;
}

/* A golden line "KIND SET REST...": its kind, its data set among sets[0..nsets) and
 * where REST starts; NULL for a comment, and a failed check for an unknown set. */
static inline dataset *golden_line(char *line, dataset *sets, size_t nsets, char kind[16],
                                   char **rest)
{
    char set[16];
    if (line[0] == '#' || sscanf(line, "%15s %15s", kind, set) != 2)
        return NULL;
    dataset *ds = NULL;
    for (size_t i = 0; i < nsets; i++)
        if (strcmp(sets[i].name, set) == 0)
            ds = &sets[i];
    CHECK(ds != NULL);
    if (ds)
        *rest = line + strlen(kind) + 1 + strlen(set) + 1;
    return ds;
}

#endif

/* src/io/csv_internal.h — the CSV reader in streaming form, for data sources. Not installed. */
#ifndef VEM_CSV_INTERNAL_H
#define VEM_CSV_INTERNAL_H

#include <vem/io.h>

/* Receives n parsed rows of cols values (row-major) at a time; VEM_OK to go on. */
typedef vem_status (*vem__csv_sink)(void *ctx, const double *rows, size_t n, size_t cols);

/*
 * Parse a CSV file as vem_csv_read does (same options, checks and messages),
 * handing the rows to sink in chunks instead of keeping them. On success
 * *rows and *cols are set and *names receives the cols column names (caller
 * frees each and the array with vem__free).
 */
vem_status vem__csv_stream(const char *path, const vem_csv_opts *o, vem__csv_sink sink, void *ctx,
                           size_t *rows, size_t *cols, char ***names);

#endif /* VEM_CSV_INTERNAL_H */

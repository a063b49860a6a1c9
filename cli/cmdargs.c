/*
 * cli/cmdargs.c — the argument loops that several commands share: `vem fit KIND DATA`,
 * `vem CMD MODEL DATA` and `vem info MODEL`, and the load of a fit's --init-model.
 */
#include <string.h>

#include "cli.h"

const cli_option *const cli_info_tables[] = {cli_common_options, NULL};

int cli_parse_fit_command(int argc, char **argv, const cli_option *const *tables, unsigned exclude,
                          const char *cmd, int (*option)(void *a, int id, const char *val), void *a,
                          const char **data)
{
    cli_parser p;
    const char *val;
    int id, rc = 0, seen_type = 0;
    cli_parser_init(&p, argc, argv, 2, tables, exclude, cmd);
    while (rc == 0 && (id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_BAD) {
            rc = CLI_EXIT_USAGE;
        } else if (id != CLI_POSITIONAL) {
            rc = option(a, id, val);
        } else if (!seen_type) {
            seen_type = 1; /* the kind: "hmm" */
        } else if (!*data) {
            *data = val;
        } else {
            cli_error("%s: unexpected argument '%s'", cmd, val);
            rc = CLI_EXIT_USAGE;
        }
    }
    return rc;
}

int cli_bad_value(const char *opt, const char *what, const char *val)
{
    cli_error("%s: expected %s, got '%s'", opt, what, val);
    return CLI_EXIT_USAGE;
}

int cli_parse_model_args(int argc, char **argv, const char *cmd, const cli_option *const *tables,
                         cli_model_args *a, int (*own)(void *ctx, int id, const char *val),
                         void *ctx)
{
    memset(a, 0, sizeof *a);
    cli_data_opts_init(&a->dopts);
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, tables, 0, cmd);
    const char *val;
    int id, rc;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_BAD)
            return cli_usage_error(cmd);
        if (id == CLI_POSITIONAL) {
            if (!a->model) {
                a->model = val;
            } else if (!a->data) {
                a->data = val;
            } else {
                cli_error("%s: unexpected argument '%s'", cmd, val);
                return cli_usage_error(cmd);
            }
        } else if (id == CLI_OPT_JSON) {
            a->json = 1;
        } else if ((rc = own ? own(ctx, id, val) : -1) >= 0) {
            if (rc != 0)
                return cli_usage_error(cmd);
        } else if (cli_data_option(&a->dopts, id, val) != 0) {
            return cli_usage_error(cmd);
        }
    }
    if (!a->model || !a->data) {
        cli_error("%s: missing %s", cmd, a->model ? "DATA" : "MODEL and DATA");
        return cli_usage_error(cmd);
    }
    return 0;
}

int cli_parse_info(int argc, char **argv, const char **model, int *json)
{
    *model = NULL;
    *json = 0;
    cli_parser p;
    cli_parser_init(&p, argc, argv, 2, cli_info_tables, 0, "info");
    const char *val;
    int id;
    while ((id = cli_next(&p, &val)) != CLI_END) {
        if (id == CLI_BAD)
            return cli_usage_error("info");
        if (id == CLI_POSITIONAL) {
            if (*model) {
                cli_error("info: unexpected argument '%s'", val);
                return cli_usage_error("info");
            }
            *model = val;
        } else if (id == CLI_OPT_JSON) {
            *json = 1;
        }
    }
    if (!*model) {
        cli_error("info: missing MODEL");
        return cli_usage_error("info");
    }
    return 0;
}

int cli_init_model_loaded(const cli_fit_args *f, int loaded)
{
    if (!loaded && cli_mpi_rank() == 0)
        cli_fail(VEM_EFORMAT, f->init_model);
    if (f->mpi && cli_mpi_agree(loaded ? 0 : CLI_EXIT_INPUT) != 0)
        return CLI_EXIT_INPUT;
    return loaded ? 0 : CLI_EXIT_INPUT;
}

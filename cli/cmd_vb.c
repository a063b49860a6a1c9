/* cli/cmd_vb.c — commands for variational Bayes (vbgmm, blr): placeholder until the model lands. */
#include "cli.h"

int cli_vb_main(const char *verb, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("%s: variational Bayes (vbgmm, blr) are not in this version of vem", verb);
    return CLI_EXIT_USAGE;
}

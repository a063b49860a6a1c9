/* cli/cmd_lda.c — commands for latent Dirichlet allocation: placeholder until the model lands. */
#include "cli.h"

int cli_lda_main(const char *verb, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("%s: latent Dirichlet allocation are not in this version of vem", verb);
    return CLI_EXIT_USAGE;
}

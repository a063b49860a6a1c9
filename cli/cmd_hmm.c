/* cli/cmd_hmm.c — commands for hidden Markov models: placeholder until the model lands. */
#include "cli.h"

int cli_hmm_main(const char *verb, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    cli_error("%s: hidden Markov models are not in this version of vem", verb);
    return CLI_EXIT_USAGE;
}

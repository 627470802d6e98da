/* csvmeta: print the SPEC §6 metadata lines (# date, # cores, # machine,
 * # commit, # cmd) for a command, so that the shell drivers in experiments/ write
 * exactly the lines the C programs write through lib/csv.h.
 *
 *   csvmeta experiments/scaling.sh FULL=1     # cmd=experiments/scaling.sh FULL=1 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "param.h"

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: csvmeta COMMAND [ARG...]\n"
                   "Print the CSV metadata lines (# date, # cores, # machine, # commit,\n"
                   "# cmd=COMMAND ARG...) on stdout.\n");
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    if (csv_meta(stdout, argc - 1, argv + 1) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "csvmeta: writing the metadata failed: %s\n", strerror(errno));
        return EXIT_FAILURE_RT;
    }
    return EXIT_OK;
}

/* libc data objects used from a library: environ, getopt's optind and optarg. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int env_count(void)
{
    int n = 0;
    for (char **e = environ; *e; e++)
        if (strncmp(*e, "LEG_", 4) == 0)
            n++;
    return n;
}

const char *env_get(void) { return getenv("LEG_A"); }

/* Sum of the options (-a counts 1, -b N counts N) * 100 + the index of the first operand. */
int env_opts(int argc, char **argv)
{
    int c, sum = 0;
    optind = 1;
    while ((c = getopt(argc, argv, "ab:")) != -1) {
        if (c == 'a')
            sum += 1;
        else if (c == 'b')
            sum += atoi(optarg);
    }
    return sum * 100 + optind;
}

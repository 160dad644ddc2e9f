/* The library writes to the same stdout (one FILE, one buffer) as the program. */
#include <stdio.h>

void say_all_ways(int n)
{
    printf("lib printf %d\n", n);
    puts("lib puts");
    fputs("lib fputs, ", stdout);
    putchar('c');
    putchar('\n');
    fprintf(stdout, "lib fprintf %s|%5d|%-4s|%x\n", "str", n, "ab", 255u);
    fwrite("lib fwrite\n", 1, 11, stdout);
}

void say_partial(const char *s) { printf("[%s", s); }

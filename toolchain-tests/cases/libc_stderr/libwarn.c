#include <stdio.h>
void warn_twice(const char *what)
{
    fprintf(stderr, "libwarn: warning: %s\n", what);
    fputs("libwarn: second line\n", stderr);
    printf("libwarn wrote two lines to stderr\n");
}

#include <stdio.h>
/* A library with a main(argc, argv), as test drivers built as shared objects have. */
int main(int argc, char **argv)
{
    printf("libmnargs main: argc %d, argv[0] %s\n", argc, argv[0]);
    return 7;
}

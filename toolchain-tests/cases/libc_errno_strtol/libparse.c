/* errno is shared: set in the library, read in the program, and the other way round. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

long parse_long(const char *s, int base, int *consumed)
{
    char *end;
    long v = strtol(s, &end, base);
    *consumed = (int)(end - s);
    return v;
}
int parse_is_long_max(long v) { return v == LONG_MAX; }
int parse_read_errno(void) { return errno; }
void parse_set_errno(int e) { errno = e; }
int parse_erange(void) { return ERANGE; }
int parse_einval(void) { return EINVAL; }

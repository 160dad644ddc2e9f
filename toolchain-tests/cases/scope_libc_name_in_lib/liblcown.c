/* Defines a function libc defines too. Loaded by dlopen, after libc: it interposes nothing. */
int atoi(const char *s)
{
    (void)s;
    return 42;
}

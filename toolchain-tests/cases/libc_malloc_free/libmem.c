/* One heap: memory allocated on one side is freed or resized on the other. */
#include <stdlib.h>
#include <string.h>

char *mem_dup(const char *s)
{
    char *p = malloc(strlen(s) + 1);
    if (p)
        strcpy(p, s);
    return p;
}
char *mem_strdup(const char *s) { return strdup(s); }
void mem_release(void *p) { free(p); }
char *mem_append(char *buf, const char *s) /* buf comes from the program's malloc */
{
    size_t n = strlen(buf), m = strlen(s);
    char *p = realloc(buf, n + m + 1);
    if (p)
        memcpy(p + n, s, m + 1);
    return p;
}
int mem_calloc_zero(size_t n)
{
    unsigned char *p = calloc(n, 1);
    if (!p)
        return 0;
    int zero = 1;
    for (size_t i = 0; i < n; i++)
        if (p[i])
            zero = 0;
    free(p);
    return zero;
}
void **mem_many(int n, size_t size)
{
    void **v = malloc(n * sizeof *v);
    for (int i = 0; i < n; i++) {
        v[i] = malloc(size + i);
        memset(v[i], i & 0xff, size + i);
    }
    return v;
}

/* string.h / stdio.h formatting used inside a library, on the program's buffers. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int str_format(char *buf, size_t n, const char *name, int count, double ratio)
{
    return snprintf(buf, n, "%s:%04d:%.3f:%c%c", name, count, ratio, name[0], 'Z');
}
size_t str_len(const char *s) { return strlen(s); }
void str_copy(void *dst, const void *src, size_t n) { memcpy(dst, src, n); }
void str_shift(char *s, size_t n) { memmove(s + 1, s, n); } /* overlapping */
void str_fill(char *s, int c, size_t n) { memset(s, c, n); }
int str_compare(const char *a, const char *b)
{
    int r = strcmp(a, b);
    return (r > 0) - (r < 0);
}
const char *str_find(const char *s, int c) { return strchr(s, c); }
void str_upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}
const char *str_literal(void) { return "a string literal in the library"; }

/* Comparators handed to the program's qsort/bsearch, and a library that calls qsort with its own
 * static comparator (libc calling back into the library). */
#include <stdlib.h>
#include <string.h>

int cmp_int_asc(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
int cmp_int_desc(const void *a, const void *b) { return cmp_int_asc(b, a); }

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }
static int calls;
static int cmp_len_then_alpha(const void *a, const void *b)
{
    calls++;
    size_t x = strlen(*(const char *const *)a), y = strlen(*(const char *const *)b);
    return x != y ? (x > y) - (x < y) : cmp_str(a, b);
}

void cmp_sort_words(const char **words, size_t n) { qsort(words, n, sizeof *words, cmp_len_then_alpha); }
int cmp_calls(void) { return calls; }
int (*cmp_get_str(void))(const void *, const void *) { return cmp_str; }

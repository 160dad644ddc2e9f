#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*cmpfn)(const void *, const void *);

static void print_ints(const char *label, const int *v, int n)
{
    printf("%s:", label);
    for (int i = 0; i < n; i++)
        printf(" %d", v[i]);
    printf("\n");
}

int main(void)
{
    void *h = dlopen("libcmp.so", RTLD_NOW);
    if (!h)
        return 1;
    cmpfn asc = (cmpfn)dlsym(h, "cmp_int_asc");
    cmpfn desc = (cmpfn)dlsym(h, "cmp_int_desc");
    void (*sort_words)(const char **, size_t) = (void (*)(const char **, size_t))dlsym(h, "cmp_sort_words");
    int (*calls)(void) = (int (*)(void))dlsym(h, "cmp_calls");
    cmpfn (*get_str)(void) = (cmpfn(*)(void))dlsym(h, "cmp_get_str");

    int v[] = {42, -7, 19, 0, 88, 19, -100, 5, 3, 64};
    int n = sizeof v / sizeof v[0];
    qsort(v, n, sizeof v[0], asc);
    print_ints("ascending", v, n);
    int key = 64;
    int *found = bsearch(&key, v, n, sizeof v[0], asc);
    printf("bsearch 64: index %d\n", found ? (int)(found - v) : -1);
    key = 65;
    printf("bsearch 65: %s\n", bsearch(&key, v, n, sizeof v[0], asc) ? "found" : "not found");
    qsort(v, n, sizeof v[0], desc);
    print_ints("descending", v, n);

    const char *words[] = {"pear", "fig", "banana", "kiwi", "apple", "date", "cherry", "plum"};
    int nw = sizeof words / sizeof words[0];
    sort_words(words, nw);
    printf("by length then alphabet:");
    for (int i = 0; i < nw; i++)
        printf(" %s", words[i]);
    printf("\ncomparator was called: %s\n", calls() > 0 ? "yes" : "no");
    qsort(words, nw, sizeof words[0], get_str());
    printf("alphabetical with the library's static comparator:");
    for (int i = 0; i < nw; i++)
        printf(" %s", words[i]);
    printf("\n");
    dlclose(h);
    return 0;
}

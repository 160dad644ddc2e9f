/* Sorts the words: splits with malloc'd copies, orders them with libc's qsort, and tells the
 * program how many it saw through the program's own textkit_note. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../textkit.h"

static int compare(const void *a, const void *b) {
    return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static size_t sortwords(const char *text, char *out, size_t cap) {
    char *copy = strdup(text);
    char *words[128];
    int n = 0;
    for (char *w = strtok(copy, " "); w && n < 128; w = strtok(NULL, " ")) words[n++] = w;
    qsort(words, n, sizeof words[0], compare);
    size_t len = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++)
        len += snprintf(out + len, len < cap ? cap - len : 0, "%s%s", i ? " " : "", words[i]);
    char note[64];
    snprintf(note, sizeof note, "sorted %d words", n);
    textkit_note("sortwords", note);
    free(copy);
    return len;
}

const struct textkit_plugin textkit_plugin = {"sortwords", "words in alphabetical order", sortwords};

/* Counts letters, words and vowels; keeps a running total across calls in its own data, and
 * says goodbye from a destructor when the program unloads it. */
#include <ctype.h>
#include <stdio.h>
#include "../textkit.h"

static int calls;

__attribute__((constructor)) static void hello(void) { textkit_note("stats", "loaded"); }
__attribute__((destructor)) static void bye(void) { textkit_note("stats", "unloaded"); }

static size_t stats(const char *text, char *out, size_t cap) {
    int letters = 0, vowels = 0, words = 0, in_word = 0;
    for (const char *p = text; *p; p++) {
        if (isalpha((unsigned char)*p)) {
            letters++;
            if (!in_word) words++;
            in_word = 1;
            vowels += tolower((unsigned char)*p) == 'a' || tolower((unsigned char)*p) == 'e' ||
                      tolower((unsigned char)*p) == 'i' || tolower((unsigned char)*p) == 'o' ||
                      tolower((unsigned char)*p) == 'u';
        } else {
            in_word = 0;
        }
    }
    calls++;
    return (size_t)snprintf(out, cap, "%d words, %d letters, %d vowels (call %d)", words, letters, vowels, calls);
}

const struct textkit_plugin textkit_plugin = {"stats", "count words, letters and vowels", stats};

/* Upper-cases the text with libc's toupper. */
#include <ctype.h>
#include "../textkit.h"

static size_t upper(const char *text, char *out, size_t cap) {
    size_t n = 0;
    for (; text[n] && n + 1 < cap; n++) out[n] = (char)toupper((unsigned char)text[n]);
    out[n] = 0;
    return n;
}

const struct textkit_plugin textkit_plugin = {"upper", "capital letters", upper};

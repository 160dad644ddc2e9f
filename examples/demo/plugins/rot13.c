/* Caesar's favourite: rotates letters by 13. */
#include "../textkit.h"

static char rotate(char c) {
    if (c >= 'a' && c <= 'z') return (char)('a' + (c - 'a' + 13) % 26);
    if (c >= 'A' && c <= 'Z') return (char)('A' + (c - 'A' + 13) % 26);
    return c;
}

static size_t rot13(const char *text, char *out, size_t cap) {
    size_t n = 0;
    for (; text[n] && n + 1 < cap; n++) out[n] = rotate(text[n]);
    out[n] = 0;
    return n;
}

const struct textkit_plugin textkit_plugin = {"rot13", "rotate letters by 13", rot13};

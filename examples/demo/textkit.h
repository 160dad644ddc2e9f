/* textkit: the interface between the textkit program and its plugins. */
#ifndef TEXTKIT_H
#define TEXTKIT_H
#include <stddef.h>

/* What the program offers every plugin (plugins may also call these by name). */
void textkit_note(const char *plugin, const char *message);
extern int textkit_verbose;

/* What a plugin exports, under the symbol `textkit_plugin`. */
struct textkit_plugin {
    const char *name;
    const char *summary;
    /* Writes the transformed `text` into out[0..cap) (NUL-terminated); returns its length. */
    size_t (*transform)(const char *text, char *out, size_t cap);
};
#endif

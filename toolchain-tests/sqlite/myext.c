/* A SQLite loadable extension: scalar and aggregate SQL functions, registered by its entry
 * points through the API table SQLite passes in (sqlite3ext.h). */
#include <string.h>
#include "sqlite3ext.h"
SQLITE_EXTENSION_INIT1

static int calls;

static void reverse_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    calls++;
    const unsigned char *s = sqlite3_value_text(argv[0]);
    if (!s) {
        sqlite3_result_null(ctx);
        return;
    }
    int n = (int)strlen((const char *)s);
    char *out = sqlite3_malloc(n + 1);
    if (!out) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (int i = 0; i < n; i++)
        out[i] = (char)s[n - 1 - i];
    out[n] = 0;
    sqlite3_result_text(ctx, out, n, sqlite3_free);
}

static void rot13_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    calls++;
    const unsigned char *s = sqlite3_value_text(argv[0]);
    char buf[256];
    int n = 0;
    for (; s && s[n] && n < 255; n++) {
        char c = (char)s[n];
        if (c >= 'a' && c <= 'z')
            c = (char)('a' + (c - 'a' + 13) % 26);
        buf[n] = c;
    }
    sqlite3_result_text(ctx, buf, n, SQLITE_TRANSIENT);
}

static void calls_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int(ctx, calls);
}

/* joined(x, sep): an aggregate whose state lives in SQLite's aggregate context. */
struct joined {
    sqlite3_str *text;
};

static void joined_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    struct joined *j = sqlite3_aggregate_context(ctx, sizeof *j);
    if (!j)
        return;
    if (!j->text)
        j->text = sqlite3_str_new(sqlite3_context_db_handle(ctx));
    else
        sqlite3_str_appendall(j->text, (const char *)sqlite3_value_text(argv[1]));
    sqlite3_str_appendall(j->text, (const char *)sqlite3_value_text(argv[0]));
}

static void joined_final(sqlite3_context *ctx)
{
    struct joined *j = sqlite3_aggregate_context(ctx, 0);
    if (!j || !j->text) {
        sqlite3_result_null(ctx);
        return;
    }
    int n = sqlite3_str_length(j->text);
    sqlite3_result_text(ctx, sqlite3_str_finish(j->text), n, sqlite3_free);
}

int sqlite3_extension_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
    (void)err;
    SQLITE_EXTENSION_INIT2(api);
    int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
    int rc = sqlite3_create_function(db, "reverse", 1, flags, 0, reverse_fn, 0, 0);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "rot13", 1, flags, 0, rot13_fn, 0, 0);
    if (rc == SQLITE_OK)
        rc = sqlite3_create_function(db, "myext_calls", 0, SQLITE_UTF8, 0, calls_fn, 0, 0);
    return rc;
}

int myext_aggregates_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
    (void)err;
    SQLITE_EXTENSION_INIT2(api);
    return sqlite3_create_function(db, "joined", 2, SQLITE_UTF8, 0, 0, joined_step, joined_final);
}

/* shout(x): x in capitals and an exclamation mark; loaded from SQL (load_extension()). */
static void shout_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    char *s = sqlite3_mprintf("%s!", (const char *)sqlite3_value_text(argv[0]));
    if (!s) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (char *p = s; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    sqlite3_result_text(ctx, s, -1, sqlite3_free);
}

int myext_shout_init(sqlite3 *db, char **err, const sqlite3_api_routines *api)
{
    (void)err;
    SQLITE_EXTENSION_INIT2(api);
    return sqlite3_create_function(db, "shout", 1, SQLITE_UTF8, 0, shout_fn, 0, 0);
}

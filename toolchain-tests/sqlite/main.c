/* A program that embeds SQLite and loads an extension at run time: SQLite itself calls
 * dlopen and dlsym (the unix VFS's xDlOpen/xDlSym) from sqlite3_load_extension. */
#include <stdio.h>
#include "sqlite3.h"

static int print_row(void *unused, int n, char **values, char **names)
{
    (void)unused;
    for (int i = 0; i < n; i++)
        printf("%s%s=%s", i ? " " : "", names[i], values[i] ? values[i] : "NULL");
    printf("\n");
    return 0;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, print_row, NULL, &err) != SQLITE_OK) {
        printf("error: %s\n", err);
        sqlite3_free(err);
        return 1;
    }
    return 0;
}

int main(void)
{
    sqlite3 *db;
    char *err = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
        printf("open failed\n");
        return 1;
    }
    /* Off by default: refused until enabled. */
    if (sqlite3_load_extension(db, "./libmyext.so", 0, &err) != SQLITE_OK) {
        printf("refused while disabled\n");
        sqlite3_free(err);
        err = NULL;
    }
    sqlite3_enable_load_extension(db, 1);
    if (sqlite3_load_extension(db, "./libmyext.so", 0, &err) != SQLITE_OK) {
        printf("load failed: %s\n", err);
        return 1;
    }
    /* A second entry point of the same library, named explicitly. */
    if (sqlite3_load_extension(db, "./libmyext.so", "myext_aggregates_init", &err) != SQLITE_OK) {
        printf("load of myext_aggregates_init failed: %s\n", err);
        return 1;
    }
    int failed = exec(db,
        "CREATE TABLE words(w TEXT);"
        "INSERT INTO words VALUES ('hello'), ('wasm'), ('dlopen'), ('sqlite');"
        "SELECT w, reverse(w) AS r, rot13(w) AS rot FROM words ORDER BY w;"
        "SELECT joined(w, '+') AS j, count(*) AS n FROM (SELECT w FROM words ORDER BY w);"
        "SELECT upper(reverse(group_concat(w, ''))) AS u FROM (SELECT w FROM words ORDER BY w DESC);"
        "SELECT reverse(NULL) AS n, myext_calls() AS calls;");
    /* Through SQL as well; a library that does not exist fails cleanly. */
    failed |= exec(db, "SELECT load_extension('./libmyext.so', 'myext_shout_init') IS NULL AS loaded;");
    failed |= exec(db, "SELECT shout(w) AS s FROM words ORDER BY w LIMIT 2;");
    if (sqlite3_load_extension(db, "./libnothere.so", 0, &err) != SQLITE_OK) {
        printf("missing extension refused\n");
        sqlite3_free(err);
        err = NULL;
    }
    if (sqlite3_load_extension(db, "./libmyext.so", "no_such_entry", &err) != SQLITE_OK) {
        printf("missing entry point refused\n");
        sqlite3_free(err);
    }
    sqlite3_close(db);
    return failed;
}

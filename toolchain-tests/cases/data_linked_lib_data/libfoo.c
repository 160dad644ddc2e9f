#include <string.h>

int foo_count = 41;
int foo_table[4] = {10, 20, 30, 40};
char foo_name[16] = "foo";
const char *foo_greeting = "hello from libfoo";
struct foo_point { int x, y; } foo_origin = {3, 4};
int foo_bss[1000];

int foo_get(void) { return foo_count; }
int *foo_count_address(void) { return &foo_count; }
int foo_table_sum(void) {
    int s = 0;
    for (int i = 0; i < 4; i++) s += foo_table[i];
    return s;
}
int foo_bss_sum(void) {
    int s = 0;
    for (int i = 0; i < 1000; i++) s += foo_bss[i];
    return s;
}
const char *foo_name_now(void) { return foo_name; }

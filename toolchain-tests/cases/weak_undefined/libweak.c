/* Weak undefined references: NULL when nobody defines them, bound when the program does. */
#include <stdio.h>

int wk_optional(int) __attribute__((weak));
int wk_missing(int) __attribute__((weak));
extern int wk_present_data __attribute__((weak));
extern int wk_missing_data __attribute__((weak));

void wk_report(void)
{
    printf("wk_optional: %s\n", wk_optional ? "non-NULL" : "NULL");
    if (wk_optional)
        printf("wk_optional(4) = %d\n", wk_optional(4));
    printf("wk_missing: %s\n", wk_missing ? "non-NULL" : "NULL");
    if (wk_missing)
        printf("wk_missing(4) = %d\n", wk_missing(4));
    printf("&wk_present_data: %s\n", &wk_present_data ? "non-NULL" : "NULL");
    if (&wk_present_data)
        printf("wk_present_data = %d\n", wk_present_data);
    printf("&wk_missing_data: %s\n", &wk_missing_data ? "non-NULL" : "NULL");
}

int (*wk_optional_ptr(void))(int) { return wk_optional; }
int *wk_present_addr(void) { return &wk_present_data; }

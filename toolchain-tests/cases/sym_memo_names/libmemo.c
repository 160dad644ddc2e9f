/* 64 functions with names longer than 40 bytes that share their first 48 bytes, and 64 with
 * short names: the program looks each up many times, across dlopen/dlclose of other
 * libraries and a reopen of this one. */
#define LONG(i) int a_function_name_that_is_longer_than_forty_bytes_number_##i(void) { return 1000 + i; }
#define SHORT(i) int s_##i(void) { return i; }
#define EIGHT(M, a) M(a##0) M(a##1) M(a##2) M(a##3) M(a##4) M(a##5) M(a##6) M(a##7)
#define SIXTYFOUR(M) EIGHT(M, 1) EIGHT(M, 2) EIGHT(M, 3) EIGHT(M, 4) EIGHT(M, 5) EIGHT(M, 6) EIGHT(M, 7) EIGHT(M, 8)
SIXTYFOUR(LONG)
SIXTYFOUR(SHORT)

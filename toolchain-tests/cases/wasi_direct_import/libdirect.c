/* Writes through WASI preview 1 directly: on wasm the side module imports
 * wasi_snapshot_preview1.fd_write itself (not through libc, which lives in the program);
 * natively the same code path uses write(2). */
#include <stddef.h>
#include <string.h>

struct piece {
    const char *buf;
    size_t len;
};

#ifdef __wasm__
#include <stdint.h>
typedef struct {
    const void *buf;
    uint32_t len;
} wasi_ciovec;
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write")))
uint16_t direct_fd_write(int fd, const wasi_ciovec *iovs, size_t iovs_len, size_t *nwritten);

/* Bytes written, or -1. fd_write, like writev, may write less than asked (wasmtime writes
 * one buffer per call): go on from where it stopped. */
static long raw_write(int fd, const struct piece *pieces, int n)
{
    wasi_ciovec iovs[8];
    for (int i = 0; i < n; i++) {
        iovs[i].buf = pieces[i].buf;
        iovs[i].len = (uint32_t)pieces[i].len;
    }
    long total = 0;
    int first = 0;
    while (first < n) {
        size_t written = 0;
        if (direct_fd_write(fd, iovs + first, (size_t)(n - first), &written) != 0)
            return -1;
        total += (long)written;
        while (first < n && written >= iovs[first].len)
            written -= iovs[first++].len;
        if (first < n) {
            iovs[first].buf = (const char *)iovs[first].buf + written;
            iovs[first].len -= (uint32_t)written;
        }
    }
    return total;
}
#else
#include <unistd.h>
static long raw_write(int fd, const struct piece *pieces, int n)
{
    long total = 0;
    for (int i = 0; i < n; i++) {
        ssize_t w = write(fd, pieces[i].buf, pieces[i].len);
        if (w < 0)
            return -1;
        total += w;
    }
    return total;
}
#endif

/* One buffer. */
int direct_puts(const char *s)
{
    struct piece p[2] = {{s, strlen(s)}, {"\n", 1}};
    return (int)raw_write(1, p, 2);
}

/* Several buffers gathered in one call (the prefix is the library's own string). */
int direct_report(const char *what, int value)
{
    char number[16];
    int len = 0;
    char digits[16];
    int nd = 0;
    unsigned v = value < 0 ? -(unsigned)value : (unsigned)value;
    do
        digits[nd++] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    if (value < 0)
        number[len++] = '-';
    while (nd > 0)
        number[len++] = digits[--nd];
    struct piece p[5] = {{"[libdirect] ", 12}, {what, strlen(what)}, {" = ", 3}, {number, (size_t)len}, {"\n", 1}};
    return (int)raw_write(1, p, 5);
}

/* A bad descriptor fails without writing anything. */
int direct_bad_fd(void)
{
    struct piece p[1] = {{"lost\n", 5}};
    return (int)raw_write(-1, p, 1);
}

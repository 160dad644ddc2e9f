#include <setjmp.h>
#include <stdio.h>

struct parser {
    const char *start, *p;
    jmp_buf on_error;
    char *err;
    int errlen;
};

static void fail(struct parser *ps, const char *what)
{
    snprintf(ps->err, ps->errlen, "%s at offset %d", what, (int)(ps->p - ps->start));
    longjmp(ps->on_error, 1);
}

static int number(struct parser *ps)
{
    if (*ps->p < '0' || *ps->p > '9')
        fail(ps, *ps->p ? "digit expected" : "unexpected end");
    int v = 0;
    while (*ps->p >= '0' && *ps->p <= '9')
        v = v * 10 + (*ps->p++ - '0');
    return v;
}

static int sum(struct parser *ps)
{
    int v = number(ps);
    if (*ps->p == '+') {
        ps->p++;
        return v + sum(ps); /* recursion: the jump leaves many frames */
    }
    return v;
}

int parse_sum(const char *text, char *err, int errlen)
{
    struct parser ps = {text, text, {{0}}, err, errlen};
    err[0] = 0;
    if (setjmp(ps.on_error))
        return -1;
    return sum(&ps);
}

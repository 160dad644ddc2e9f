/* Thread-local objects of a dlopen'ed library (musl's tls_init_dlopen): initialised, zero,
 * an array; the only thread is the main one. */
_Thread_local int tl_init = 41;
_Thread_local int tl_zero;
_Thread_local char tl_text[16] = "tls";
static _Thread_local int tl_private = 7;

int *tl_init_addr(void) { return &tl_init; }
int *tl_zero_addr(void) { return &tl_zero; }
int tl_bump(void)
{
    tl_zero++;
    tl_private++;
    return ++tl_init + tl_zero * 1000 + tl_private * 100;
}
const char *tl_get_text(void) { return tl_text; }

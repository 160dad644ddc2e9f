/* A plain side module: stateless and stateful functions. */
static int total;

int calc_add(int a, int b) { return a + b; }
int calc_mul(int a, int b) { return a * b; }
int calc_negate(int a) { return -a; }
unsigned calc_hash(const char *s)
{
    unsigned h = 5381;
    while (*s)
        h = h * 33u + (unsigned char)*s++;
    return h;
}
void calc_accumulate(int v) { total += v; }
int calc_total(void) { return total; }

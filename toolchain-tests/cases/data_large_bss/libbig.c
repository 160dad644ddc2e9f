/* 1 MiB of zero-initialised data (plus an initialised global after it): the loader must
 * provide it zero-filled, on every load. */
#define BIG (1024 * 1024)

unsigned char big_public[BIG];
static unsigned char big_private[BIG];
int big_after = 1234;

int big_private_is_zero(void)
{
    for (int i = 0; i < BIG; i++)
        if (big_private[i])
            return 0;
    return 1;
}

unsigned long big_fill(void)
{
    unsigned long sum = 0;
    for (int i = 0; i < BIG; i++) {
        big_private[i] = (unsigned char)(i * 7 + 3);
        big_public[i] = (unsigned char)(i ^ (i >> 8));
        sum += big_private[i] + big_public[i];
    }
    return sum;
}
int big_size(void) { return BIG; }

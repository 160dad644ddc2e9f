/* Mutual recursion between the program and the library, in both directions. */
int prog_is_even(int n);               /* defined by the program */
int prog_collatz_step(long long n, int steps);

int lib_is_odd(int n) { return n == 0 ? 0 : prog_is_even(n - 1); }

/* Odd steps happen in the library, even steps in the program. */
int lib_collatz_step(long long n, int steps)
{
    if (n == 1)
        return steps;
    return n % 2 ? lib_collatz_step(3 * n + 1, steps + 1) : prog_collatz_step(n / 2, steps + 1);
}

/* Recursion through a function pointer the program passes in (which calls lib_fold again). */
long long lib_fold(int n, long long (*f)(int, void *), void *ctx) { return n <= 0 ? 0 : f(n, ctx); }

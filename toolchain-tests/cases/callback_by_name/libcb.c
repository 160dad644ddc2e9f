/* Calls functions the program defines, by name: unresolved when the library is linked. */
void prog_log(const char *msg);
int prog_combine(int acc, int v);

int cb_bias(void) { return 1000; }

int cb_run(int n)
{
    prog_log("cb_run: start");
    int acc = 0;
    for (int i = 1; i <= n; i++)
        acc = prog_combine(acc, i);
    prog_log("cb_run: end");
    return acc;
}

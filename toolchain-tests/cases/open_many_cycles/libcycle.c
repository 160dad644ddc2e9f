/* Opened and closed 300 times: each instance must start fresh, and the loader must give memory and
 * table slots back (64 KiB of .bss per instance; function pointers handed out each time). */
void prog_ctor(void);
void prog_dtor(void);

static unsigned char scratch[64 * 1024];
int cycle_init = 17;
int cycle_state;

__attribute__((constructor)) static void init(void) { prog_ctor(); }
__attribute__((destructor)) static void fini(void) { prog_dtor(); }

static int twice(int v) { return 2 * v; }
int (*cycle_get_twice(void))(int) { return twice; }

int cycle_work(int round)
{
    int fresh = cycle_init == 17 && cycle_state == 0 && scratch[round % sizeof scratch] == 0 &&
                scratch[sizeof scratch - 1] == 0;
    cycle_init = -1;
    cycle_state = round;
    scratch[round % sizeof scratch] = 0xff;
    scratch[sizeof scratch - 1] = 1;
    return fresh;
}

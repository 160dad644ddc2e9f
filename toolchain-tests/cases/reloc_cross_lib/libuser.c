/* Globals pointing into a dependency (libprovider.so, recorded as NEEDED). */
extern int pv_data;
extern int pv_array[3];
int pv_func(int);

int *pu_data = &pv_data;
int *pu_last = &pv_array[2];
int (*pu_func)(int) = pv_func;
struct { int *p; int (*f)(int); } pu_both[2] = {{&pv_data, pv_func}, {&pv_array[0], pv_func}};

int pu_use(void) { return pu_func(*pu_data) + *pu_last + *pu_both[1].p; }

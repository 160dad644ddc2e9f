/* Refers to names it does not define: the program's function and data, its dependency's,
 * a weak reference nobody satisfies and one the program satisfies. */
int prog_fn(void);
extern int prog_data;
int suv_fn(void);
extern int suv_data;
__attribute__((weak)) int weak_missing(void);
__attribute__((weak)) int weak_present(void);
extern int weak_missing_data __attribute__((weak));

__attribute__((weak)) int su_weak_def(void) { return 3; }

int su_call(void)
{
    return prog_fn() + prog_data + suv_fn() + suv_data + (weak_missing ? 1000 : 0) + (weak_present ? weak_present() : 0) +
           (&weak_missing_data ? 2000 : 0) + su_weak_def();
}

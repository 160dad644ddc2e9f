/* Weak definitions: the program's strong definitions take precedence for this library's own
 * calls and references, the rest keep the library's defaults. */
__attribute__((weak)) const char *wo_hook(void) { return "library default"; }
__attribute__((weak)) const char *wo_other(void) { return "library other"; }
__attribute__((weak)) int wo_data = 1;

const char *wo_call_hook(void) { return wo_hook(); }
const char *wo_call_other(void) { return wo_other(); }
const char *(*wo_hook_ptr(void))(void) { return wo_hook; }
int wo_read_data(void) { return wo_data; }

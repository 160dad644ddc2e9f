int fba_data = 1;
int fba_bss[64];
const char fba_text[] = "fba";
int fba_fn(void) { return 1; }
static int fba_hidden_fn(void) { return 2; }
void *fba_hidden_pointer(void) { return (void *)fba_hidden_fn; }

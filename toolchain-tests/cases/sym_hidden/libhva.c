/* Hidden and static definitions: usable inside the library, invisible outside it. */
__attribute__((visibility("hidden"))) int hv_name(void) { return 11; }
__attribute__((visibility("hidden"))) int hv_value = 12;
__attribute__((visibility("hidden"))) int hv_secret(void) { return 13; }
static int hv_static_fn(void) { return 14; }
static int hv_static_data = 15;

int hva_sum(void) { return hv_name() + hv_value + hv_secret() + hv_static_fn() + hv_static_data; }

/* A hidden function still has an address that works from anywhere. */
int (*hva_secret_ptr(void))(void) { return hv_secret; }

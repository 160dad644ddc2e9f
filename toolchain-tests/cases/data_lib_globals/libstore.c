/* Globals the program reaches through dlsym. */
struct config { int width, height; const char *title; };

int store_counter = 7;
int store_zeroed;                       /* .bss */
const char store_greeting[] = "hello from libstore";
int store_table[4] = {10, 20, 30, 40};
struct config store_config = {640, 480, "window"};
double store_scale = 1.25;

int store_get_counter(void) { return store_counter; }
int *store_counter_addr(void) { return &store_counter; }
int store_table_sum(void) { return store_table[0] + store_table[1] + store_table[2] + store_table[3]; }
const char *store_title(void) { return store_config.title; }
int store_area(void) { return store_config.width * store_config.height; }
double store_scaled(int v) { return v * store_scale; }

/* One of twenty libraries lib00..lib19: each exports its own name and the shared names many_*. */
int many_value = 14 * 100;
static int calls;
const char *many_name(void) { return "lib14"; }
int many_calls(void) { return ++calls; }
int lib14_id(void) { return 14; }

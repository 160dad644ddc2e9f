/* One of twenty libraries lib00..lib19: each exports its own name and the shared names many_*. */
int many_value = 18 * 100;
static int calls;
const char *many_name(void) { return "lib18"; }
int many_calls(void) { return ++calls; }
int lib18_id(void) { return 18; }

/* One of twenty libraries lib00..lib19: each exports its own name and the shared names many_*. */
int many_value = 7 * 100;
static int calls;
const char *many_name(void) { return "lib07"; }
int many_calls(void) { return ++calls; }
int lib07_id(void) { return 7; }

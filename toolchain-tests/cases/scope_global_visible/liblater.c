/* Loaded later, no NEEDED entries: resolves against the global scope. */
int global_fn(int v);
int globaldep_fn(int v);
extern int global_data;
int later_call(int v) { return global_fn(v) + globaldep_fn(v) + global_data; }

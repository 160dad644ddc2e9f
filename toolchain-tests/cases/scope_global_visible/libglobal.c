int globaldep_fn(int v);
int global_fn(int v) { return globaldep_fn(v) * 2; }
int global_data = 3;

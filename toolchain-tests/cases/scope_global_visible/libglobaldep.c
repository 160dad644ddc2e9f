/* A dependency of a library opened RTLD_GLOBAL: it joins the global scope too. */
int globaldep_fn(int v) { return v + 1; }

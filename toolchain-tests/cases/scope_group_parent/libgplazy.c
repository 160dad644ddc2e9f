int gp_lazy_parent_fn(int x) { return x * 10; }
int gp_lazy_parent_data = 7;
int gp_lazy_kid(int x);
int gp_lazy_root(int x) { return gp_lazy_kid(x) + 1; }

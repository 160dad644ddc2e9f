int gp_now_parent_fn(int x) { return x * 10; }
int gp_now_parent_data = 7;
int gp_now_kid(int x);
int gp_now_root(int x) { return gp_now_kid(x) + 1; }

/* Defined only by the library that needs this one (its parent in the dlopen group). */
int gp_now_parent_fn(int x);
extern int gp_now_parent_data;
int gp_now_kid(int x) { return gp_now_parent_fn(x) + gp_now_parent_data; }
int *gp_now_kid_data_ref(void) { return &gp_now_parent_data; }

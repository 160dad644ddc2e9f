/* Defined only by the library that needs this one (its parent in the dlopen group). */
int gp_lazy_parent_fn(int x);
extern int gp_lazy_parent_data;
int gp_lazy_kid(int x) { return gp_lazy_parent_fn(x) + gp_lazy_parent_data; }
int *gp_lazy_kid_data_ref(void) { return &gp_lazy_parent_data; }

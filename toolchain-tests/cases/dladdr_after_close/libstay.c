/* Linked -z nodelete (case.toml): its addresses stay its own after dlclose. */
int stay_data[2] = {7, 8};
int stay_fn(void) { return stay_data[1]; }

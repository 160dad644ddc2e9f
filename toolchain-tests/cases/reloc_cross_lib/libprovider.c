int pv_data = 11;
int pv_array[3] = {7, 8, 9};
int pv_func(int v) { return v + 100; }

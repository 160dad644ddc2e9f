int chain_c_data = 1000;
int chain_c_step(int v) { return v + chain_c_data; }

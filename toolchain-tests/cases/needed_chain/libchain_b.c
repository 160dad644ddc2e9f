int chain_c_step(int v);
int chain_b_step(int v) { return chain_c_step(v * 10) + 3; }

/* libchain_a -> libchain_b -> libchain_c, each calling the next through an import. */
int chain_b_step(int v);
int chain_a_only(void) { return 1; }
int chain_a_step(int v) { return chain_b_step(v + 1) * 2; }

/* Lives in sub/; its NEEDED liborigin_dep.so is in sub/deps/ ($ORIGIN/deps). */
int origin_dep_fn(int v);
int origin_user_fn(int v) { return origin_dep_fn(v) * 2; }

int sq_nobody_defines(void);
int sqf_id(void) { return sq_nobody_defines(); }

int sg_later(void) { return 4; }
int sg_weak(void) { return 5; }

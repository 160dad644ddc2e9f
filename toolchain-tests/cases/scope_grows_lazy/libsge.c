int sg_promoted(void) { return 6; }

int od_plug_value(void) { return 7; }

int pdd_sym = 2;

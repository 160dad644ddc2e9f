int pdr_sym = 1;

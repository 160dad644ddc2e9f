int pde_sym = 3;

int emp_value = 4;

/* Does not compile: the recipe fails, and that is the change's fault. */
int broken(void) { return undeclared_symbol; }

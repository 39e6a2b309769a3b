/*
 * Included first in every app source on RISC-V: every symbol is local to
 * the app, so -fPIE code reaches data directly (relaxed to gp) instead of
 * through a GOT that would have to sit at a fixed distance from the code.
 */
#pragma GCC visibility push(hidden)

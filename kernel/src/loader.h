/*
 * The loader: scans the app flash region for app images at boot, reports
 * each one found or rejected, and gives each accepted app a process slot
 * and a RAM block. doc/image.md describes the images and the scan.
 */
#ifndef LOADER_H
#define LOADER_H

#include "kernel.h"

void loader_scan(struct kernel *k);

#endif

/*
 * CRC-32 as in zlib, Ethernet and PNG (reflected polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF). Shared by the kernel, which
 * checks app images, and the host tool, which writes them.
 */
#ifndef RIG_CRC32_H
#define RIG_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC: start with crc = 0, feed the bytes in order. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif

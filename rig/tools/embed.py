#!/usr/bin/env python3
"""Turns a file into a C array: embed.py INPUT OUTPUT SYMBOL.

The array ends with a NUL byte so text files can be used as C strings;
SYMBOL_len holds the length without it."""
import sys

src, dst, sym = sys.argv[1:4]
data = open(src, 'rb').read()
with open(dst, 'w') as out:
    out.write('#include <stddef.h>\n')
    out.write(f'const char {sym}[] = {{\n')
    for i in range(0, len(data), 16):
        out.write(''.join(f'{b},' for b in data[i:i + 16]) + '\n')
    out.write('0 };\n')
    out.write(f'const size_t {sym}_len = {len(data)};\n')

/*
 * libFuzzer target for the ELF reader: any bytes must give a reading whose
 * totals add up, or an error that names the input; never a crash, a leak or
 * undefined behaviour (the test build adds ASan and UBSan). A reading is
 * also compared with itself, which must show no change.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elfsize.h"
#include "err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elfsize_delta d;
	struct elfsize es;

	if (elfsize_read_mem(&es, "fuzz.elf", data, size) != 0) {
		if (err_code() >= 0 || strncmp(err_msg(), "fuzz.elf: ", 10) != 0)
			__builtin_trap();
		return 0;
	}
	if (es.totals.flash != es.totals.text + es.totals.data ||
	    es.totals.ram != es.totals.data + es.totals.bss)
		__builtin_trap();
	for (size_t i = 0; i < es.n_symbols; i++)
		if (elfsize_fold(es.symbols[i].name) > strlen(es.symbols[i].name) ||
		    !es.symbols[i].section)
			__builtin_trap();
	if (elfsize_diff(&d, &es, &es) == 0) {
		if (d.n_symbols != 0 || d.delta.flash != 0 || d.delta.ram != 0)
			__builtin_trap();
		for (size_t i = 0; i < d.n_sections; i++)
			if (d.sections[i].delta != 0)
				__builtin_trap();
		elfsize_delta_release(&d);
	}
	elfsize_release(&es);
	return 0;
}

/* What memop says about the process's memory matches where its things are. */
#include <rig/memop.h>
#include <rig/tap.h>

static int in_data = 1;
static int in_bss;

int main(void)
{
	int on_stack = 0;
	uintptr_t rs = memop_ram_start(), brk = memop_break(), re = memop_ram_end();
	uintptr_t fs = memop_flash_start(), fe = memop_flash_end();
	uintptr_t ram_size = re - rs, image_size = fe - fs;

	tap_plan(5);
	tap_check(rs < brk && brk <= re, "RAM start < break <= RAM end", "0x%lx 0x%lx 0x%lx",
		  (unsigned long)rs, (unsigned long)brk, (unsigned long)re);
	tap_check((ram_size & (ram_size - 1)) == 0 && rs % ram_size == 0 && (image_size & (image_size - 1)) == 0 &&
			  fs % image_size == 0,
		  "RAM block and image are powers of two, aligned to their size", "ram 0x%lx+%lu image 0x%lx+%lu",
		  (unsigned long)rs, (unsigned long)ram_size, (unsigned long)fs, (unsigned long)image_size);
	uintptr_t sp = (uintptr_t)&on_stack;
	tap_check(sp >= rs && sp < brk && sp < (uintptr_t)&in_data, "the stack is at the bottom of RAM",
		  "local at 0x%lx", (unsigned long)sp);
	tap_check((uintptr_t)&in_data >= rs && (uintptr_t)&in_bss < brk && in_data == 1 && in_bss == 0,
		  ".data and .bss lie below the break, initialized", "data 0x%lx bss 0x%lx",
		  (unsigned long)&in_data, (unsigned long)&in_bss);
	uintptr_t code = (uintptr_t)main & ~1u;
	tap_check(code >= fs + 64 && code < fe, "code runs from the image, after its header",
		  "main at 0x%lx", (unsigned long)code);
	tap_end();
	return 0;
}

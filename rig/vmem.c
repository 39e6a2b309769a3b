#include "vmem.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"

void vmem_init(struct vmem *m)
{
	memset(m, 0, sizeof(*m));
}

void vmem_release(struct vmem *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->r[i].bytes);
	vmem_init(m);
}

static const char *kind_name(enum vmem_kind kind)
{
	return kind == VMEM_FLASH ? "flash" : "RAM";
}

int vmem_add(struct vmem *m, enum vmem_kind kind, uint32_t origin, uint32_t length)
{
	uint64_t total = length, end = (uint64_t)origin + length;
	struct vmem_region *r;

	if (length == 0)
		return err_set(ERR_INVALID, "%s at 0x%08x is empty", kind_name(kind), origin);
	if (end > ((uint64_t)1 << 32))
		return err_set(ERR_INVALID, "%s at 0x%08x (0x%x bytes) runs past 4 GiB",
			       kind_name(kind), origin, length);
	if (m->n == VMEM_REGIONS)
		return err_set(ERR_LIMIT, "more than %d memory regions", VMEM_REGIONS);
	for (size_t i = 0; i < m->n; i++) {
		total += m->r[i].length;
		if (origin < (uint64_t)m->r[i].origin + m->r[i].length && m->r[i].origin < end)
			return err_set(ERR_INVALID, "%s at 0x%08x overlaps %s at 0x%08x",
				       kind_name(kind), origin, kind_name(m->r[i].kind), m->r[i].origin);
	}
	if (total > VMEM_MAX_BYTES)
		return err_set(ERR_LIMIT, "memory regions add up to more than %llu MiB",
			       (unsigned long long)(VMEM_MAX_BYTES >> 20));
	r = &m->r[m->n];
	r->bytes = malloc(length);
	if (!r->bytes)
		return err_set(ERR_NOMEM, "out of memory for %u bytes of %s", length, kind_name(kind));
	r->kind = kind;
	r->origin = origin;
	r->length = length;
	memset(r->bytes, kind == VMEM_FLASH ? 0xff : 0, length);
	r->written_end = 0;
	m->n++;
	return 0;
}

/* Two regions of a board as one when the second starts where the first ends. */
static int add_pair(struct vmem *m, enum vmem_kind kind, const struct region *a, const struct region *b)
{
	const struct region *lo = a->origin <= b->origin ? a : b, *hi = lo == a ? b : a;
	int rc;

	if (lo->origin > UINT32_MAX || lo->length > UINT32_MAX || hi->origin > UINT32_MAX ||
	    hi->length > UINT32_MAX)
		return err_set(ERR_INVALID, "%s beyond 32-bit addresses", kind_name(kind));
	if (lo->origin + lo->length == hi->origin)
		return vmem_add(m, kind, (uint32_t)lo->origin, (uint32_t)(lo->length + hi->length));
	rc = vmem_add(m, kind, (uint32_t)lo->origin, (uint32_t)lo->length);
	if (rc == 0)
		rc = vmem_add(m, kind, (uint32_t)hi->origin, (uint32_t)hi->length);
	return rc;
}

int vmem_add_board(struct vmem *m, const struct board *b)
{
	int rc;

	rc = add_pair(m, VMEM_FLASH, &b->memory.kernel_flash, &b->memory.app_flash);
	if (rc == 0)
		rc = add_pair(m, VMEM_RAM, &b->memory.kernel_ram, &b->memory.app_ram);
	if (rc)
		return err_prefix("board %s", b->name);
	return 0;
}

struct vmem_region *vmem_find(struct vmem *m, uint32_t addr)
{
	for (size_t i = 0; i < m->n; i++)
		if (addr >= m->r[i].origin && addr - m->r[i].origin < m->r[i].length)
			return &m->r[i];
	return NULL;
}

/* The region holding all of [addr, addr+size), or NULL. */
static struct vmem_region *span(const struct vmem *m, uint32_t addr, unsigned size)
{
	struct vmem_region *r = vmem_find((struct vmem *)m, addr);

	if (!r || (size != 1 && size != 2 && size != 4))
		return NULL;
	if ((uint64_t)(addr - r->origin) + size > r->length)
		return NULL;
	return r;
}

int vmem_read(const struct vmem *m, uint32_t addr, unsigned size, uint32_t *value)
{
	const struct vmem_region *r = span(m, addr, size);
	uint32_t v = 0;

	if (!r)
		return -1;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)r->bytes[addr - r->origin + i] << (8 * i);
	*value = v;
	return 0;
}

int vmem_write(struct vmem *m, uint32_t addr, unsigned size, uint32_t value)
{
	struct vmem_region *r = span(m, addr, size);
	uint32_t off;

	if (!r)
		return -1;
	off = addr - r->origin;
	for (unsigned i = 0; i < size; i++)
		r->bytes[off + i] = (uint8_t)(value >> (8 * i));
	if (off + size > r->written_end)
		r->written_end = off + size;
	return 0;
}

void vmem_clear(struct vmem *m, enum vmem_kind kind)
{
	for (size_t i = 0; i < m->n; i++) {
		if (m->r[i].kind != kind)
			continue;
		memset(m->r[i].bytes, kind == VMEM_FLASH ? 0xff : 0, m->r[i].length);
		m->r[i].written_end = 0;
	}
}

static int write_all(int fd, const void *data, size_t len, const char *path)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_errno(ERR_IO, "write %s", path);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vmem_dump_elf(const struct vmem *m, uint32_t entry, const char *path)
{
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph[VMEM_REGIONS];
	uint32_t offset, segments = 0;
	int fd, rc = 0;

	memset(ph, 0, sizeof(ph));
	for (size_t i = 0; i < m->n; i++)
		if (m->r[i].written_end)
			segments++;
	if (segments == 0)
		return err_set(ERR_NOTFOUND, "nothing was written to memory");
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_RISCV;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf32_Phdr);
	eh.e_phnum = (Elf32_Half)segments;
	offset = (uint32_t)(sizeof(eh) + segments * sizeof(Elf32_Phdr));
	segments = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct vmem_region *r = &m->r[i];

		if (!r->written_end)
			continue;
		ph[segments] = (Elf32_Phdr){
			.p_type = PT_LOAD,
			.p_offset = offset,
			.p_vaddr = r->origin,
			.p_paddr = r->origin,
			.p_filesz = r->written_end,
			.p_memsz = r->written_end,
			.p_flags = r->kind == VMEM_FLASH ? PF_R | PF_X : PF_R | PF_W | PF_X,
			.p_align = 1,
		};
		offset += r->written_end;
		segments++;
	}

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_errno(ERR_IO, "create %s", path);
	rc = write_all(fd, &eh, sizeof(eh), path);
	if (rc == 0)
		rc = write_all(fd, ph, segments * sizeof(Elf32_Phdr), path);
	for (size_t i = 0; rc == 0 && i < m->n; i++)
		if (m->r[i].written_end)
			rc = write_all(fd, m->r[i].bytes, m->r[i].written_end, path);
	if (close(fd) < 0 && rc == 0)
		rc = err_errno(ERR_IO, "close %s", path);
	return rc;
}

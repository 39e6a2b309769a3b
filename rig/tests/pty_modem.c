/*
 * pty_modem: an LD_PRELOAD shim that gives pseudo-terminals the modem-line
 * ioctls of a serial port, for tests only.
 *
 * libserialport 0.1.1 reads the modem lines (TIOCMGET) in sp_open() and sets
 * RTS/DTR (TIOCMBIS/TIOCMBIC) with the flow control, and fails on a pty,
 * whose driver has no modem lines (ENOTTY). The console tests preload this
 * so that libserialport's own code runs unchanged on a virtual board's pty.
 * Only those requests, only on a pty slave, and only after the kernel refused
 * them are answered here: as a port whose DTR, RTS, CTS, DSR and CD are up.
 * Nothing is remembered between calls.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

typedef int (*ioctl_fn)(int, unsigned long, ...);

/* UNIX98 pty slaves have majors 136..143. */
static int is_pty(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 &&
	       major(st.st_rdev) <= 143;
}

int ioctl(int fd, unsigned long request, ...)
{
	ioctl_fn real = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	void *arg;
	va_list ap;
	int rc, saved;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	rc = real(fd, request, arg);
	if (rc == 0 || errno != ENOTTY)
		return rc;
	saved = errno;
	switch (request) {
	case TIOCMGET:
		if (arg && is_pty(fd)) {
			*(int *)arg = TIOCM_DTR | TIOCM_RTS | TIOCM_CTS | TIOCM_DSR | TIOCM_CD;
			return 0;
		}
		break;
	case TIOCMSET:
	case TIOCMBIS:
	case TIOCMBIC:
		if (is_pty(fd))
			return 0;
		break;
	default:
		break;
	}
	errno = saved;
	return rc;
}

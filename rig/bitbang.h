/*
 * bitbang: the server side of OpenOCD's remote_bitbang protocol, in front of
 * a JTAG TAP.
 *
 * The protocol is one ASCII byte per request: '0'..'7' set TCK, TMS and TDI
 * (bit 2, 1, 0), 'R' asks for TDO and is answered with '0' or '1', 'r'..'u'
 * set TRST and SRST, 'B'/'b' blink a LED, 'Z'/'z' ask the remote to sleep
 * and 'Q' ends the session. OpenOCD sends many requests before it reads the
 * answers, so bitbang_feed() takes whatever arrived and appends every answer
 * to one buffer, to be sent in one write.
 *
 * The SWD requests ('O', 'o', 'c', 'd'..'g') and any other byte are refused:
 * this debug port is JTAG only, and a peer sending garbage is dropped rather
 * than guessed at. The struct is the caller's; the TAP and the SRST callback
 * target must outlive it. Nothing is allocated.
 */
#ifndef RIG_BITBANG_H
#define RIG_BITBANG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jtag.h"

struct bitbang {
	struct jtag_tap *tap;
	void (*srst)(void *ctx, bool asserted);	/* may be NULL */
	void *srst_ctx;
	bool trst, srst_level;
	bool quit;			/* 'Q' was received */
	uint64_t bytes, reads;		/* requests taken, TDO reads answered */
};

void bitbang_init(struct bitbang *bb, struct jtag_tap *tap, void (*srst)(void *, bool), void *ctx);

/*
 * Executes the requests in in[0..n). Answers are appended to out. *used is
 * set to the number of bytes taken, which is n unless 'Q' ends the session
 * early or an error stops it. Returns 0; ERR_UNSUPPORTED for an SWD request;
 * ERR_INVALID for a byte that is not a request; ERR_LIMIT when out is full
 * (a peer that never reads its answers).
 */
int bitbang_feed(struct bitbang *bb, const uint8_t *in, size_t n, size_t *used, struct buf *out);

#endif

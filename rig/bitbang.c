#include "bitbang.h"

#include "err.h"

void bitbang_init(struct bitbang *bb, struct jtag_tap *tap, void (*srst)(void *, bool), void *ctx)
{
	*bb = (struct bitbang){ .tap = tap, .srst = srst, .srst_ctx = ctx };
}

int bitbang_feed(struct bitbang *bb, const uint8_t *in, size_t n, size_t *used, struct buf *out)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !bb->quit; i++) {
		uint8_t c = in[i];

		switch (c) {
		case '0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			/* While TRST is asserted the TAP stays in Test-Logic-Reset. */
			if (!bb->trst)
				jtag_tap_pins(bb->tap, c & 4, c & 2, c & 1);
			break;
		case 'R':
			rc = buf_addch(out, jtag_tap_tdo(bb->tap) ? '1' : '0');
			if (rc) {
				rc = err_set(ERR_LIMIT, "remote_bitbang: %zu answers unread by the peer",
					     out->len);
				goto out;
			}
			bb->reads++;
			break;
		case 'r': case 's': case 't': case 'u': {
			bool trst = (c - 'r') & 2, srst = (c - 'r') & 1;

			bb->trst = trst;
			if (trst)
				jtag_tap_reset(bb->tap);
			if (srst != bb->srst_level) {
				bb->srst_level = srst;
				if (bb->srst)
					bb->srst(bb->srst_ctx, srst);
			}
			break;
		}
		case 'B': case 'b':
		case 'Z': case 'z':
			/* No LED, and a virtual TAP has no timing to wait for. */
			break;
		case 'Q':
			bb->quit = true;
			break;
		case 'O': case 'o': case 'c':
		case 'd': case 'e': case 'f': case 'g':
			rc = err_set(ERR_UNSUPPORTED,
				     "remote_bitbang: SWD request '%c': this debug port is JTAG only", c);
			goto out;
		default:
			rc = err_set(ERR_INVALID,
				     "remote_bitbang: byte 0x%02x after %llu requests is not a request",
				     c, (unsigned long long)(bb->bytes + i));
			goto out;
		}
	}
out:
	*used = i;
	bb->bytes += i;
	return rc;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * afalg-enc: one skcipher operation through AF_ALG (Documentation/crypto/userspace-if.rst).
 *
 *   afalg-enc enc|dec ALG KEY IVHEX IN OUT
 *
 * KEY is a file whose bytes are the key, whatever their length (for
 * cbc(paes), a key blob: kcapi-enc reads at most 32 key bytes), or @SERIAL,
 * the serial number of a key whose payload the kernel takes as the key
 * (ALG_SET_KEY_BY_KEY_SERIAL: a logon or user key). IN must hold whole
 * blocks; OUT gets as many bytes. Prints "ok" or "error -ERRNO at STEP" and
 * exits 0 or 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_alg.h>

#ifndef SOL_ALG
#define SOL_ALG 279
#endif
#ifndef ALG_SET_KEY_BY_KEY_SERIAL
#define ALG_SET_KEY_BY_KEY_SERIAL 7
#endif

#define MAX_DATA (256 * 1024)
#define MAX_KEY 4096

static int fail(const char *step)
{
	printf("error %d at %s\n", -errno, step);
	return 1;
}

/* Reads up to max bytes of path into buf; returns the length or -1. */
static ssize_t read_file(const char *path, unsigned char *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, max, f);
	if (ferror(f) || (n == max && fgetc(f) != EOF)) {
		fclose(f);
		errno = EFBIG;
		return -1;
	}
	fclose(f);
	return n;
}

static int parse_iv(const char *hex, unsigned char *iv, size_t len)
{
	size_t i;

	if (strlen(hex) != 2 * len)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		iv[i] = b;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static unsigned char in[MAX_DATA], out[MAX_DATA], key[MAX_KEY];
	struct sockaddr_alg sa = { .salg_family = AF_ALG, .salg_type = "skcipher" };
	char cbuf[CMSG_SPACE(sizeof(__u32)) + CMSG_SPACE(sizeof(struct af_alg_iv) + 16)] = { 0 };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;
	struct af_alg_iv *aiv;
	struct iovec iov;
	unsigned char iv[16];
	ssize_t inlen, keylen, got;
	size_t done;
	int tfm, op, enc;
	FILE *f;

	if (argc != 7 || (strcmp(argv[1], "enc") && strcmp(argv[1], "dec"))) {
		fprintf(stderr, "usage: afalg-enc enc|dec ALG KEY IVHEX IN OUT\n");
		return 2;
	}
	enc = !strcmp(argv[1], "enc");
	if (strlen(argv[2]) >= sizeof(sa.salg_name) || parse_iv(argv[4], iv, sizeof(iv))) {
		fprintf(stderr, "afalg-enc: bad algorithm name or IV\n");
		return 2;
	}
	strcpy((char *)sa.salg_name, argv[2]);
	inlen = read_file(argv[5], in, sizeof(in));
	if (inlen < 0)
		return fail("read");

	tfm = socket(AF_ALG, SOCK_SEQPACKET, 0);
	if (tfm < 0)
		return fail("socket");
	if (bind(tfm, (struct sockaddr *)&sa, sizeof(sa)))
		return fail("bind");
	if (argv[3][0] == '@') {
		__s32 serial = strtol(argv[3] + 1, NULL, 0);

		if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY_BY_KEY_SERIAL, &serial, sizeof(serial)))
			return fail("setkey");
	} else {
		keylen = read_file(argv[3], key, sizeof(key));
		if (keylen < 0)
			return fail("read");
		if (setsockopt(tfm, SOL_ALG, ALG_SET_KEY, key, keylen))
			return fail("setkey");
	}
	op = accept(tfm, NULL, 0);
	if (op < 0)
		return fail("accept");

	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_OP;
	c->cmsg_len = CMSG_LEN(sizeof(__u32));
	*(__u32 *)CMSG_DATA(c) = enc ? ALG_OP_ENCRYPT : ALG_OP_DECRYPT;
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = SOL_ALG;
	c->cmsg_type = ALG_SET_IV;
	c->cmsg_len = CMSG_LEN(sizeof(*aiv) + sizeof(iv));
	aiv = (struct af_alg_iv *)CMSG_DATA(c);
	aiv->ivlen = sizeof(iv);
	memcpy(aiv->iv, iv, sizeof(iv));
	iov.iov_base = in;
	iov.iov_len = inlen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (sendmsg(op, &msg, 0) != inlen)
		return fail("send");
	for (done = 0; done < (size_t)inlen; done += got) {
		got = read(op, out + done, inlen - done);
		if (got <= 0) {
			if (got == 0)
				errno = EIO;
			return fail("recv");
		}
	}
	f = fopen(argv[6], "wb");
	if (!f || fwrite(out, 1, inlen, f) != (size_t)inlen || fclose(f))
		return fail("write");
	printf("ok\n");
	return 0;
}

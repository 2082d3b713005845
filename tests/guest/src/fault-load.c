// SPDX-License-Identifier: GPL-2.0
/*
 * fault-load: a mixed load of every operation rstkey and the secure world
 * offer, for the fault-injection test, from one process.
 *
 * Usage: fault-load FIXTURES CRYPTO-FILE N
 *
 * Runs N operations, in turn: cbc(aes) encryption and decryption on
 * cbc-aes-rstkey (each with its own transformation, setkey and request,
 * through rstkey's debugfs file CRYPTO-FILE),
 * RSASSA-PKCS1-v1_5 sign and verify, RSAES-PKCS1-v1_5 decrypt and an
 * encrypt/decrypt round trip through the keyring (KEYCTL_PKEY_*), the
 * import of a PKCS#8 key with add_key() followed by a signature with it,
 * and the secure world's unwrap, import and generate commands (through the
 * rstkey_sw_test debugfs file). Every result that is not an error is
 * checked against the references openssl made on the host.
 *
 * Before the loop the process marks itself with /proc/self/make-it-fail,
 * so the fault-injection framework's task filter fails its allocations
 * only (the test arms failslab and fail_page_alloc). An operation that
 * does not end within 60 s ends the program with status 3.
 *
 * With the environment variable FAULT_LOAD_UNTIL=PATH it stops before N
 * operations as soon as PATH exists (the removal test's load runs until
 * the test is done); FAULT_LOAD_FIRST=K starts with kind K, so that
 * several processes do different things at the same time;
 * FAULT_LOAD_NO_SW=1 leaves out the secure world's commands (their test
 * file keeps one result, for one process at a time), and FAULT_LOAD_TAG=1
 * tags the cipher commands, for several processes at once (the file then
 * returns more than a page: alone, leave it out, so that reading the file
 * under allocation failures does not need vmalloc()).
 *
 * Output, one line per operation kind:
 *   <kind> ok=<n> err=<n> enomem=<n> wrong=<n> [errno <e>=<n>...]
 * then "total ops=<n> ok=<n> err=<n> wrong=<n>". Exit status 0 when no
 * result was wrong, 1 otherwise, 2 on a setup error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_ERRNO 160

enum kind {
	K_ENC, K_DEC, K_SIGN, K_VERIFY, K_BADSIG, K_RSADEC, K_ROUNDTRIP,
	K_IMPORT, K_UNWRAP, K_SWIMPORT, K_GENERATE, K_COUNT
};

static const char *const kind_name[K_COUNT] = {
	"cbc-encrypt", "cbc-decrypt", "rsa-sign", "rsa-verify",
	"rsa-verify-bad", "rsa-decrypt", "rsa-encrypt-decrypt", "key-import",
	"sw-unwrap", "sw-import", "sw-generate",
};

struct count {
	unsigned long ok, err, wrong;
	unsigned long by_errno[MAX_ERRNO];
};

static struct count counts[K_COUNT];
static volatile const char *current_op = "setup";

struct buf {
	unsigned char *p;
	size_t len;
};

struct cbc_vec {
	struct buf key, iv, pt, ct;
};

static struct cbc_vec cbc[3];
static struct buf digest[3], sig[3], p8, rsa_ct, rsa_pt;

/*
 * The size of the RSA-2048 key's results: the keyring refuses an output
 * buffer larger than the key's maximum with EINVAL.
 */
#define RSA_SIZE 256
static char unwrap_cmd[512], unwrap_want[320];
static char import_cmd[320], import_want[320];
static const char *fx, *crypto_file;
static int tagged;
static const char *const sw_cmd = "/sys/kernel/debug/rstkey_sw_test/cmd";

static void on_alarm(int sig_no)
{
	char msg[128];
	int n;

	(void)sig_no;
	n = snprintf(msg, sizeof(msg), "fault-load: hang in %s\n",
		     (const char *)current_op);
	if (n > 0)
		(void)!write(2, msg, (size_t)n);
	_exit(3);
}

static int read_file(const char *name, struct buf *b)
{
	char path[512];
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", fx, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fault-load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b->p = malloc(n > 0 ? (size_t)n : 1);
	if (!b->p || fread(b->p, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	b->len = (size_t)n;
	fclose(f);
	return 0;
}

/* Reads a hex file into bytes (whitespace ignored). */
static int read_hex(const char *name, struct buf *b)
{
	struct buf t;
	size_t i, n = 0;

	if (read_file(name, &t))
		return -1;
	b->p = malloc(t.len / 2 + 1);
	if (!b->p)
		return -1;
	for (i = 0; i + 1 < t.len; ) {
		unsigned int v;

		if (t.p[i] == '\n' || t.p[i] == ' ') {
			i++;
			continue;
		}
		if (sscanf((const char *)t.p + i, "%2x", &v) != 1)
			return -1;
		b->p[n++] = (unsigned char)v;
		i += 2;
	}
	b->len = n;
	free(t.p);
	return 0;
}

/* Reads a text file's first line into s. */
static int read_line(const char *name, char *s, size_t size)
{
	struct buf t;
	size_t n;

	if (read_file(name, &t))
		return -1;
	n = strcspn((const char *)t.p, "\n");
	if (n >= size || n > t.len)
		return -1;
	memcpy(s, t.p, n);
	s[n] = 0;
	free(t.p);
	return 0;
}

static int note(enum kind k, int err)
{
	if (!err) {
		counts[k].ok++;
		return 0;
	}
	counts[k].err++;
	if (err > 0 && err < MAX_ERRNO)
		counts[k].by_errno[err]++;
	return err;
}

static void wrong(enum kind k, const char *what)
{
	counts[k].wrong++;
	fprintf(stderr, "fault-load: %s: wrong result: %s\n", kind_name[k],
		what);
}

static int file_cmd(const char *path, const char *cmd, char *res,
		    size_t size, int first_line);

static void to_hex(char *dst, const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		sprintf(dst + 2 * i, "%02x", b->p[i]);
	dst[2 * b->len] = 0;
}

/*
 * Counts an operation of kind k that ended with e: when it succeeded, its
 * n bytes of output in out must be want.
 */
static void check(enum kind k, int e, const unsigned char *out, size_t n,
		  const struct buf *want)
{
	if (!e && (n != want->len || memcmp(out, want->p, n))) {
		wrong(k, "differs from openssl");
		return;
	}
	note(k, e);
}

/*
 * One cbc(aes) operation on vector v: a new transformation of
 * cbc-aes-rstkey, setkey and the request, in this task, through rstkey's
 * debugfs file `crypto` (AF_ALG refuses drivers like rstkey's, which are
 * asynchronous and allocate memory). Returns 0 and the output in out, an
 * errno, or -1 for a result line that is neither.
 */
static int cbc_op(const struct cbc_vec *v, int encrypt, unsigned char *out)
{
	static char cmd[3 * 8192 + 256], res[64 * 8192 + 4096];
	const char *hex, *line;
	char want[64], *p = cmd;
	size_t i;
	int e;

	/* Tagged when other processes use the file at the same time. */
	if (tagged)
		p += sprintf(p, "@%d ", (int)getpid());
	p += sprintf(p, "cbc-aes-rstkey %s ", encrypt ? "enc" : "dec");
	to_hex(p, &v->key);
	p += strlen(p);
	*p++ = ' ';
	to_hex(p, &v->iv);
	p += strlen(p);
	*p++ = ' ';
	to_hex(p, encrypt ? &v->pt : &v->ct);
	e = file_cmd(crypto_file, cmd, res, sizeof(res), 0);
	if (e)
		return e;
	/*
	 * This process's result line: "@<pid> crypto: ..." or the untagged
	 * "crypto: ...". The file keeps older results of a tag too: take the
	 * last.
	 */
	if (tagged)
		snprintf(want, sizeof(want), "\n@%d crypto: ", (int)getpid());
	else
		snprintf(want, sizeof(want), "\ncrypto: ");
	line = NULL;
	for (hex = strstr(res, want); hex; hex = strstr(hex + 1, want))
		line = hex;
	if (!line)
		return -1;
	line += strlen(want);
	if (sscanf(line, "error %d", &e) == 1 && e)
		return e < 0 ? -e : e;
	if (strncmp(line, "ok ", 3))
		return -1;
	hex = line + 3;
	for (i = 0; i < v->pt.len; i++) {
		unsigned int x;

		if (sscanf(hex + 2 * i, "%2x", &x) != 1)
			return -1;
		out[i] = (unsigned char)x;
	}
	return 0;
}

static long keyctl5(int cmd, unsigned long a, unsigned long b,
		    unsigned long c, unsigned long d)
{
	return syscall(__NR_keyctl, cmd, a, b, c, d);
}

/* A KEYCTL_PKEY_* operation. Returns 0 or errno; *outlen the result's size. */
static int pkey(int cmd, int32_t key, const char *info, const struct buf *in,
		const struct buf *in2, unsigned char *out, size_t *outlen)
{
	struct keyctl_pkey_params p = { 0 };
	long r;

	p.key_id = key;
	p.in_len = (uint32_t)in->len;
	if (in2)
		p.in2_len = (uint32_t)in2->len;
	else
		p.out_len = (uint32_t)*outlen;
	r = keyctl5(cmd, (unsigned long)&p, (unsigned long)info,
		    (unsigned long)in->p,
		    in2 ? (unsigned long)in2->p : (unsigned long)out);
	if (r < 0)
		return errno;
	if (outlen)
		*outlen = (size_t)r;
	return 0;
}

static int32_t add_p8(const char *desc, int32_t keyring)
{
	return (int32_t)syscall(__NR_add_key, "asymmetric", desc, p8.p, p8.len,
				keyring);
}

/*
 * A command of a debugfs test file: writes cmd, reads the result line.
 * Returns 0 and the line in res, or errno of the file operations.
 */
static int file_cmd(const char *path, const char *cmd, char *res,
		    size_t size, int first_line)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return errno;
	n = write(fd, cmd, strlen(cmd));
	if (n != (ssize_t)strlen(cmd))
		err = n < 0 ? errno : EIO;
	close(fd);
	if (err)
		return err;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return errno;
	/* Reads the whole text, after a newline (so that each line starts with one). */
	res[0] = '\n';
	n = 0;
	for (;;) {
		ssize_t r = read(fd, res + 1 + n, size - 2 - (size_t)n);

		if (r < 0) {
			err = errno;
			break;
		}
		if (r == 0 || (size_t)(n + r) >= size - 2) {
			n += r;
			break;
		}
		n += r;
	}
	res[1 + n] = 0;
	if (first_line) {
		memmove(res, res + 1, (size_t)n + 1);
		res[strcspn(res, "\n")] = 0;
	}
	close(fd);
	return err;
}

/*
 * The result of a secure world command: "<cmd>: ok ..." or
 * "<cmd>: error -<errno>". Returns 0 for ok, the errno for an error, and
 * -1 for anything else.
 */
static int sw_status(const char *res, const char *cmd)
{
	size_t l = strlen(cmd);
	int e;

	if (strncmp(res, cmd, l) || strncmp(res + l, ": ", 2))
		return -1;
	if (!strncmp(res + l + 2, "ok", 2))
		return 0;
	if (sscanf(res + l + 2, "error -%d", &e) == 1 && e > 0)
		return e;
	return -1;
}

static void sw_op(enum kind k, const char *cmd, const char *name,
		  const char *want)
{
	char res[256] = { 0 };
	int err, st;

	err = file_cmd(sw_cmd, cmd, res, sizeof(res), 1);
	if (err) {
		note(k, err);
		return;
	}
	st = sw_status(res, name);
	if (st < 0) {
		wrong(k, res);
		return;
	}
	if (st) {
		note(k, st);
		return;
	}
	if (want && strcmp(res, want)) {
		wrong(k, res);
		return;
	}
	if (!want && !strstr(res, "ok len=32 sha256=")) {
		wrong(k, res);
		return;
	}
	note(k, 0);
}

static int setup(void)
{
	static const char *const bits[3] = { "128", "192", "256" };
	char name[64], hex[256];
	int i;

	for (i = 0; i < 3; i++) {
		const char *len = "64";

		snprintf(name, sizeof(name), "cbc-%s-%s.key", bits[i], len);
		if (read_hex(name, &cbc[i].key))
			return -1;
		snprintf(name, sizeof(name), "cbc-%s-%s.iv", bits[i], len);
		if (read_hex(name, &cbc[i].iv) || cbc[i].iv.len != 16)
			return -1;
		snprintf(name, sizeof(name), "cbc-%s-%s.pt.hex", bits[i], len);
		if (read_hex(name, &cbc[i].pt))
			return -1;
		snprintf(name, sizeof(name), "cbc-%s-%s.ct.hex", bits[i], len);
		if (read_hex(name, &cbc[i].ct) || cbc[i].ct.len != cbc[i].pt.len)
			return -1;
		snprintf(name, sizeof(name), "rsa-d%d.bin", i + 1);
		if (read_file(name, &digest[i]))
			return -1;
		snprintf(name, sizeof(name), "rsa-s%d.bin", i + 1);
		if (read_file(name, &sig[i]))
			return -1;
	}
	if (read_file("rsa.p8", &p8) || read_file("rsa-cipher.bin", &rsa_ct) ||
	    read_file("rsa-plain.bin", &rsa_pt))
		return -1;
	if (read_line("key32.blob.hex", hex, sizeof(hex)))
		return -1;
	snprintf(unwrap_cmd, sizeof(unwrap_cmd), "unwrap %s", hex);
	if (read_line("key32.sha256", hex, sizeof(hex)))
		return -1;
	snprintf(unwrap_want, sizeof(unwrap_want), "unwrap: ok len=32 sha256=%s",
		 hex);
	snprintf(import_want, sizeof(import_want), "import: ok len=32 sha256=%s",
		 hex);
	if (read_line("key32.hex", hex, sizeof(hex)))
		return -1;
	snprintf(import_cmd, sizeof(import_cmd), "import %s", hex);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned char out[8192], out2[512];
	const char *until = getenv("FAULT_LOAD_UNTIL");
	const char *first = getenv("FAULT_LOAD_FIRST");
	int no_sw = getenv("FAULT_LOAD_NO_SW") != NULL;

	tagged = getenv("FAULT_LOAD_TAG") != NULL;
	unsigned long ops, i, done, shift, tot_ok = 0, tot_err = 0, tot_wrong = 0;
	int32_t keyring, key;
	int fd, k, e;

	if (argc != 4) {
		fprintf(stderr, "usage: fault-load FIXTURES CRYPTO-FILE N\n");
		return 2;
	}
	fx = argv[1];
	crypto_file = argv[2];
	ops = strtoul(argv[3], NULL, 0);
	if (setup()) {
		fprintf(stderr, "fault-load: cannot read the fixtures\n");
		return 2;
	}
	keyring = (int32_t)keyctl5(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
	key = add_p8("rstkey-fault-load", keyring);
	if (keyring < 0 || key < 0) {
		fprintf(stderr, "fault-load: add_key: %s\n", strerror(errno));
		return 2;
	}
	signal(SIGALRM, on_alarm);

	fd = open("/proc/self/make-it-fail", O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		fprintf(stderr, "fault-load: make-it-fail: %s\n", strerror(errno));
		return 2;
	}
	close(fd);

	shift = first ? strtoul(first, NULL, 0) : 0;
	for (done = 0; done < ops; done++) {
		const struct cbc_vec *v;
		const struct buf *d, *s;
		struct buf in;
		enum kind kd;
		int32_t k2;
		size_t n;

		if (until && !(done % K_COUNT) && !access(until, F_OK))
			break;
		i = done + shift;
		kd = (enum kind)(i % K_COUNT);
		v = &cbc[(i / K_COUNT) % 3];
		d = &digest[(i / K_COUNT) % 3];
		s = &sig[(i / K_COUNT) % 3];

		current_op = kind_name[kd];
		alarm(60);
		switch (kd) {
		case K_ENC:
		case K_DEC:
			e = cbc_op(v, kd == K_ENC, out);
			if (e < 0) {
				wrong(kd, "unexpected result line");
				break;
			}
			check(kd, e, out, v->pt.len, kd == K_ENC ? &v->ct : &v->pt);
			break;
		case K_SIGN:
			n = RSA_SIZE;
			e = pkey(KEYCTL_PKEY_SIGN, key, "enc=pkcs1 hash=sha256", d,
				 NULL, out, &n);
			check(kd, e, out, n, s);
			break;
		case K_VERIFY:
			e = pkey(KEYCTL_PKEY_VERIFY, key, "enc=pkcs1 hash=sha256", d,
				 s, NULL, NULL);
			if (e == EKEYREJECTED || e == EBADMSG) {
				wrong(kd, "a valid signature rejected");
				break;
			}
			note(kd, e);
			break;
		case K_BADSIG:
			/* The signature of another digest. */
			e = pkey(KEYCTL_PKEY_VERIFY, key, "enc=pkcs1 hash=sha256", d,
				 &sig[((i / K_COUNT) + 1) % 3], NULL, NULL);
			if (!e) {
				wrong(kd, "a wrong signature accepted");
				break;
			}
			/* Rejection is this operation's success. */
			note(kd, e == EKEYREJECTED ? 0 : e);
			break;
		case K_RSADEC:
			n = RSA_SIZE;
			e = pkey(KEYCTL_PKEY_DECRYPT, key, "enc=pkcs1", &rsa_ct,
				 NULL, out, &n);
			check(kd, e, out, n, &rsa_pt);
			break;
		case K_ROUNDTRIP:
			n = RSA_SIZE;
			e = pkey(KEYCTL_PKEY_ENCRYPT, key, "enc=pkcs1", &rsa_pt,
				 NULL, out2, &n);
			if (!e) {
				in.p = out2;
				in.len = n;
				n = RSA_SIZE;
				e = pkey(KEYCTL_PKEY_DECRYPT, key, "enc=pkcs1", &in,
					 NULL, out, &n);
			}
			check(kd, e, out, n, &rsa_pt);
			break;
		case K_IMPORT:
			/* Replaces the previous import in the keyring. */
			k2 = add_p8("rstkey-fault-load-import", keyring);
			if (k2 < 0) {
				note(kd, errno);
				break;
			}
			n = RSA_SIZE;
			e = pkey(KEYCTL_PKEY_SIGN, k2, "enc=pkcs1 hash=sha256", d,
				 NULL, out, &n);
			check(kd, e, out, n, s);
			keyctl5(KEYCTL_INVALIDATE, (unsigned long)k2, 0, 0, 0);
			break;
		case K_UNWRAP:
			if (!no_sw)
				sw_op(kd, unwrap_cmd, "unwrap", unwrap_want);
			break;
		case K_SWIMPORT:
			if (!no_sw)
				sw_op(kd, import_cmd, "import", import_want);
			break;
		case K_GENERATE:
			if (!no_sw)
				sw_op(kd, "generate 32", "generate", NULL);
			break;
		default:
			break;
		}
		alarm(0);
	}

	/* Unmarking allocates too, and may fail like the rest: retry. */
	for (k = 0; k < 10000; k++) {
		fd = open("/proc/self/make-it-fail", O_WRONLY);
		if (fd < 0)
			continue;
		e = write(fd, "0", 1) == 1;
		close(fd);
		if (e)
			break;
	}
	if (k == 10000) {
		fprintf(stderr, "fault-load: cannot clear make-it-fail\n");
		return 2;
	}

	for (k = 0; k < K_COUNT; k++) {
		printf("%s ok=%lu err=%lu enomem=%lu wrong=%lu", kind_name[k],
		       counts[k].ok, counts[k].err, counts[k].by_errno[ENOMEM],
		       counts[k].wrong);
		for (e = 1; e < MAX_ERRNO; e++)
			if (counts[k].by_errno[e] && e != ENOMEM)
				printf(" errno%d=%lu", e, counts[k].by_errno[e]);
		printf("\n");
		tot_ok += counts[k].ok;
		tot_err += counts[k].err;
		tot_wrong += counts[k].wrong;
	}
	printf("total ops=%lu ok=%lu err=%lu wrong=%lu\n", done, tot_ok, tot_err,
	       tot_wrong);
	keyctl5(KEYCTL_INVALIDATE, (unsigned long)key, 0, 0, 0);
	return tot_wrong ? 1 : 0;
}

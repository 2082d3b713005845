// SPDX-License-Identifier: GPL-2.0
/*
 * dma-heap-test: user space access to the protected crypto-key heap and to
 * the emulated secure world's TEE device, through the upstream uapi only.
 *
 *   dma-heap-test alloc HEAP SIZE   allocate SIZE bytes, print the size of the
 *                                   dma-buf (lseek) or the errno
 *   dma-heap-test mmap HEAP         mmap an allocated buffer
 *   dma-heap-test sync HEAP         DMA_BUF_IOCTL_SYNC (CPU access) on one
 *   dma-heap-test session TEEDEV UUID LOGIN
 *                                   open a session as user space: prints the
 *                                   ioctl errno or the TEE result code
 *   dma-heap-test fdcmd HEAP SIZE FILL FILE COMMAND...
 *                                   allocate SIZE bytes, copy the file FILL
 *                                   into them through an mmap (- for none),
 *                                   and write COMMAND, with each word "FD"
 *                                   replaced by the dma-buf's descriptor, to
 *                                   FILE while the buffer is held
 *
 * Output: "ok VALUE" or "errno N", one line. Exit status 0 unless the usage
 * is wrong or the heap can't be opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/tee.h>

static int heap_alloc(const char *heap, unsigned long long size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(path);
		exit(1);
	}
	if (ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return data.fd;
}

static int parse_uuid(const char *s, uint8_t uuid[16])
{
	int n = 0;

	for (; *s && n < 16; s++) {
		if (*s == '-')
			continue;
		if (sscanf(s, "%2hhx", &uuid[n]) != 1)
			return -1;
		n++;
		s++;
	}
	return n == 16 ? 0 : -1;
}

static int session(const char *dev, const char *uuid, unsigned int login)
{
	uint8_t buf[sizeof(struct tee_ioctl_buf_data) +
		    sizeof(struct tee_ioctl_open_session_arg)] = { 0 };
	struct tee_ioctl_open_session_arg *arg = (void *)buf;
	struct tee_ioctl_buf_data data = {
		.buf_ptr = (uintptr_t)arg,
		.buf_len = sizeof(*arg),
	};
	int fd;

	if (parse_uuid(uuid, arg->uuid))
		return 2;
	arg->clnt_login = login;
	fd = open(dev, O_RDWR);
	if (fd < 0) {
		perror(dev);
		return 1;
	}
	if (ioctl(fd, TEE_IOC_OPEN_SESSION, &data) < 0)
		printf("errno %d\n", errno);
	else if (arg->ret)
		printf("result 0x%x origin %u\n", arg->ret, arg->ret_origin);
	else
		printf("ok session %u\n", arg->session);
	close(fd);
	return 0;
}

/* Writes the words of @argv, "FD" replaced by @fd, to @file in one write. */
static int write_command(const char *file, int fd, char **argv)
{
	char cmd[32768];
	size_t n = 0;
	int out, ret;

	for (; *argv; argv++) {
		if (!strcmp(*argv, "FD"))
			ret = snprintf(cmd + n, sizeof(cmd) - n, "%d ", fd);
		else
			ret = snprintf(cmd + n, sizeof(cmd) - n, "%s ", *argv);
		if (ret < 0 || (size_t)ret >= sizeof(cmd) - n) {
			fprintf(stderr, "command too long\n");
			return 1;
		}
		n += ret;
	}
	out = open(file, O_WRONLY | O_CLOEXEC);
	if (out < 0 || write(out, cmd, n) != (ssize_t)n) {
		perror(file);
		return 1;
	}
	close(out);
	return 0;
}

/* Copies the file @fill into the first bytes of the dma-buf @fd of @size. */
static int fill_buffer(int fd, size_t size, const char *fill)
{
	static char buf[65536];
	ssize_t n;
	char *p;
	int in;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	in = open(fill, O_RDONLY | O_CLOEXEC);
	if (p == MAP_FAILED || in < 0) {
		perror("fill");
		return 1;
	}
	/*
	 * Through a local buffer: the heap maps its pages with
	 * remap_pfn_range(), which some file systems can't read() into.
	 */
	n = read(in, buf, sizeof(buf) < size ? sizeof(buf) : size);
	if (n > 0)
		memcpy(p, buf, n);
	close(in);
	munmap(p, size);
	if (n < 0)
		perror(fill);
	return n < 0;
}

int main(int argc, char **argv)
{
	int fd;

	if (argc >= 7 && !strcmp(argv[1], "fdcmd")) {
		size_t size = strtoull(argv[3], NULL, 0);
		int ret;

		fd = heap_alloc(argv[2], size);
		if (fd < 0) {
			printf("alloc errno %d\n", errno);
			return 1;
		}
		if (strcmp(argv[4], "-") && fill_buffer(fd, size, argv[4]))
			return 1;
		ret = write_command(argv[5], fd, argv + 6);
		close(fd);
		return ret;
	}

	if (argc == 5 && !strcmp(argv[1], "session"))
		return session(argv[2], argv[3], strtoul(argv[4], NULL, 0));
	if (argc == 4 && !strcmp(argv[1], "alloc")) {
		fd = heap_alloc(argv[2], strtoull(argv[3], NULL, 0));
		if (fd < 0) {
			printf("errno %d\n", errno);
			return 0;
		}
		printf("ok %lld\n", (long long)lseek(fd, 0, SEEK_END));
		close(fd);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "mmap")) {
		void *p;

		fd = heap_alloc(argv[2], 4096);
		if (fd < 0) {
			printf("alloc errno %d\n", errno);
			return 0;
		}
		p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			printf("errno %d\n", errno);
		} else {
			printf("ok mapped\n");
			munmap(p, 4096);
		}
		close(fd);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sync")) {
		struct dma_buf_sync sync = {
			.flags = DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ,
		};

		fd = heap_alloc(argv[2], 4096);
		if (fd < 0) {
			printf("alloc errno %d\n", errno);
			return 0;
		}
		if (ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync) < 0) {
			printf("errno %d\n", errno);
		} else {
			sync.flags = DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ;
			ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
			printf("ok synced\n");
		}
		close(fd);
		return 0;
	}
	fprintf(stderr,
		"usage: %s alloc HEAP SIZE | mmap HEAP | sync HEAP | session TEEDEV UUID LOGIN | fdcmd HEAP SIZE FILL FILE COMMAND...\n",
		argv[0]);
	return 2;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-crypto-config: print a virtio-crypto PCI device's configuration
 * space as the device presents it, read straight from the device.
 *
 * An independent reference for the driver's capabilities report: it walks
 * the PCI capability list in sysfs to find the device-specific configuration
 * structure (VIRTIO 1.2, 4.1.4.6), maps that BAR through sysfs and reads
 * struct virtio_crypto_config (5.9.4). No kernel driver code is involved.
 *
 * Output: one "name: value" line per field, values in hex.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PCI_CAP_PTR		0x34
#define PCI_CAP_ID_VNDR		0x09
#define VIRTIO_PCI_CAP_DEVICE_CFG	4

static int read_hex(const char *dir, const char *file, unsigned int *val)
{
	char path[512], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*val = (unsigned int)strtoul(buf, NULL, 16);
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int main(void)
{
	static const char *const names[] = {
		"status", "max_dataqueues", "crypto_services", "cipher_algo_l",
		"cipher_algo_h", "hash_algo", "mac_algo_l", "mac_algo_h",
		"aead_algo", "max_cipher_key_len", "max_auth_key_len",
		"akcipher_algo",
	};
	const char *base = "/sys/bus/pci/devices";
	char dir[512], path[600], bdf[256] = "";
	uint8_t cfg[256];
	struct dirent *de;
	DIR *d;
	int found = 0;

	d = opendir(base);
	if (!d) {
		perror(base);
		return 1;
	}
	while ((de = readdir(d))) {
		unsigned int vendor, device;

		if (de->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, de->d_name);
		if (read_hex(dir, "vendor", &vendor) || read_hex(dir, "device", &device))
			continue;
		/* Modern virtio-crypto: 0x1040 + VIRTIO_ID_CRYPTO (20). */
		if (vendor == 0x1af4 && device == 0x1054) {
			snprintf(bdf, sizeof(bdf), "%s", de->d_name);
			found = 1;
			break;
		}
	}
	closedir(d);
	if (!found) {
		fprintf(stderr, "no virtio-crypto PCI device\n");
		return 1;
	}

	snprintf(path, sizeof(path), "%s/config", dir);
	int fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, cfg, sizeof(cfg)) != (ssize_t)sizeof(cfg)) {
		perror(path);
		return 1;
	}
	close(fd);

	unsigned int pos = cfg[PCI_CAP_PTR] & ~3u, hops = 0;
	int bar = -1;
	uint32_t offset = 0, length = 0;

	while (pos && pos + 16 <= sizeof(cfg) && hops++ < 48) {
		if (cfg[pos] == PCI_CAP_ID_VNDR && cfg[pos + 3] == VIRTIO_PCI_CAP_DEVICE_CFG) {
			bar = cfg[pos + 4];
			offset = le32(&cfg[pos + 8]);
			length = le32(&cfg[pos + 12]);
			break;
		}
		pos = cfg[pos + 1] & ~3u;
	}
	if (bar < 0 || bar > 5 || length < 56) {
		fprintf(stderr, "no usable device configuration capability\n");
		return 1;
	}

	snprintf(path, sizeof(path), "%s/resource%d", dir, bar);
	fd = open(path, O_RDONLY | O_SYNC);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	long page = sysconf(_SC_PAGESIZE);
	off_t map_off = offset & ~(uint32_t)(page - 1);
	size_t map_len = (offset - map_off) + length;
	void *map = mmap(NULL, map_len, PROT_READ, MAP_SHARED, fd, map_off);
	if (map == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	volatile uint32_t *f = (volatile uint32_t *)((char *)map + (offset - map_off));

	printf("pci: %s\n", bdf);
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		printf("%s: 0x%08x\n", names[i], f[i]);
	/* max_size is a le64 at offset 48; read as two 32-bit halves. */
	printf("max_size: 0x%016llx\n",
	       (unsigned long long)f[12] | (unsigned long long)f[13] << 32);
	munmap(map, map_len);
	close(fd);
	return 0;
}

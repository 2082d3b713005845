// SPDX-License-Identifier: GPL-2.0

#include <linux/mm.h>
#include <linux/scatterlist.h>

/*
 * Helpers for protected memory pools of TEE backend drivers, which describe
 * physical memory the CPU can't access with scatterlist entries.
 */

__rust_helper struct page *rust_helper_pfn_to_page(unsigned long pfn)
{
	return pfn_to_page(pfn);
}

__rust_helper void rust_helper_sg_set_page(struct scatterlist *sg,
					   struct page *page, unsigned int len,
					   unsigned int offset)
{
	sg_set_page(sg, page, len, offset);
}

__rust_helper phys_addr_t rust_helper_sg_phys(struct scatterlist *sg)
{
	return sg_phys(sg);
}

__rust_helper int rust_helper_pfn_valid(unsigned long pfn)
{
	return pfn_valid(pfn);
}

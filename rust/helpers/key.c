// SPDX-License-Identifier: GPL-2.0

#include <linux/key.h>

__rust_helper bool rust_helper_key_is_positive(const struct key *key)
{
	return key_is_positive(key);
}

__rust_helper struct key *rust_helper_key_get(struct key *key)
{
	return key_get(key);
}

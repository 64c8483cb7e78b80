/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Map helpers for BPF programs.
 */
#ifndef __MAPS_BPF_H
#define __MAPS_BPF_H

#include <bpf/bpf_helpers.h>

#ifndef EEXIST
#define EEXIST 17
#endif

enum map_init_status {
	MAP_ENTRY_FOUND = 0,	/* the key was already there */
	MAP_ENTRY_CREATED = 1,	/* this call inserted @init */
	MAP_ENTRY_FAILED = -1,	/* no entry: map full (or another error) */
};

/*
 * Look @key up in a hash map; if it is absent, try to insert @init
 * (BPF_NOEXIST, so a racing insert on another CPU wins harmlessly) and
 * look it up again.  Returns the value, or NULL when the map is full.
 * @status, if not NULL, tells whether this call created the entry.
 */
static __always_inline void *
lookup_or_try_init_status(void *map, const void *key, const void *init,
			  int *status)
{
	void *val;
	long err;

	val = bpf_map_lookup_elem(map, key);
	if (val) {
		if (status)
			*status = MAP_ENTRY_FOUND;
		return val;
	}
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		if (status)
			*status = MAP_ENTRY_FAILED;
		return NULL;
	}
	val = bpf_map_lookup_elem(map, key);
	if (status)
		*status = !val ? MAP_ENTRY_FAILED :
			  err ? MAP_ENTRY_FOUND : MAP_ENTRY_CREATED;
	return val;
}

static __always_inline void *
lookup_or_try_init(void *map, const void *key, const void *init)
{
	return lookup_or_try_init_status(map, key, init, NULL);
}

#endif /* __MAPS_BPF_H */
